/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_runnext: Go's runnext ordering at procs=1.
 *
 * newproc puts the new goroutine in the P's runnext slot and kicks the one
 * that was there to the TAIL of the local ring.  So when the running
 * goroutine spawns A, B, C and then yields:
 *
 *     spawn A:  runnext=A  ring=[]
 *     spawn B:  runnext=B  ring=[A]
 *     spawn C:  runnext=C  ring=[A B]
 *     yield:    the yielder goes behind them (Gosched: global queue)
 *
 * and they run C, A, B: the last spawned first, then the others in spawn
 * order.  In general, spawning 0..K-1 runs K-1, 0, 1, ..., K-2.
 *
 * Checked from main and from a non-main goroutine, several rounds, K = 3
 * and K = 6.  Built with -DGRT_SMALL_RUNQ (a 4-slot ring and a randomised
 * runnext) the order is not specified: there only "each ran exactly once"
 * is checked.
 */
#include <stdatomic.h>

#include "grt_test.h"

#define MAXK 8

static int order[MAXK]; /* procs=1: only one goroutine runs at a time */
static atomic_int norder;
static atomic_int nfinished; /* bumped after order[] and ran[] are written */
static int ran[MAXK];

static void record(void *arg)
{
    int i = (int)(intptr_t)arg;
    int k = atomic_fetch_add(&norder, 1);
    CHECK_LT(k, MAXK);
    order[k] = i;
    ran[i]++;
    atomic_fetch_add_explicit(&nfinished, 1, memory_order_release);
}

static void format(char *buf, size_t n, const int *v, int k)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < k && len + 4 < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%d", i ? " " : "", v[i]);
}

/* Spawn 0..k-1, yield until all ran, check the order. */
static void one_round(int k, const char *who)
{
    atomic_store(&norder, 0);
    atomic_store(&nfinished, 0);
    memset(ran, 0, sizeof ran);
    memset(order, -1, sizeof order);
    for (int i = 0; i < k; i++)
        CHECK_EQ(grt_go(record, (void *)(intptr_t)i), 0);
    int64_t deadline = test_now_ns() + 20 * 1000000000LL;
    while (atomic_load_explicit(&nfinished, memory_order_acquire) < k) {
        if (test_now_ns() > deadline)
            TEST_FAIL("%s: only %d of %d goroutines ran", who, atomic_load(&nfinished), k);
        grt_yield();
    }
    for (int i = 0; i < k; i++)
        CHECK_EQ(ran[i], 1);

    int want[MAXK];
    want[0] = k - 1;
    for (int i = 1; i < k; i++)
        want[i] = i - 1;
    char got_s[64], want_s[64];
    format(got_s, sizeof got_s, order, k);
    format(want_s, sizeof want_s, want, k);
#ifdef GRT_SMALL_RUNQ
    printf("  %s K=%d: ran %s (order not checked: GRT_SMALL_RUNQ)\n", who, k, got_s);
#else
    if (memcmp(order, want, (size_t)k * sizeof(int)) != 0)
        TEST_FAIL("%s K=%d: goroutines ran in order [%s], runnext semantics want [%s]", who, k,
                  got_s, want_s);
#endif
}

static atomic_int sub_done;

static void sub_main(void *arg)
{
    (void)arg;
    for (int r = 0; r < 3; r++) {
        one_round(3, "goroutine");
        one_round(6, "goroutine");
    }
    atomic_store(&sub_done, 1);
}

static void main_fn(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_procs(0), 1);
    for (int r = 0; r < 3; r++) {
        one_round(3, "main");
        one_round(6, "main");
    }
    /* The same from a goroutine other than main (main just waits). */
    CHECK_EQ(grt_go(sub_main, NULL), 0);
    int64_t deadline = test_now_ns() + 20 * 1000000000LL;
    while (!atomic_load(&sub_done)) {
        if (test_now_ns() > deadline)
            TEST_FAIL("sub_main did not finish");
        grt_yield();
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_run(1, main_fn, NULL);
    printf("ok\n");
    return 0;
}
