/* SPDX-License-Identifier: BSD-3-Clause */
/* sleep: procs=2; 10,000 goroutines each calling grt_sleep(1 ms) 100 times.
 * Metrics: wall ms, and CPU seconds (user+sys, getrusage) over the same span. */
#define BENCH_NAME "sleep"
#include "bench.h"

#define ROUNDS 100

static grt_waitgroup wg = GRT_WAITGROUP_INIT;
static int64_t n;
static int procs;

static void worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) grt_sleep(1000000);
    grt_waitgroup_done(&wg);
}

static void bench_main(void *arg)
{
    (void)arg;
    /* grt_sleep returns 0 even where it is not implemented; probe the timer
     * API so a runtime without timers reports "unsupported" (a sleep that
     * did not sleep would be a meaningless result). */
    int64_t p0 = bench_now();
    BENCH_CHECK(grt_sleep(1000000), "grt_sleep");
    if (bench_now() - p0 < 900000) bench_unsupported("grt_sleep (returned early)");

    BENCH_CHECK(grt_waitgroup_add(&wg, n), "grt_waitgroup_add");
    double c0 = bench_cpu_seconds();
    int64_t t0 = bench_now();
    for (int64_t i = 0; i < n; i++) BENCH_CHECK(grt_go(worker, NULL), "grt_go");
    BENCH_CHECK(grt_waitgroup_wait(&wg), "grt_waitgroup_wait");
    int64_t dt = bench_now() - t0;
    double cpu = bench_cpu_seconds() - c0;
    printf("sleep procs=%d n=%lld metric=%.1f ms cpu=%.3f s\n", procs, (long long)n,
           (double)dt / 1e6, cpu);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    procs = bench_procs(argc, argv, 1, 2);
    n = bench_n(10000, 100);
    bench_run(procs, bench_main, NULL);
    return 0;
}
