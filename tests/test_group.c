/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_group: grt_group, errgroup.WithContext with SetLimit.
 *
 *  - every member runs under the group's context; wait returns 0 when all
 *    succeed and then cancels the context;
 *  - the first failure wins: its result is wait's, and it cancels the
 *    siblings' blocking calls (-ECANCELED);
 *  - grt_group_go after the context ended returns its error and does not
 *    run fn;
 *  - limit: never more than n members at once, and grt_group_go blocks
 *    while n run; grt_group_limit while members run is -EBUSY;
 *  - grt_group_wait is not interrupted by the caller's context;
 *  - the parent's cancel reaches the members;
 *  - bad input: NULL everywhere, NULL fn.
 */
#include "grt_test.h"

#include <stdatomic.h>

#define MS GRT_MILLISECOND

static grt_group *grp;
static atomic_int ran, running, max_running;

static int ok_member(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_ctx_current(), grt_group_ctx(grp));
    atomic_fetch_add(&ran, 1);
    return 0;
}

static int sleeper(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ran, 1);
    return grt_sleep(3600 * GRT_SECOND); /* -ECANCELED when a sibling fails */
}

static int failer(void *arg)
{
    grt_sleep(20 * MS);
    return (int)(intptr_t)arg;
}

static int never(void *arg)
{
    (void)arg;
    TEST_FAIL("a member ran after its group's context ended");
}

static void check_ok(void)
{
    atomic_store(&ran, 0);
    grp = grt_group_new(NULL);
    CHECK(grp != NULL);
    grt_ctx *gc = grt_group_ctx(grp);
    CHECK(gc != NULL);
    for (int i = 0; i < 50; i++)
        CHECK_EQ(grt_group_go(grp, ok_member, NULL), 0);
    CHECK_EQ(grt_group_wait(grp), 0);
    CHECK_EQ(atomic_load(&ran), 50);
    CHECK_EQ(grt_ctx_err(gc), -ECANCELED); /* wait cancels it */
    CHECK_EQ(grt_group_go(grp, never, NULL), -ECANCELED);
    CHECK_EQ(grt_group_wait(grp), 0); /* again: nothing to wait for */
    grt_group_free(grp);
}

static void check_first_error(void)
{
    atomic_store(&ran, 0);
    grp = grt_group_new(NULL);
    for (int i = 0; i < 10; i++)
        CHECK_EQ(grt_group_go(grp, sleeper, NULL), 0);
    CHECK_EQ(grt_group_go(grp, failer, (void *)(intptr_t)-EIO), 0);
    int64_t t0 = grt_now();
    CHECK_EQ(grt_group_wait(grp), -EIO); /* the failure, not the siblings' -ECANCELED */
    CHECK_LT(grt_now() - t0, 10 * GRT_SECOND);
    CHECK_EQ(atomic_load(&ran), 10);
    CHECK_EQ(grt_ctx_err(grt_group_ctx(grp)), -ECANCELED);
    CHECK_EQ(grt_group_go(grp, never, NULL), -ECANCELED);
    grt_group_free(grp);

    /* two failures: the first one's result */
    grp = grt_group_new(NULL);
    CHECK_EQ(grt_group_go(grp, failer, (void *)(intptr_t)7), 0);
    CHECK_EQ(grt_chan_recv(grt_ctx_done(grt_group_ctx(grp)), NULL), -EPIPE); /* 7 failed */
    CHECK_EQ(grt_group_go(grp, failer, (void *)(intptr_t)8), -ECANCELED);
    CHECK_EQ(grt_group_wait(grp), 7);
    grt_group_free(grp);
}

static int limited(void *arg)
{
    (void)arg;
    int r = atomic_fetch_add(&running, 1) + 1;
    int m = atomic_load(&max_running);
    while (r > m && !atomic_compare_exchange_weak(&max_running, &m, r)) {
    }
    grt_sleep(2 * MS);
    atomic_fetch_sub(&running, 1);
    return 0;
}

static int blocker(void *arg)
{
    grt_chan *c = arg;
    CHECK_EQ(grt_chan_recv(c, NULL), 0);
    return 0;
}

static void check_limit(void)
{
    atomic_store(&max_running, 0);
    grp = grt_group_new(NULL);
    CHECK_EQ(grt_group_limit(grp, 3), 0);
    for (int i = 0; i < 30; i++)
        CHECK_EQ(grt_group_go(grp, limited, NULL), 0);
    CHECK_EQ(grt_group_limit(grp, 5), -EBUSY); /* members may still run */
    CHECK_EQ(grt_group_wait(grp), 0);
    CHECK_LE(atomic_load(&max_running), 3);
    CHECK_GE(atomic_load(&max_running), 1);
    grt_group_free(grp);

    /* go blocks while the limit is reached, and the caller's context
     * interrupts that wait */
    grp = grt_group_new(NULL);
    CHECK_EQ(grt_group_limit(grp, 1), 0);
    grt_chan *c = grt_chan_make(0, 1);
    CHECK_EQ(grt_group_go(grp, blocker, c), 0);
    grt_ctx *mine = grt_ctx_with_deadline(NULL, grt_now() + 30 * MS);
    grt_ctx *old = grt_ctx_swap(mine);
    int64_t t0 = grt_now();
    CHECK_EQ(grt_group_go(grp, never, NULL), -ETIMEDOUT);
    CHECK_GE(grt_now() - t0, 20 * MS);
    grt_ctx_swap(old);
    grt_ctx_release(mine);
    CHECK_EQ(grt_chan_send(c, NULL), 0);
    CHECK_EQ(grt_group_wait(grp), 0);
    CHECK_EQ(grt_group_limit(grp, 0), 0); /* nobody runs: allowed */
    grt_chan_release(c);
    grt_group_free(grp);
}

/* wait is not interrupted by the caller's context; the parent's cancel
 * reaches the members. */
static void check_wait_not_interrupted(void)
{
    grt_ctx *parent = grt_ctx_with_cancel(NULL);
    grt_ctx *old = grt_ctx_swap(parent);
    grp = grt_group_new(NULL); /* NULL: under the caller's context */
    grt_chan *c = grt_chan_make(0, 1);
    CHECK_EQ(grt_group_go(grp, blocker, c), 0);
    grt_ctx *mine = grt_ctx_with_deadline(NULL, grt_now() + 20 * MS); /* child of parent */
    grt_ctx_swap(mine);
    grt_timer *t = grt_timer_new(60 * MS, 0);
    CHECK_EQ(grt_group_go(grp, blocker, grt_timer_chan(t)), 0);
    /* release the first blocker after our own deadline has passed */
    CHECK_EQ(grt_sleep(40 * MS), -ETIMEDOUT);
    grt_ctx_swap(grt_ctx_background());
    CHECK_EQ(grt_chan_send(c, NULL), 0);
    grt_ctx_swap(mine);
    CHECK_EQ(grt_group_wait(grp), 0); /* waits for the timer's member, not -ETIMEDOUT */
    CHECK_EQ(grt_ctx_current(), mine);
    grt_ctx_swap(old);
    grt_group_free(grp);
    grt_timer_free(t);
    grt_ctx_release(mine);

    /* a cancel of the parent reaches the members */
    grt_ctx_swap(parent);
    grp = grt_group_new(NULL);
    grt_ctx_swap(old);
    atomic_store(&ran, 0);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(grt_group_go(grp, sleeper, NULL), 0);
    grt_sleep(10 * MS);
    CHECK_EQ(grt_ctx_cancel(parent), 0);
    CHECK_EQ(grt_group_wait(grp), -ECANCELED); /* the members returned it */
    grt_group_free(grp);
    grt_ctx_release(parent);
    grt_chan_release(c);
}

static void check_bad_input(void)
{
    errno = 0;
    CHECK(grt_group_ctx(NULL) == NULL);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(grt_group_limit(NULL, 1), -EINVAL);
    CHECK_EQ(grt_group_go(NULL, ok_member, NULL), -EINVAL);
    CHECK_EQ(grt_group_wait(NULL), -EINVAL);
    grt_group_free(NULL);
    grp = grt_group_new(grt_ctx_background());
    CHECK_EQ(grt_group_go(grp, NULL, NULL), -EINVAL);
    CHECK_EQ(grt_group_limit(grp, -3), 0); /* n <= 0: no limit */
    CHECK_EQ(grt_group_wait(grp), 0);
    grt_group_free(grp);
}

static void main_fn(void *arg)
{
    (void)arg;
    check_ok();
    check_first_error();
    check_limit();
    check_wait_not_interrupted();
    check_bad_input();
}

int main(void)
{
    /* Outside goroutines: a group with no members can be waited for. */
    grt_group *g = grt_group_new(NULL);
    CHECK(g != NULL);
    CHECK_EQ(grt_group_wait(g), 0);
    CHECK_EQ(grt_group_go(g, ok_member, NULL), -ECANCELED);
    grt_group_free(g);
    test_run(1, main_fn, NULL);
    test_run(2, main_fn, NULL);
    printf("ok\n");
    return 0;
}
