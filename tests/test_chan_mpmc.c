/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_chan_mpmc: many producers, many consumers, every value exactly once.
 *
 * P producers send the disjoint ranges of 0..N-1 (N >= 1,000,000, scaled
 * under the sanitizers); C consumers receive until the channel is closed
 * and count every value in a per-value counter.  Afterwards each counter
 * must be exactly 1 and the per-producer order must be preserved as seen
 * by each consumer (a channel is FIFO, so values of one producer reach any
 * single consumer in increasing order).  Run at procs=1 and procs=2, on an
 * unbuffered, a small and a large buffer.
 */
#include "grt_test.h"

#include <stdatomic.h>

enum { PRODUCERS = 4, CONSUMERS = 4 };

static grt_chan        *ch;
static grt_chan        *done;
static int64_t          nvalues;
static _Atomic uint8_t *seen;
static atomic_llong     received_sum;

static void producer(void *arg)
{
    int64_t id = (int64_t)(intptr_t)arg;
    int64_t per = nvalues / PRODUCERS;
    int64_t lo = id * per, hi = id == PRODUCERS - 1 ? nvalues : lo + per;
    for (int64_t v = lo; v < hi; v++)
        CHECK_EQ(grt_chan_send(ch, &v), 0);
    CHECK_EQ(grt_chan_send(done, NULL), 0);
}

static void consumer(void *arg)
{
    (void)arg;
    int64_t last[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++)
        last[i] = -1;
    int64_t per = nvalues / PRODUCERS, sum = 0;
    for (;;) {
        int64_t v = -7;
        int rc = grt_chan_recv(ch, &v);
        if (rc == -EPIPE) {
            CHECK_EQ(v, 0);
            break;
        }
        CHECK_EQ(rc, 0);
        CHECK_GE(v, 0);
        CHECK_LT(v, nvalues);
        int p = (int)(v / per);
        if (p >= PRODUCERS)
            p = PRODUCERS - 1;
        if (v <= last[p])
            TEST_FAIL("producer %d's values out of order: %" PRId64 " after %" PRId64, p, v,
                      last[p]);
        last[p] = v;
        atomic_fetch_add(&seen[v], 1);
        sum += v;
    }
    atomic_fetch_add(&received_sum, sum);
    CHECK_EQ(grt_chan_send(done, NULL), 0);
}

static size_t cur_cap;

static void main_fn(void *arg)
{
    (void)arg;
    ch = grt_chan_make(sizeof(int64_t), cur_cap);
    done = grt_chan_make(0, PRODUCERS + CONSUMERS);
    for (intptr_t i = 0; i < CONSUMERS; i++)
        CHECK_EQ(grt_go(consumer, (void *)i), 0);
    for (intptr_t i = 0; i < PRODUCERS; i++)
        CHECK_EQ(grt_go(producer, (void *)i), 0);
    for (int i = 0; i < PRODUCERS; i++)
        CHECK_EQ(grt_chan_recv(done, NULL), 0);
    CHECK_EQ(grt_chan_close(ch), 0);
    for (int i = 0; i < CONSUMERS; i++)
        CHECK_EQ(grt_chan_recv(done, NULL), 0);
    CHECK_EQ(grt_chan_len(ch), 0);
    grt_chan_release(ch);
    grt_chan_release(done);
}

int main(void)
{
    nvalues = test_scale(1000000);
    seen = calloc((size_t)nvalues, 1);
    static const size_t caps[] = {0, 1, 128};
    for (int procs = 1; procs <= 2; procs++) {
        for (size_t k = 0; k < sizeof caps / sizeof *caps; k++) {
            cur_cap = caps[k];
            /* A goroutine switch costs ~0.2 ms under TSan (a fiber per
             * switch): the sanitizer builds skip the middle variant. */
            if (TEST_SANITIZED && cur_cap == 1)
                continue;
            memset((void *)seen, 0, (size_t)nvalues);
            atomic_store(&received_sum, 0);
            int64_t t0 = test_now_ns();
            test_run(procs, main_fn, NULL);
            int64_t dt = test_now_ns() - t0;
            for (int64_t v = 0; v < nvalues; v++)
                if (atomic_load(&seen[v]) != 1)
                    TEST_FAIL("procs=%d cap=%zu: value %" PRId64 " received %d times", procs,
                              cur_cap, v, (int)atomic_load(&seen[v]));
            CHECK_EQ(atomic_load(&received_sum), nvalues * (nvalues - 1) / 2);
            printf("procs=%d cap=%zu: %" PRId64 " messages in %.0f ms (%.0f ns/msg)\n", procs,
                   cur_cap, nvalues, dt / 1e6, (double)dt / (double)nvalues);
        }
    }
    free((void *)seen);
    printf("ok\n");
    return 0;
}
