/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_select_basic: grt_select's contract, case by case.
 *
 *  - bad arguments (-EINVAL) consume nothing, even with a ready case;
 *  - deadline 0 (default:) and deadlines in the past never block;
 *  - n == 0 and all-NULL cases: -ETIMEDOUT at once, after the deadline, or
 *    never (a goroutine in select {} stays parked);
 *  - a finite deadline times out no earlier than the deadline, and a case
 *    that becomes ready first wins; the timer of a won select does not
 *    disturb what the goroutine does next;
 *  - send and receive cases rendezvous with blocked partners and with
 *    other selects, buffered cases use the buffer;
 *  - closed channels: recv case err -EPIPE with a zeroed element, send
 *    case err -EPIPE; close wakes a blocked select;
 *  - duplicate channels, send and receive on the same channel (a select
 *    never talks to itself), and no sudog left behind on any channel
 *    (afterwards a trysend on an unbuffered channel with no receiver must
 *    say -EAGAIN);
 *  - outside a goroutine: non-blocking selects work, blocking ones -EPERM.
 */
#include "grt_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define MS (1000LL * 1000)

static void check_bad_args(void)
{
    grt_chan *c = grt_chan_make(sizeof(int), 1);
    int v = 1, out = 0;
    CHECK_EQ(grt_chan_send(c, &v), 0);
    CHECK_EQ(grt_select(NULL, 1, 0), -EINVAL);
    CHECK_EQ(grt_select(NULL, 3, GRT_FOREVER), -EINVAL);
    grt_case bad_op[2] = {{c, GRT_RECV, &out, 0}, {c, 0, &out, 0}};
    CHECK_EQ(grt_select(bad_op, 2, 0), -EINVAL);
    bad_op[1].op = 3;
    CHECK_EQ(grt_select(bad_op, 2, GRT_FOREVER), -EINVAL);
    bad_op[1].op = GRT_SEND | GRT_RECV;
    CHECK_EQ(grt_select(bad_op, 2, GRT_FOREVER), -EINVAL);
    /* a send of NULL on a channel with an element size */
    grt_case bad_elem[2] = {{c, GRT_RECV, &out, 0}, {c, GRT_SEND, NULL, 0}};
    CHECK_EQ(grt_select(bad_elem, 2, 0), -EINVAL);
    /* a NULL op on a NULL channel is still a bad op */
    grt_case bad_nil[1] = {{NULL, 7, NULL, 0}};
    CHECK_EQ(grt_select(bad_nil, 1, 0), -EINVAL);
    /* nothing was consumed */
    CHECK_EQ(out, 0);
    CHECK_EQ(grt_chan_len(c), 1);
    CHECK_EQ(grt_chan_recv(c, &out), 0);
    CHECK_EQ(out, 1);
    grt_chan_release(c);
}

static void check_nonblocking(void)
{
    grt_chan *c = grt_chan_make(sizeof(int), 1);
    int v = 0;
    grt_case cs[2] = {{c, GRT_RECV, &v, 0}, {NULL, GRT_SEND, &v, 0}};
    int64_t t0 = grt_now();
    CHECK_EQ(grt_select(cs, 2, 0), -ETIMEDOUT);
    CHECK_EQ(grt_select(cs, 2, 1), -ETIMEDOUT);           /* long past */
    CHECK_EQ(grt_select(cs, 2, grt_now() - 1), -ETIMEDOUT);
    CHECK_EQ(grt_select(cs, 2, -5), -ETIMEDOUT);          /* negative, not FOREVER */
    CHECK_EQ(grt_select(NULL, 0, 0), -ETIMEDOUT);
    CHECK_EQ(grt_select(cs + 1, 1, 0), -ETIMEDOUT);       /* only a NULL channel */
    CHECK_LT(grt_now() - t0, 1000 * MS);
    int w = 17;
    CHECK_EQ(grt_chan_send(c, &w), 0);
    CHECK_EQ(grt_select(cs, 2, 0), 0);
    CHECK_EQ(cs[0].err, 0);
    CHECK_EQ(v, 17);
    /* a ready send case under default: */
    grt_case sc[1] = {{c, GRT_SEND, &w, 0}};
    CHECK_EQ(grt_select(sc, 1, 0), 0);
    CHECK_EQ(grt_select(sc, 1, 0), -ETIMEDOUT); /* now full */
    CHECK_EQ(grt_chan_len(c), 1);
    grt_chan_release(c);
}

static void check_timeouts(void)
{
    int64_t t0 = grt_now();
    CHECK_EQ(grt_select(NULL, 0, t0 + 20 * MS), -ETIMEDOUT);
    CHECK_GE(grt_now() - t0, 20 * MS);

    grt_case nils[2] = {{NULL, GRT_RECV, NULL, 0}, {NULL, GRT_SEND, NULL, 0}};
    t0 = grt_now();
    CHECK_EQ(grt_select(nils, 2, t0 + 20 * MS), -ETIMEDOUT);
    CHECK_GE(grt_now() - t0, 20 * MS);

    grt_chan *c = grt_chan_make(sizeof(int), 0);
    int v = 3;
    grt_case cs[2] = {{c, GRT_RECV, &v, 0}, {c, GRT_SEND, &v, 0}};
    for (int i = 0; i < 5; i++) {
        t0 = grt_now();
        /* a select never matches its own send and receive */
        CHECK_EQ(grt_select(cs, 2, t0 + 10 * MS), -ETIMEDOUT);
        int64_t dt = grt_now() - t0;
        CHECK_GE(dt, 10 * MS);
        CHECK_LT(dt, 5000 * MS);
        CHECK_EQ(v, 3);
    }
    /* no sudog was left behind on either queue */
    CHECK_EQ(grt_chan_trysend(c, &v), -EAGAIN);
    CHECK_EQ(grt_chan_tryrecv(c, &v), -EAGAIN);
    grt_chan_release(c);
}

/* --- wake-ups ------------------------------------------------------------ */

struct delayed {
    grt_chan *c;
    int64_t   delay;
    int       value;
    int       op; /* GRT_SEND: send value; GRT_RECV: receive into value */
    bool      close;
};

static void delayed_fn(void *arg)
{
    struct delayed *d = arg;
    grt_sleep(d->delay);
    if (d->close)
        CHECK_EQ(grt_chan_close(d->c), 0);
    else if (d->op == GRT_SEND)
        CHECK_EQ(grt_chan_send(d->c, &d->value), 0);
    else
        CHECK_EQ(grt_chan_recv(d->c, &d->value), 0);
}

static void check_wakeups(void)
{
    grt_chan *a = grt_chan_make(sizeof(int), 0), *b = grt_chan_make(sizeof(int), 0);
    int va = -1, vb = -1;

    /* recv case woken by a sender, well before the deadline */
    struct delayed d = {b, 5 * MS, 42, GRT_SEND, false};
    CHECK_EQ(grt_go(delayed_fn, &d), 0);
    grt_case cs[3] = {{a, GRT_RECV, &va, 0}, {b, GRT_RECV, &vb, 0}, {NULL, GRT_RECV, NULL, 0}};
    int64_t t0 = grt_now();
    CHECK_EQ(grt_select(cs, 3, t0 + 10000 * MS), 1);
    CHECK_LT(grt_now() - t0, 5000 * MS);
    CHECK_EQ(vb, 42);
    CHECK_EQ(va, -1);
    CHECK_EQ(cs[1].err, 0);

    /* The deadline timer of that select must not wake us later: park on
     * something else for longer than its deadline would have been (a
     * stray wake-up is a fatal "spurious wakeup" in chan.c). */
    struct delayed d2 = {a, 30 * MS, 7, GRT_SEND, false};
    grt_case cs2[1] = {{b, GRT_RECV, &vb, 0}};
    CHECK_EQ(grt_go(delayed_fn, &d2), 0);
    CHECK_EQ(grt_select(cs2, 1, grt_now() + 5 * MS), -ETIMEDOUT);
    CHECK_EQ(grt_chan_recv(a, &va), 0); /* its own park, woken only by d2 */
    CHECK_EQ(va, 7);

    /* send case woken by a receiver */
    struct delayed d3 = {a, 5 * MS, 0, GRT_RECV, false};
    CHECK_EQ(grt_go(delayed_fn, &d3), 0);
    int out = 99;
    grt_case sc[2] = {{b, GRT_RECV, &vb, 0}, {a, GRT_SEND, &out, 0}};
    CHECK_EQ(grt_select(sc, 2, GRT_FOREVER), 1);
    grt_sleep(10 * MS);
    CHECK_EQ(d3.value, 99);

    /* close wakes a blocked select: recv gets -EPIPE and a zeroed element */
    struct delayed d4 = {b, 5 * MS, 0, 0, true};
    CHECK_EQ(grt_go(delayed_fn, &d4), 0);
    vb = 1234;
    grt_case rc[2] = {{a, GRT_SEND, &out, 0}, {b, GRT_RECV, &vb, 0}};
    CHECK_EQ(grt_select(rc, 2, GRT_FOREVER), 1);
    CHECK_EQ(rc[1].err, -EPIPE);
    CHECK_EQ(rc[0].err, 0);
    CHECK_EQ(vb, 0);

    /* close wakes a blocked send case with -EPIPE */
    struct delayed d5 = {a, 5 * MS, 0, 0, true};
    CHECK_EQ(grt_go(delayed_fn, &d5), 0);
    grt_chan *never = grt_chan_make(sizeof(int), 0);
    grt_case sc2[2] = {{never, GRT_RECV, &va, 0}, {a, GRT_SEND, &out, 0}};
    CHECK_EQ(grt_select(sc2, 2, GRT_FOREVER), 1);
    CHECK_EQ(sc2[1].err, -EPIPE);

    /* closed channels are ready at once */
    va = 5;
    grt_case cl[1] = {{a, GRT_RECV, &va, 0}};
    CHECK_EQ(grt_select(cl, 1, 0), 0);
    CHECK_EQ(cl[0].err, -EPIPE);
    CHECK_EQ(va, 0);
    grt_case cl2[1] = {{a, GRT_SEND, &out, 0}};
    CHECK_EQ(grt_select(cl2, 1, GRT_FOREVER), 0);
    CHECK_EQ(cl2[0].err, -EPIPE);
    /* a receive with a NULL element discards */
    grt_case cl3[1] = {{b, GRT_RECV, NULL, 0}};
    CHECK_EQ(grt_select(cl3, 1, 0), 0);
    CHECK_EQ(cl3[0].err, -EPIPE);

    CHECK_EQ(grt_chan_trysend(never, &out), -EAGAIN);
    grt_chan_release(never);
    grt_chan_release(a);
    grt_chan_release(b);
}

/* --- select against select ---------------------------------------------- */

static void select_sender(void *arg)
{
    grt_chan **cs = arg;
    for (int i = 0; i < 1000; i++) {
        grt_case c[2] = {{cs[0], GRT_SEND, &i, 0}, {cs[1], GRT_SEND, &i, 0}};
        int r = grt_select(c, 2, GRT_FOREVER);
        CHECK(r == 0 || r == 1);
    }
}

static void check_select_pair(void)
{
    grt_chan *x = grt_chan_make(sizeof(int), 0), *y = grt_chan_make(sizeof(int), 0);
    grt_chan *cs[2] = {x, y};
    CHECK_EQ(grt_go(select_sender, cs), 0);
    for (int i = 0; i < 1000; i++) {
        int v = -1, w = -1;
        grt_case c[3] = {{y, GRT_RECV, &v, 0}, {x, GRT_RECV, &w, 0}, {y, GRT_RECV, &v, 0}};
        int r = grt_select(c, 3, GRT_FOREVER);
        CHECK(r >= 0 && r < 3);
        CHECK_EQ(r == 1 ? w : v, i);
    }
    int v;
    CHECK_EQ(grt_chan_tryrecv(x, &v), -EAGAIN);
    CHECK_EQ(grt_chan_trysend(x, &v), -EAGAIN);
    CHECK_EQ(grt_chan_trysend(y, &v), -EAGAIN);
    grt_chan_release(x);
    grt_chan_release(y);
}

/* --- duplicates ------------------------------------------------------------ */

static void check_duplicates(void)
{
    grt_chan *c = grt_chan_make(sizeof(int), 0);
    for (int round = 0; round < 50; round++) {
        struct delayed d = {c, round % 2 ? 1 * MS : 0, round, GRT_SEND, false};
        CHECK_EQ(grt_go(delayed_fn, &d), 0);
        int v1 = -1, v2 = -1, v3 = -1;
        grt_case cs[4] = {{c, GRT_RECV, &v1, 0}, {c, GRT_RECV, &v2, 0},
                          {NULL, GRT_RECV, NULL, 0}, {c, GRT_RECV, &v3, 0}};
        int r = grt_select(cs, 4, GRT_FOREVER);
        CHECK(r == 0 || r == 1 || r == 3);
        int got = r == 0 ? v1 : r == 1 ? v2 : v3;
        CHECK_EQ(got, round);
        CHECK_EQ((v1 != -1) + (v2 != -1) + (v3 != -1), 1);
        /* every losing sudog is gone from the queue */
        int x = 0;
        CHECK_EQ(grt_chan_trysend(c, &x), -EAGAIN);
    }
    grt_chan_release(c);
}

/* --- select {} and foreign threads ----------------------------------------- */

static atomic_int forever_returned;

static void forever_fn(void *arg)
{
    (void)arg;
    grt_select(NULL, 0, GRT_FOREVER);
    atomic_store(&forever_returned, 1);
}

static void forever_nil_fn(void *arg)
{
    (void)arg;
    grt_case nils[1] = {{NULL, GRT_RECV, NULL, 0}};
    grt_select(nils, 1, GRT_FOREVER);
    atomic_store(&forever_returned, 1);
}

static void *foreign_fn(void *arg)
{
    grt_chan *c = arg;
    int v = 8;
    grt_case cs[1] = {{c, GRT_RECV, &v, 0}};
    CHECK_EQ(grt_select(cs, 1, GRT_FOREVER), -EPERM);
    CHECK_EQ(grt_select(cs, 1, grt_now() + 1000 * MS), -EPERM);
    CHECK_EQ(grt_select(NULL, 0, GRT_FOREVER), -EPERM);
    CHECK_EQ(grt_select(cs, 1, 0), -ETIMEDOUT);
    CHECK_EQ(grt_select(NULL, 0, 0), -ETIMEDOUT);
    grt_case sc[1] = {{c, GRT_SEND, &v, 0}};
    CHECK_EQ(grt_select(sc, 1, 0), 0);
    v = 0;
    CHECK_EQ(grt_select(cs, 1, grt_now() - 1), 0);
    CHECK_EQ(v, 8);
    return NULL;
}

static void check_forever_and_foreign(void)
{
    CHECK_EQ(grt_go(forever_fn, NULL), 0);
    CHECK_EQ(grt_go(forever_nil_fn, NULL), 0);
    grt_chan *c = grt_chan_make(sizeof(int), 1);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, foreign_fn, c), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    grt_chan_release(c);
    grt_sleep(20 * MS);
    CHECK_EQ(atomic_load(&forever_returned), 0);
    /* the two goroutines stay parked and are abandoned at exit */
}

static void main_fn(void *arg)
{
    (void)arg;
    check_bad_args();
    check_nonblocking();
    check_timeouts();
    check_wakeups();
    check_select_pair();
    check_duplicates();
    check_forever_and_foreign();
}

int main(void)
{
    test_run(1, main_fn, NULL);
    test_run(2, main_fn, NULL);
    printf("ok\n");
    return 0;
}
