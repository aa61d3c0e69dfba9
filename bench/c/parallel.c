/* SPDX-License-Identifier: BSD-3-Clause */
/* parallel: 64 goroutines each running a fixed CPU-bound loop (50,000,000
 * xorshift64 steps), main waits; timed at procs=1, then again after
 * grt_procs(2).  Metric: speedup = time(procs=1) / time(procs=2).
 * check is the XOR of every goroutine's final state (the same in Go). */
#define BENCH_NAME "parallel"
#include "bench.h"

#define WORKERS 64

static grt_waitgroup wg = GRT_WAITGROUP_INIT;
static uint64_t results[WORKERS];
static int64_t iters;

static uint64_t xorshift_loop(uint64_t x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

static void worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    results[id] = xorshift_loop(0x9E3779B97F4A7C15ull * (uint64_t)(id + 1), iters);
    grt_waitgroup_done(&wg);
}

static int64_t round_ns(uint64_t *check)
{
    memset(results, 0, sizeof results);
    BENCH_CHECK(grt_waitgroup_add(&wg, WORKERS), "grt_waitgroup_add");
    int64_t t0 = bench_now();
    for (int i = 0; i < WORKERS; i++) BENCH_CHECK(grt_go(worker, (void *)(intptr_t)i), "grt_go");
    BENCH_CHECK(grt_waitgroup_wait(&wg), "grt_waitgroup_wait");
    int64_t dt = bench_now() - t0;
    uint64_t x = 0;
    for (int i = 0; i < WORKERS; i++) x ^= results[i];
    *check = x;
    return dt;
}

static void bench_main(void *arg)
{
    (void)arg;
    uint64_t c1, c2;
    BENCH_CHECK(grt_procs(1), "grt_procs");
    int64_t t1 = round_ns(&c1);
    BENCH_CHECK(grt_procs(2), "grt_procs");
    int64_t t2 = round_ns(&c2);
    printf("parallel procs=1,2 n=%d metric=%.3f speedup t1=%.1f ms t2=%.1f ms check=%016llx\n",
           WORKERS, (double)t1 / (double)t2, (double)t1 / 1e6, (double)t2 / 1e6,
           (unsigned long long)c2);
    fflush(stdout);
    if (c1 != c2) {
        fprintf(stderr, "parallel: results differ between rounds\n");
        _exit(1);
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    iters = bench_n(50000000, 1000);
    bench_run(1, bench_main, NULL);
    return 0;
}
