/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_select_stress: selects, plain operations and deadlines mixed.
 *
 * Part 1 (after Go's TestSelectStress): four channels (two unbuffered, two
 * buffered); on each, one plain sender and one plain receiver move N
 * values, while one goroutine sends N values on every channel through a
 * single select and another receives N from every channel through a single
 * select (a finished channel's case becomes NULL).  Everything must finish
 * and every channel must carry exactly 2N values with the right sums.
 *
 * Part 2: deadlines racing with hand-offs.  Producers offer each value with
 * a select whose deadline is a few microseconds away and retry after a
 * timeout; consumers receive with equally short deadlines.  A timed-out
 * select must not have moved its value, and a successful one must have
 * moved it exactly once: every value must be received exactly once.
 *
 * Both parts run at procs=1 and procs=2.
 */
#include "grt_test.h"

#include <stdatomic.h>
#include <stdbool.h>

#define US 1000LL

enum { NCHAN = 4 };

static grt_chan    *chans[NCHAN];
static grt_chan    *done;
static int64_t      n_per;
static atomic_llong recv_sum[NCHAN], recv_n[NCHAN];

static void plain_sender(void *arg)
{
    int i = (int)(intptr_t)arg;
    for (int64_t k = 0; k < n_per; k++) {
        int64_t v = k + 1;
        CHECK_EQ(grt_chan_send(chans[i], &v), 0);
    }
    CHECK_EQ(grt_chan_send(done, NULL), 0);
}

static void plain_receiver(void *arg)
{
    int i = (int)(intptr_t)arg;
    int64_t sum = 0;
    for (int64_t k = 0; k < n_per; k++) {
        int64_t v = 0;
        CHECK_EQ(grt_chan_recv(chans[i], &v), 0);
        sum += v;
    }
    atomic_fetch_add(&recv_sum[i], sum);
    atomic_fetch_add(&recv_n[i], n_per);
    CHECK_EQ(grt_chan_send(done, NULL), 0);
}

static void select_sender(void *arg)
{
    (void)arg;
    int64_t sent[NCHAN] = {0}, vals[NCHAN];
    grt_case cs[NCHAN];
    for (;;) {
        int live = 0;
        for (int i = 0; i < NCHAN; i++) {
            vals[i] = sent[i] + 1;
            cs[i] = (grt_case){sent[i] < n_per ? chans[i] : NULL, GRT_SEND, &vals[i], 0};
            live += sent[i] < n_per;
        }
        if (live == 0)
            break;
        int r = grt_select(cs, NCHAN, GRT_FOREVER);
        CHECK(r >= 0 && r < NCHAN);
        CHECK_EQ(cs[r].err, 0);
        sent[r]++;
    }
    CHECK_EQ(grt_chan_send(done, NULL), 0);
}

static void select_receiver(void *arg)
{
    (void)arg;
    int64_t got[NCHAN] = {0}, vals[NCHAN], sum[NCHAN] = {0};
    grt_case cs[NCHAN];
    for (;;) {
        int live = 0;
        for (int i = 0; i < NCHAN; i++) {
            vals[i] = 0;
            cs[i] = (grt_case){got[i] < n_per ? chans[i] : NULL, GRT_RECV, &vals[i], 0};
            live += got[i] < n_per;
        }
        if (live == 0)
            break;
        int r = grt_select(cs, NCHAN, GRT_FOREVER);
        CHECK(r >= 0 && r < NCHAN);
        CHECK_EQ(cs[r].err, 0);
        CHECK_GT(vals[r], 0);
        got[r]++;
        sum[r] += vals[r];
    }
    for (int i = 0; i < NCHAN; i++) {
        atomic_fetch_add(&recv_sum[i], sum[i]);
        atomic_fetch_add(&recv_n[i], got[i]);
    }
    CHECK_EQ(grt_chan_send(done, NULL), 0);
}

static void part1(void)
{
    static const size_t caps[NCHAN] = {0, 0, 2, 10};
    n_per = test_scale(20000);
    for (int i = 0; i < NCHAN; i++) {
        chans[i] = grt_chan_make(sizeof(int64_t), caps[i]);
        atomic_store(&recv_sum[i], 0);
        atomic_store(&recv_n[i], 0);
    }
    done = grt_chan_make(0, 2 * NCHAN + 2);
    for (intptr_t i = 0; i < NCHAN; i++) {
        CHECK_EQ(grt_go(plain_sender, (void *)i), 0);
        CHECK_EQ(grt_go(plain_receiver, (void *)i), 0);
    }
    CHECK_EQ(grt_go(select_sender, NULL), 0);
    CHECK_EQ(grt_go(select_receiver, NULL), 0);
    for (int i = 0; i < 2 * NCHAN + 2; i++)
        CHECK_EQ(grt_chan_recv(done, NULL), 0);
    /* each channel carried n_per values 1..n_per twice */
    for (int i = 0; i < NCHAN; i++) {
        CHECK_EQ(atomic_load(&recv_n[i]), 2 * n_per);
        CHECK_EQ(atomic_load(&recv_sum[i]), n_per * (n_per + 1));
        CHECK_EQ(grt_chan_len(chans[i]), 0);
        grt_chan_release(chans[i]);
    }
    grt_chan_release(done);
}

/* --- part 2 -------------------------------------------------------------- */

enum { PRODUCERS = 2, CONSUMERS = 4 };

static grt_chan        *dl_chan[2];
static int64_t          dl_n;
static _Atomic uint8_t *dl_seen;
static atomic_llong     dl_timeouts, dl_defaults;

/* 0 (default:) one time in eight, else 3..21 us from now */
static int64_t short_deadline(uint32_t *seed)
{
    *seed ^= *seed << 13;
    *seed ^= *seed >> 17;
    *seed ^= *seed << 5;
    uint32_t r = *seed % 8;
    if (r == 0)
        return 0; /* default: */
    return grt_now() + (int64_t)r * 3 * US;
}

static void dl_producer(void *arg)
{
    int64_t id = (int64_t)(intptr_t)arg;
    uint32_t seed = 0x9E3779B9u + (uint32_t)id;
    for (int64_t v = id; v < dl_n; v += PRODUCERS) {
        for (;;) {
            grt_case cs[2] = {{dl_chan[0], GRT_SEND, &v, 0}, {dl_chan[1], GRT_SEND, &v, 0}};
            int64_t dl = short_deadline(&seed);
            int r = grt_select(cs, 2, dl);
            if (r == -ETIMEDOUT) {
                atomic_fetch_add(dl ? &dl_timeouts : &dl_defaults, 1);
                continue;
            }
            CHECK(r == 0 || r == 1);
            CHECK_EQ(cs[r].err, 0);
            break;
        }
        /* Pause now and then, so that consumers' deadlines expire while
         * values are arriving: the race between a timer and a hand-off. */
        if (v % 16 == 0) {
            /* yield rather than sleep: a sleep is at least 1 ms once the
             * runtime blocks in epoll, while this keeps the gaps at a few
             * microseconds, like the deadlines */
            int64_t until = grt_now() + (int64_t)(seed % 16) * US;
            while (grt_now() < until)
                grt_yield();
        }
    }
    CHECK_EQ(grt_chan_send(done, NULL), 0);
}

static void dl_consumer(void *arg)
{
    uint32_t seed = 0x85EBCA6Bu + (uint32_t)(intptr_t)arg;
    bool open[2] = {true, true};
    while (open[0] || open[1]) {
        int64_t v0 = -1, v1 = -1;
        grt_case cs[2] = {{open[0] ? dl_chan[0] : NULL, GRT_RECV, &v0, 0},
                          {open[1] ? dl_chan[1] : NULL, GRT_RECV, &v1, 0}};
        int64_t dl = short_deadline(&seed);
        int r = grt_select(cs, 2, dl);
        if (r == -ETIMEDOUT) {
            CHECK_EQ(v0, -1); /* a timed-out select received nothing */
            CHECK_EQ(v1, -1);
            atomic_fetch_add(dl ? &dl_timeouts : &dl_defaults, 1);
            continue;
        }
        CHECK(r == 0 || r == 1);
        int64_t v = r == 0 ? v0 : v1;
        if (cs[r].err == -EPIPE) {
            CHECK_EQ(v, 0);
            open[r] = false;
            continue;
        }
        CHECK_EQ(cs[r].err, 0);
        CHECK(v >= 0 && v < dl_n);
        if (atomic_fetch_add(&dl_seen[v], 1) != 0)
            TEST_FAIL("value %" PRId64 " received twice", v);
    }
    CHECK_EQ(grt_chan_send(done, NULL), 0);
}

static void part2(void)
{
    dl_n = test_scale(100000);
    dl_seen = calloc((size_t)dl_n, 1);
    atomic_store(&dl_timeouts, 0);
    atomic_store(&dl_defaults, 0);
    dl_chan[0] = grt_chan_make(sizeof(int64_t), 0);
    dl_chan[1] = grt_chan_make(sizeof(int64_t), 4);
    done = grt_chan_make(0, PRODUCERS + CONSUMERS);
    for (intptr_t i = 0; i < CONSUMERS; i++)
        CHECK_EQ(grt_go(dl_consumer, (void *)i), 0);
    for (intptr_t i = 0; i < PRODUCERS; i++)
        CHECK_EQ(grt_go(dl_producer, (void *)i), 0);
    for (int i = 0; i < PRODUCERS; i++)
        CHECK_EQ(grt_chan_recv(done, NULL), 0);
    CHECK_EQ(grt_chan_close(dl_chan[0]), 0);
    CHECK_EQ(grt_chan_close(dl_chan[1]), 0);
    for (int i = 0; i < CONSUMERS; i++)
        CHECK_EQ(grt_chan_recv(done, NULL), 0);
    for (int64_t v = 0; v < dl_n; v++)
        if (atomic_load(&dl_seen[v]) != 1)
            TEST_FAIL("value %" PRId64 " received %d times", v, (int)atomic_load(&dl_seen[v]));
    printf("part2: %" PRId64 " values, %lld deadlines expired, %lld defaults taken\n", dl_n,
           (long long)atomic_load(&dl_timeouts), (long long)atomic_load(&dl_defaults));
    /* the point of the part is the race: make sure deadlines did expire */
    CHECK_GT(atomic_load(&dl_timeouts), 0);
    grt_chan_release(dl_chan[0]);
    grt_chan_release(dl_chan[1]);
    grt_chan_release(done);
    free((void *)dl_seen);
}

static void main_fn(void *arg)
{
    (void)arg;
    part1();
    part2();
}

int main(void)
{
    test_run(1, main_fn, NULL);
    test_run(2, main_fn, NULL);
    printf("ok\n");
    return 0;
}
