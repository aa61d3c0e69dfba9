/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sleep: grt_sleep's contract.
 *
 *  - never early: after grt_sleep(d) at least d has passed on grt_now()'s
 *    clock, for a range of d, in one goroutine and in many at once;
 *  - not very late (loosely: a second of slack, for a loaded machine);
 *  - ordering: goroutines sleeping different durations wake in deadline
 *    order (procs=1, deadlines 15 ms apart; a round in which the machine
 *    stalled us long enough to reorder legitimately is retried);
 *  - grt_sleep(0), negative and GRT_FOREVER durations return 0 at once;
 *  - outside a goroutine (before grt_run, and on a foreign pthread while
 *    the runtime runs) it sleeps the thread and returns 0.
 */
#include "grt_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define MS (1000LL * 1000)
#define LATE_SLACK (1000 * MS) /* "not very late": loose on purpose */

static void check_sleep(int64_t d)
{
    int64_t t0 = grt_now();
    CHECK_EQ(grt_sleep(d), 0);
    int64_t el = grt_now() - t0;
    CHECK_GE(el, d);
    CHECK_LT(el, d + LATE_SLACK);
}

static void check_durations(void)
{
    static const int64_t ds[] = {1,      1000,   50000,  1 * MS, 2 * MS,
                                 3 * MS, 10 * MS, 25 * MS, 100 * MS};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++)
        check_sleep(ds[i]);
}

static void check_nonpositive(void)
{
    /* A zero, negative or GRT_FOREVER (-1) sleep yields and returns: it
     * must not turn into a long or endless sleep. */
    static const int64_t ds[] = {0, -1, -5, GRT_FOREVER, INT64_MIN};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        int64_t t0 = grt_now();
        for (int k = 0; k < 100; k++)
            CHECK_EQ(grt_sleep(ds[i]), 0);
        CHECK_LT(grt_now() - t0, LATE_SLACK);
    }
}

/* --- many sleepers at once: none early -------------------------------- */

typedef struct {
    int64_t        d;
    int            rounds;
    grt_waitgroup *wg;
    atomic_long   *early;
} sleeper_arg;

static void sleeper(void *p)
{
    sleeper_arg *a = p;
    for (int r = 0; r < a->rounds; r++) {
        int64_t t0 = grt_now();
        CHECK_EQ(grt_sleep(a->d), 0);
        if (grt_now() - t0 < a->d)
            atomic_fetch_add(a->early, 1);
    }
    grt_waitgroup_done(a->wg);
}

static void check_many(void)
{
    int n = (int)test_scale(2000);
    sleeper_arg *args = calloc((size_t)n, sizeof *args);
    CHECK(args != NULL);
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    atomic_long early = 0;
    uint64_t x = 88172645463325252ULL;
    CHECK_EQ(grt_waitgroup_add(&wg, n), 0);
    for (int i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        args[i] = (sleeper_arg){(int64_t)(x % (5 * MS)) + 1, 5, &wg, &early};
        CHECK_EQ(grt_go(sleeper, &args[i]), 0);
    }
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    CHECK_EQ(atomic_load(&early), 0);
    free(args);
}

/* --- ordering ---------------------------------------------------------- */

#define NORDER 24
#define ORDER_GAP (15 * MS)

typedef struct {
    int64_t      deadline;
    int64_t      woke;
    int          rank; /* position in wake order */
    atomic_int  *next_rank;
    grt_waitgroup *wg;
} order_arg;

static void order_sleeper(void *p)
{
    order_arg *a = p;
    CHECK_EQ(grt_sleep(a->deadline - grt_now()), 0);
    a->woke = grt_now();
    a->rank = atomic_fetch_add(a->next_rank, 1);
    grt_waitgroup_done(a->wg);
}

/* One round: NORDER goroutines, started in a scrambled order, sleep until
 * deadlines ORDER_GAP apart.  Returns whether they woke in deadline order;
 * "never early" is checked strictly every time. */
static bool order_round(void)
{
    order_arg a[NORDER];
    atomic_int next_rank = 0;
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    int64_t base = grt_now() + 20 * MS;
    CHECK_EQ(grt_waitgroup_add(&wg, NORDER), 0);
    for (int k = 0; k < NORDER; k++) {
        int i = (k * 7) % NORDER; /* 7 is coprime with 24: a permutation */
        a[i] = (order_arg){base + (int64_t)i * ORDER_GAP, 0, -1, &next_rank, &wg};
        CHECK_EQ(grt_go(order_sleeper, &a[i]), 0);
    }
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    bool ordered = true;
    for (int i = 0; i < NORDER; i++) {
        CHECK_GE(a[i].woke, a[i].deadline);
        CHECK_LT(a[i].woke, a[i].deadline + 10 * LATE_SLACK);
        if (a[i].rank != i) {
            ordered = false;
            fprintf(stderr, "order round: deadline #%d woke as #%d (%.3f ms late)\n", i,
                    a[i].rank, (double)(a[i].woke - a[i].deadline) / 1e6);
        }
    }
    return ordered;
}

static void check_order(void)
{
    /* With one P and deadlines 15 ms apart, a sleeper woken by its timer
     * runs long before the next deadline, unless the whole process was
     * descheduled for ~15 ms: that legitimately reorders (both timers are
     * then due in one batch), so a round may fail by bad luck, but a heap
     * that fires out of order fails every round. */
    for (int round = 0; round < 5; round++)
        if (order_round())
            return;
    TEST_FAIL("sleepers woke out of deadline order in 5 rounds out of 5");
}

/* --- outside goroutines ------------------------------------------------ */

static void check_thread_sleep(void)
{
    /* grt_sleep on a thread that is not a goroutine sleeps the thread */
    int64_t t0 = grt_now();
    CHECK_EQ(grt_sleep(30 * MS), 0);
    int64_t el = grt_now() - t0;
    CHECK_GE(el, 30 * MS);
    CHECK_LT(el, 30 * MS + LATE_SLACK);
    t0 = grt_now();
    CHECK_EQ(grt_sleep(0), 0);
    CHECK_EQ(grt_sleep(-7), 0);
    CHECK_LT(grt_now() - t0, LATE_SLACK);
}

static void *foreign_main(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_id(), 0);
    check_thread_sleep();
    return NULL;
}

static void check_foreign(void)
{
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, foreign_main, NULL), 0);
    /* The goroutine keeps running while the thread sleeps. */
    check_sleep(5 * MS);
    CHECK_EQ(pthread_join(th, NULL), 0);
}

static void main_procs2(void *arg)
{
    (void)arg;
    check_durations();
    check_nonpositive();
    check_many();
    check_foreign();
}

static void main_procs1(void *arg)
{
    (void)arg;
    check_durations();
    check_order();
}

int main(void)
{
    check_thread_sleep(); /* before grt_run: a plain thread */
    test_run(2, main_procs2, NULL);
    test_run(1, main_procs1, NULL);
    check_thread_sleep(); /* and after */
    printf("test_sleep: ok\n");
    return 0;
}
