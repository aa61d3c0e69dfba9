/* SPDX-License-Identifier: BSD-3-Clause */
/* mutex: procs=2; 4 goroutines x 1,000,000 x {lock; counter++; unlock} on
 * one grt_mutex; the counter must equal 4,000,000.
 * Metric: ns per lock/unlock pair (wall time / total pairs). */
#define BENCH_NAME "mutex"
#include "bench.h"

#define WORKERS 4

static grt_waitgroup wg = GRT_WAITGROUP_INIT;
static grt_mutex mu = GRT_MUTEX_INIT;
static int64_t counter;
static int64_t n; /* per goroutine */
static int procs;

static void worker(void *arg)
{
    (void)arg;
    for (int64_t i = 0; i < n; i++) {
        grt_mutex_lock(&mu);
        counter++;
        grt_mutex_unlock(&mu);
    }
    grt_waitgroup_done(&wg);
}

static void bench_main(void *arg)
{
    (void)arg;
    /* one uncontended pair first, to turn ENOSYS into "unsupported" */
    BENCH_CHECK(grt_mutex_lock(&mu), "grt_mutex_lock");
    BENCH_CHECK(grt_mutex_unlock(&mu), "grt_mutex_unlock");
    BENCH_CHECK(grt_waitgroup_add(&wg, WORKERS), "grt_waitgroup_add");
    int64_t t0 = bench_now();
    for (int i = 0; i < WORKERS; i++) BENCH_CHECK(grt_go(worker, NULL), "grt_go");
    BENCH_CHECK(grt_waitgroup_wait(&wg), "grt_waitgroup_wait");
    int64_t dt = bench_now() - t0;
    int64_t total = WORKERS * n;
    printf("mutex procs=%d n=%lld metric=%.2f ns/lock check=%lld\n", procs, (long long)total,
           (double)dt / (double)total, (long long)counter);
    fflush(stdout);
    if (counter != total) {
        fprintf(stderr, "mutex: counter %lld, want %lld\n", (long long)counter,
                (long long)total);
        _exit(1);
    }
}

int main(int argc, char **argv)
{
    procs = bench_procs(argc, argv, 1, 2);
    n = bench_n(1000000, 1000);
    bench_run(procs, bench_main, NULL);
    return 0;
}
