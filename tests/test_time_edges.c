/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_time_edges: durations and deadlines at the edges of int64_t
 * (API.md, "Edge cases, settled": time saturates, any time past INT64_MAX
 * is never; a delay or sleep of 0 or less fires or returns at once).
 *
 * A table of durations {INT64_MAX, INT64_MAX - 1, INT64_MAX / 2 + 1,
 * INT64_MIN, INT64_MIN + 1, -1 s, -1, 0} through every call that takes a
 * time: grt_sleep, grt_timer_new (timer and ticker period), grt_timer_func,
 * grt_timer_reset, grt_select (absolute deadlines: INT64_MAX waits,
 * anything not after now other than GRT_FOREVER does not).  "Never" is
 * checked without waiting for ever: the goroutine or timer is still waiting
 * after 50 ms, and the run ends by main returning (waiters abandoned).  A
 * ticker of period INT64_MAX ticks once and the scheduler goes on (it used
 * to re-arm in the past for ever under the timers lock: an alarm turns that
 * hang into a failure).
 */
#include "grt_test.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

#define MS (1000LL * 1000)
#define NEVER_WAIT (50 * MS)  /* "still waiting" after this long */
#define AT_ONCE (2000 * MS)   /* "at once" on a loaded machine */

static const int64_t never[] = {INT64_MAX, INT64_MAX - 1, INT64_MAX / 2 + 1};
static const int64_t now_or_past[] = {INT64_MIN, INT64_MIN + 1, -1000000000LL, -1, 0};
#define N(a) (sizeof(a) / sizeof(a)[0])

struct sleeper {
    int64_t     d;
    atomic_int  started, woke;
};

static void sleep_fn(void *arg)
{
    struct sleeper *s = arg;
    atomic_store(&s->started, 1);
    CHECK_EQ(grt_sleep(s->d), 0);
    atomic_store(&s->woke, 1);
}

/* Run fn(arg) in a goroutine that sets started and then calls something
 * that must not return: after NEVER_WAIT it still has not. */
static void expect_stays_asleep(grt_fn fn, void *arg, atomic_int *started, atomic_int *woke)
{
    CHECK_EQ(grt_go(fn, arg), 0);
    int64_t t0 = grt_now();
    while (!atomic_load(started)) {
        CHECK_LT(grt_now() - t0, AT_ONCE);
        grt_sleep(1 * MS);
    }
    grt_sleep(NEVER_WAIT);
    CHECK_EQ(atomic_load(woke), 0);
}

static void check_sleep(void)
{
    static struct sleeper ss[N(never)];
    for (size_t i = 0; i < N(never); i++) {
        ss[i].d = never[i];
        expect_stays_asleep(sleep_fn, &ss[i], &ss[i].started, &ss[i].woke);
    }
    for (size_t i = 0; i < N(now_or_past); i++) {
        int64_t t0 = grt_now();
        CHECK_EQ(grt_sleep(now_or_past[i]), 0);
        CHECK_LT(grt_now() - t0, AT_ONCE);
    }
}

/* A timer with delay d: never fires (v == 0) or fires at once. */
static void check_timer_delay(int64_t d, bool fires)
{
    grt_timer *t = grt_timer_new(d, 0);
    CHECK(t != NULL);
    grt_chan *c = grt_timer_chan(t);
    int64_t v = 0;
    if (fires) {
        grt_case cs[1] = {{c, GRT_RECV, &v, 0}};
        CHECK_EQ(grt_select(cs, 1, grt_now() + AT_ONCE), 0);
        CHECK_EQ(grt_timer_stop(t), 0); /* fired already */
    } else {
        grt_sleep(NEVER_WAIT / 5);
        CHECK_EQ(grt_chan_tryrecv(c, &v), -EAGAIN);
        CHECK_EQ(grt_timer_stop(t), 1); /* still pending */
    }
    grt_timer_free(t);
}

static void check_timers(void)
{
    for (size_t i = 0; i < N(never); i++)
        check_timer_delay(never[i], false);
    for (size_t i = 0; i < N(now_or_past); i++)
        check_timer_delay(now_or_past[i], true);

    /* reset to never and back to now */
    grt_timer *t = grt_timer_new(INT64_MAX, 0);
    CHECK(t != NULL);
    for (size_t i = 0; i < N(never); i++) {
        CHECK_EQ(grt_timer_reset(t, never[i]), 1);
        grt_sleep(NEVER_WAIT / 5);
        CHECK_EQ(grt_chan_len(grt_timer_chan(t)), 0);
    }
    for (size_t i = 0; i < N(now_or_past); i++) {
        grt_timer_reset(t, now_or_past[i]);
        int64_t v;
        grt_case cs[1] = {{grt_timer_chan(t), GRT_RECV, &v, 0}};
        CHECK_EQ(grt_select(cs, 1, grt_now() + AT_ONCE), 0);
    }
    grt_timer_free(t);
}

static atomic_int func_runs;
static void count_fn(void *arg)
{
    (void)arg;
    atomic_fetch_add(&func_runs, 1);
}

static void check_func_timers(void)
{
    grt_timer *ts[N(never)];
    for (size_t i = 0; i < N(never); i++)
        CHECK((ts[i] = grt_timer_func(never[i], count_fn, NULL)) != NULL);
    for (size_t i = 0; i < N(now_or_past); i++) {
        int before = atomic_load(&func_runs);
        grt_timer *t = grt_timer_func(now_or_past[i], count_fn, NULL);
        CHECK(t != NULL);
        int64_t t0 = grt_now();
        while (atomic_load(&func_runs) == before) {
            CHECK_LT(grt_now() - t0, AT_ONCE);
            grt_sleep(1 * MS);
        }
        grt_timer_free(t);
    }
    int runs = atomic_load(&func_runs);
    grt_sleep(NEVER_WAIT / 5);
    CHECK_EQ(atomic_load(&func_runs), runs); /* the "never" ones did not run */
    for (size_t i = 0; i < N(never); i++) {
        CHECK_EQ(grt_timer_stop(ts[i]), 1);
        grt_timer_free(ts[i]);
    }
}

/* A ticker whose period is past the end of time ticks once (at its delay)
 * and never again; the scheduler keeps running meanwhile. */
static atomic_int other_ran;
static void other_fn(void *arg)
{
    (void)arg;
    atomic_store(&other_ran, 1);
}

static void check_tickers(void)
{
    const int64_t periods[] = {INT64_MAX, INT64_MAX - 1, INT64_MAX / 2 + 1};
    for (size_t i = 0; i < N(periods); i++) {
        grt_timer *t = grt_timer_new(0, periods[i]);
        CHECK(t != NULL);
        grt_chan *c = grt_timer_chan(t);
        int64_t v;
        grt_case cs[1] = {{c, GRT_RECV, &v, 0}};
        CHECK_EQ(grt_select(cs, 1, grt_now() + AT_ONCE), 0);
        atomic_store(&other_ran, 0);
        CHECK_EQ(grt_go(other_fn, NULL), 0);
        grt_sleep(NEVER_WAIT / 5); /* the timers lock must be free for this */
        CHECK_EQ(atomic_load(&other_ran), 1);
        CHECK_EQ(grt_chan_tryrecv(c, &v), -EAGAIN); /* no second tick */
        CHECK_EQ(grt_timer_stop(t), 1);             /* still queued, at the end of time */
        grt_timer_free(t);
    }
    /* A ticker that starts at the end of time never ticks. */
    grt_timer *t = grt_timer_new(INT64_MAX, 1);
    CHECK(t != NULL);
    grt_sleep(NEVER_WAIT / 5);
    CHECK_EQ(grt_chan_len(grt_timer_chan(t)), 0);
    grt_timer_free(t);
}

/* select: deadlines are absolute.  INT64_MAX is a deadline that never
 * comes; GRT_FOREVER (-1) blocks; every other one not after now is
 * default:. */
struct selector {
    grt_chan  *c;
    int64_t    deadline;
    atomic_int started, woke;
};

static void select_fn(void *arg)
{
    struct selector *s = arg;
    atomic_store(&s->started, 1);
    if (s->c) {
        grt_case cs[1] = {{s->c, GRT_RECV, NULL, 0}};
        (void)grt_select(cs, 1, s->deadline);
    } else {
        (void)grt_select(NULL, 0, s->deadline);
    }
    atomic_store(&s->woke, 1);
}

static void check_select(void)
{
    static struct selector ss[2 * N(never)];
    grt_chan *c = grt_chan_make(0, 0);
    CHECK(c != NULL);
    for (size_t i = 0; i < 2 * N(never); i++) {
        ss[i].c = i % 2 ? c : NULL;
        ss[i].deadline = never[i / 2];
        expect_stays_asleep(select_fn, &ss[i], &ss[i].started, &ss[i].woke);
    }
    const int64_t past[] = {INT64_MIN, INT64_MIN + 1, -2, 0, 1, grt_now() - 1};
    for (size_t i = 0; i < N(past); i++) {
        int64_t t0 = grt_now();
        grt_case cs[1] = {{c, GRT_RECV, NULL, 0}};
        CHECK_EQ(grt_select(cs, 1, past[i]), -ETIMEDOUT);
        CHECK_EQ(grt_select(NULL, 0, past[i]), -ETIMEDOUT);
        CHECK_LT(grt_now() - t0, AT_ONCE);
    }
    grt_chan_release(c); /* the waiting selectors hold references of their own */
}

static void main_fn(void *arg)
{
    (void)arg;
    check_sleep();
    check_timers();
    check_func_timers();
    check_tickers();
    check_select();
    /* Return with sleepers, selectors and timers at the end of time still
     * waiting: the run ends here, they are abandoned. */
}

int main(void)
{
    alarm(120); /* a hang in the scheduler is a failure, not a CTest timeout */
    /* Outside goroutines a sleep of 0 or less returns at once too. */
    int64_t t0 = test_now_ns();
    for (size_t i = 0; i < N(now_or_past); i++)
        CHECK_EQ(grt_sleep(now_or_past[i]), 0);
    CHECK_LT(test_now_ns() - t0, AT_ONCE);
    for (int procs = 1; procs <= 2; procs++)
        test_run(procs, main_fn, NULL);
    printf("test_time_edges: ok\n");
    return 0;
}
