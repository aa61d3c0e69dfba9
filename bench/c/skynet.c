/* SPDX-License-Identifier: BSD-3-Clause */
/* skynet: each node spawns 10 children (num + i*(size/10), size/10) which
 * send their sum up an unbuffered channel (one per node); a leaf sends its
 * num.  Root size 1,000,000 prints 499999500000.  Metric: ms. */
#define BENCH_NAME "skynet"
#include "bench.h"

#define DIV 10

struct node {
    grt_chan *up; /* the parent's channel; this node holds one reference */
    int64_t   num, size;
};

static void skynet(void *arg);

static void spawn_node(grt_chan *up, int64_t num, int64_t size)
{
    struct node *nd = malloc(sizeof *nd);
    if (!nd) bench_fail("malloc", -ENOMEM);
    nd->up = grt_chan_retain(up);
    nd->num = num;
    nd->size = size;
    BENCH_CHECK(grt_go(skynet, nd), "grt_go");
}

static void skynet(void *arg)
{
    struct node *nd = arg;
    int64_t sum = nd->num;
    if (nd->size > 1) {
        grt_chan *c = grt_chan_make(sizeof(int64_t), 0);
        BENCH_CHECK_PTR(c, "grt_chan_make");
        int64_t child = nd->size / DIV;
        for (int i = 0; i < DIV; i++) spawn_node(c, nd->num + i * child, child);
        sum = 0;
        for (int i = 0; i < DIV; i++) {
            int64_t v;
            BENCH_CHECK(grt_chan_recv(c, &v), "grt_chan_recv");
            sum += v;
        }
        grt_chan_release(c);
    }
    BENCH_CHECK(grt_chan_send(nd->up, &sum), "grt_chan_send");
    grt_chan_release(nd->up);
    free(nd);
}

static int64_t size;
static int procs;

static void bench_main(void *arg)
{
    (void)arg;
    int64_t t0 = bench_now();
    grt_chan *c = grt_chan_make(sizeof(int64_t), 0);
    BENCH_CHECK_PTR(c, "grt_chan_make");
    spawn_node(c, 0, size);
    int64_t sum;
    BENCH_CHECK(grt_chan_recv(c, &sum), "grt_chan_recv");
    int64_t dt = bench_now() - t0;
    grt_chan_release(c);
    printf("skynet procs=%d n=%lld metric=%.1f ms check=%lld\n", procs, (long long)size,
           (double)dt / 1e6, (long long)sum);
    fflush(stdout);
    if (sum != size * (size - 1) / 2) {
        fprintf(stderr, "skynet: wrong sum %lld, want %lld\n", (long long)sum,
                (long long)(size * (size - 1) / 2));
        _exit(1);
    }
}

int main(int argc, char **argv)
{
    procs = bench_procs(argc, argv, 1, 0);
    /* a power of ten: 1,000,000 scaled */
    int e = (int)lround(log10(1e6 * bench_scale()));
    if (e < 2) e = 2;
    size = 1;
    while (e-- > 0) size *= 10;
    bench_run(procs, bench_main, NULL);
    return 0;
}
