/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_lock_thread: grt_lock_thread / grt_unlock_thread (LockOSThread).
 *
 *  1. pinned: a goroutine that holds the lock stays on one thread across
 *     NY grt_yield() calls while NBUSY other goroutines yield and compute
 *     (procs=2 and procs=1; at procs=1 the others must still progress, so
 *     the single P is handed back and forth).  An unlocked goroutine doing
 *     the same is reported for comparison (it usually moves).
 *  2. nesting: lock, lock, unlock (still pinned across yields), unlock,
 *     and a third unlock returns -EPERM; unlock in a goroutine that never
 *     locked returns -EPERM.
 *  3. exit while locked: the goroutine's thread ends (its tid disappears
 *     from /proc/self/task), by returning and by grt_exit(); afterwards the
 *     program goes on: goroutines still run on the Ps, the count returns
 *     to 1.  Main is itself locked during this part, so these goroutines
 *     cannot run on main's thread (normally the one that called grt_run,
 *     which would survive).
 *  4. main locked: across yields main keeps its thread; main returning
 *     while still locked ends grt_run normally, on the calling thread, and
 *     a new run works afterwards.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "grt_test.h"

#define NBUSY 4

static int64_t ny;
static atomic_int stop_busy;
static atomic_int busy_exited;
static atomic_llong busy_rounds;
static atomic_ullong sink; /* written by many goroutines: atomic */

static pid_t tid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static void wait_count(atomic_int *v, int want, const char *what)
{
    int64_t deadline = test_now_ns() + 30 * 1000000000LL;
    while (atomic_load(v) < want) {
        if (test_now_ns() > deadline)
            TEST_FAIL("timed out waiting for %s: %d of %d", what, atomic_load(v), want);
        grt_yield();
    }
}

static void wait_only_main(void)
{
    int64_t deadline = test_now_ns() + 30 * 1000000000LL;
    while (grt_goroutines() != 1) {
        if (test_now_ns() > deadline)
            TEST_FAIL("grt_goroutines()=%" PRId64 ", expected 1", grt_goroutines());
        grt_yield();
    }
}

static void busy(void *arg)
{
    uint64_t x = (uint64_t)(intptr_t)arg;
    while (!atomic_load(&stop_busy)) {
        for (int i = 0; i < 2000; i++)
            x = x * 6364136223846793005ULL + 1;
        atomic_store_explicit(&sink, x, memory_order_relaxed);
        atomic_fetch_add(&busy_rounds, 1);
        grt_yield();
    }
    atomic_fetch_add(&busy_exited, 1);
}

static void start_busy(void)
{
    atomic_store(&stop_busy, 0);
    atomic_store(&busy_exited, 0);
    for (int i = 0; i < NBUSY; i++)
        CHECK_EQ(grt_go(busy, (void *)(intptr_t)i), 0);
}

static void stop_all_busy(void)
{
    atomic_store(&stop_busy, 1);
    wait_count(&busy_exited, NBUSY, "busy goroutines to stop");
}

/* --- 1. pinned, and 2. nesting ---------------------------------------- */

static atomic_int pinned_done;
static atomic_int unlocked_threads;

static void pinned(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_lock_thread(), 0);
    pthread_t t0 = pthread_self();
    pid_t id0 = tid();
    long long r0 = atomic_load(&busy_rounds);
    for (int64_t k = 0; k < ny; k++) {
        grt_yield();
        if (!pthread_equal(pthread_self(), t0) || tid() != id0)
            TEST_FAIL("locked goroutine moved from thread %d to %d after %" PRId64 " yields",
                      (int)id0, (int)tid(), k + 1);
    }
    /* The others ran meanwhile (they would not, if the P stayed stuck). */
    CHECK_GT(atomic_load(&busy_rounds), r0);
    CHECK_EQ(grt_unlock_thread(), 0);
    CHECK_EQ(grt_unlock_thread(), -EPERM);
    atomic_fetch_add(&pinned_done, 1);
}

static void nested(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_lock_thread(), 0);
    CHECK_EQ(grt_lock_thread(), 0);
    pid_t id0 = tid();
    for (int64_t k = 0; k < ny / 4; k++) {
        grt_yield();
        CHECK_EQ(tid(), id0);
    }
    CHECK_EQ(grt_unlock_thread(), 0);
    /* Still locked once. */
    for (int64_t k = 0; k < ny / 4; k++) {
        grt_yield();
        if (tid() != id0)
            TEST_FAIL("after lock, lock, unlock the goroutine moved from thread %d to %d",
                      (int)id0, (int)tid());
    }
    CHECK_EQ(grt_unlock_thread(), 0);
    CHECK_EQ(grt_unlock_thread(), -EPERM);
    CHECK_EQ(grt_unlock_thread(), -EPERM);
    /* Locking again after that works. */
    CHECK_EQ(grt_lock_thread(), 0);
    grt_yield();
    CHECK_EQ(grt_unlock_thread(), 0);
    atomic_fetch_add(&pinned_done, 1);
}

static void never_locked(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_unlock_thread(), -EPERM);
    atomic_fetch_add(&pinned_done, 1);
}

static void unlocked(void *arg)
{
    (void)arg;
    pid_t seen[8];
    int nseen = 0;
    for (int64_t k = 0; k < ny; k++) {
        pid_t t = tid();
        int i;
        for (i = 0; i < nseen; i++)
            if (seen[i] == t)
                break;
        if (i == nseen && nseen < 8)
            seen[nseen++] = t;
        grt_yield();
    }
    atomic_store(&unlocked_threads, nseen);
    atomic_fetch_add(&pinned_done, 1);
}

static void main_pinned(void *arg)
{
    (void)arg;
    int procs = grt_procs(0);
    atomic_store(&pinned_done, 0);
    start_busy();
    CHECK_EQ(grt_go(pinned, NULL), 0);
    CHECK_EQ(grt_go(nested, NULL), 0);
    CHECK_EQ(grt_go(never_locked, NULL), 0);
    CHECK_EQ(grt_go(unlocked, NULL), 0);
    wait_count(&pinned_done, 4, "the locked goroutines");
    stop_all_busy();
    wait_only_main();
    printf("  procs=%d: locked goroutine stayed on its thread for %" PRId64
           " yields; an unlocked one used %d thread(s)\n",
           procs, ny, atomic_load(&unlocked_threads));
}

/* --- 3. exit while locked ---------------------------------------------- */

static atomic_int exit_tid;
static atomic_int worked;

static void exit_locked(void *arg)
{
    int how = (int)(intptr_t)arg;
    CHECK_EQ(grt_lock_thread(), 0);
    if (how == 2)
        CHECK_EQ(grt_lock_thread(), 0); /* nested: still ends the thread */
    grt_yield();
    atomic_store(&exit_tid, (int)tid());
    if (how == 1)
        grt_exit();
    /* how 0 and 2: return while locked */
}

static void small_work(void *arg)
{
    (void)arg;
    atomic_fetch_add(&worked, 1);
}

static int thread_exists(int t)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/self/task/%d", t);
    return stat(path, &st) == 0;
}

static int count_threads(void)
{
    return test_count_dir("/proc/self/task");
}

static void main_exit_locked(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_lock_thread(), 0);
    pid_t main_tid = tid();
    int checked = 0;
    for (int round = 0; round < 9; round++) {
        atomic_store(&exit_tid, 0);
        CHECK_EQ(grt_go(exit_locked, (void *)(intptr_t)(round % 3)), 0);
        int64_t deadline = test_now_ns() + 30 * 1000000000LL;
        while (atomic_load(&exit_tid) == 0 || grt_goroutines() != 1) {
            if (test_now_ns() > deadline)
                TEST_FAIL("round %d: locked goroutine did not finish", round);
            grt_yield();
        }
        int t = atomic_load(&exit_tid);
        CHECK_NE(t, main_tid); /* main holds its own thread */
        if (t == getpid())
            continue; /* the thread that called grt_run survives by contract */
        while (thread_exists(t)) {
            if (test_now_ns() > deadline)
                TEST_FAIL("round %d: thread %d of a goroutine that exited while locked is still "
                          "alive",
                          round, t);
            grt_yield();
        }
        checked++;
        /* The program goes on: new goroutines run. */
        atomic_store(&worked, 0);
        for (int i = 0; i < 100; i++)
            CHECK_EQ(grt_go(small_work, NULL), 0);
        wait_count(&worked, 100, "goroutines after a locked exit");
        CHECK_EQ(tid(), main_tid);
    }
    CHECK_GT(checked, 0);
    CHECK_EQ(grt_procs(0), 2);
    /* Both Ps still run goroutines. */
    start_busy();
    long long r0 = atomic_load(&busy_rounds);
    int64_t deadline = test_now_ns() + 30 * 1000000000LL;
    while (atomic_load(&busy_rounds) < r0 + 1000) {
        if (test_now_ns() > deadline)
            TEST_FAIL("busy goroutines stalled after locked exits");
        grt_yield();
    }
    stop_all_busy();
    wait_only_main();
    CHECK_EQ(grt_unlock_thread(), 0);
    printf("  %d threads ended with their locked goroutines; %d threads now\n", checked,
           count_threads());
}

/* --- 4. main locked ---------------------------------------------------- */

static void main_locked_yields(void *arg)
{
    int return_locked = (int)(intptr_t)arg;
    start_busy();
    CHECK_EQ(grt_lock_thread(), 0);
    pid_t t0 = tid();
    for (int64_t k = 0; k < ny; k++) {
        grt_yield();
        if (tid() != t0)
            TEST_FAIL("locked main moved from thread %d to %d after %" PRId64 " yields", (int)t0,
                      (int)tid(), k + 1);
    }
    stop_all_busy();
    if (!return_locked) {
        CHECK_EQ(grt_unlock_thread(), 0);
        CHECK_EQ(grt_unlock_thread(), -EPERM);
        return;
    }
    /* Return while locked (twice over): grt_run still returns. */
    CHECK_EQ(grt_lock_thread(), 0);
}

static void main_moves_then_locks(void *arg)
{
    (void)arg;
    /* Yield a lot so main may well be running on another thread than the
     * one that called grt_run when it locks and returns. */
    start_busy();
    for (int k = 0; k < 1000; k++)
        grt_yield();
    CHECK_EQ(grt_lock_thread(), 0);
    stop_all_busy();
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    ny = test_scale(5000);
    pid_t me = tid();
    pthread_t self = pthread_self();

    test_run(2, main_pinned, NULL);
    test_run(1, main_pinned, NULL);
    test_run(2, main_exit_locked, NULL);
    test_run(2, main_locked_yields, (void *)(intptr_t)0);
    test_run(1, main_locked_yields, (void *)(intptr_t)0);
    test_run(2, main_locked_yields, (void *)(intptr_t)1);
    CHECK_EQ(tid(), me);
    CHECK(pthread_equal(pthread_self(), self));
    test_run(1, main_locked_yields, (void *)(intptr_t)1);
    test_run(2, main_moves_then_locks, NULL);
    CHECK_EQ(tid(), me);
    test_run(2, main_pinned, NULL); /* still works after all that */
    printf("ok\n");
    return 0;
}
