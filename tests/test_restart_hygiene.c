/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_restart_hygiene: every kind of object left mid-use when main
 * returns, then used again by the next grt_run, 20 runs in a row (API.md:
 * goroutines still parked when grt_run returns are abandoned, everything
 * they hold in the runtime is released, and zero-initialised sync objects
 * they used work in the next run as if fresh).
 *
 * Each run first checks what the previous run left behind, then leaves it
 * all mid-use again and returns:
 *   - a cond with a waiter (the next run's signal used to walk the freed
 *     sudogs of the old waiters);
 *   - an rwmutex write-held by a goroutine blocked for ever, with a reader
 *     and a writer queued behind it;
 *   - a waitgroup with a waiter and a count that never reaches zero;
 *   - a mutex in starvation mode (hand-off) held by main, with waiters;
 *   - a once whose fn never returns, and a goroutine waiting in it;
 *   - timers and a ticker that are still pending, never freed by the run
 *     (the next run stops, re-arms and frees them);
 *   - a channel with a blocked sender;
 *   - ten goroutines with 8 MiB stacks of their own, blocked (those
 *     mappings used to survive the run: 1.6 GB of address space over 20).
 * VmSize, VmRSS and the number of open descriptors must stay flat (bounded
 * growth) from run 5 to run 20.
 */
#include "grt_test.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdbool.h>

#define MS (1000LL * 1000)
#define RUNS 20
#define BIG_STACKS 10
#define MUTEX_STARVING_BIT 4

static grt_cond      cv;
static grt_mutex     cvmu;
static grt_rwmutex   rw;
static grt_waitgroup wg;
static grt_mutex     starving;
static grt_once      onces[RUNS + 1];
static grt_chan     *forever;   /* never sent on, never closed: blocks for good */
static grt_chan     *sendc;     /* a sender stays blocked on it */
static grt_timer    *timer, *ticker, *func_timer;
static atomic_int    once_runs, func_runs, cond_woken;
static atomic_int    started;   /* goroutines of leave_mid_use on their way to park */
static int           run;

static void block_forever(void)
{
    grt_chan_recv(forever, NULL);
    TEST_FAIL("received on the forever channel");
}

/* --- leaving things mid-use ---------------------------------------- */

static void cond_waiter(void *arg)
{
    (void)arg;
    atomic_fetch_add(&started, 1);
    CHECK_EQ(grt_mutex_lock(&cvmu), 0);
    for (;;)
        CHECK_EQ(grt_cond_wait(&cv, &cvmu), 0); /* never told to stop */
}

static void rw_holder(void *arg)
{
    (void)arg;
    atomic_fetch_add(&started, 1);
    CHECK_EQ(grt_rwmutex_lock(&rw), 0);
    block_forever();
}

static void rw_reader(void *arg)
{
    (void)arg;
    atomic_fetch_add(&started, 1);
    CHECK_EQ(grt_rwmutex_rlock(&rw), 0);
    TEST_FAIL("read lock taken from a writer that never unlocks");
}

static void rw_writer(void *arg)
{
    (void)arg;
    atomic_fetch_add(&started, 1);
    CHECK_EQ(grt_rwmutex_lock(&rw), 0);
    TEST_FAIL("write lock taken from a writer that never unlocks");
}

static void wg_waiter(void *arg)
{
    (void)arg;
    atomic_fetch_add(&started, 1);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    TEST_FAIL("waitgroup wait returned with a count left");
}

static void starving_waiter(void *arg)
{
    (void)arg;
    for (;;) {
        CHECK_EQ(grt_mutex_lock(&starving), 0);
        CHECK_EQ(grt_mutex_unlock(&starving), 0);
    }
}

static void once_blocks(void *arg)
{
    (void)arg;
    block_forever();
}

static void once_caller(void *arg)
{
    atomic_fetch_add(&started, 1);
    CHECK_EQ(grt_once_do(arg, once_blocks, NULL), 0);
}

static void chan_sender(void *arg)
{
    (void)arg;
    atomic_fetch_add(&started, 1);
    int v = 7;
    grt_chan_send(sendc, &v);
    TEST_FAIL("a send on a channel nobody receives returned");
}

static void big_stack_fn(void *arg)
{
    (void)arg;
    atomic_fetch_add(&started, 1);
    volatile char touch[64 * 1024]; /* a few pages of the 8 MiB resident */
    for (size_t i = 0; i < sizeof touch; i += 4096)
        touch[i] = (char)i;
    block_forever();
}

static void count_func(void *arg)
{
    (void)arg;
    atomic_fetch_add(&func_runs, 1);
}

/* Wait (by polling, with a bound) until cond holds. */
#define WAIT_UNTIL(cond)                                                       \
    do {                                                                       \
        int64_t t0_ = grt_now();                                               \
        while (!(cond)) {                                                      \
            if (grt_now() - t0_ > 10000 * MS)                                  \
                TEST_FAIL("run %d: timed out waiting for %s", run, #cond);     \
            grt_sleep(1 * MS);                                                 \
        }                                                                      \
    } while (0)

static void make_starving(void)
{
    CHECK_EQ(grt_mutex_lock(&starving), 0);
    for (int i = 0; i < 2; i++)
        CHECK_EQ(grt_go(starving_waiter, NULL), 0);
    /* Hold it 2 ms at a time, letting the waiters run: a woken waiter
     * that waited over 1 ms and finds it held again turns it starving. */
    int64_t t0 = grt_now();
    for (;;) {
        int64_t h = grt_now();
        while (grt_now() - h < 2 * MS)
            grt_yield();
        if (__atomic_load_n(&starving.state_, __ATOMIC_RELAXED) & MUTEX_STARVING_BIT)
            break;
        if (grt_now() - t0 > 10000 * MS)
            TEST_FAIL("run %d: the mutex never turned starving", run);
        CHECK_EQ(grt_mutex_unlock(&starving), 0);
        CHECK_EQ(grt_mutex_lock(&starving), 0);
    }
    /* main returns holding it, waiters queued, in hand-off mode */
}

static void leave_mid_use(void)
{
    atomic_store(&started, 0);
    forever = grt_chan_make(0, 0);
    sendc = grt_chan_make(sizeof(int), 0);
    CHECK(forever != NULL && sendc != NULL);
    CHECK_EQ(grt_go(cond_waiter, NULL), 0);
    CHECK_EQ(grt_go(rw_holder, NULL), 0);
    WAIT_UNTIL(__atomic_load_n(&rw.reader_count_, __ATOMIC_RELAXED) < 0);
    CHECK_EQ(grt_go(rw_reader, NULL), 0);
    CHECK_EQ(grt_go(rw_writer, NULL), 0);
    CHECK_EQ(grt_waitgroup_add(&wg, 1), 0);
    CHECK_EQ(grt_go(wg_waiter, NULL), 0);
    CHECK_EQ(grt_go(once_caller, &onces[run]), 0);
    CHECK_EQ(grt_go(once_caller, &onces[run]), 0);
    CHECK_EQ(grt_go(chan_sender, NULL), 0);
    grt_attr big = {.stack_size = 8u << 20, .name = "big"};
    for (int i = 0; i < BIG_STACKS; i++)
        CHECK_EQ(grt_go_attr(big_stack_fn, NULL, &big), 0);
    timer = grt_timer_new(INT64_MAX, 0);
    ticker = grt_timer_new(1 * MS, 1 * MS);
    func_timer = grt_timer_func(3600 * 1000 * MS, count_func, NULL);
    CHECK(timer && ticker && func_timer);
    make_starving();
    /* Let every goroutine reach its park: all started (a slow build such
     * as TSan can take longer than any fixed sleep to start them), the
     * waitgroup's waiter counted, then time to park.  One that had not
     * parked when main returns is not on a sync chain, and the object it
     * was about to wait on would not be reset for the next run. */
    WAIT_UNTIL(atomic_load(&started) == 8 + BIG_STACKS);
    WAIT_UNTIL((__atomic_load_n(&wg.state_, __ATOMIC_RELAXED) & 0xffffffffu) == 1);
    grt_sleep(20 * MS);
    CHECK_GE(grt_goroutines(), 9 + BIG_STACKS);
}

/* --- the next run: all of it as if fresh --------------------------- */

static void cond_once(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_mutex_lock(&cvmu), 0);
    CHECK_EQ(grt_cond_wait(&cv, &cvmu), 0);
    CHECK_EQ(grt_mutex_unlock(&cvmu), 0);
    atomic_store(&cond_woken, 1);
}

static void wg_done(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_waitgroup_done(&wg), 0);
}

static void once_counts(void *arg)
{
    (void)arg;
    atomic_fetch_add(&once_runs, 1);
}

static void use_again(void)
{
    /* cond: a new waiter is woken by one signal */
    atomic_store(&cond_woken, 0);
    CHECK_EQ(grt_go(cond_once, NULL), 0);
    int64_t t0 = grt_now();
    while (!atomic_load(&cond_woken)) {
        if (grt_now() - t0 > 10000 * MS)
            TEST_FAIL("run %d: a cond waiter was never woken", run);
        CHECK_EQ(grt_cond_signal(&cv), 0);
        grt_sleep(1 * MS);
    }
    CHECK_EQ(grt_cond_broadcast(&cv), 0);

    /* rwmutex: free for readers and writers at once */
    CHECK_EQ(grt_rwmutex_rlock(&rw), 0);
    CHECK_EQ(grt_rwmutex_rlock(&rw), 0);
    CHECK_EQ(grt_rwmutex_runlock(&rw), 0);
    CHECK_EQ(grt_rwmutex_runlock(&rw), 0);
    CHECK_EQ(grt_rwmutex_runlock(&rw), -EPERM);
    CHECK_EQ(grt_rwmutex_lock(&rw), 0);
    CHECK_EQ(grt_rwmutex_unlock(&rw), 0);
    CHECK_EQ(grt_rwmutex_unlock(&rw), -EPERM);

    /* waitgroup: zero, then a round of one */
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    CHECK_EQ(grt_waitgroup_add(&wg, 1), 0);
    CHECK_EQ(grt_go(wg_done, NULL), 0);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);

    /* the starving mutex: unlocked, normal mode */
    CHECK_EQ(grt_mutex_trylock(&starving), 0);
    CHECK_EQ(grt_mutex_unlock(&starving), 0);
    CHECK_EQ(grt_mutex_lock(&starving), 0);
    CHECK_EQ(grt_mutex_unlock(&starving), 0);
    CHECK_EQ(grt_mutex_unlock(&starving), -EPERM);

    /* the once whose fn never returned: fresh, its fn runs once */
    int before = atomic_load(&once_runs);
    CHECK_EQ(grt_once_do(&onces[run - 1], once_counts, NULL), 0);
    CHECK_EQ(grt_once_do(&onces[run - 1], once_counts, NULL), 0);
    CHECK_EQ(atomic_load(&once_runs), before + 1);

    /* timers of the previous run: unqueued, usable, freeable */
    CHECK_EQ(grt_timer_stop(timer), 0);
    CHECK_EQ(grt_timer_reset(timer, 1 * MS), 0);
    int64_t v;
    CHECK_EQ(grt_chan_recv(grt_timer_chan(timer), &v), 0);
    grt_timer_free(timer);
    CHECK_EQ(grt_timer_stop(ticker), 0);
    grt_timer_free(ticker);
    int fr = atomic_load(&func_runs);
    CHECK_EQ(grt_timer_reset(func_timer, 1 * MS), 0);
    WAIT_UNTIL(atomic_load(&func_runs) == fr + 1);
    grt_timer_free(func_timer);

    /* the channel with an abandoned sender: empty and usable */
    int x = 0;
    CHECK_EQ(grt_chan_tryrecv(sendc, &x), -EAGAIN);
    grt_chan_release(sendc);
    grt_chan_release(forever);
}

static void main_fn(void *arg)
{
    (void)arg;
    if (run > 0)
        use_again();
    leave_mid_use();
}

int main(void)
{
    /* Each new thread may get a malloc arena of its own (64 MiB of address
     * space each, up to 8 per CPU): keep that noise out of VmSize. */
    mallopt(M_ARENA_MAX, 2);
    long vm5 = 0, rss5 = 0;
    int fds5 = 0;
    for (run = 0; run < RUNS; run++) {
        test_run(1 + run % 2, main_fn, NULL);
        if (run == 4) {
            vm5 = test_status_kb("VmSize");
            rss5 = test_status_kb("VmRSS");
            fds5 = test_fd_count();
        }
    }
    /* The objects of the last run still work outside the runtime. */
    CHECK_EQ(grt_timer_stop(timer), 0);
    grt_timer_free(timer);
    grt_timer_free(ticker);
    grt_timer_free(func_timer);
    grt_chan_release(sendc);
    grt_chan_release(forever);

    long vm = test_status_kb("VmSize"), rss = test_status_kb("VmRSS");
    int fds = test_fd_count();
    printf("after run 5: VmSize %ld kB, VmRSS %ld kB, %d fds\n", vm5, rss5, fds5);
    printf("after run %d: VmSize %ld kB, VmRSS %ld kB, %d fds\n", RUNS, vm, rss, fds);
    /* 15 runs of 10 leaked 8 MiB stacks would be 1.2 GB; allow 64 MiB of
     * allocator noise (and sanitizer bookkeeping). */
#ifndef GRT_TSAN /* TSan's shadow and per-goroutine fibers dwarf what is measured */
    CHECK_LT(vm - vm5, 64 * 1024);
    CHECK_LT(rss - rss5, 64 * 1024);
#endif
    CHECK_EQ(fds, fds5);
    printf("test_restart_hygiene: ok\n");
    return 0;
}
