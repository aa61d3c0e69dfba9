/* SPDX-License-Identifier: BSD-3-Clause */
/* idle: procs=2; 1,000 goroutines parked receiving on channels and 10
 * goroutines each on a 1 s ticker (grt_timer_new(1 s, 1 s), receive on
 * grt_timer_chan); main sleeps 5 s.  Metric: CPU seconds (user+sys) the
 * process used during those 5 s.  The duration is not scaled. */
#define BENCH_NAME "idle"
#include "bench.h"

#define PARKED 1000
#define TICKERS 10
#define SECOND 1000000000LL

static grt_waitgroup started = GRT_WAITGROUP_INIT;
static grt_chan *chans[PARKED];
static int procs;
static int64_t ticks;

static void parked(void *arg)
{
    grt_chan *c = arg;
    grt_waitgroup_done(&started);
    grt_chan_recv(c, NULL); /* never sent to */
}

static void ticker(void *arg)
{
    grt_timer *t = arg;
    grt_chan *c = grt_timer_chan(t);
    grt_waitgroup_done(&started);
    for (;;) {
        int64_t when;
        if (grt_chan_recv(c, &when) < 0) return;
        __atomic_fetch_add(&ticks, 1, __ATOMIC_RELAXED);
    }
}

static void bench_main(void *arg)
{
    (void)arg;
    BENCH_CHECK(grt_waitgroup_add(&started, PARKED + TICKERS), "grt_waitgroup_add");
    for (int i = 0; i < PARKED; i++) {
        chans[i] = grt_chan_make(sizeof(int), 0);
        BENCH_CHECK_PTR(chans[i], "grt_chan_make");
        BENCH_CHECK(grt_go(parked, chans[i]), "grt_go");
    }
    for (int i = 0; i < TICKERS; i++) {
        grt_timer *t = grt_timer_new(SECOND, SECOND);
        BENCH_CHECK_PTR(t, "grt_timer_new");
        BENCH_CHECK(grt_go(ticker, t), "grt_go");
    }
    BENCH_CHECK(grt_waitgroup_wait(&started), "grt_waitgroup_wait");
    double c0 = bench_cpu_seconds();
    int64_t t0 = bench_now();
    BENCH_CHECK(grt_sleep(5 * SECOND), "grt_sleep");
    int64_t dt = bench_now() - t0;
    double cpu = bench_cpu_seconds() - c0;
    if (dt < 5 * SECOND * 9 / 10) bench_unsupported("grt_sleep (returned early)");
    printf("idle procs=%d n=%d metric=%.4f cpu_s wall=%.0f ms ticks=%lld\n", procs,
           PARKED + TICKERS, cpu, (double)dt / 1e6,
           (long long)__atomic_load_n(&ticks, __ATOMIC_RELAXED));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    procs = bench_procs(argc, argv, 1, 2);
    bench_run(procs, bench_main, NULL);
    return 0;
}
