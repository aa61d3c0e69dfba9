/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_select_fairness: when several cases are ready, each is chosen with
 * probability 1/k.
 *
 * N = 100,000 selects over k always-ready cases; the count of each case is
 * binomial(N, 1/k), so it is checked against N/k +- 6 sigma (sigma =
 * sqrt(N p (1-p))): a correct implementation fails with probability about
 * 2e-9 per case, while a fixed or biased order (e.g. always the first ready
 * case, or a shuffle that favours one position by a few percent) is far
 * outside.  Variants: k receives on k buffered channels; a mix of ready
 * sends and receives; duplicates of one channel; NULL cases mixed in (they
 * must never be chosen); and a mix where only some cases are ready.
 */
#include "grt_test.h"

#include <math.h>
#include <stdbool.h>

#define N 100000

static void check_counts(const char *what, const int64_t *count, int k, const bool *eligible)
{
    int ready = 0;
    for (int i = 0; i < k; i++)
        ready += eligible[i];
    double p = 1.0 / ready, mean = N * p, sigma = sqrt(N * p * (1 - p));
    for (int i = 0; i < k; i++) {
        if (!eligible[i]) {
            if (count[i] != 0)
                TEST_FAIL("%s: case %d is never ready but was chosen %" PRId64 " times", what, i,
                          count[i]);
            continue;
        }
        if (fabs((double)count[i] - mean) > 6 * sigma)
            TEST_FAIL("%s: case %d chosen %" PRId64 " times of %d, expected %.0f +- %.0f", what,
                      i, count[i], N, mean, 6 * sigma);
    }
    printf("%s:", what);
    for (int i = 0; i < k; i++)
        printf(" %" PRId64, count[i]);
    printf("\n");
}

/* k buffered channels, each always holding one element: every recv case is
 * ready on every iteration; the chosen one is refilled. */
static void fair_recv(int k)
{
    grt_chan *c[8];
    grt_case cs[8];
    int64_t count[8] = {0};
    bool eligible[8];
    int v[8];
    for (int i = 0; i < k; i++) {
        c[i] = grt_chan_make(sizeof(int), 1);
        CHECK_EQ(grt_chan_send(c[i], &i), 0);
        cs[i] = (grt_case){c[i], GRT_RECV, &v[i], 0};
        eligible[i] = true;
    }
    for (int n = 0; n < N; n++) {
        int r = grt_select(cs, (size_t)k, 0);
        CHECK(r >= 0 && r < k);
        CHECK_EQ(v[r], r);
        count[r]++;
        CHECK_EQ(grt_chan_send(c[r], &r), 0);
    }
    char what[64];
    snprintf(what, sizeof what, "recv k=%d", k);
    check_counts(what, count, k, eligible);
    for (int i = 0; i < k; i++)
        grt_chan_release(c[i]);
}

/* Two ready receives, two ready sends, two NULL cases, one case on an
 * empty channel (never ready). */
static void fair_mixed(void)
{
    enum { K = 7 };
    grt_chan *full1 = grt_chan_make(sizeof(int), 1), *full2 = grt_chan_make(sizeof(int), 1);
    grt_chan *room1 = grt_chan_make(sizeof(int), 1), *room2 = grt_chan_make(sizeof(int), 1);
    grt_chan *empty = grt_chan_make(sizeof(int), 1);
    int one = 1, v = 0;
    CHECK_EQ(grt_chan_send(full1, &one), 0);
    CHECK_EQ(grt_chan_send(full2, &one), 0);
    grt_case cs[K] = {
        {NULL, GRT_RECV, &v, 0},  {full1, GRT_RECV, &v, 0}, {room1, GRT_SEND, &one, 0},
        {empty, GRT_RECV, &v, 0}, {full2, GRT_RECV, &v, 0}, {NULL, GRT_SEND, &one, 0},
        {room2, GRT_SEND, &one, 0},
    };
    bool eligible[K] = {false, true, true, false, true, false, true};
    int64_t count[K] = {0};
    for (int n = 0; n < N; n++) {
        int r = grt_select(cs, K, n % 2 ? 0 : GRT_FOREVER);
        CHECK(r >= 0 && r < K);
        count[r]++;
        /* restore the state */
        switch (r) {
        case 1: CHECK_EQ(grt_chan_send(full1, &one), 0); break;
        case 4: CHECK_EQ(grt_chan_send(full2, &one), 0); break;
        case 2: CHECK_EQ(grt_chan_recv(room1, &v), 0); break;
        case 6: CHECK_EQ(grt_chan_recv(room2, &v), 0); break;
        default: TEST_FAIL("case %d cannot be ready", r);
        }
    }
    check_counts("mixed", count, K, eligible);
    grt_chan_release(full1);
    grt_chan_release(full2);
    grt_chan_release(room1);
    grt_chan_release(room2);
    grt_chan_release(empty);
}

/* The same channel in three cases: each case equally likely. */
static void fair_duplicates(void)
{
    enum { K = 3 };
    grt_chan *c = grt_chan_make(sizeof(int), 1);
    int v = 0;
    grt_case cs[K] = {{c, GRT_RECV, &v, 0}, {c, GRT_RECV, &v, 0}, {c, GRT_RECV, &v, 0}};
    bool eligible[K] = {true, true, true};
    int64_t count[K] = {0};
    for (int n = 0; n < N; n++) {
        CHECK_EQ(grt_chan_send(c, &n), 0);
        int r = grt_select(cs, K, GRT_FOREVER);
        CHECK(r >= 0 && r < K);
        CHECK_EQ(v, n);
        count[r]++;
    }
    check_counts("duplicates", count, K, eligible);
    grt_chan_release(c);
}

static void main_fn(void *arg)
{
    (void)arg;
    fair_recv(2);
    fair_recv(3);
    fair_recv(5);
    fair_recv(8);
    fair_mixed();
    fair_duplicates();
}

int main(void)
{
    test_run(1, main_fn, NULL);
    printf("ok\n");
    return 0;
}
