/*
 * test_dgram.c - datagrams: "udp", "udp4", "udp6" and "unixgram" in
 * grt_listen (bound) and grt_dial (connected), grt_recvfrom/grt_sendto,
 * grt_read/grt_write on connected sockets, message boundaries and
 * truncation, deadlines, close under a blocked receive, kernel errors
 * (-EMSGSIZE, -ECONNREFUSED, -EDESTADDRREQ) and bad input.
 */
#include "grt_test.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/un.h>

#define MS 1000000LL

/* Echo one datagram per call back to its sender, until the fd closes.
 * The exchange waits for it to leave before it makes another descriptor:
 * an echo server between two calls when its fd was closed would
 * otherwise take up the number's next owner (TSan saw one register the
 * next exchange's socket). */
static grt_waitgroup echo_done = GRT_WAITGROUP_INIT;

static void echo_server(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[2048];
    for (;;) {
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        ssize_t n = grt_recvfrom(fd, buf, sizeof buf, (struct sockaddr *)&from, &flen);
        if (n == -ECANCELED || n == -EBADF) {
            CHECK_EQ(grt_waitgroup_done(&echo_done), 0);
            return;
        }
        CHECK_GE(n, 0);
        CHECK_EQ(grt_sendto(fd, buf, (size_t)n, (struct sockaddr *)&from, flen), n);
    }
}

static void addr_of(int fd, char *out, size_t n, bool v6)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    CHECK_EQ(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    if (v6)
        snprintf(out, n, "[::1]:%d", ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
    else
        snprintf(out, n, "127.0.0.1:%d", ntohs(((struct sockaddr_in *)&ss)->sin_port));
}

/* Connected and unconnected exchanges with a server on lfd at addr. */
static void exchange(const char *net, int lfd, const char *addr)
{
    CHECK_EQ(grt_waitgroup_add(&echo_done, 1), 0);
    CHECK_EQ(grt_go(echo_server, (void *)(intptr_t)lfd), 0);

    /* Connected: read/write, one datagram each, never merged. */
    int c = grt_dial(net, addr, grt_now() + 5000 * MS);
    CHECK_GE(c, 0);
    CHECK_EQ(grt_set_deadline(c, grt_now() + 5000 * MS, GRT_FOREVER), 0);
    CHECK_EQ(grt_write(c, "abc", 3), 3);
    CHECK_EQ(grt_write(c, "defgh", 5), 5);
    char buf[64];
    CHECK_EQ(grt_read(c, buf, sizeof buf), 3);
    CHECK(!memcmp(buf, "abc", 3));
    CHECK_EQ(grt_read(c, buf, 2), 2); /* truncated: the rest is gone */
    CHECK(!memcmp(buf, "de", 2));
    CHECK_EQ(grt_sendto(c, "xy", 2, NULL, 0), 2);
    CHECK_EQ(grt_recvfrom(c, buf, sizeof buf, NULL, NULL), 2);
    CHECK(!memcmp(buf, "xy", 2));

    /* A deadline on a receive with nothing coming. */
    int64_t t0 = grt_now();
    CHECK_EQ(grt_set_deadline(c, t0 + 50 * MS, GRT_FOREVER), 0);
    CHECK_EQ(grt_recvfrom(c, buf, sizeof buf, NULL, NULL), -ETIMEDOUT);
    CHECK_GE(grt_now() - t0, 45 * MS);
    CHECK_EQ(grt_read(c, buf, sizeof buf), -ETIMEDOUT); /* until moved */
    CHECK_EQ(grt_set_deadline(c, GRT_FOREVER, GRT_FOREVER), 0);
    CHECK_EQ(grt_write(c, "again", 5), 5);
    CHECK_EQ(grt_read(c, buf, sizeof buf), 5);
    CHECK_EQ(grt_close(c), 0);

    /* Unconnected: a bound socket of our own, the server's address given
     * and reported back. */
    struct sockaddr_storage srv;
    socklen_t srvlen = sizeof srv;
    CHECK_EQ(getsockname(lfd, (struct sockaddr *)&srv, &srvlen), 0);
    int u = grt_dial(net, addr, GRT_FOREVER); /* only for its family */
    CHECK_GE(u, 0);
    struct sockaddr_storage mine;
    socklen_t minelen = sizeof mine;
    CHECK_EQ(getsockname(u, (struct sockaddr *)&mine, &minelen), 0);
    CHECK_EQ(grt_close(u), 0);
    bool is_unix = ((struct sockaddr *)&srv)->sa_family == AF_UNIX;
    if (is_unix) {
        char me[64];
        snprintf(me, sizeof me, "@grt-test-dgram-client-%d", (int)getpid());
        u = grt_listen("unixgram", me);
    } else {
        u = grt_listen(((struct sockaddr *)&srv)->sa_family == AF_INET6 ? "udp6" : "udp4",
                       ((struct sockaddr *)&srv)->sa_family == AF_INET6 ? "[::1]:0" : "127.0.0.1:0");
    }
    CHECK_GE(u, 0);
    CHECK_EQ(grt_set_deadline(u, grt_now() + 5000 * MS, GRT_FOREVER), 0);
    CHECK_EQ(grt_sendto(u, "ping", 4, (struct sockaddr *)&srv, srvlen), 4);
    struct sockaddr_storage from;
    socklen_t flen = sizeof from;
    memset(&from, 0, sizeof from);
    CHECK_EQ(grt_recvfrom(u, buf, sizeof buf, (struct sockaddr *)&from, &flen), 4);
    CHECK(!memcmp(buf, "ping", 4));
    CHECK_EQ(flen, srvlen);
    CHECK(!memcmp(&from, &srv, srvlen));
    CHECK_EQ(grt_sendto(u, "", 0, (struct sockaddr *)&srv, srvlen), 0); /* empty datagram */
    CHECK_EQ(grt_recvfrom(u, buf, sizeof buf, NULL, NULL), 0);
    CHECK_EQ(grt_sendto(u, "q", 1, NULL, 0), is_unix ? -ENOTCONN : -EDESTADDRREQ);
    CHECK_EQ(grt_close(u), 0);
    CHECK_EQ(grt_close(lfd), 0); /* the server sees -ECANCELED (or -EBADF) and leaves */
    CHECK_EQ(grt_waitgroup_wait(&echo_done), 0);
}

static void closer(void *arg)
{
    grt_sleep(30 * MS);
    CHECK_EQ(grt_close((int)(intptr_t)arg), 0);
}

static void bad_input(void)
{
    int fd = grt_listen("udp4", "127.0.0.1:0");
    CHECK_GE(fd, 0);
    char buf[8];
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t len = sizeof sin;
    CHECK_EQ(grt_recvfrom(fd, NULL, 8, NULL, NULL), -EINVAL);
    CHECK_EQ(grt_recvfrom(fd, buf, sizeof buf, (struct sockaddr *)&sin, NULL), -EINVAL);
    CHECK_EQ(grt_sendto(fd, NULL, 8, (struct sockaddr *)&sin, len), -EINVAL);
    CHECK_EQ(grt_sendto(fd, buf, sizeof buf, (struct sockaddr *)&sin, 0), -EINVAL);
    CHECK_EQ(grt_sendto(fd, buf, sizeof buf, NULL, len), -EINVAL);
    CHECK_EQ(grt_sendto(fd, buf, sizeof buf, NULL, 0), -EDESTADDRREQ);
    CHECK_EQ(grt_recvfrom(-1, buf, sizeof buf, NULL, NULL), -EBADF);
    CHECK_EQ(grt_sendto(-1, buf, sizeof buf, NULL, 0), -EBADF);
    /* Too big for one UDP datagram: the kernel's answer. */
    char *big = calloc(1, 70000);
    CHECK(big != NULL);
    struct sockaddr_in self;
    socklen_t selflen = sizeof self;
    CHECK_EQ(getsockname(fd, (struct sockaddr *)&self, &selflen), 0);
    CHECK_EQ(grt_sendto(fd, big, 70000, (struct sockaddr *)&self, selflen), -EMSGSIZE);
    free(big);
    /* Nothing lost: the socket still works. */
    CHECK_EQ(grt_sendto(fd, "ok", 2, (struct sockaddr *)&self, selflen), 2);
    CHECK_EQ(grt_recvfrom(fd, buf, sizeof buf, NULL, NULL), 2);
    /* A receive blocked when the fd is closed. */
    CHECK_EQ(grt_go(closer, (void *)(intptr_t)fd), 0);
    CHECK_EQ(grt_recvfrom(fd, buf, sizeof buf, NULL, NULL), -ECANCELED);
    /* A closed descriptor. */
    int dead = dup(1);
    CHECK_GE(dead, 0);
    close(dead);
    CHECK_EQ(grt_recvfrom(dead, buf, sizeof buf, NULL, NULL), -EBADF);
    /* Networks and addresses. */
    CHECK_EQ(grt_listen("udpx", "127.0.0.1:0"), -EINVAL);
    CHECK_EQ(grt_listen("udp", "127.0.0.1:-1"), -EINVAL);
    CHECK_EQ(grt_listen("udp4", NULL), -EINVAL);
    CHECK_EQ(grt_dial("udp4", "127.0.0.1", GRT_FOREVER), -EINVAL);
    CHECK_EQ(grt_listen("unixgram", ""), -EINVAL);
    CHECK_EQ(grt_dial("unixgram", "/nonexistent-dir/grt.sock", GRT_FOREVER), -ENOENT);
    /* A connected socket whose peer is gone: the kernel's refusal. */
    int gone = grt_listen("udp4", "127.0.0.1:0");
    CHECK_GE(gone, 0);
    char addr[64];
    addr_of(gone, addr, sizeof addr, false);
    CHECK_EQ(grt_close(gone), 0);
    int c = grt_dial("udp4", addr, GRT_FOREVER);
    CHECK_GE(c, 0);
    CHECK_EQ(grt_set_deadline(c, grt_now() + 5000 * MS, GRT_FOREVER), 0);
    CHECK_EQ(grt_write(c, "x", 1), 1);
    ssize_t r = grt_read(c, buf, sizeof buf);
    CHECK_EQ(r, -ECONNREFUSED);
    CHECK_EQ(grt_close(c), 0);
}

static void main_fn(void *arg)
{
    (void)arg;
    bad_input();
    char addr[64];

    int l4 = grt_listen("udp4", "127.0.0.1:0");
    CHECK_GE(l4, 0);
    addr_of(l4, addr, sizeof addr, false);
    exchange("udp4", l4, addr);

    int l = grt_listen("udp", "127.0.0.1:0");
    CHECK_GE(l, 0);
    addr_of(l, addr, sizeof addr, false);
    exchange("udp", l, addr);

    int l6 = grt_listen("udp6", "[::1]:0");
    if (l6 >= 0) {
        addr_of(l6, addr, sizeof addr, true);
        exchange("udp6", l6, addr);
    } else {
        printf("no ::1 (%s): udp6 not exercised\n", strerror(-l6));
    }

    char name[64];
    snprintf(name, sizeof name, "@grt-test-dgram-%d", (int)getpid());
    int lu = grt_listen("unixgram", name);
    CHECK_GE(lu, 0);
    exchange("unixgram", lu, name);

    char path[108];
    snprintf(path, sizeof path, "/tmp/grt-test-dgram-%d.sock", (int)getpid());
    unlink(path);
    int lp = grt_listen("unixgram", path);
    CHECK_GE(lp, 0);
    exchange("unixgram", lp, path);
    unlink(path);
}

int main(void)
{
    test_run(2, main_fn, NULL);
    printf("ok\n");
    return 0;
}
