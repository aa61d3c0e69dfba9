/* SPDX-License-Identifier: BSD-3-Clause */
/* yield: procs=1; 2 goroutines each calling grt_yield 5,000,000 times.
 * Metric: ns per yield (wall time / total yields). */
#define BENCH_NAME "yield"
#include "bench.h"

static grt_waitgroup wg = GRT_WAITGROUP_INIT;
static int64_t n; /* yields per goroutine */
static int procs;

static void worker(void *arg)
{
    (void)arg;
    for (int64_t i = 0; i < n; i++) grt_yield();
    grt_waitgroup_done(&wg);
}

static void bench_main(void *arg)
{
    (void)arg;
    BENCH_CHECK(grt_waitgroup_add(&wg, 2), "grt_waitgroup_add");
    int64_t t0 = bench_now();
    BENCH_CHECK(grt_go(worker, NULL), "grt_go");
    BENCH_CHECK(grt_go(worker, NULL), "grt_go");
    BENCH_CHECK(grt_waitgroup_wait(&wg), "grt_waitgroup_wait");
    int64_t dt = bench_now() - t0;
    printf("yield procs=%d n=%lld metric=%.2f ns/yield\n", procs, (long long)(2 * n),
           (double)dt / (double)(2 * n));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    procs = bench_procs(argc, argv, 1, 1);
    n = bench_n(5000000, 1000);
    bench_run(procs, bench_main, NULL);
    return 0;
}
