/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_net_emfile: running out of descriptors while accepting.
 *
 * RLIMIT_NOFILE is lowered to a small number and the remaining slots are
 * filled with copies of /dev/null.  Connections keep arriving:
 *
 *  - grt_accept with a connection pending and no free descriptor returns
 *    -EMFILE at once (it does not block, spin or kill the program), and
 *    keeps doing so while the table is full; grt_dial fails the same way;
 *  - after some descriptors are closed, the very same listener accepts
 *    the connections that waited in its backlog and new ones, and they
 *    carry data both ways;
 *  - an acceptor goroutine of the usual shape (log EMFILE, back off,
 *    retry) serves every client of a burst that starts while the table
 *    is full, once descriptors are freed.
 */
#include "grt_test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define MS (1000LL * 1000)
#define NFILL_MAX 256

static char address[64];
static int  fill[NFILL_MAX];
static int  nfill;

/* Fill every free descriptor slot with /dev/null copies.  Returns how many
 * were opened. */
static int fill_table(int base)
{
    int n0 = nfill;
    for (;;) {
        CHECK_LT(nfill, NFILL_MAX);
        int fd = fcntl(base, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            CHECK_EQ(errno, EMFILE);
            break;
        }
        fill[nfill++] = fd;
    }
    return nfill - n0;
}

static void free_slots(int k)
{
    for (int i = 0; i < k && nfill > 0; i++)
        CHECK_EQ(close(fill[--nfill]), 0);
}

/* A client in this same process: its socket takes a descriptor slot too,
 * so the callers free exactly one slot before each dial. */
static int dial_one(void)
{
    int c = grt_dial("tcp", address, grt_now() + 10000 * MS);
    CHECK_GE(c, 0);
    return c;
}

static void echo_check(int a, int b, const char *msg)
{
    size_t n = strlen(msg);
    char buf[64];
    CHECK_EQ(grt_write(a, msg, n), (ssize_t)n);
    size_t got = 0;
    while (got < n) {
        ssize_t r = grt_read(b, buf + got, sizeof buf - got);
        CHECK_GT(r, 0);
        got += (size_t)r;
    }
    CHECK_EQ(memcmp(buf, msg, n), 0);
}

/* --- phase 2: a serving acceptor ------------------------------------------- */

static atomic_int served, emfiles;

static void serve_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[32];
    ssize_t r = grt_read(fd, buf, sizeof buf);
    if (r > 0)
        CHECK_EQ(grt_write(fd, buf, (size_t)r), r);
    CHECK_EQ(grt_close(fd), 0);
    atomic_fetch_add(&served, 1);
}

static void acceptor(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = grt_accept(lfd, NULL, NULL);
        /* grt_close(lfd) wakes an accept in progress (-ECANCELED); if it
         * came between two accepts, the descriptor is gone (-EBADF). */
        if (fd == -ECANCELED || fd == -EBADF)
            return;
        if (fd == -EMFILE || fd == -ENFILE) {
            atomic_fetch_add(&emfiles, 1);
            grt_sleep(1 * MS); /* back off: the table is full */
            continue;
        }
        if (fd < 0)
            TEST_FAIL("accept: %s", strerror(-fd));
        CHECK_EQ(grt_go(serve_conn, (void *)(intptr_t)fd), 0);
    }
}

typedef struct {
    int  fd;
    char msg[16];
    grt_waitgroup *wg;
} cli_arg;

static void client_talk(void *p)
{
    cli_arg *a = p;
    size_t n = strlen(a->msg);
    CHECK_EQ(grt_write(a->fd, a->msg, n), (ssize_t)n);
    char buf[32];
    size_t got = 0;
    while (got < n) {
        ssize_t r = grt_read(a->fd, buf + got, sizeof buf - got);
        CHECK_GT(r, 0);
        got += (size_t)r;
    }
    CHECK_EQ(memcmp(buf, a->msg, n), 0);
    CHECK_EQ(grt_close(a->fd), 0);
    grt_waitgroup_done(a->wg);
}

static void main_fn(void *arg)
{
    (void)arg;
    int lfd = test_listen_loopback(address, sizeof address);

    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK_GE(devnull, 0);
    /* Room for the runtime's own descriptors, the listener and a few
     * more: the limit sits a little above the highest fd now open. */
    struct rlimit old, rl;
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
    rl = old;
    rl.rlim_cur = (rlim_t)(devnull + 40);
    if (old.rlim_cur != RLIM_INFINITY && rl.rlim_cur > old.rlim_cur)
        TEST_SKIP("RLIMIT_NOFILE already below %lu", (unsigned long)rl.rlim_cur);
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);

    /* --- phase 1: EMFILE, step by step --- */
    int nf = fill_table(devnull);
    CHECK_GT(nf, 0);
    CHECK_EQ(fcntl(devnull, F_DUPFD_CLOEXEC, 0), -1);
    /* a dial needs a socket: EMFILE too */
    CHECK_EQ(grt_dial("tcp", address, grt_now() + 1000 * MS), -EMFILE);
    /* one slot for the client's socket; the connection then waits in the
     * backlog and the accept has no slot for it */
    free_slots(1);
    int c1 = dial_one();
    int64_t t0 = grt_now();
    for (int i = 0; i < 3; i++)
        CHECK_EQ(grt_accept(lfd, NULL, NULL), -EMFILE);
    CHECK_LT(grt_now() - t0, 5000 * MS); /* returned, did not block */
    /* free one more slot per further client, then fill again */
    free_slots(1);
    int c2 = dial_one();
    CHECK_EQ(grt_accept(lfd, NULL, NULL), -EMFILE);
    /* slots again: both waiting connections are accepted, in order */
    free_slots(2);
    int s1 = grt_accept(lfd, NULL, NULL);
    CHECK_GE(s1, 0);
    int s2 = grt_accept(lfd, NULL, NULL);
    CHECK_GE(s2, 0);
    echo_check(c1, s1, "first");
    echo_check(s1, c1, "back1");
    echo_check(c2, s2, "second");
    echo_check(s2, c2, "back2");
    CHECK_EQ(grt_close(c1), 0);
    CHECK_EQ(grt_close(s1), 0);
    CHECK_EQ(grt_close(c2), 0);
    CHECK_EQ(grt_close(s2), 0);

    /* --- phase 2: an acceptor goroutine through a full table --- */
    atomic_store(&served, 0);
    atomic_store(&emfiles, 0);
    enum { NCLI = 8 };
    cli_arg ca[NCLI];
    /* dial everyone first, with the table filled after each dial so that
     * the acceptor (started next) finds it full */
    for (int i = 0; i < NCLI; i++) {
        fill_table(devnull);
        free_slots(1);
        ca[i].fd = dial_one();
        snprintf(ca[i].msg, sizeof ca[i].msg, "client-%d", i);
    }
    CHECK_EQ(fcntl(devnull, F_DUPFD_CLOEXEC, 0), -1);
    CHECK_EQ(grt_go(acceptor, (void *)(intptr_t)lfd), 0);
    /* the acceptor spins on EMFILE (backing off) and serves nobody */
    t0 = grt_now();
    while (atomic_load(&emfiles) < 5) {
        CHECK_LT(grt_now() - t0, 10000 * MS);
        grt_sleep(1 * MS);
    }
    CHECK_EQ(atomic_load(&served), 0);
    /* free descriptors: it serves all of them */
    free_slots(NFILL_MAX);
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    CHECK_EQ(grt_waitgroup_add(&wg, NCLI), 0);
    for (int i = 0; i < NCLI; i++) {
        ca[i].wg = &wg;
        CHECK_EQ(grt_go(client_talk, &ca[i]), 0);
    }
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    t0 = grt_now();
    while (atomic_load(&served) < NCLI) {
        CHECK_LT(grt_now() - t0, 10000 * MS);
        grt_sleep(1 * MS);
    }
    /* and new connections too */
    int c = dial_one();
    cli_arg extra = {c, "late", &wg};
    CHECK_EQ(grt_waitgroup_add(&wg, 1), 0);
    CHECK_EQ(grt_go(client_talk, &extra), 0);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);

    CHECK_EQ(grt_close(lfd), 0); /* ends the acceptor */
    CHECK_EQ(close(devnull), 0);
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
    printf("emfile: %d EMFILE results while full, %d served\n", atomic_load(&emfiles),
           atomic_load(&served));
}

int main(void)
{
    test_run(2, main_fn, NULL);
    printf("test_net_emfile: ok\n");
    return 0;
}
