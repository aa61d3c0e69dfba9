/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_net_shared_fd: several goroutines using one descriptor at once, as
 * Go allows for a net.Listener or net.Conn.
 *
 *  - four goroutines accept on one listener: every one of 200 clients is
 *    accepted exactly once and served (before the fix this was "fatal
 *    error: two goroutines wait on fd N for the same direction");
 *  - eight goroutines write 64 KiB records to one connection at once:
 *    each record arrives whole, never interleaved with another (a record
 *    that does not fit the socket buffer takes several write(2) calls, so
 *    without the per-direction lock the pieces would mix), none lost;
 *  - three goroutines read one stream at once: every byte is read once;
 *  - grt_close wakes the reader blocked on the fd and the ones queued
 *    behind it, all with -ECANCELED;
 *  - grt_wait_fd with a deadline already past answers at once even while
 *    another goroutine is blocked reading the same fd.
 */
#include "grt_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

#define MS (1000LL * 1000)

static char address[64];

static int listen_any(void)
{
    return test_listen_loopback(address, sizeof address);
}

static void tcp_pair(int *c, int *s)
{
    int lfd = listen_any();
    *c = grt_dial("tcp", address, grt_now() + 10000 * MS);
    CHECK_GE(*c, 0);
    *s = grt_accept(lfd, NULL, NULL);
    CHECK_GE(*s, 0);
    CHECK_EQ(grt_close(lfd), 0);
}

/* --- many acceptors ------------------------------------------------------ */

static atomic_int accepted_by[4];
static atomic_int served;

static void serve_one(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char b;
    CHECK_EQ(grt_read(fd, &b, 1), 1);
    CHECK_EQ(grt_write(fd, &b, 1), 1);
    CHECK_EQ(grt_close(fd), 0);
    atomic_fetch_add(&served, 1);
}

typedef struct {
    int lfd, id;
} acc_arg;

static void acceptor(void *p)
{
    acc_arg *a = p;
    for (;;) {
        int fd = grt_accept(a->lfd, NULL, NULL);
        if (fd == -ECANCELED || fd == -EBADF)
            return; /* closed while waiting, or before this call */
        CHECK_GE(fd, 0);
        atomic_fetch_add(&accepted_by[a->id], 1);
        CHECK_EQ(grt_go(serve_one, (void *)(intptr_t)fd), 0);
    }
}

static void client_one(void *p)
{
    grt_waitgroup *wg = p;
    int fd = grt_dial("tcp", address, grt_now() + 10000 * MS);
    CHECK_GE(fd, 0);
    char b = 'q';
    CHECK_EQ(grt_write(fd, &b, 1), 1);
    CHECK_EQ(grt_read(fd, &b, 1), 1);
    CHECK_EQ(b, 'q');
    CHECK_EQ(grt_close(fd), 0);
    grt_waitgroup_done(wg);
}

static void check_acceptors(void)
{
    int lfd = listen_any();
    acc_arg aa[4];
    for (int i = 0; i < 4; i++) {
        atomic_store(&accepted_by[i], 0);
        aa[i] = (acc_arg){lfd, i};
        CHECK_EQ(grt_go(acceptor, &aa[i]), 0);
    }
    grt_sleep(20 * MS); /* all four wait in accept */
    enum { NC = 200 };
    atomic_store(&served, 0);
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    CHECK_EQ(grt_waitgroup_add(&wg, NC), 0);
    for (int i = 0; i < NC; i++)
        CHECK_EQ(grt_go(client_one, &wg), 0);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    int64_t t0 = grt_now();
    while (atomic_load(&served) < NC) {
        CHECK_LT(grt_now() - t0, 10000 * MS);
        grt_sleep(1 * MS);
    }
    int total = 0;
    for (int i = 0; i < 4; i++)
        total += atomic_load(&accepted_by[i]);
    CHECK_EQ(total, NC);
    CHECK_EQ(grt_close(lfd), 0); /* all four acceptors leave */
    grt_sleep(10 * MS);
}

/* --- many writers, one connection ------------------------------------------ */

#define REC_SIZE (64 * 1024)

typedef struct {
    int            fd, id, n;
    grt_waitgroup *wg;
} writer_arg;

static void fill_record(unsigned char *r, int writer, int seq)
{
    r[0] = (unsigned char)writer;
    r[1] = (unsigned char)seq;
    r[2] = (unsigned char)(seq >> 8);
    for (size_t i = 3; i < REC_SIZE; i++)
        r[i] = (unsigned char)(writer * 31 + seq * 7 + (int)(i % 251));
}

static void writer(void *p)
{
    writer_arg *a = p;
    unsigned char *rec = malloc(REC_SIZE);
    CHECK(rec != NULL);
    for (int s = 0; s < a->n; s++) {
        fill_record(rec, a->id, s);
        CHECK_EQ(grt_write(a->fd, rec, REC_SIZE), REC_SIZE);
    }
    free(rec);
    grt_waitgroup_done(a->wg);
}

static void check_writers(void)
{
    enum { NW = 8 };
    int nrec = (int)test_scale(40);
    int c, s;
    tcp_pair(&c, &s);
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    writer_arg wa[NW];
    CHECK_EQ(grt_waitgroup_add(&wg, NW), 0);
    for (int i = 0; i < NW; i++) {
        wa[i] = (writer_arg){c, i, nrec, &wg};
        CHECK_EQ(grt_go(writer, &wa[i]), 0);
    }
    /* read records back and check each is whole and in order per writer */
    unsigned char *got = malloc(REC_SIZE), *want = malloc(REC_SIZE);
    CHECK(got && want);
    int next[NW] = {0};
    for (int k = 0; k < NW * nrec; k++) {
        size_t have = 0;
        while (have < REC_SIZE) {
            ssize_t r = grt_read(s, got + have, REC_SIZE - have);
            CHECK_GT(r, 0);
            have += (size_t)r;
        }
        int w = got[0];
        CHECK_LT(w, NW);
        int seq = got[1] | got[2] << 8;
        CHECK_EQ(seq, next[w]);
        fill_record(want, w, seq);
        if (memcmp(got, want, REC_SIZE) != 0)
            TEST_FAIL("record %d of writer %d arrived mixed with another", seq, w);
        next[w]++;
    }
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    for (int i = 0; i < NW; i++)
        CHECK_EQ(next[i], nrec);
    free(got);
    free(want);
    CHECK_EQ(grt_close(c), 0);
    char b;
    CHECK_EQ(grt_read(s, &b, 1), 0);
    CHECK_EQ(grt_close(s), 0);
}

/* --- many readers, one stream ----------------------------------------------- */

typedef struct {
    int            fd;
    long           bytes, sum;
    grt_waitgroup *wg;
} reader_arg;

static void reader(void *p)
{
    reader_arg *a = p;
    unsigned char buf[1000];
    ssize_t r;
    while ((r = grt_read(a->fd, buf, sizeof buf)) > 0) {
        a->bytes += r;
        for (ssize_t i = 0; i < r; i++)
            a->sum += buf[i];
    }
    CHECK_EQ(r, 0);
    grt_waitgroup_done(a->wg);
}

static void check_readers(void)
{
    int c, s;
    tcp_pair(&c, &s);
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    reader_arg ra[3];
    CHECK_EQ(grt_waitgroup_add(&wg, 3), 0);
    for (int i = 0; i < 3; i++) {
        ra[i] = (reader_arg){s, 0, 0, &wg};
        CHECK_EQ(grt_go(reader, &ra[i]), 0);
    }
    unsigned char chunk[4096];
    long total = (long)test_scale(2048) * (long)sizeof chunk, sum = 0;
    for (long off = 0; off < total; off += (long)sizeof chunk) {
        for (size_t i = 0; i < sizeof chunk; i++) {
            chunk[i] = (unsigned char)((off + (long)i) % 253);
            sum += chunk[i];
        }
        CHECK_EQ(grt_write(c, chunk, sizeof chunk), (ssize_t)sizeof chunk);
    }
    CHECK_EQ(shutdown(c, SHUT_WR), 0);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    long bytes = 0, rsum = 0;
    for (int i = 0; i < 3; i++) {
        bytes += ra[i].bytes;
        rsum += ra[i].sum;
    }
    CHECK_EQ(bytes, total);
    CHECK_EQ(rsum, sum);
    CHECK_EQ(grt_close(c), 0);
    CHECK_EQ(grt_close(s), 0);
}

/* --- close wakes all --------------------------------------------------------- */

typedef struct {
    int            fd;
    ssize_t        r;
    atomic_int     started;
    grt_waitgroup *wg;
} blocked_arg;

static void blocked_reader(void *p)
{
    blocked_arg *a = p;
    char b;
    atomic_store(&a->started, 1);
    a->r = grt_read(a->fd, &b, 1);
    grt_waitgroup_done(a->wg);
}

static void check_close_all(void)
{
    int c, s;
    tcp_pair(&c, &s);
    enum { NB = 4 };
    blocked_arg ba[NB];
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    CHECK_EQ(grt_waitgroup_add(&wg, NB), 0);
    for (int i = 0; i < NB; i++) {
        ba[i].fd = s;
        ba[i].r = 1;
        atomic_store(&ba[i].started, 0);
        ba[i].wg = &wg;
        CHECK_EQ(grt_go(blocked_reader, &ba[i]), 0);
    }
    for (int i = 0; i < NB; i++)
        while (!atomic_load(&ba[i].started))
            grt_sleep(1 * MS);
    grt_sleep(30 * MS);
    /* one of them blocks in the read: a poll answers at once meanwhile */
    int64_t t0 = grt_now();
    CHECK_EQ(grt_wait_fd(s, GRT_READ, 0), -ETIMEDOUT);
    CHECK_EQ(grt_wait_fd(s, GRT_WRITE, 0), GRT_WRITE);
    CHECK_LT(grt_now() - t0, 1000 * MS);
    CHECK_EQ(grt_close(s), 0);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    for (int i = 0; i < NB; i++)
        CHECK_EQ(ba[i].r, -ECANCELED);
    CHECK_EQ(grt_close(c), 0);
}

static void main_fn(void *arg)
{
    (void)arg;
    check_acceptors();
    check_writers();
    check_readers();
    check_close_all();
}

int main(void)
{
    test_run(2, main_fn, NULL);
    test_run(1, main_fn, NULL);
    printf("test_net_shared_fd: ok\n");
    return 0;
}
