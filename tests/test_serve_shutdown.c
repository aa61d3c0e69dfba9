/*
 * test_serve_shutdown.c - the examples' graceful shutdown (examples/serve.h
 * with the http-hello handler): a client holding an idle keep-alive
 * connection, SIGTERM from a thread grt did not create; the server stops
 * accepting, the client's connection ends with end-of-file well before the
 * grace period, grt_run returns normally and SIGTERM is the default again.
 */
#include "grt_test.h"

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>

#include "../examples/http_hello.h"
#include "../examples/serve.h"

static struct serve srv = {.name = "test", .conn = http_hello_serve};
static int     out_pipe[2]; /* the server's stdout: its "listening" line */
static int     client_ok;
static int64_t eof_after_ns = -1;

static bool sigterm_caught(void)
{
    struct sigaction sa;
    CHECK_EQ(sigaction(SIGTERM, NULL, &sa), 0);
    return (sa.sa_flags & SA_SIGINFO) || (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN);
}

static void *client(void *arg)
{
    (void)arg;
    /* The server prints its port once it listens and has its handler. */
    char line[256];
    size_t n = 0;
    int port = 0;
    while (n < sizeof line - 1) {
        ssize_t r = read(out_pipe[0], line + n, 1);
        CHECK_EQ(r, 1);
        if (line[n++] == '\n') {
            line[n] = 0;
            char *p = strstr(line, "127.0.0.1:");
            if (p && (port = atoi(p + 10)) > 0)
                break;
            n = 0;
        }
    }
    CHECK_GT(port, 0);
    CHECK(sigterm_caught());
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_GE(fd, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_EQ(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
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
    client_ok = 1;
    return NULL;
}

int main(void)
{
    CHECK_EQ(pipe(out_pipe), 0);
    fflush(stdout);
    int saved_out = dup(1);
    CHECK_GE(saved_out, 0);
    CHECK_EQ(dup2(out_pipe[1], 1), 1);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, client, NULL), 0);
    CHECK_EQ(grt_run(NULL, serve_run, &srv), 0);
    fflush(stdout);
    CHECK_EQ(dup2(saved_out, 1), 1);
    pthread_join(t, NULL);
    CHECK_EQ(srv.status, 0);
    CHECK_EQ(client_ok, 1);
    CHECK_LT(eof_after_ns, SERVE_GRACE_NS / 2); /* closed, not waited out */
    CHECK(!sigterm_caught());
    printf("ok\n");
    return 0;
}
