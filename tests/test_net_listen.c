/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_net_listen: listeners behave like Go's.
 *
 *  - "tcp" on ":0", "0.0.0.0:0" and "[::]:0" is dual stack where the
 *    machine has IPv6: dials to [::1] and to 127.0.0.1 both reach it;
 *    "tcp4" on ":0" takes IPv4 only, "tcp6" on ":0" IPv6 only;
 *  - a unix listener's socket file is removed by grt_close, so listening
 *    again on the path works; a file that replaced it under the same name
 *    is left alone; a listener's file the program removed itself is no
 *    error;
 *  - "@name" is the abstract namespace: a name that fills sun_path (108
 *    bytes with the leading NUL) is accepted, the socket's address has
 *    exactly that length, and a dial reaches it;
 *  - the largest path (107 bytes) works.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "grt_test.h"

#define MS ((int64_t)1000000)

static int port_of(int lfd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    CHECK_EQ(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Dial addr and see the listener accept it and carry a byte; or, when
 * want_ok is false, see the dial refused. */
static void dial_check(int lfd, const char *net, const char *addr, bool want_ok)
{
    int c = grt_dial(net, addr, grt_now() + 5000 * MS);
    if (!want_ok) {
        if (c >= 0)
            TEST_FAIL("dial %s %s connected, want refused", net, addr);
        return;
    }
    if (c < 0)
        TEST_FAIL("dial %s %s: %s", net, addr, strerror(-c));
    int s = grt_accept(lfd, NULL, NULL);
    CHECK_GE(s, 0);
    char b = 0;
    CHECK_EQ(grt_write(c, "!", 1), 1);
    CHECK_EQ(grt_read(s, &b, 1), 1);
    CHECK_EQ(b, '!');
    CHECK_EQ(grt_close(s), 0);
    CHECK_EQ(grt_close(c), 0);
}

static bool have_ipv6(void)
{
    int fd = grt_listen("tcp6", "[::1]:0");
    if (fd < 0)
        return false;
    grt_close(fd);
    return true;
}

static void check_dual_stack(void)
{
    bool v6 = have_ipv6();
    if (!v6)
        printf("no IPv6 loopback: the dual-stack dials to [::1] are not checked\n");
    static const char *any[] = {":0", "0.0.0.0:0", "[::]:0", "[]:0"};
    char addr[64];
    for (size_t i = 0; i < sizeof any / sizeof any[0]; i++) {
        int lfd = grt_listen("tcp", any[i]);
        if (lfd < 0)
            TEST_FAIL("listen tcp %s: %s", any[i], strerror(-lfd));
        int port = port_of(lfd);
        CHECK_GT(port, 0);
        snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
        dial_check(lfd, "tcp", addr, true);
        if (v6) {
            snprintf(addr, sizeof addr, "[::1]:%d", port);
            dial_check(lfd, "tcp", addr, true);
            dial_check(lfd, "tcp6", addr, true);
        }
        CHECK_EQ(grt_close(lfd), 0);
    }
    /* tcp4: IPv4 only */
    int lfd = grt_listen("tcp4", ":0");
    CHECK_GE(lfd, 0);
    int port = port_of(lfd);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    dial_check(lfd, "tcp", addr, true);
    if (v6) {
        snprintf(addr, sizeof addr, "[::1]:%d", port);
        dial_check(lfd, "tcp", addr, false);
    }
    CHECK_EQ(grt_close(lfd), 0);
    if (!v6)
        return;
    /* tcp6: IPv6 only */
    lfd = grt_listen("tcp6", ":0");
    CHECK_GE(lfd, 0);
    port = port_of(lfd);
    snprintf(addr, sizeof addr, "[::1]:%d", port);
    dial_check(lfd, "tcp", addr, true);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    dial_check(lfd, "tcp", addr, false);
    CHECK_EQ(grt_close(lfd), 0);
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void check_unix_unlink(void)
{
    char path[108];
    snprintf(path, sizeof path, "/tmp/grt-listen-%d.sock", (int)getpid());
    unlink(path);
    for (int round = 0; round < 3; round++) { /* again and again on one path */
        int lfd = grt_listen("unix", path);
        CHECK_GE(lfd, 0);
        CHECK(exists(path));
        CHECK_EQ(grt_listen("unix", path), -EADDRINUSE);
        dial_check(lfd, "unix", path, true);
        CHECK_EQ(grt_close(lfd), 0);
        CHECK(!exists(path));
    }
    /* the program removed it and put another file there: left alone */
    int lfd = grt_listen("unix", path);
    CHECK_GE(lfd, 0);
    CHECK_EQ(unlink(path), 0);
    int f = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CHECK_GE(f, 0);
    close(f);
    CHECK_EQ(grt_close(lfd), 0);
    CHECK(exists(path));
    CHECK_EQ(unlink(path), 0);
    /* removed by the program, nothing there: close is still 0 */
    lfd = grt_listen("unix", path);
    CHECK_GE(lfd, 0);
    CHECK_EQ(unlink(path), 0);
    CHECK_EQ(grt_close(lfd), 0);
    CHECK(!exists(path));
    /* a descriptor grt did not make into a listener: no file removed */
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK_GE(s, 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    strcpy(sun.sun_path, path);
    CHECK_EQ(bind(s, (struct sockaddr *)&sun, sizeof sun), 0);
    CHECK_EQ(grt_close(s), 0);
    CHECK(exists(path));
    CHECK_EQ(unlink(path), 0);

    /* the longest path: 107 bytes and its NUL */
    char longp[108];
    int n = snprintf(longp, sizeof longp, "/tmp/grt-%d-", (int)getpid());
    memset(longp + n, 'x', sizeof longp - 1 - (size_t)n);
    longp[107] = 0;
    unlink(longp);
    lfd = grt_listen("unix", longp);
    if (lfd < 0)
        TEST_FAIL("listen on a 107-byte path: %s", strerror(-lfd));
    dial_check(lfd, "unix", longp, true);
    CHECK_EQ(grt_close(lfd), 0);
    CHECK(!exists(longp));
}

static void check_abstract(void)
{
    /* '@' + 107 bytes: all of sun_path */
    char name[109];
    int n = snprintf(name, sizeof name, "@grt-%d-", (int)getpid());
    memset(name + n, 'a', 108 - (size_t)n);
    name[108] = 0;
    CHECK_EQ(strlen(name), 108);
    int lfd = grt_listen("unix", name);
    if (lfd < 0)
        TEST_FAIL("listen on a 108-byte abstract name: %s", strerror(-lfd));
    struct sockaddr_un sun;
    socklen_t len = sizeof sun;
    CHECK_EQ(getsockname(lfd, (struct sockaddr *)&sun, &len), 0);
    CHECK_EQ(len, offsetof(struct sockaddr_un, sun_path) + 108);
    CHECK_EQ(sun.sun_path[0], 0);
    CHECK_EQ(memcmp(sun.sun_path + 1, name + 1, 107), 0);
    dial_check(lfd, "unix", name, true);
    /* one byte shorter is another name */
    name[107] = 0;
    dial_check(lfd, "unix", name, false);
    name[107] = 'a';
    CHECK_EQ(grt_listen("unix", name), -EADDRINUSE);
    CHECK_EQ(grt_close(lfd), 0);
    /* a short one: the address is exactly its bytes, no NUL counted */
    lfd = grt_listen("unix", "@grt-short");
    CHECK_GE(lfd, 0);
    len = sizeof sun;
    CHECK_EQ(getsockname(lfd, (struct sockaddr *)&sun, &len), 0);
    CHECK_EQ(len, offsetof(struct sockaddr_un, sun_path) + strlen("@grt-short"));
    CHECK_EQ(grt_close(lfd), 0);
}

static void main_fn(void *arg)
{
    (void)arg;
    check_dual_stack();
    check_unix_unlink();
    check_abstract();
}

int main(void)
{
    test_run(2, main_fn, NULL);
    printf("ok\n");
    return 0;
}
