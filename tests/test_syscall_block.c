/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_syscall_block: a goroutine blocked in a system call between
 * grt_syscall_enter and grt_syscall_exit does not hold up the others.
 *
 * With procs=1 there is one P.  Goroutine B blocks its thread for about a
 * second in a real blocking call (nanosleep; then a read on a pipe that a
 * plain thread writes to only after a second); meanwhile goroutine A ticks
 * (a short sleep, then a timestamp).  Sysmon must retake the P from B's
 * thread and hand it to another M, so A keeps ticking through B's second:
 * many ticks inside it and no gap longer than a few hundred ms.  Without
 * the handoff A would make no progress at all until B returns.
 *
 * Then: B's return finds its P taken and must still finish (slow path of
 * grt_syscall_exit), and eight goroutines blocked at once each get a
 * thread (they finish in about one call's time, not eight).
 */
#include "grt_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define MS (1000LL * 1000)
#define BLOCK_NS (1000 * MS)
#define MAX_TICKS 100000

static int64_t    ticks[MAX_TICKS];
static atomic_int nticks;
static atomic_int stop_ticking;
static int64_t    block_start, block_end;
static int        pipefd[2];

static void ticker(void *arg)
{
    grt_chan *done = arg;
    while (!atomic_load(&stop_ticking)) {
        CHECK_EQ(grt_sleep(1 * MS), 0);
        int i = atomic_load(&nticks);
        if (i < MAX_TICKS) {
            ticks[i] = grt_now();
            atomic_store(&nticks, i + 1);
        }
    }
    CHECK_EQ(grt_chan_send(done, NULL), 0);
}

static void blocker_nanosleep(void *arg)
{
    grt_chan *done = arg;
    block_start = grt_now();
    grt_syscall_enter();
    struct timespec ts = {BLOCK_NS / 1000000000, BLOCK_NS % 1000000000};
    while (nanosleep(&ts, &ts) != 0) {
    }
    grt_syscall_exit();
    block_end = grt_now();
    CHECK_EQ(grt_chan_send(done, NULL), 0);
}

static void *late_writer(void *arg)
{
    (void)arg;
    struct timespec ts = {BLOCK_NS / 1000000000, BLOCK_NS % 1000000000};
    while (nanosleep(&ts, &ts) != 0) {
    }
    CHECK_EQ(write(pipefd[1], "w", 1), 1);
    return NULL;
}

static void blocker_pipe(void *arg)
{
    grt_chan *done = arg;
    char b = 0;
    pthread_t th;
    block_start = grt_now();
    CHECK_EQ(pthread_create(&th, NULL, late_writer, NULL), 0);
    grt_syscall_enter();
    ssize_t r;
    do
        r = read(pipefd[0], &b, 1); /* a blocking fd: the thread sleeps */
    while (r < 0 && errno == EINTR);
    grt_syscall_exit();
    block_end = grt_now();
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(r, 1);
    CHECK_EQ(b, 'w');
    CHECK_EQ(grt_chan_send(done, NULL), 0);
}

/* One round: the ticker and a blocker; check the ticks inside the block. */
static void round_with(grt_fn blocker, const char *what)
{
    grt_chan *done = grt_chan_make(0, 2);
    CHECK(done != NULL);
    atomic_store(&nticks, 0);
    atomic_store(&stop_ticking, 0);
    grt_stats st0, st1;
    CHECK_EQ(grt_stats_get(&st0), 0);
    CHECK_EQ(grt_go(ticker, done), 0);
    grt_sleep(20 * MS); /* the ticker is going */
    CHECK_EQ(grt_go(blocker, done), 0);
    CHECK_EQ(grt_chan_recv(done, NULL), 0); /* the blocker ends first */
    atomic_store(&stop_ticking, 1);
    CHECK_EQ(grt_chan_recv(done, NULL), 0);
    CHECK_EQ(grt_stats_get(&st1), 0);
    grt_chan_release(done);

    CHECK_GE(block_end - block_start, BLOCK_NS);
    /* ticks strictly inside the blocked interval, with a margin at both
     * ends for the time it takes sysmon to notice (20 us - 10 ms) */
    int64_t lo = block_start + 100 * MS, hi = block_end - 100 * MS;
    int inside = 0;
    int64_t prev = lo, maxgap = 0;
    int n = atomic_load(&nticks);
    for (int i = 0; i < n; i++) {
        if (ticks[i] <= lo || ticks[i] >= hi)
            continue;
        inside++;
        if (ticks[i] - prev > maxgap)
            maxgap = ticks[i] - prev;
        prev = ticks[i];
    }
    if (hi - prev > maxgap)
        maxgap = hi - prev;
    printf("%s: %d ticks during the %.0f ms block, longest gap %.1f ms, handoffs %" PRId64 "\n",
           what, inside, (double)(block_end - block_start) / 1e6, (double)maxgap / 1e6,
           st1.handoffs - st0.handoffs);
    fflush(stdout);
    /* ~800 expected (1 ms sleeps over 800 ms); a stalled P gives 0 */
    CHECK_GE(inside, 50);
    CHECK_LT(maxgap, 400 * MS);
    CHECK_GE(st1.handoffs - st0.handoffs, 1);
}

/* --- many blocked at once ------------------------------------------------ */

typedef struct {
    grt_waitgroup *wg;
} many_arg;

static void block_300ms(void *p)
{
    many_arg *a = p;
    grt_syscall_enter();
    struct timespec ts = {0, 300 * MS};
    while (nanosleep(&ts, &ts) != 0) {
    }
    grt_syscall_exit();
    grt_waitgroup_done(a->wg);
}

static void check_many_blocked(void)
{
    enum { N = 8 };
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    many_arg a = {&wg};
    CHECK_EQ(grt_waitgroup_add(&wg, N), 0);
    int64_t t0 = grt_now();
    for (int i = 0; i < N; i++)
        CHECK_EQ(grt_go(block_300ms, &a), 0);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    int64_t el = grt_now() - t0;
    printf("8 x 300 ms blocking calls with procs=1: %.0f ms\n", (double)el / 1e6);
    CHECK_GE(el, 300 * MS);
    CHECK_LT(el, 1800 * MS); /* one after another would be 2400 ms */
}

/* Enter/exit with nothing blocking (the fast path), many times. */
static void check_fast_path(void)
{
    for (int i = 0; i < 100000; i++) {
        grt_syscall_enter();
        grt_syscall_exit();
    }
    /* An unpaired exit is a fatal error: test_syscall_misuse. */
}

static void *foreign_main(void *arg)
{
    (void)arg;
    grt_syscall_enter();
    grt_syscall_exit();
    return NULL;
}

static void main_fn(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_procs(0), 1);
    check_fast_path();
    round_with(blocker_nanosleep, "nanosleep");
    CHECK_EQ(pipe(pipefd), 0);
    round_with(blocker_pipe, "pipe read");
    close(pipefd[0]);
    close(pipefd[1]);
    check_many_blocked();
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, foreign_main, NULL), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
}

int main(void)
{
    grt_syscall_enter(); /* before grt_run: no-ops */
    grt_syscall_exit();
    test_run(1, main_fn, NULL);
    printf("test_syscall_block: ok\n");
    return 0;
}
