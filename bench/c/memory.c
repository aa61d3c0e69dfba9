/* SPDX-License-Identifier: BSD-3-Clause */
/* memory: procs=2; N goroutines all parked receiving on one channel.
 * Metric: (VmRSS after - VmRSS before) / N, in KiB per goroutine; also
 * create=: ns per goroutine from the first grt_go until every goroutine has
 * started (the cost of creating one while N are alive, not of a spawn and
 * exit).
 *
 *   bench_memory [procs [count]]   count: N exactly (the memory scaling
 *                                  section runs 10k, 100k, 1M); without it
 *                                  N = 100,000 x $GRT_BENCH_SCALE */
#define BENCH_NAME "memory"
#include "bench.h"

static grt_waitgroup started = GRT_WAITGROUP_INIT;
static grt_chan *ch;
static int64_t n;
static int procs;

static void worker(void *arg)
{
    (void)arg;
    grt_waitgroup_done(&started);
    int v;
    grt_chan_recv(ch, &v); /* parks until main closes the channel */
}

static void bench_main(void *arg)
{
    (void)arg;
    ch = grt_chan_make(sizeof(int), 0);
    BENCH_CHECK_PTR(ch, "grt_chan_make");
    BENCH_CHECK(grt_waitgroup_add(&started, n), "grt_waitgroup_add");
    long before = bench_vmrss_kib();
    int64_t t0 = bench_now();
    for (int64_t i = 0; i < n; i++) BENCH_CHECK(grt_go(worker, NULL), "grt_go");
    BENCH_CHECK(grt_waitgroup_wait(&started), "grt_waitgroup_wait");
    int64_t dt = bench_now() - t0;
    /* Every worker has passed done; give the last ones time to park in recv.
     * Sleep if timers exist, else yield a while. */
    if (grt_sleep(50 * 1000000LL) < 0)
        for (int i = 0; i < 10000; i++) grt_yield();
    long after = bench_vmrss_kib();
    if (before < 0 || after < 0) bench_fail("read /proc/self/status VmRSS", -ENOENT);
    printf("memory procs=%d n=%lld metric=%.3f KiB/goroutine create=%.1f check=%lld\n", procs,
           (long long)n, (double)(after - before) / (double)n, (double)dt / (double)n,
           (long long)grt_goroutines());
    fflush(stdout);
    grt_chan_close(ch); /* the workers wake and return; grt_run abandons the rest */
}

int main(int argc, char **argv)
{
    procs = bench_procs(argc, argv, 1, 2);
    n = argc > 2 ? atoll(argv[2]) : bench_n(100000, 1000);
    if (n < 1) {
        fprintf(stderr, "memory: count must be positive\n");
        return 2;
    }
    bench_run(procs, bench_main, NULL);
    return 0;
}
