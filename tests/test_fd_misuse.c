/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fd_misuse: descriptors used concurrently in ways a program should
 * not rely on, but which must never hang, crash, or touch another file.
 *
 *  - deadline churn: at procs=2, goroutines move a read deadline 1-2 us
 *    ahead in a loop while a reader is parked on the fd, so timers fire
 *    while the deadline is being moved (a firing waited for pd->lock while
 *    the mover, holding it, waited for the firing: a hang);
 *  - a per-call deadline (grt_wait_fd) a few hundred ns ahead, looped: the
 *    timer fires while the goroutine is on its way to park; every wait
 *    ends with -ETIMEDOUT (an early firing's wake-up was lost: a hang);
 *  - close during a deadline firing: a deadline 0-3 us ahead, then
 *    grt_close at once, from a goroutine or a thread grt did not create;
 *    the parked reader gets -ECANCELED or -ETIMEDOUT, close returns 0;
 *  - double close, deterministic: a foreign thread's grt_close waits for a
 *    parked reader that cannot run (the only P is busy); the goroutine
 *    holding the P sees the close begun and calls grt_close too: -EBADF,
 *    and a file it opens then (which gets the lowest free number) is still
 *    open after the first close returns;
 *  - double close, stress: two closers (goroutines on two Ms, or a
 *    goroutine and a foreign thread) race on one fd with a parked reader:
 *    one 0, one -EBADF, every time;
 *  - fd count (/proc/self/fd) back where it started.
 * Every loop is bounded by time as well as count; a watchdog turns a hang
 * into a failure with a message.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "grt_test.h"

#define US ((int64_t)1000)
#define MS ((int64_t)1000000)

static atomic_llong progress;
static const char *volatile phase = "start";

static void *watchdog(void *arg)
{
    (void)arg;
    long long last = -1;
    int64_t since = test_now_ns();
    for (;;) {
        usleep(100 * 1000);
        long long p = atomic_load(&progress);
        if (p != last) {
            last = p;
            since = test_now_ns();
        } else if (test_now_ns() - since > 30 * 1000 * MS) {
            fprintf(stderr, "FAIL: no progress for 30 s in phase \"%s\" (a hang)\n", phase);
            _exit(1);
        }
    }
    return NULL;
}

/* A reader parked on fd: reads until EOF, close or error; a deadline that
 * passes (-ETIMEDOUT) sends it back to wait once the deadline moves. */
typedef struct {
    int          fd;
    atomic_int   started; /* about to call grt_read */
    atomic_int   done;
    atomic_llong rc;
    atomic_llong timeouts;
    atomic_int   stop;
} reader_t;

static void reader(void *arg)
{
    reader_t *r = arg;
    char buf[16];
    atomic_store(&r->started, 1);
    for (;;) {
        ssize_t n = grt_read(r->fd, buf, sizeof buf);
        if (n == -ETIMEDOUT && !atomic_load(&r->stop)) {
            atomic_fetch_add(&r->timeouts, 1);
            grt_yield();
            continue;
        }
        atomic_store(&r->rc, n);
        break;
    }
    atomic_store(&r->done, 1);
}

static void wait_flag(atomic_int *f, const char *what)
{
    int64_t end = test_now_ns() + 20 * 1000 * MS;
    while (!atomic_load(f)) {
        if (test_now_ns() > end)
            TEST_FAIL("timed out waiting for %s (phase \"%s\")", what, phase);
        grt_yield();
    }
}

/* --- deadline churn -------------------------------------------------------- */

typedef struct {
    int        fd;
    int64_t    until;
    int64_t    max;
    atomic_int done;
    long long  calls;
} churn_t;

static void churner(void *arg)
{
    churn_t *c = arg;
    unsigned seed = (unsigned)grt_id();
    long long i = 0;
    for (; i < c->max && (i & 255 || test_now_ns() < c->until); i++) {
        int64_t ahead = 1 * US + (int64_t)(rand_r(&seed) % 1000);
        CHECK_EQ(grt_set_deadline(c->fd, grt_now() + ahead, GRT_FOREVER), 0);
        atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
    }
    c->calls = i;
    atomic_store(&c->done, 1);
}

/* One mover leaves the other P to an M that looks for work and runs the
 * mover's due timers: firings overlap the moves.  Two movers at once show
 * that concurrent moves leave exactly the last deadline armed. */
static void deadline_churn(int movers)
{
    phase = "deadline churn";
    int p[2];
    CHECK_EQ(pipe(p), 0);
    reader_t r = {.fd = p[0]};
    CHECK_EQ(grt_go(reader, &r), 0);
    grt_sleep(1 * MS);
    churn_t c[2];
    for (int i = 0; i < movers; i++) {
        c[i] = (churn_t){.fd = p[0], .until = test_now_ns() + 1000 * MS, .max = test_scale(400000)};
        CHECK_EQ(grt_go(churner, &c[i]), 0);
    }
    for (int i = 0; i < movers; i++)
        wait_flag(&c[i].done, "the deadline movers");
    /* A deadline set last is honoured: the reader times out once more. */
    long long before = atomic_load(&r.timeouts);
    CHECK_EQ(grt_set_deadline(p[0], grt_now() + 2 * MS, GRT_FOREVER), 0);
    int64_t end = test_now_ns() + 20 * 1000 * MS;
    while (atomic_load(&r.timeouts) == before) {
        if (test_now_ns() > end)
            TEST_FAIL("the last deadline never fired");
        grt_sleep(1 * MS);
    }
    atomic_store(&r.stop, 1);
    CHECK_EQ(grt_set_deadline(p[0], GRT_FOREVER, GRT_FOREVER), 0);
    CHECK_EQ(grt_write(p[1], "x", 1), 1);
    wait_flag(&r.done, "the reader");
    printf("deadline churn: %d mover(s), %lld moves each, %lld timeouts seen\n", movers, c[0].calls,
           (long long)atomic_load(&r.timeouts));
    CHECK_EQ(grt_close(p[0]), 0);
    CHECK_EQ(grt_close(p[1]), 0);
}

/* --- a per-call deadline that fires at once --------------------------------- */

/* grt_wait_fd with a deadline a few hundred ns ahead: its timer fires on
 * the other P's M while this goroutine is still on its way to park.  The
 * wait must end (-ETIMEDOUT) every time: an eviction that came before the
 * waiter was in the slot was once lost, and the goroutine slept for ever. */
static void call_deadline_race(void)
{
    phase = "per-call deadline firing at once";
    int p[2];
    CHECK_EQ(pipe(p), 0);
    int64_t until = test_now_ns() + 1000 * MS;
    long long n = 0, max = test_scale(300000);
    unsigned seed = 11;
    for (; n < max && (n & 63 || test_now_ns() < until); n++) {
        int64_t d = grt_now() + 200 + (int64_t)(rand_r(&seed) % 3000);
        int rc = grt_wait_fd(p[0], GRT_READ, d);
        if (rc != -ETIMEDOUT)
            TEST_FAIL("grt_wait_fd returned %d, want -ETIMEDOUT", rc);
        atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
    }
    printf("per-call deadline race: %lld waits\n", n);
    CHECK_EQ(grt_close(p[0]), 0);
    CHECK_EQ(grt_close(p[1]), 0);
}

/* --- close during a deadline firing ----------------------------------------- */

typedef struct {
    int        fd;
    atomic_int go, done;
    int        rc;
} closer_t;

static void *foreign_closer(void *arg)
{
    closer_t *c = arg;
    while (!atomic_load(&c->go))
        ;
    c->rc = grt_close(c->fd);
    atomic_store(&c->done, 1);
    return NULL;
}

static void close_during_firing(void)
{
    phase = "close during a deadline firing";
    int64_t until = test_now_ns() + 1000 * MS;
    long long n = 0, max = test_scale(20000);
    unsigned seed = 7;
    long long got[3] = {0, 0, 0};
    for (; n < max && test_now_ns() < until; n++) {
        int p[2];
        CHECK_EQ(pipe(p), 0);
        reader_t r = {.fd = p[0]};
        CHECK_EQ(grt_go(reader, &r), 0);
        atomic_store(&r.stop, 1); /* report -ETIMEDOUT instead of waiting again */
        if (n & 1)
            grt_yield(); /* sometimes parked already, sometimes not yet */
        CHECK_EQ(grt_set_deadline(p[0], grt_now() + (int64_t)(rand_r(&seed) % 3000), GRT_FOREVER), 0);
        if (rand_r(&seed) % 4 == 0) {
            closer_t c = {.fd = p[0]};
            pthread_t t;
            CHECK_EQ(pthread_create(&t, NULL, foreign_closer, &c), 0);
            atomic_store(&c.go, 1);
            while (!atomic_load(&c.done))
                grt_yield();
            pthread_join(t, NULL);
            CHECK_EQ(c.rc, 0);
        } else {
            CHECK_EQ(grt_close(p[0]), 0);
        }
        wait_flag(&r.done, "the reader after close");
        long long rc = atomic_load(&r.rc);
        if (rc == -ECANCELED)
            got[0]++;
        else if (rc == -ETIMEDOUT)
            got[1]++;
        else if (rc == -EBADF) /* the close came before its first read */
            got[2]++;
        else
            TEST_FAIL("reader got %lld", rc);
        CHECK_EQ(grt_close(p[1]), 0);
        atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
    }
    printf("close during firing: %lld rounds: %lld cancelled, %lld timed out, %lld closed first\n", n,
           got[0], got[1], got[2]);
}

/* --- double close, deterministic ------------------------------------------ */

typedef struct {
    int        fd;
    atomic_int first_done;
    int        first_rc;
    int        second_rc;
    int        opened;
    bool       overlapped; /* the second close began before the first ended */
    atomic_int main_done;
} dc_t;

static void *first_closer(void *arg)
{
    dc_t *d = arg;
    d->first_rc = grt_close(d->fd);
    atomic_store(&d->first_done, 1);
    return NULL;
}

/* Holds the only P (asynchronous preemption is off) until the foreign
 * thread's close has begun, so the parked reader, woken by it, cannot run
 * and the close cannot finish: this grt_close is concurrent for certain. */
static void second_closer(void *arg)
{
    dc_t *d = arg;
    int64_t end = test_now_ns() + 20 * 1000 * MS;
    while (grt_set_deadline(d->fd, GRT_FOREVER, GRT_FOREVER) == 0) {
        if (test_now_ns() > end)
            TEST_FAIL("the first close never began");
    }
    /* Usually the first close is still in progress here; on a slow build
     * (TSan) it may have finished, which makes this round sequential:
     * counted, and the second close must still be -EBADF. */
    d->overlapped = atomic_load(&d->first_done) == 0;
    d->second_rc = grt_close(d->fd);
    /* The lowest free number: the fd itself, had that close closed it. */
    d->opened = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK_GE(d->opened, 0);
    while (!atomic_load(&d->first_done))
        grt_yield();
    atomic_store(&d->main_done, 1);
}

static void double_close_fixed(void *arg)
{
    (void)arg;
    long long rounds = test_scale(200), overlapped = 0;
    for (long long i = 0; i < rounds; i++) {
        int p[2];
        CHECK_EQ(pipe(p), 0);
        reader_t r = {.fd = p[0]};
        CHECK_EQ(grt_go(reader, &r), 0);
        grt_sleep(100 * US); /* parked in grt_read */
        dc_t d = {.fd = p[0]};
        pthread_t t;
        CHECK_EQ(grt_go(second_closer, &d), 0);
        CHECK_EQ(pthread_create(&t, NULL, first_closer, &d), 0);
        wait_flag(&d.main_done, "the second closer");
        pthread_join(t, NULL);
        CHECK_EQ(d.first_rc, 0);
        CHECK_EQ(d.second_rc, -EBADF);
        overlapped += d.overlapped;
        /* the file opened after the second close is still open, and is
         * still /dev/null */
        struct stat st;
        if (fstat(d.opened, &st) != 0)
            TEST_FAIL("round %lld: fd %d opened meanwhile was closed under us", i, d.opened);
        CHECK(S_ISCHR(st.st_mode));
        CHECK_EQ(close(d.opened), 0);
        wait_flag(&r.done, "the reader");
        CHECK_EQ(atomic_load(&r.rc), -ECANCELED);
        CHECK_EQ(grt_close(p[1]), 0);
        atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
    }
    printf("double close (deterministic): %lld rounds, %lld overlapping\n", rounds, overlapped);
#ifndef GRT_TSAN
    CHECK_GE(overlapped, rounds / 2); /* the property needs overlapping closes */
#endif
}

/* --- double close, stress ------------------------------------------------- */

typedef struct {
    int        fd;
    atomic_int *go;
    int        rc;
    atomic_int done;
} gcloser_t;

static void goroutine_closer(void *arg)
{
    gcloser_t *c = arg;
    while (!atomic_load(c->go))
        grt_yield();
    c->rc = grt_close(c->fd);
    atomic_store(&c->done, 1);
}

static void double_close_stress(void)
{
    phase = "double close stress";
    int64_t until = test_now_ns() + 1000 * MS;
    long long n = 0, max = test_scale(5000);
    for (; n < max && test_now_ns() < until; n++) {
        int p[2];
        CHECK_EQ(pipe(p), 0);
        reader_t r = {.fd = p[0]};
        CHECK_EQ(grt_go(reader, &r), 0);
        if (n & 1)
            grt_yield();
        atomic_int go = 0;
        gcloser_t a = {.fd = p[0], .go = &go};
        CHECK_EQ(grt_go(goroutine_closer, &a), 0);
        int brc;
        if (n % 3 == 0) { /* against a thread grt did not create */
            closer_t b = {.fd = p[0]};
            pthread_t t;
            CHECK_EQ(pthread_create(&t, NULL, foreign_closer, &b), 0);
            atomic_store(&go, 1);
            atomic_store(&b.go, 1);
            while (!atomic_load(&b.done))
                grt_yield();
            pthread_join(t, NULL);
            brc = b.rc;
        } else { /* against another goroutine (procs=2: two Ms) */
            gcloser_t b = {.fd = p[0], .go = &go};
            CHECK_EQ(grt_go(goroutine_closer, &b), 0);
            atomic_store(&go, 1);
            wait_flag(&b.done, "a closer");
            brc = b.rc;
        }
        wait_flag(&a.done, "a closer");
        if (!((a.rc == 0 && brc == -EBADF) || (a.rc == -EBADF && brc == 0)))
            TEST_FAIL("round %lld: closes returned %d and %d", n, a.rc, brc);
        wait_flag(&r.done, "the reader");
        long long rc = atomic_load(&r.rc);
        CHECK(rc == -ECANCELED || rc == -EBADF);
        CHECK_EQ(grt_close(p[1]), 0);
        atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
    }
    printf("double close (stress): %lld rounds\n", n);
}

/* --- first use vs close ---------------------------------------------------- */

/* A reader's first grt_read of a descriptor grt has not seen races a
 * grt_close of it.  The close once saw the record unregistered, let go of
 * its lock and ran close(2) while the reader registered the number and
 * parked: nobody evicted the reader, and it waited for ever (the old code
 * hung within 65,000 rounds, 3 runs of 3). */
static void close_first_use(void *arg)
{
    grt_close((int)(intptr_t)arg);
}

static void first_use_vs_close(void)
{
    phase = "first use vs close";
    int64_t until = test_now_ns() + 1000 * MS;
    long long n = 0, max = test_scale(100000), cancelled = 0, badf = 0;
    for (; n < max && test_now_ns() < until; n++) {
        int p[2];
        CHECK_EQ(pipe(p), 0);
        reader_t r = {.fd = p[0]};
        CHECK_EQ(grt_go(reader, &r), 0);
        if (n & 1)
            grt_yield();
        CHECK_EQ(grt_go(close_first_use, (void *)(intptr_t)p[0]), 0);
        wait_flag(&r.done, "the reader");
        long long rc = atomic_load(&r.rc);
        if (rc == -ECANCELED)
            cancelled++;
        else if (rc == -EBADF)
            badf++;
        else
            TEST_FAIL("round %lld: the reader got %lld", n, rc);
        CHECK_EQ(grt_close(p[1]), 0);
        atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
    }
    printf("first use vs close: %lld rounds: %lld cancelled, %lld closed first\n", n, cancelled,
           badf);
}

static const char *only; /* argv[1]: run one part (to try it alone) */

static bool want(const char *name)
{
    return only == NULL || !strcmp(only, name);
}

static void main_procs2(void *arg)
{
    (void)arg;
    if (want("churn")) {
        deadline_churn(1);
        deadline_churn(2);
    }
    if (want("callrace"))
        call_deadline_race();
    if (want("firing"))
        close_during_firing();
    if (want("firstuse"))
        first_use_vs_close();
    if (want("stress"))
        double_close_stress();
}

int main(int argc, char **argv)
{
    only = argc > 1 ? argv[1] : NULL;
    /* TEST_FAIL ends with _exit, which drops a full stdout buffer: with
     * stdout a file, a failure showed no progress line at all, and a hang
     * in a late phase passed for one in the first.  Line buffering keeps
     * every finished phase's line. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_t wd;
    CHECK_EQ(pthread_create(&wd, NULL, watchdog, NULL), 0);
    pthread_detach(wd);
    int before = test_fd_count();
    test_run(2, main_procs2, NULL);
    CHECK_EQ(test_fd_count(), before);

    /* One P, no asynchronous preemption: the second closer keeps the P
     * until it has closed, whatever the load on the machine. */
    phase = "double close (deterministic)";
    if (want("fixed")) {
        setenv("GRT_DEBUG", "asyncpreemptoff=1", 1);
        test_run(1, double_close_fixed, NULL);
        unsetenv("GRT_DEBUG");
    }
    CHECK_EQ(test_fd_count(), before);
    printf("ok\n");
    return 0;
}
