/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_select_timeout: grt_select's deadline, as a timer.
 *
 *  - a select on channels that never become ready returns -ETIMEDOUT no
 *    earlier than its deadline (strict) and not very late (loose), for a
 *    range of deadlines, and with no channel at all (a sleep);
 *  - deadline 0 is Go's default: (-ETIMEDOUT at once if nothing is ready,
 *    else the ready case), and so is any deadline already past;
 *  - a channel that becomes ready before the deadline wins, with its
 *    value, long before the deadline; recv and send cases both;
 *  - the timer of a select that a channel won does not end a later
 *    select early (a stale deadline timer must be harmless);
 *  - many goroutines looping on short select timeouts at once, and a
 *    race of channels readied right at the deadline: every select returns
 *    exactly one outcome (a value received is never also lost), none early;
 *  - a blocking select outside a goroutine is -EPERM; deadline 0 works.
 */
#include "grt_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define MS (1000LL * 1000)
#define LATE_SLACK (1000 * MS)

static void check_expiry(void)
{
    grt_chan *c = grt_chan_make(sizeof(int), 0);
    grt_chan *d = grt_chan_make(sizeof(int), 4);
    CHECK(c && d);
    int v = 0;
    static const int64_t ds[] = {1, 1000, 100000, 1 * MS, 5 * MS, 30 * MS};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        grt_case cs[3] = {{c, GRT_RECV, &v, 0}, {d, GRT_RECV, &v, 0}, {NULL, GRT_SEND, &v, 0}};
        int64_t deadline = grt_now() + ds[i];
        CHECK_EQ(grt_select(cs, 3, deadline), -ETIMEDOUT);
        int64_t now = grt_now();
        CHECK_GE(now, deadline);
        CHECK_LT(now, deadline + LATE_SLACK);
        /* a send on an unbuffered channel nobody receives from */
        grt_case sc[1] = {{c, GRT_SEND, &v, 0}};
        deadline = grt_now() + ds[i];
        CHECK_EQ(grt_select(sc, 1, deadline), -ETIMEDOUT);
        CHECK_GE(grt_now(), deadline);
        /* nothing but NULL channels: a sleep until the deadline */
        grt_case nc[1] = {{NULL, GRT_RECV, &v, 0}};
        deadline = grt_now() + ds[i];
        CHECK_EQ(grt_select(nc, 1, deadline), -ETIMEDOUT);
        CHECK_GE(grt_now(), deadline);
        deadline = grt_now() + ds[i];
        CHECK_EQ(grt_select(NULL, 0, deadline), -ETIMEDOUT);
        CHECK_GE(grt_now(), deadline);
    }
    /* the timed-out selects left nothing queued on c */
    CHECK_EQ(grt_chan_trysend(c, &v), -EAGAIN);
    CHECK_EQ(grt_chan_tryrecv(c, &v), -EAGAIN);
    grt_chan_release(c);
    grt_chan_release(d);
}

static void check_default(void)
{
    grt_chan *c = grt_chan_make(sizeof(int), 1);
    CHECK(c != NULL);
    int v = 0;
    grt_case cs[1] = {{c, GRT_RECV, &v, 0}};
    /* deadline 0 and past deadlines: never block */
    static const int64_t past[] = {0, 1, 1000};
    for (size_t i = 0; i < sizeof past / sizeof past[0]; i++) {
        int64_t t0 = grt_now();
        for (int k = 0; k < 1000; k++)
            CHECK_EQ(grt_select(cs, 1, past[i]), -ETIMEDOUT);
        CHECK_LT(grt_now() - t0, LATE_SLACK);
    }
    int64_t t0 = grt_now();
    CHECK_EQ(grt_select(cs, 1, grt_now() - 1), -ETIMEDOUT);
    CHECK_EQ(grt_select(NULL, 0, 0), -ETIMEDOUT);
    CHECK_EQ(grt_select(NULL, 0, grt_now()), -ETIMEDOUT);
    CHECK_LT(grt_now() - t0, LATE_SLACK);
    /* with a ready case, default: takes it */
    int one = 41;
    CHECK_EQ(grt_chan_send(c, &one), 0);
    CHECK_EQ(grt_select(cs, 1, 0), 0);
    CHECK_EQ(v, 41);
    /* a ready send with deadline 0 */
    grt_case sc[1] = {{c, GRT_SEND, &one, 0}};
    CHECK_EQ(grt_select(sc, 1, 0), 0);
    CHECK_EQ(grt_chan_len(c), 1);
    CHECK_EQ(grt_select(sc, 1, 0), -ETIMEDOUT); /* now full */
    grt_chan_release(c);
}

/* --- a channel that becomes ready first wins ---------------------------- */

typedef struct {
    grt_chan *c;
    int64_t   delay;
    int       value;
    int       op; /* what the helper does: GRT_SEND or GRT_RECV */
    grt_waitgroup *wg;
} helper_arg;

static void helper(void *p)
{
    helper_arg *a = p;
    grt_sleep(a->delay);
    if (a->op == GRT_SEND) {
        CHECK_EQ(grt_chan_send(a->c, &a->value), 0);
    } else {
        int v = 0;
        CHECK_EQ(grt_chan_recv(a->c, &v), 0);
        a->value = v;
    }
    grt_waitgroup_done(a->wg);
}

static void check_ready_wins(void)
{
    grt_chan *c = grt_chan_make(sizeof(int), 0);
    grt_chan *never = grt_chan_make(sizeof(int), 0);
    CHECK(c && never);

    /* recv: the sender arrives after 20 ms, the deadline is 5 s away */
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    helper_arg h = {c, 20 * MS, 1234, GRT_SEND, &wg};
    CHECK_EQ(grt_waitgroup_add(&wg, 1), 0);
    int v = 0;
    int64_t t0 = grt_now();
    CHECK_EQ(grt_go(helper, &h), 0);
    grt_case cs[2] = {{never, GRT_RECV, &v, 0}, {c, GRT_RECV, &v, 0}};
    CHECK_EQ(grt_select(cs, 2, t0 + 5000 * MS), 1);
    CHECK_EQ(v, 1234);
    CHECK_EQ(cs[1].err, 0);
    int64_t won_at = grt_now();
    CHECK_GE(won_at - t0, 20 * MS);
    CHECK_LT(won_at - t0, 4000 * MS);

    /* The won select's timer (due at t0 + 5 s) was cancelled.  A stale
     * timer of an earlier select must not end this one: deadline 120 ms,
     * and the earlier select's deadline was 100 ms. */
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    h = (helper_arg){c, 5 * MS, 99, GRT_SEND, &wg};
    CHECK_EQ(grt_waitgroup_add(&wg, 1), 0);
    t0 = grt_now();
    CHECK_EQ(grt_go(helper, &h), 0);
    CHECK_EQ(grt_select(cs, 2, t0 + 100 * MS), 1);
    CHECK_EQ(v, 99);
    int64_t deadline = grt_now() + 120 * MS;
    CHECK_EQ(grt_select(cs, 2, deadline), -ETIMEDOUT);
    CHECK_GE(grt_now(), deadline);

    /* send: a receiver arrives after 20 ms */
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    helper_arg r = {c, 20 * MS, 0, GRT_RECV, &wg};
    CHECK_EQ(grt_waitgroup_add(&wg, 1), 0);
    int out = 777;
    t0 = grt_now();
    CHECK_EQ(grt_go(helper, &r), 0);
    grt_case sc[2] = {{never, GRT_SEND, &out, 0}, {c, GRT_SEND, &out, 0}};
    CHECK_EQ(grt_select(sc, 2, t0 + 5000 * MS), 1);
    CHECK_LT(grt_now() - t0, 4000 * MS);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0); /* the helper stored what it got */
    CHECK_EQ(r.value, 777);

    /* a close before the deadline wins too (err -EPIPE) */
    grt_chan *cl = grt_chan_make(sizeof(int), 0);
    CHECK(cl != NULL);
    grt_case cc[1] = {{cl, GRT_RECV, &v, 0}};
    CHECK_EQ(grt_chan_close(cl), 0);
    CHECK_EQ(grt_select(cc, 1, grt_now() + 5000 * MS), 0);
    CHECK_EQ(cc[0].err, -EPIPE);
    grt_chan_release(cl);
    grt_chan_release(c);
    grt_chan_release(never);
}

/* --- many at once -------------------------------------------------------- */

typedef struct {
    int            iters;
    uint64_t       seed;
    grt_chan      *c; /* buffered; a feeder sends now and then */
    atomic_long   *got, *early;
    grt_waitgroup *wg;
} loop_arg;

static void timeout_loop(void *p)
{
    loop_arg *a = p;
    for (int i = 0; i < a->iters; i++) {
        a->seed ^= a->seed << 13, a->seed ^= a->seed >> 7, a->seed ^= a->seed << 17;
        int64_t deadline = grt_now() + (int64_t)(a->seed % (2 * MS));
        long v = 0;
        grt_case cs[1] = {{a->c, GRT_RECV, &v, 0}};
        int r = grt_select(cs, 1, deadline);
        if (r == 0) {
            CHECK_EQ(cs[0].err, 0);
            CHECK_GT(v, 0);
            atomic_fetch_add(a->got, v);
        } else {
            CHECK_EQ(r, -ETIMEDOUT);
            if (grt_now() < deadline)
                atomic_fetch_add(a->early, 1);
        }
    }
    grt_waitgroup_done(a->wg);
}

typedef struct {
    grt_chan *c;
    int       n;
    long      sent;
    grt_waitgroup wg;
} feeder_arg;

static void feeder(void *p)
{
    feeder_arg *f = p;
    for (int i = 1; i <= f->n; i++) {
        long v = i;
        /* sends land right around the receivers' deadlines */
        grt_sleep((i % 5) * 100000);
        CHECK_EQ(grt_chan_send(f->c, &v), 0);
        f->sent += v;
    }
    grt_waitgroup_done(&f->wg);
}

static void check_many(void)
{
    enum { NW = 64 };
    grt_chan *c = grt_chan_make(sizeof(long), 1);
    CHECK(c != NULL);
    atomic_long got = 0, early = 0;
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    loop_arg la[NW];
    feeder_arg fa = {c, (int)test_scale(2000), 0, GRT_WAITGROUP_INIT};
    CHECK_EQ(grt_waitgroup_add(&fa.wg, 1), 0);
    int iters = (int)test_scale(300);
    CHECK_EQ(grt_waitgroup_add(&wg, NW), 0);
    for (int i = 0; i < NW; i++) {
        la[i] = (loop_arg){iters, 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 7), c, &got, &early, &wg};
        CHECK_EQ(grt_go(timeout_loop, &la[i]), 0);
    }
    CHECK_EQ(grt_go(feeder, &fa), 0);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    CHECK_EQ(atomic_load(&early), 0);
    /* Drain what the receivers left: every value sent was received once.
     * The feeder may still be blocked on a send; receive until its sum is
     * accounted for. */
    int64_t t0 = grt_now();
    for (;;) {
        long v;
        grt_case cs[1] = {{c, GRT_RECV, &v, 0}};
        if (grt_select(cs, 1, grt_now() + 50 * MS) == 0)
            atomic_fetch_add(&got, v);
        long want = (long)fa.n * (fa.n + 1) / 2;
        if (atomic_load(&got) == want)
            break;
        CHECK_LE(atomic_load(&got), want);
        CHECK_LT(grt_now() - t0, 10 * LATE_SLACK);
    }
    CHECK_EQ(grt_waitgroup_wait(&fa.wg), 0);
    CHECK_EQ(fa.sent, (long)fa.n * (fa.n + 1) / 2);
    grt_chan_release(c);
}

/* --- outside a goroutine ----------------------------------------------- */

static grt_chan *foreign_c;

static void *foreign_main(void *arg)
{
    (void)arg;
    int v;
    grt_case cs[1] = {{foreign_c, GRT_RECV, &v, 0}};
    CHECK_EQ(grt_select(cs, 1, grt_now() + 10 * MS), -EPERM);
    CHECK_EQ(grt_select(cs, 1, GRT_FOREVER), -EPERM);
    CHECK_EQ(grt_select(NULL, 0, grt_now() + 10 * MS), -EPERM);
    CHECK_EQ(grt_select(cs, 1, 0), -ETIMEDOUT);
    int one = 5;
    CHECK_EQ(grt_chan_trysend(foreign_c, &one), 0);
    CHECK_EQ(grt_select(cs, 1, 0), 0);
    CHECK_EQ(v, 5);
    return NULL;
}

static void check_foreign(void)
{
    foreign_c = grt_chan_make(sizeof(int), 1);
    CHECK(foreign_c != NULL);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, foreign_main, NULL), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    grt_chan_release(foreign_c);
}

static void main_fn(void *arg)
{
    (void)arg;
    check_expiry();
    check_default();
    check_ready_wins();
    check_many();
    check_foreign();
}

int main(void)
{
    test_run(2, main_fn, NULL);
    test_run(1, main_fn, NULL);
    printf("test_select_timeout: ok\n");
    return 0;
}
