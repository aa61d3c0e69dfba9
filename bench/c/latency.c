/* SPDX-License-Identifier: BSD-3-Clause */
/* latency: procs=2; 8 goroutines spin in call-free loops for the whole run
 * while one more goroutine sleeps 1 ms 2,000 times.  Lateness of a sleep is
 * the time it actually woke minus the time it asked to wake.
 * Metric: p99 lateness in µs, with p50 and max beside it.
 *
 * The hogs never call into the runtime, so only asynchronous preemption can
 * take a P from them: the row measures how long a goroutine woken by a
 * timer waits behind CPU-bound goroutines. */
#define BENCH_NAME "latency"
#include "bench.h"

#define HOGS 8

static volatile int stop;        /* read by the hogs' call-free loops */
static volatile uint64_t sink[HOGS];
static int64_t *late;            /* lateness of each sleep, ns */
static int64_t nsleeps;
static int procs;
static grt_waitgroup hogs_done = GRT_WAITGROUP_INIT;

static void hog(void *arg)
{
    int id = (int)(intptr_t)arg;
    uint64_t x = 0x9E3779B97F4A7C15ull * (uint64_t)(id + 1);
    while (!stop) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    sink[id] = x;
    grt_waitgroup_done(&hogs_done);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void bench_main(void *arg)
{
    (void)arg;
    late = calloc((size_t)nsleeps, sizeof *late);
    if (!late) bench_fail("calloc", -ENOMEM);
    BENCH_CHECK(grt_waitgroup_add(&hogs_done, HOGS), "grt_waitgroup_add");
    for (int i = 0; i < HOGS; i++) BENCH_CHECK(grt_go(hog, (void *)(intptr_t)i), "grt_go");
    grt_sleep(10 * 1000000); /* let the hogs occupy both Ps */
    for (int64_t i = 0; i < nsleeps; i++) {
        int64_t want = bench_now() + 1000000;
        BENCH_CHECK(grt_sleep(1000000), "grt_sleep");
        int64_t l = bench_now() - want;
        if (getenv("DBGLAT")) fprintf(stderr, "sleeper %lld: woke %lld us late (want %lld)\n", (long long)(grt_now()/1000)%1000000000, (long long)l/1000, (long long)(want/1000)%1000000000);
        late[i] = l > 0 ? l : 0;
    }
    stop = 1;
    BENCH_CHECK(grt_waitgroup_wait(&hogs_done), "grt_waitgroup_wait");
    qsort(late, (size_t)nsleeps, sizeof *late, cmp_i64);
    int64_t p50 = late[nsleeps / 2], p99 = late[(nsleeps * 99) / 100], max = late[nsleeps - 1];
    printf("latency procs=%d n=%lld metric=%.1f us p50=%.1f p99=%.1f max=%.1f\n", procs,
           (long long)nsleeps, (double)p99 / 1e3, (double)p50 / 1e3, (double)p99 / 1e3,
           (double)max / 1e3);
    fflush(stdout);
    free(late);
}

int main(int argc, char **argv)
{
    procs = bench_procs(argc, argv, 1, 2);
    nsleeps = bench_n(2000, 100);
    bench_run(procs, bench_main, NULL);
    return 0;
}
