/* SPDX-License-Identifier: BSD-3-Clause */
/* spawn: N goroutines each doing grt_waitgroup_done and returning; main
 * waits.  Metric: ns per goroutine (wall time of spawn loop + wait / N). */
#define BENCH_NAME "spawn"
#include "bench.h"

static grt_waitgroup wg = GRT_WAITGROUP_INIT;
static int64_t n;
static int procs;

static void worker(void *arg)
{
    (void)arg;
    grt_waitgroup_done(&wg);
}

static void bench_main(void *arg)
{
    (void)arg;
    int64_t t0 = bench_now();
    BENCH_CHECK(grt_waitgroup_add(&wg, n), "grt_waitgroup_add");
    for (int64_t i = 0; i < n; i++) BENCH_CHECK(grt_go(worker, NULL), "grt_go");
    BENCH_CHECK(grt_waitgroup_wait(&wg), "grt_waitgroup_wait");
    int64_t dt = bench_now() - t0;
    printf("spawn procs=%d n=%lld metric=%.1f ns/goroutine\n", procs, (long long)n,
           (double)dt / (double)n);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    procs = bench_procs(argc, argv, 1, 0);
    n = bench_n(1000000, 1000);
    bench_run(procs, bench_main, NULL);
    return 0;
}
