/* SPDX-License-Identifier: BSD-3-Clause */
/* pingpong: 2 goroutines, two unbuffered int channels (one each way),
 * 1,000,000 round trips.  Metric: ns per round trip. */
#define BENCH_NAME "pingpong"
#include "bench.h"

static grt_waitgroup wg = GRT_WAITGROUP_INIT;
static grt_chan *ping, *pong;
static int64_t n;
static int procs;
static int64_t last; /* the last value the pinger got back */

static void pinger(void *arg)
{
    (void)arg;
    int v = 0;
    for (int64_t i = 0; i < n; i++) {
        v = (int)i;
        BENCH_CHECK(grt_chan_send(ping, &v), "grt_chan_send");
        BENCH_CHECK(grt_chan_recv(pong, &v), "grt_chan_recv");
    }
    last = v;
    grt_waitgroup_done(&wg);
}

static void ponger(void *arg)
{
    (void)arg;
    int v;
    for (int64_t i = 0; i < n; i++) {
        BENCH_CHECK(grt_chan_recv(ping, &v), "grt_chan_recv");
        v++;
        BENCH_CHECK(grt_chan_send(pong, &v), "grt_chan_send");
    }
    grt_waitgroup_done(&wg);
}

static void bench_main(void *arg)
{
    (void)arg;
    ping = grt_chan_make(sizeof(int), 0);
    BENCH_CHECK_PTR(ping, "grt_chan_make");
    pong = grt_chan_make(sizeof(int), 0);
    BENCH_CHECK_PTR(pong, "grt_chan_make");
    BENCH_CHECK(grt_waitgroup_add(&wg, 2), "grt_waitgroup_add");
    int64_t t0 = bench_now();
    BENCH_CHECK(grt_go(ponger, NULL), "grt_go");
    BENCH_CHECK(grt_go(pinger, NULL), "grt_go");
    BENCH_CHECK(grt_waitgroup_wait(&wg), "grt_waitgroup_wait");
    int64_t dt = bench_now() - t0;
    printf("pingpong procs=%d n=%lld metric=%.1f ns/roundtrip check=%lld\n", procs,
           (long long)n, (double)dt / (double)n, (long long)last);
    fflush(stdout);
    grt_chan_release(ping);
    grt_chan_release(pong);
}

int main(int argc, char **argv)
{
    procs = bench_procs(argc, argv, 1, 0);
    n = bench_n(1000000, 1000);
    bench_run(procs, bench_main, NULL);
    return 0;
}
