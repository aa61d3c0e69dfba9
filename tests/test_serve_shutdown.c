/*
 * test_serve_shutdown.c - the examples' graceful shutdown (examples/serve.h:
 * grt_signal_ctx ends the acceptor's group, the connections' group drains,
 * their context is cancelled when the grace period is cut short).
 *
 * Phase "idle": the http-hello handler, a client holding an idle
 * keep-alive connection, SIGTERM from a thread grt did not create; the
 * server stops accepting, the client's connection ends with end-of-file
 * well before the grace period, grt_run returns normally and SIGTERM is
 * the default again.
 *
 * Phase "stuck": a streaming handler that only writes, to a client that
 * never reads, so the handler is parked in grt_write with the socket
 * buffers full; end-of-file on its read side cannot end it.  After the
 * first SIGTERM the server waits out its grace period; a second SIGTERM
 * cuts it short: the connections' context is cancelled, the write returns
 * -ECANCELED, the handler returns, and the server reports every connection
 * closed long before the 5 s of grace.
 *
 * (An echo handler was not enough: while the client does not read, the
 * kernel's zero-window probes still let the echo's writes creep forward,
 * so the handler sometimes finished a write, read the end-of-file the
 * shutdown's SHUT_RD gives, and returned by itself.)
 */
#include "grt_test.h"

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "../examples/http_hello.h"
#include "../examples/serve.h"

static int     out_pipe[2]; /* the server's stdout */
static int     client_ok;
static int64_t eof_after_ns = -1, cut_after_ns = -1;
static int     handler_write_rc;

static bool sigterm_caught(void)
{
    struct sigaction sa;
    CHECK_EQ(sigaction(SIGTERM, NULL, &sa), 0);
    return (sa.sa_flags & SA_SIGINFO) || (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN);
}

/* The next line the server prints (without the newline). */
static void server_line(char *line, size_t size)
{
    size_t n = 0;
    while (n < size - 1) {
        ssize_t r = read(out_pipe[0], line + n, 1);
        CHECK_EQ(r, 1);
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = 0;
}

/* Wait for the server's "listening" line; its port. */
static int server_port(void)
{
    char line[256];
    for (;;) {
        server_line(line, sizeof line);
        char *p = strstr(line, "127.0.0.1:");
        if (p && atoi(p + 10) > 0)
            return atoi(p + 10);
    }
}

static void server_wait_line(const char *what, char *line, size_t size)
{
    do
        server_line(line, size);
    while (strstr(line, what) == NULL);
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_GE(fd, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_EQ(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    return fd;
}

/* ---- phase "idle" ---- */

static void *idle_client(void *arg)
{
    (void)arg;
    int port = server_port(); /* printed once it listens and has its handler */
    CHECK(sigterm_caught());
    int fd = connect_to(port);
    static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK_EQ(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    char buf[512];
    size_t got = 0;
    while (got < HTTP_HELLO_RESPONSE_LEN) {
        ssize_t r = read(fd, buf + got, sizeof buf - got);
        CHECK_GT(r, 0);
        got += (size_t)r;
    }
    CHECK(!memcmp(buf, HTTP_HELLO_RESPONSE, HTTP_HELLO_RESPONSE_LEN));
    /* Idle and kept alive: the shutdown must end it, not wait for it. */
    int64_t t0 = test_now_ns();
    test_send_signal(SIGTERM); /* kill(getpid()); to this thread under TSan */
    CHECK_EQ(read(fd, buf, sizeof buf), 0);
    eof_after_ns = test_now_ns() - t0;
    close(fd);
    char line[256];
    server_wait_line("exiting", line, sizeof line);
    CHECK(strstr(line, "every connection closed") != NULL);
    client_ok = 1;
    return NULL;
}

/* ---- phase "stuck" ---- */

static atomic_int stuck_handlers;

/* Writes until a write fails; the failure is the result. */
static void stream_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    static char buf[16384];
    atomic_fetch_add(&stuck_handlers, 1);
    for (;;) {
        ssize_t w = grt_write(fd, buf, sizeof buf);
        if (w < 0) {
            handler_write_rc = (int)w;
            return;
        }
    }
}

static void *stuck_client(void *arg)
{
    (void)arg;
    int port = server_port();
    int fd = connect_to(port);
    /* Never read: wait until a good part of our receive buffer is full,
     * so the handler's writes can no longer complete. */
    int64_t end = test_now_ns() + 20 * (int64_t)1000000000;
    for (;;) {
        int inq = 0;
        CHECK_EQ(ioctl(fd, SIOCINQ, &inq), 0);
        if (inq >= 64 * 1024)
            break;
        if (test_now_ns() > end)
            TEST_FAIL("the handler's writes never filled the socket");
        usleep(10000);
    }
    CHECK_EQ(atomic_load(&stuck_handlers), 1);
    char line[256];
    test_send_signal(SIGTERM);
    server_wait_line("shutting down", line, sizeof line);
    /* The first signal's shutdown waits for the handler, which is stuck:
     * a second signal cuts the grace period short. */
    int64_t t0 = test_now_ns();
    test_send_signal(SIGTERM);
    server_wait_line("exiting", line, sizeof line);
    cut_after_ns = test_now_ns() - t0;
    CHECK(strstr(line, "every connection closed") != NULL);
    close(fd);
    client_ok = 1;
    return NULL;
}

static void run_phase(struct serve *srv, void *(*client)(void *))
{
    client_ok = 0;
    fflush(stdout);
    int saved_out = dup(1);
    CHECK_GE(saved_out, 0);
    CHECK_EQ(dup2(out_pipe[1], 1), 1);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, client, NULL), 0);
    CHECK_EQ(grt_run(NULL, serve_run, srv), 0);
    fflush(stdout);
    CHECK_EQ(dup2(saved_out, 1), 1);
    close(saved_out);
    pthread_join(t, NULL);
    CHECK_EQ(srv->status, 0);
    CHECK_EQ(client_ok, 1);
    CHECK(!sigterm_caught());
}

int main(void)
{
    CHECK_EQ(pipe(out_pipe), 0);

    static struct serve idle = {.name = "test", .conn = http_hello_serve};
    run_phase(&idle, idle_client);
    CHECK_LT(eof_after_ns, SERVE_GRACE_NS / 2); /* closed, not waited out */
    printf("idle: end-of-file %.1f ms after SIGTERM\n", (double)eof_after_ns / 1e6);

    static struct serve stuck = {.name = "test", .conn = stream_conn};
    run_phase(&stuck, stuck_client);
    CHECK_EQ(handler_write_rc, -ECANCELED);
    CHECK_LT(cut_after_ns, SERVE_GRACE_NS * 4 / 5); /* cut short, not waited out */
    printf("stuck: the handler's write returned -ECANCELED, server done %.1f ms after the "
           "second SIGTERM\n",
           (double)cut_after_ns / 1e6);
    printf("ok\n");
    return 0;
}
