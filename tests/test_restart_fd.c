/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_restart_fd: descriptors across grt_run calls.
 *
 *  - File status flags: a pipe and a dup of stdout, blocking before
 *    grt_run and used through grt_read/grt_write in the run (which makes
 *    them non-blocking while it runs), have exactly their old flags when
 *    grt_run returns.  A descriptor grt created stays non-blocking, and one
 *    closed and reopened by the program under the same number is left
 *    alone.
 *  - Restart hygiene: each of 20 runs leaves descriptors mid-use when main
 *    returns (a goroutine parked in grt_read with a read deadline armed,
 *    one parked in grt_accept, one in grt_write on a full pipe); the next
 *    run uses the descriptors the previous one left open (data flows,
 *    deadlines fire, grt_close wakes nobody stale) and then closes them.
 *    The number of open descriptors is the same after every run.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <stdbool.h>

#include "grt_test.h"

#define MS ((int64_t)1000000)

/* --- flags ------------------------------------------------------------------ */

static int fl_pipe[2], fl_out, fl_reused, fl_sock, fl_pair[2];
static bool fl_out_polls; /* stdout is a pipe, socket or tty (not a file) */

static void flags_main(void *arg)
{
    (void)arg;
    char buf[8];
    CHECK_EQ(grt_write(fl_pipe[1], "abc", 3), 3);
    CHECK_EQ(grt_read(fl_pipe[0], buf, sizeof buf), 3);
    CHECK_EQ(grt_write(fl_out, "", 0), 0); /* registers it; writes nothing */
    /* switched while the run uses them */
    CHECK(fcntl(fl_pipe[0], F_GETFL) & O_NONBLOCK);
    CHECK(fcntl(fl_pipe[1], F_GETFL) & O_NONBLOCK);
    if (fl_out_polls)
        CHECK(fcntl(fl_out, F_GETFL) & O_NONBLOCK);
    CHECK_EQ(grt_write(fl_pair[0], "q", 1), 1);
    CHECK_EQ(grt_read(fl_pair[1], buf, sizeof buf), 1);
    CHECK(fcntl(fl_pair[0], F_GETFL) & O_NONBLOCK);
    /* the program closes one behind grt's back and opens another file under
     * the number, non-blocking by its own choice: not grt's to change */
    CHECK_EQ(grt_write(fl_reused, "", 0), 0);
    CHECK_EQ(close(fl_reused), 0);
    CHECK_EQ(open("/dev/null", O_WRONLY | O_NONBLOCK | O_CLOEXEC), fl_reused);
    /* grt's own sockets are non-blocking from birth */
    fl_sock = grt_listen("tcp4", "127.0.0.1:0");
    CHECK_GE(fl_sock, 0);
}

static void check_flags(void)
{
    CHECK_EQ(pipe(fl_pipe), 0);
    fl_out = dup(1);
    CHECK_GE(fl_out, 0);
    int fl = fcntl(fl_out, F_GETFL);
    CHECK_EQ(fcntl(fl_out, F_SETFL, fl & ~O_NONBLOCK), 0);
    struct stat st;
    CHECK_EQ(fstat(fl_out, &st), 0);
    fl_out_polls = !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
    fl_reused = open("/dev/null", O_WRONLY | O_CLOEXEC);
    CHECK_GE(fl_reused, 0);
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fl_pair), 0);
    int fds[5] = {fl_pipe[0], fl_pipe[1], fl_out, fl_pair[0], fl_pair[1]}, before[5];
    for (int i = 0; i < 5; i++) {
        before[i] = fcntl(fds[i], F_GETFL);
        CHECK_EQ(before[i] & O_NONBLOCK, 0);
    }
    test_run(2, flags_main, NULL);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(fcntl(fds[i], F_GETFL), before[i]);
    CHECK(fcntl(fl_reused, F_GETFL) & O_NONBLOCK);
    CHECK(fcntl(fl_sock, F_GETFL) & O_NONBLOCK);
    /* a blocking write through the restored dup still works */
    CHECK_EQ(write(fl_out, "", 0), 0);
    close(fl_pipe[0]);
    close(fl_pipe[1]);
    close(fl_out);
    close(fl_reused);
    close(fl_sock);
    close(fl_pair[0]);
    close(fl_pair[1]);
}

/* --- restart hygiene ------------------------------------------------------- */

/* Left open by one run for the next. */
static struct {
    int  lfd;         /* listener, a goroutine parked in accept on it */
    int  conn[2];     /* connected pair, a reader parked with a deadline */
    int  full[2];     /* a pipe, full, a writer parked on it */
    char addr[64];
    bool valid;
} left;

static void parked_reader(void *arg)
{
    char buf[8];
    grt_read((int)(intptr_t)arg, buf, sizeof buf);
}

static void parked_accept(void *arg)
{
    int fd = grt_accept((int)(intptr_t)arg, NULL, NULL);
    if (fd >= 0)
        grt_close(fd);
}

static void parked_writer(void *arg)
{
    static char big[1 << 18]; /* more than a pipe holds */
    grt_write((int)(intptr_t)arg, big, sizeof big);
}

/* Use what the previous run left: every descriptor still works. */
static void use_leftovers(void)
{
    char buf[16];
    /* the previous run's listener accepts */
    int c = grt_dial("tcp4", left.addr, grt_now() + 5000 * MS);
    CHECK_GE(c, 0);
    int s = grt_accept(left.lfd, NULL, NULL);
    CHECK_GE(s, 0);
    CHECK_EQ(grt_write(c, "hi", 2), 2);
    CHECK_EQ(grt_read(s, buf, sizeof buf), 2);
    CHECK_EQ(grt_close(c), 0);
    CHECK_EQ(grt_close(s), 0);
    /* the connected pair: the old run's deadline is gone with it (a fresh
     * registration), a new one fires */
    CHECK_EQ(grt_write(left.conn[1], "abc", 3), 3);
    CHECK_EQ(grt_read(left.conn[0], buf, sizeof buf), 3);
    CHECK_EQ(grt_set_deadline(left.conn[0], grt_now() + 5 * MS, GRT_FOREVER), 0);
    CHECK_EQ(grt_read(left.conn[0], buf, sizeof buf), -ETIMEDOUT);
    /* the full pipe: drain it, then it is writable again */
    ssize_t got;
    size_t total = 0;
    CHECK_EQ(grt_set_deadline(left.full[0], grt_now() + 20 * MS, GRT_FOREVER), 0);
    while ((got = grt_read(left.full[0], buf, sizeof buf)) > 0)
        total += (size_t)got;
    CHECK_EQ(got, -ETIMEDOUT);
    CHECK_GT(total, 0);
    CHECK_EQ(grt_write(left.full[1], "x", 1), 1);
    CHECK_EQ(grt_close(left.lfd), 0);
    CHECK_EQ(grt_close(left.conn[0]), 0);
    CHECK_EQ(grt_close(left.conn[1]), 0);
    CHECK_EQ(grt_close(left.full[0]), 0);
    CHECK_EQ(grt_close(left.full[1]), 0);
}

/* Leave descriptors mid-use: goroutines parked on them, a deadline armed. */
static void leave_mid_use(void)
{
    left.lfd = test_listen_loopback(left.addr, sizeof left.addr);
    int c = grt_dial("tcp4", left.addr, grt_now() + 5000 * MS);
    CHECK_GE(c, 0);
    int s = grt_accept(left.lfd, NULL, NULL);
    CHECK_GE(s, 0);
    left.conn[0] = c;
    left.conn[1] = s;
    CHECK_EQ(pipe2(left.full, O_CLOEXEC), 0);
    CHECK_EQ(grt_set_deadline(c, grt_now() + 60 * 1000 * MS, GRT_FOREVER), 0);
    CHECK_EQ(grt_go(parked_reader, (void *)(intptr_t)c), 0);
    CHECK_EQ(grt_go(parked_accept, (void *)(intptr_t)left.lfd), 0);
    CHECK_EQ(grt_go(parked_writer, (void *)(intptr_t)left.full[1]), 0);
    /* let them park: the writer has filled the pipe */
    int64_t end = test_now_ns() + 20 * 1000 * MS;
    int queued = 0;
    while (ioctl(left.full[0], FIONREAD, &queued) == 0 && queued < 4096) {
        if (test_now_ns() > end)
            TEST_FAIL("the writer never filled the pipe");
        grt_sleep(1 * MS);
    }
    grt_sleep(2 * MS);
    left.valid = true;
}

static void restart_main(void *arg)
{
    (void)arg;
    if (left.valid)
        use_leftovers();
    leave_mid_use();
}

static void cleanup_main(void *arg)
{
    (void)arg;
    use_leftovers();
}

static void check_restarts(void)
{
    int start = test_fd_count();
    int base = -1;
    for (int i = 0; i < 20; i++) {
        test_run(1 + i % 2, restart_main, NULL);
        int n = test_fd_count();
        if (base < 0)
            base = n;
        if (n != base)
            TEST_FAIL("run %d: %d descriptors open, %d after the first run", i, n, base);
    }
    test_run(2, cleanup_main, NULL); /* closes what the last run left */
    CHECK_EQ(test_fd_count(), start);
}

int main(void)
{
    check_flags();
    check_restarts();
    printf("ok\n");
    return 0;
}
