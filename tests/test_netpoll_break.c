/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_netpoll_break - the poller's wake-up (src/netpoll.h) is owed to the
 * poll that blocks, and nothing else may take it.
 *
 * An M that arms a timer while another M blocks in the poller breaks the
 * poll so that it looks at the timers again.  Breaks coalesce: a break
 * still pending is not written twice.  If a non-blocking poll (a spinning
 * M's, sysmon's) drained the pending break, a breaker that came in between
 * wrote nothing and the blocked poller slept on with a timer nobody would
 * run: test_dgram hung that way under TSan.  The rule is Go's: only a
 * blocking poll drains a break.
 *
 * Driven directly, without the scheduler (which polls by itself): a break,
 * any number of non-blocking polls, then a blocking poll that must return
 * at once; a blocking poll after it must wait its whole delay (the break
 * was drained, not left to spin the poller); and the same with the
 * non-blocking polls racing on another thread, many rounds.
 */
#include "grt_test.h"

#include <pthread.h>
#include <stdatomic.h>

struct g;
/* Internal (src/netpoll.h); linked from the static library. */
int       grt__netpoll_init(void);
void      grt__netpoll_fini(void);
void      grt__netpoll_break(void);
struct g *grt__netpoll(int64_t delay, int32_t *n);

#define MS (1000LL * 1000)

/* A blocking poll of up to `delay`: how long it took. */
static int64_t blocking_poll(int64_t delay)
{
    int32_t n = -1;
    int64_t t0 = test_now_ns();
    struct g *list = grt__netpoll(delay, &n);
    int64_t took = test_now_ns() - t0;
    CHECK(list == NULL);
    CHECK_EQ(n, 0);
    return took;
}

static void nonblocking_polls(int k)
{
    for (int i = 0; i < k; i++) {
        int32_t n = -1;
        CHECK(grt__netpoll(0, &n) == NULL);
        CHECK_EQ(n, 0);
    }
}

static atomic_int spam_stop;

static void *spammer(void *arg)
{
    (void)arg;
    while (!atomic_load(&spam_stop))
        nonblocking_polls(1);
    return NULL;
}

int main(void)
{
    CHECK_EQ(grt__netpoll_init(), 0);

    /* Nothing pending: a blocking poll waits its delay. */
    CHECK_GE(blocking_poll(50 * MS), 40 * MS);

    /* A break survives non-blocking polls and ends the next blocking one. */
    grt__netpoll_break();
    nonblocking_polls(3);
    CHECK_LT(blocking_poll(5000 * MS), 2000 * MS);
    /* ...which drained it. */
    CHECK_GE(blocking_poll(50 * MS), 40 * MS);

    /* Two breaks before a poll are one wake-up. */
    grt__netpoll_break();
    grt__netpoll_break();
    CHECK_LT(blocking_poll(5000 * MS), 2000 * MS);
    CHECK_GE(blocking_poll(50 * MS), 40 * MS);

    /* Non-blocking polls racing on another thread, as sysmon's and
     * spinning Ms' do beside the blocked poller. */
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, spammer, NULL), 0);
    for (int round = 0; round < 300; round++) {
        grt__netpoll_break();
        CHECK_LT(blocking_poll(5000 * MS), 2000 * MS);
    }
    atomic_store(&spam_stop, 1);
    pthread_join(t, NULL);
    CHECK_GE(blocking_poll(50 * MS), 40 * MS);

    grt__netpoll_fini();
    printf("ok\n");
    return 0;
}
