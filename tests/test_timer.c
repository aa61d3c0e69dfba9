/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_timer: grt_timer_new/func/chan/stop/reset/free (Go's NewTimer,
 * NewTicker and AfterFunc, with Go 1.23's channel semantics).
 *
 *  - a one-shot timer sends one int64_t on its channel: a time not before
 *    it was due, received not before it was due, and nothing more;
 *    a delay of 0 or less fires at once;
 *  - a ticker sends repeatedly, values increasing and at least a period
 *    apart; a reader that falls behind gets the ticks it missed dropped,
 *    not delivered in a burst;
 *  - stop returns 1 before the timer fired and 0 after (and when already
 *    stopped); reset returns 1 if it was active, 0 otherwise, and re-arms;
 *    after stop or reset returns, no value from before is receivable;
 *  - grt_timer_func runs fn in a new goroutine, once; stopped first, never;
 *  - races: stop/reset on private timers against their firing (each fire
 *    counted exactly once), and stop/reset on one shared timer from many
 *    goroutines, thousands of iterations, without crash or corruption;
 *  - bad input: NULL fn, period < 0 -> NULL+EINVAL; stop/reset(NULL) ->
 *    -EINVAL; before grt_run -> NULL+ESRCH; a timer that outlives its run
 *    can still be stopped (0) and freed.
 */
#include "grt_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define MS (1000LL * 1000)
#define LATE_SLACK (1000 * MS)

static grt_chan *ch(grt_timer *t)
{
    grt_chan *c = grt_timer_chan(t);
    CHECK(c != NULL);
    return c;
}

/* Receive from c with a deadline; returns 0 or -ETIMEDOUT. */
static int recv_until(grt_chan *c, int64_t *v, int64_t deadline)
{
    grt_case cs[1] = {{c, GRT_RECV, v, 0}};
    int r = grt_select(cs, 1, deadline);
    if (r == 0)
        CHECK_EQ(cs[0].err, 0);
    return r;
}

/* Wait (polling) until c holds a value, so the timer has surely fired. */
static void wait_buffered(grt_chan *c)
{
    int64_t t0 = grt_now();
    while (grt_chan_len(c) == 0) {
        CHECK_LT(grt_now() - t0, 10 * LATE_SLACK);
        grt_sleep(1 * MS);
    }
}

/* --- one-shot ------------------------------------------------------- */

static void check_oneshot(void)
{
    static const int64_t delays[] = {1, 1 * MS, 20 * MS};
    for (size_t i = 0; i < sizeof delays / sizeof delays[0]; i++) {
        int64_t d = delays[i];
        int64_t a = grt_now();
        grt_timer *t = grt_timer_new(d, 0);
        CHECK(t != NULL);
        grt_chan *c = ch(t);
        CHECK_EQ(grt_chan_cap(c), 1);
        int64_t v = 0;
        CHECK_EQ(grt_chan_recv(c, &v), 0);
        int64_t r = grt_now();
        CHECK_GE(v, a + d);   /* the value is a time not before the due time */
        CHECK_LE(v, r);       /* and not in the future */
        CHECK_GE(r, a + d);   /* received not early */
        CHECK_LT(r, a + d + LATE_SLACK);
        /* one-shot: nothing else comes */
        CHECK_EQ(recv_until(c, &v, grt_now() + 30 * MS), -ETIMEDOUT);
        CHECK_EQ(grt_timer_stop(t), 0);
        grt_timer_free(t);
    }
    /* delay <= 0 fires at once */
    static const int64_t now_delays[] = {0, -1, -1000 * MS, INT64_MIN};
    for (size_t i = 0; i < sizeof now_delays / sizeof now_delays[0]; i++) {
        int64_t a = grt_now();
        grt_timer *t = grt_timer_new(now_delays[i], 0);
        CHECK(t != NULL);
        int64_t v = 0;
        CHECK_EQ(recv_until(ch(t), &v, a + LATE_SLACK), 0);
        CHECK_GE(v, a);
        CHECK_LE(v, grt_now());
        grt_timer_free(t);
    }
    /* a huge delay does not overflow into the past */
    grt_timer *t = grt_timer_new(INT64_MAX, 0);
    CHECK(t != NULL);
    int64_t v;
    CHECK_EQ(recv_until(ch(t), &v, grt_now() + 20 * MS), -ETIMEDOUT);
    CHECK_EQ(grt_timer_stop(t), 1);
    grt_timer_free(t);
}

/* --- ticker ---------------------------------------------------------- */

static void check_ticker(void)
{
    const int64_t period = 10 * MS;
    int64_t a = grt_now();
    grt_timer *t = grt_timer_new(period, period);
    CHECK(t != NULL);
    grt_chan *c = ch(t);
    int64_t prev = 0;
    for (int k = 0; k < 10; k++) {
        int64_t v = 0;
        CHECK_EQ(recv_until(c, &v, grt_now() + LATE_SLACK), 0);
        CHECK_LE(v, grt_now());
        if (k == 0)
            CHECK_GE(v, a + period);
        else
            CHECK_GE(v - prev, period); /* due times: a period apart at least */
        prev = v;
    }
    CHECK_GE(grt_now(), a + 10 * period);

    /* A slow reader: 30 ticks pass unread.  One value waits in the
     * buffer; the rest are dropped, so reading for the next 60 ms yields
     * about 6-7 values (one per period, plus the buffered one), never the
     * ~30 a queueing ticker would deliver in a burst. */
    CHECK_EQ(grt_sleep(30 * period), 0);
    int64_t v = 0;
    CHECK_EQ(grt_chan_tryrecv(c, &v), 0);
    CHECK_GT(v, prev);
    int64_t stale = v;
    int got = 0;
    int64_t until = grt_now() + 6 * period;
    while (recv_until(c, &v, until) == 0) {
        got++;
        CHECK_GE(v - prev, period);
        prev = v;
    }
    CHECK_LE(got, 6 + 4);
    /* the first value after the backlog is a fresh tick: many were skipped
     * (unless the process itself stalled for the whole 300 ms) */
    (void)stale;

    /* stop: 1 for an active ticker, and no tick from before is left */
    CHECK_EQ(grt_timer_stop(t), 1);
    CHECK_EQ(grt_chan_tryrecv(c, &v), -EAGAIN);
    CHECK_EQ(recv_until(c, &v, grt_now() + 5 * period), -ETIMEDOUT);
    CHECK_EQ(grt_timer_stop(t), 0);

    /* reset restarts a stopped ticker with the same period */
    a = grt_now();
    CHECK_EQ(grt_timer_reset(t, period), 0);
    for (int k = 0; k < 3; k++) {
        CHECK_EQ(recv_until(c, &v, grt_now() + LATE_SLACK), 0);
        CHECK_GE(v, a + (k + 1) * period);
    }
    CHECK_EQ(grt_timer_reset(t, 1000 * MS), 1); /* active ticker */
    CHECK_EQ(grt_chan_tryrecv(c, &v), -EAGAIN);
    grt_timer_free(t);
}

/* --- stop and reset -------------------------------------------------- */

static void check_stop_reset(void)
{
    int64_t v;

    /* stop before it fires: 1, then 0; nothing ever arrives */
    grt_timer *t = grt_timer_new(10000 * MS, 0);
    CHECK(t != NULL);
    grt_chan *c = ch(t);
    CHECK_EQ(grt_timer_stop(t), 1);
    CHECK_EQ(grt_timer_stop(t), 0);
    CHECK_EQ(recv_until(c, &v, grt_now() + 80 * MS), -ETIMEDOUT);

    /* reset a stopped timer: 0, and it fires after the new delay */
    int64_t a = grt_now();
    CHECK_EQ(grt_timer_reset(t, 10 * MS), 0);
    CHECK_EQ(recv_until(c, &v, grt_now() + LATE_SLACK), 0);
    CHECK_GE(v, a + 10 * MS);
    CHECK_GE(grt_now(), a + 10 * MS);

    /* after it fired (value taken): stop 0, reset 0 and it fires again */
    CHECK_EQ(grt_timer_stop(t), 0);
    a = grt_now();
    CHECK_EQ(grt_timer_reset(t, 5 * MS), 0);
    CHECK_EQ(recv_until(c, &v, grt_now() + LATE_SLACK), 0);
    CHECK_GE(v, a + 5 * MS);

    /* reset an active timer: 1, and the old due time no longer counts */
    a = grt_now();
    CHECK_EQ(grt_timer_reset(t, 1000 * MS), 0);
    CHECK_EQ(grt_timer_reset(t, 20 * MS), 1);
    CHECK_EQ(recv_until(c, &v, grt_now() + LATE_SLACK), 0);
    CHECK_GE(v, a + 20 * MS);
    CHECK_LT(v, a + 1000 * MS);
    /* and reset to later: the earlier due time is gone.  (Should the
     * first firing beat the second reset on a stalled machine, reset says
     * 0 and drains it: either way only the later firing is seen.) */
    CHECK_EQ(grt_timer_reset(t, 10 * MS), 0);
    a = grt_now();
    int s = grt_timer_reset(t, 60 * MS);
    CHECK(s == 1 || s == 0);
    CHECK_EQ(recv_until(c, &v, grt_now() + LATE_SLACK), 0);
    CHECK_GE(v, a + 60 * MS);
    CHECK_GE(grt_now(), a + 60 * MS);

    /* Go 1.23: a value that fired but was not received is dropped by stop */
    CHECK_EQ(grt_timer_reset(t, 1 * MS), 0);
    wait_buffered(c);
    CHECK_EQ(grt_timer_stop(t), 0);
    CHECK_EQ(grt_chan_len(c), 0);
    CHECK_EQ(grt_chan_tryrecv(c, &v), -EAGAIN);

    /* ... and by reset, which then delivers only the new firing */
    CHECK_EQ(grt_timer_reset(t, 1 * MS), 0);
    wait_buffered(c);
    a = grt_now();
    CHECK_EQ(grt_timer_reset(t, 30 * MS), 0);
    CHECK_EQ(grt_chan_tryrecv(c, &v), -EAGAIN);
    CHECK_EQ(recv_until(c, &v, grt_now() + LATE_SLACK), 0);
    CHECK_GE(v, a + 30 * MS);

    /* reset with delay <= 0 fires at once */
    a = grt_now();
    CHECK_EQ(grt_timer_reset(t, 0), 0);
    CHECK_EQ(recv_until(c, &v, a + LATE_SLACK), 0);
    CHECK_GE(v, a);
    CHECK_EQ(grt_timer_reset(t, -5), 0);
    CHECK_EQ(recv_until(c, &v, grt_now() + LATE_SLACK), 0);

    grt_timer_free(t);
    grt_timer_free(NULL); /* a no-op */

    /* free an armed timer: it never fires (nothing to observe but no
     * crash, and ASan sees no use after free when its time comes) */
    for (int i = 0; i < 100; i++) {
        grt_timer *u = grt_timer_new(i % 3 == 0 ? 0 : (int64_t)(i * 10000), i % 2 ? 0 : 50000);
        CHECK(u != NULL);
        grt_timer_free(u);
    }
    grt_sleep(5 * MS);
}

/* --- AfterFunc --------------------------------------------------------- */

typedef struct {
    atomic_int  runs;
    uint64_t    goid;
    int64_t     at;
    grt_chan   *done;
} func_arg;

static void func_fn(void *p)
{
    func_arg *a = p;
    a->goid = grt_id();
    a->at = grt_now();
    atomic_fetch_add(&a->runs, 1);
    if (a->done)
        CHECK_EQ(grt_chan_send(a->done, NULL), 0);
}

static void check_func(void)
{
    grt_chan *done = grt_chan_make(0, 1);
    CHECK(done != NULL);
    func_arg a = {0};
    a.done = done;
    int64_t t0 = grt_now();
    grt_timer *t = grt_timer_func(20 * MS, func_fn, &a);
    CHECK(t != NULL);
    CHECK(grt_timer_chan(t) == NULL); /* like AfterFunc's nil C */
    CHECK_EQ(grt_chan_recv(done, NULL), 0);
    CHECK_GE(a.at, t0 + 20 * MS);
    CHECK_NE(a.goid, 0);
    CHECK_NE(a.goid, grt_id()); /* a new goroutine */
    CHECK_EQ(grt_timer_stop(t), 0);
    grt_sleep(20 * MS);
    CHECK_EQ(atomic_load(&a.runs), 1);

    /* reset re-arms a func timer that already ran */
    t0 = grt_now();
    CHECK_EQ(grt_timer_reset(t, 5 * MS), 0);
    CHECK_EQ(grt_chan_recv(done, NULL), 0);
    CHECK_GE(a.at, t0 + 5 * MS);
    CHECK_EQ(atomic_load(&a.runs), 2);
    grt_timer_free(t);

    /* delay 0: at once */
    t0 = grt_now();
    t = grt_timer_func(0, func_fn, &a);
    CHECK(t != NULL);
    grt_case cs[1] = {{done, GRT_RECV, NULL, 0}};
    CHECK_EQ(grt_select(cs, 1, t0 + LATE_SLACK), 0);
    CHECK_EQ(atomic_load(&a.runs), 3);
    grt_timer_free(t);

    /* stopped before firing: never runs */
    func_arg b = {0};
    t = grt_timer_func(1000 * MS, func_fn, &b);
    CHECK(t != NULL);
    CHECK_EQ(grt_timer_stop(t), 1);
    CHECK_EQ(grt_timer_stop(t), 0);
    grt_sleep(1100 * MS);
    CHECK_EQ(atomic_load(&b.runs), 0);
    grt_timer_free(t);
    grt_chan_release(done);
}

/* --- races --------------------------------------------------------------- */

static atomic_long fires;

static void count_fn(void *p)
{
    (void)p;
    atomic_fetch_add(&fires, 1);
}

typedef struct {
    int            iters;
    int64_t        expected; /* fires this worker accounted for */
    uint64_t       seed;
    grt_waitgroup *wg;
} race_arg;

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Private timers against their own firing: every firing that stop or
 * reset did not prevent must run its fn exactly once. */
static void race_private(void *p)
{
    race_arg *a = p;
    grt_timer *t = grt_timer_func((int64_t)(rnd(&a->seed) % 20000), count_fn, NULL);
    CHECK(t != NULL);
    bool armed = true;
    for (int i = 0; i < a->iters; i++) {
        uint64_t r = rnd(&a->seed);
        if (r % 4 == 0)
            grt_yield();
        else if (r % 4 == 1)
            for (volatile int k = 0; k < (int)(r % 3000); k++) {
            }
        if ((r >> 8) % 3 == 0) {
            int s = grt_timer_stop(t);
            CHECK(s == 0 || s == 1);
            CHECK(armed || s == 0);
            if (armed && s == 0)
                a->expected++; /* it fired before the stop */
            armed = false;
        } else {
            int s = grt_timer_reset(t, (int64_t)((r >> 16) % 20000));
            CHECK(s == 0 || s == 1);
            CHECK(armed || s == 0);
            if (armed && s == 0)
                a->expected++;
            armed = true;
        }
    }
    if (armed && grt_timer_stop(t) == 0)
        a->expected++;
    grt_timer_free(t);
    grt_waitgroup_done(a->wg);
}

/* One shared channel timer, stopped and reset by many goroutines at once
 * while it fires; one reader drains it.  Go allows concurrent Stop/Reset;
 * the timer must stay consistent (in at most one heap, firing at most once
 * per arming). */
typedef struct {
    grt_timer     *t;
    int            iters;
    uint64_t       seed;
    grt_waitgroup *wg;
} shared_arg;

static void race_shared(void *p)
{
    shared_arg *a = p;
    for (int i = 0; i < a->iters; i++) {
        uint64_t r = rnd(&a->seed);
        int s;
        if (r % 3 == 0)
            s = grt_timer_stop(a->t);
        else
            s = grt_timer_reset(a->t, (int64_t)((r >> 8) % 30000));
        CHECK(s == 0 || s == 1);
        if ((r >> 20) % 8 == 0)
            grt_yield();
    }
    grt_waitgroup_done(a->wg);
}

static atomic_long shared_received;

static void shared_reader(void *p)
{
    grt_chan *c = p;
    int64_t v;
    while (grt_chan_recv(c, &v) == 0) {
        CHECK_LE(v, grt_now());
        atomic_fetch_add(&shared_received, 1);
    }
}

static void check_races(void)
{
    enum { NW = 8 };
    /* A bad interleaving of two resets of the shared timer is a window of
     * a few instructions: it takes ~10^4 iterations to hit reliably. */
    int iters = (int)test_scale(20000);
    race_arg ra[NW];
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    atomic_store(&fires, 0);
    CHECK_EQ(grt_waitgroup_add(&wg, NW), 0);
    for (int i = 0; i < NW; i++) {
        ra[i] = (race_arg){iters, 0, 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1), &wg};
        CHECK_EQ(grt_go(race_private, &ra[i]), 0);
    }
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    int64_t expected = 0;
    for (int i = 0; i < NW; i++)
        expected += ra[i].expected;
    /* The fns of fired timers are goroutines that may still be queued. */
    int64_t t0 = grt_now();
    while (atomic_load(&fires) < expected && grt_now() - t0 < 10 * LATE_SLACK)
        grt_sleep(1 * MS);
    grt_sleep(20 * MS);
    CHECK_EQ(atomic_load(&fires), expected);
    CHECK_GT(expected, 0); /* the race was real: some firings won */

    /* the shared timer */
    grt_timer *t = grt_timer_new(10000, 0);
    CHECK(t != NULL);
    grt_chan *c = grt_chan_retain(ch(t));
    CHECK_EQ(grt_go(shared_reader, c), 0);
    shared_arg sa[NW];
    CHECK_EQ(grt_waitgroup_add(&wg, NW), 0);
    for (int i = 0; i < NW; i++) {
        sa[i] = (shared_arg){t, iters, 0xdeadbeefcafef00dULL * (uint64_t)(i + 1), &wg};
        CHECK_EQ(grt_go(race_shared, &sa[i]), 0);
    }
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    /* Still a working timer: stop it, then one reset fires exactly once. */
    (void)grt_timer_stop(t);
    grt_sleep(5 * MS);
    CHECK_EQ(grt_timer_stop(t), 0);
    long n0 = atomic_load(&shared_received);
    CHECK_EQ(grt_timer_reset(t, 2 * MS), 0);
    int64_t v;
    /* exactly one value: taken by the reader, or still buffered */
    grt_sleep(30 * MS);
    CHECK_EQ(grt_timer_stop(t), 0); /* it fired (and stop drains it) */
    long got = atomic_load(&shared_received) - n0;
    CHECK_LE(got, 1);
    grt_sleep(30 * MS);
    CHECK_EQ(atomic_load(&shared_received) - n0, got); /* nothing later */
    CHECK_EQ(grt_chan_tryrecv(c, &v), -EAGAIN);
    grt_timer_free(t);
    CHECK_EQ(grt_chan_close(c), 0); /* ends the reader */
    grt_chan_release(c);
}

/* Tickers with periods shorter than a firing takes: a ticker due again
 * while its previous firing is still running must not fire twice at once
 * (values would arrive out of order, and a free after the first firing
 * ended could pull the timer from under the second). */
static void tiny_ticker(void *p)
{
    race_arg *a = p;
    static const int64_t periods[] = {1, 50, 1000, 20000};
    for (int i = 0; i < a->iters; i++) {
        uint64_t r = rnd(&a->seed);
        grt_timer *t = grt_timer_new((int64_t)(r % 2000), periods[(r >> 8) % 4]);
        CHECK(t != NULL);
        grt_chan *c = ch(t);
        int64_t v, prev = INT64_MIN;
        int n = (int)((r >> 16) % 8);
        for (int k = 0; k < n; k++) {
            if (grt_chan_tryrecv(c, &v) == 0) {
                CHECK_GT(v, prev); /* ticks in order, each once */
                CHECK_LE(v, grt_now());
                prev = v;
            }
            grt_yield();
        }
        grt_timer_free(t);
    }
    grt_waitgroup_done(a->wg);
}

static void check_tiny_tickers(void)
{
    enum { NW = 8 };
    race_arg ra[NW];
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    CHECK_EQ(grt_waitgroup_add(&wg, NW), 0);
    for (int i = 0; i < NW; i++) {
        ra[i] = (race_arg){(int)test_scale(3000), 0, 0x2545f4914f6cdd1dULL * (uint64_t)(i + 1), &wg};
        CHECK_EQ(grt_go(tiny_ticker, &ra[i]), 0);
    }
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
}

/* --- from a thread that is not a goroutine ----------------------------- */

static void *foreign_timers(void *arg)
{
    grt_chan *done = arg;
    /* a channel timer made, reset and polled by a plain thread */
    int64_t a = grt_now();
    grt_timer *t = grt_timer_new(1000 * MS, 0);
    CHECK(t != NULL);
    CHECK_EQ(grt_timer_reset(t, 5 * MS), 1);
    int64_t v;
    int r;
    while ((r = grt_chan_tryrecv(grt_timer_chan(t), &v)) == -EAGAIN) {
        CHECK_LT(grt_now() - a, 10 * LATE_SLACK);
        grt_sleep(1 * MS); /* a thread sleep */
    }
    CHECK_EQ(r, 0);
    CHECK_GE(v, a + 5 * MS);
    CHECK_EQ(grt_timer_stop(t), 0);
    grt_timer_free(t);
    /* an AfterFunc whose fn signals the goroutine waiting in main */
    static func_arg fa;
    memset(&fa, 0, sizeof fa);
    fa.done = done;
    t = grt_timer_func(2 * MS, func_fn, &fa);
    CHECK(t != NULL);
    return t;
}

static void check_foreign(void)
{
    grt_chan *done = grt_chan_make(0, 1);
    CHECK(done != NULL);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, foreign_timers, done), 0);
    void *t;
    /* The join blocks this thread while the other thread needs timers to
     * run: with procs=1 only a P handed off from a syscall can run them. */
    grt_syscall_enter();
    int r = pthread_join(th, &t);
    grt_syscall_exit();
    CHECK_EQ(r, 0);
    CHECK_EQ(grt_chan_recv(done, NULL), 0);
    grt_timer_free(t);
    grt_chan_release(done);
}

/* --- bad input ------------------------------------------------------------ */

static void check_bad_input(void)
{
    errno = 0;
    CHECK(grt_timer_new(1 * MS, -1) == NULL);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(grt_timer_new(0, INT64_MIN) == NULL);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(grt_timer_func(1 * MS, NULL, NULL) == NULL);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(grt_timer_stop(NULL), -EINVAL);
    CHECK_EQ(grt_timer_reset(NULL, 1), -EINVAL);
    CHECK(grt_timer_chan(NULL) == NULL);
    grt_timer_free(NULL);
}

/* A timer left armed when the run ends; examined after grt_run returns. */
static grt_timer *leftover;

static void main_fn(void *arg)
{
    (void)arg;
    check_bad_input();
    check_oneshot();
    check_ticker();
    check_stop_reset();
    check_func();
    check_foreign();
    check_races();
    check_tiny_tickers();
    leftover = grt_timer_new(3600 * 1000 * MS, 0);
    CHECK(leftover != NULL);
}

int main(void)
{
    /* before grt_run: no runtime to queue timers on */
    errno = 0;
    CHECK(grt_timer_new(1 * MS, 0) == NULL);
    CHECK_EQ(errno, ESRCH);
    errno = 0;
    CHECK(grt_timer_func(1 * MS, count_fn, NULL) == NULL);
    CHECK_EQ(errno, ESRCH);
    check_bad_input();

    test_run(2, main_fn, NULL);
    /* after the run: the leftover timer is inert but can be stopped,
     * reset reports the runtime is gone, and it can be freed */
    CHECK_EQ(grt_timer_stop(leftover), 0);
    CHECK_EQ(grt_timer_reset(leftover, 1 * MS), -ESRCH);
    grt_timer_free(leftover);
    leftover = NULL;
    errno = 0;
    CHECK(grt_timer_new(1 * MS, 0) == NULL);
    CHECK_EQ(errno, ESRCH);

    /* and a second run works with timers again (procs=1) */
    test_run(1, main_fn, NULL);
    grt_timer_free(leftover);
    printf("test_timer: ok\n");
    return 0;
}
