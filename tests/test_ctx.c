/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ctx: the context tree (grt_ctx_*).
 *
 *  - cancel propagates down to every descendant, never up or sideways;
 *  - deadlines: a child's is the earlier of its own and its parent's; a
 *    deadline ends the context (and its done channel) with -ETIMEDOUT;
 *    one not after now gives a context already ended;
 *  - the first way a context ends stays (cancel then deadline, and the
 *    reverse);
 *  - done channels: created lazily, closed on end (also when asked for
 *    after the end), owned by the context; background's is NULL;
 *  - grt_go inherits the creator's context through generations; grt_go_ctx
 *    and grt_ctx_swap set it; grt_ctx_current outside goroutines is
 *    background;
 *  - references: the creator releases while goroutines under the context
 *    still run (it is cancelled, they still read it; ASan checks the
 *    memory comes back); release of the last reference cancels;
 *  - a cancel from a thread grt did not create wakes a goroutine and keeps
 *    deadlock detection quiet (API.md, settled);
 *  - bad input for every call.
 */
#include "grt_test.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>

#define MS GRT_MILLISECOND

static void check_tree(void)
{
    grt_ctx *root = grt_ctx_with_cancel(NULL);
    CHECK(root != NULL);
    grt_ctx *a = grt_ctx_with_cancel(root), *b = grt_ctx_with_cancel(root);
    grt_ctx *a1 = grt_ctx_with_cancel(a), *a2 = grt_ctx_with_cancel(a);
    grt_ctx *a11 = grt_ctx_with_cancel(a1);
    CHECK(a && b && a1 && a2 && a11);
    for (grt_ctx *c = root; c;) { /* all live */
        CHECK_EQ(grt_ctx_err(c), 0);
        c = c == root ? a : c == a ? b : c == b ? a1 : c == a1 ? a2 : c == a2 ? a11 : NULL;
    }
    CHECK_EQ(grt_ctx_cancel(a1), 0);
    CHECK_EQ(grt_ctx_err(a1), -ECANCELED);
    CHECK_EQ(grt_ctx_err(a11), -ECANCELED); /* down */
    CHECK_EQ(grt_ctx_err(a), 0);            /* never up */
    CHECK_EQ(grt_ctx_err(a2), 0);           /* nor sideways */
    CHECK_EQ(grt_ctx_err(root), 0);
    CHECK_EQ(grt_ctx_cancel(a1), 0); /* idempotent */
    /* a child of an ended context is born ended */
    grt_ctx *late = grt_ctx_with_cancel(a11);
    CHECK(late != NULL);
    CHECK_EQ(grt_ctx_err(late), -ECANCELED);
    grt_chan *d = grt_ctx_done(late);
    CHECK(d != NULL);
    CHECK_EQ(grt_chan_tryrecv(d, NULL), -EPIPE);

    grt_chan *droot = grt_ctx_done(root), *db = grt_ctx_done(b);
    CHECK(droot && db);
    CHECK_EQ(grt_ctx_done(root), droot); /* one channel per context */
    CHECK_EQ(grt_chan_cap(droot), 0u);
    CHECK_EQ(grt_chan_tryrecv(droot, NULL), -EAGAIN);
    CHECK_EQ(grt_ctx_cancel(root), 0);
    CHECK_EQ(grt_chan_tryrecv(droot, NULL), -EPIPE);
    CHECK_EQ(grt_chan_tryrecv(db, NULL), -EPIPE);
    CHECK_EQ(grt_ctx_err(b), -ECANCELED);
    CHECK_EQ(grt_ctx_err(a2), -ECANCELED);
    /* children released before and after their parent, in any order */
    grt_ctx_release(a1);
    grt_ctx_release(root);
    grt_ctx_release(a11);
    grt_ctx_release(late);
    grt_ctx_release(a);
    grt_ctx_release(b);
    grt_ctx_release(a2);
}

static void check_deadlines(void)
{
    int64_t now = grt_now();
    grt_ctx *p = grt_ctx_with_deadline(NULL, now + 200 * MS);
    CHECK(p != NULL);
    CHECK_EQ(grt_ctx_deadline(p), now + 200 * MS);
    grt_ctx *later = grt_ctx_with_deadline(p, now + 10000 * MS);
    grt_ctx *earlier = grt_ctx_with_deadline(p, now + 30 * MS);
    grt_ctx *none = grt_ctx_with_cancel(p);
    CHECK(later && earlier && none);
    CHECK_EQ(grt_ctx_deadline(later), now + 200 * MS); /* min(parent, own) */
    CHECK_EQ(grt_ctx_deadline(earlier), now + 30 * MS);
    CHECK_EQ(grt_ctx_deadline(none), now + 200 * MS);
    CHECK_EQ(grt_ctx_deadline(grt_ctx_background()), GRT_FOREVER);

    /* the earlier child ends on its own, its parent does not */
    grt_case cs = {.chan = grt_ctx_done(earlier), .op = GRT_RECV};
    CHECK_EQ(grt_select(&cs, 1, now + 5000 * MS), 0);
    CHECK_EQ(cs.err, -EPIPE);
    CHECK_GE(grt_now(), now + 30 * MS);
    CHECK_EQ(grt_ctx_err(earlier), -ETIMEDOUT);
    if (grt_now() < now + 190 * MS) /* unless this thread was stalled that long */
        CHECK_EQ(grt_ctx_err(p), 0);
    /* the parent's deadline ends the later child too, with -ETIMEDOUT */
    cs.chan = grt_ctx_done(later);
    CHECK_EQ(grt_select(&cs, 1, now + 5000 * MS), 0);
    CHECK_GE(grt_now(), now + 200 * MS);
    CHECK_EQ(grt_ctx_err(p), -ETIMEDOUT);
    CHECK_EQ(grt_ctx_err(later), -ETIMEDOUT);
    CHECK_EQ(grt_ctx_err(none), -ETIMEDOUT);
    /* the first way stays: a cancel after the deadline changes nothing */
    CHECK_EQ(grt_ctx_cancel(later), 0);
    CHECK_EQ(grt_ctx_err(later), -ETIMEDOUT);
    grt_ctx_release(none);
    grt_ctx_release(later);
    grt_ctx_release(earlier);
    grt_ctx_release(p);

    /* ... and a deadline after a cancel */
    int64_t dl = grt_now() + 20 * MS;
    grt_ctx *c = grt_ctx_with_deadline(NULL, dl);
    bool first = grt_now() < dl; /* the cancel comes first (not stalled) */
    CHECK_EQ(grt_ctx_cancel(c), 0);
    grt_sleep(40 * MS);
    CHECK(grt_ctx_err(c) == -ECANCELED || grt_ctx_err(c) == -ETIMEDOUT);
    if (first)
        CHECK_EQ(grt_ctx_err(c), -ECANCELED);
    grt_ctx_release(c);

    /* a deadline not after now: ended at birth */
    c = grt_ctx_with_deadline(NULL, grt_now());
    CHECK(c != NULL);
    CHECK_EQ(grt_ctx_err(c), -ETIMEDOUT);
    CHECK_EQ(grt_chan_tryrecv(grt_ctx_done(c), NULL), -EPIPE);
    grt_ctx_release(c);
    /* far deadlines saturate rather than wrap */
    c = grt_ctx_with_deadline(NULL, INT64_MAX);
    CHECK_EQ(grt_ctx_err(c), 0);
    CHECK_EQ(grt_ctx_deadline(c), INT64_MAX);
    grt_ctx_release(c);
}

/* Inheritance: generations of grt_go, each checking it runs under want. */
struct gen_arg {
    grt_ctx *want;
    int      depth;
};

static grt_waitgroup gen_wg;

static void generation2(void *p)
{
    struct gen_arg *a = p;
    CHECK_EQ(grt_ctx_current(), a->want);
    if (a->depth > 0) {
        struct gen_arg *child = malloc(sizeof *child);
        *child = (struct gen_arg){a->want, a->depth - 1};
        CHECK_EQ(grt_waitgroup_add(&gen_wg, 1), 0);
        CHECK_EQ(grt_go(generation2, child), 0);
    }
    free(a);
    CHECK_EQ(grt_waitgroup_done(&gen_wg), 0);
}

static void check_inheritance(void)
{
    grt_ctx *c = grt_ctx_with_cancel(NULL);
    struct gen_arg *a = malloc(sizeof *a);
    *a = (struct gen_arg){c, 4};
    CHECK_EQ(grt_waitgroup_add(&gen_wg, 1), 0);
    CHECK_EQ(grt_go_ctx(c, generation2, a), 0);
    CHECK_EQ(grt_waitgroup_wait(&gen_wg), 0);

    /* swap: no reference taken or given; grt_go follows the swapped one */
    CHECK_EQ(grt_ctx_current(), grt_ctx_background());
    grt_ctx *old = grt_ctx_swap(c);
    CHECK_EQ(old, grt_ctx_background());
    CHECK_EQ(grt_ctx_current(), c);
    a = malloc(sizeof *a);
    *a = (struct gen_arg){c, 1};
    CHECK_EQ(grt_waitgroup_add(&gen_wg, 1), 0);
    CHECK_EQ(grt_go(generation2, a), 0);
    CHECK_EQ(grt_waitgroup_wait(&gen_wg), 0);
    CHECK_EQ(grt_ctx_swap(old), c);
    CHECK_EQ(grt_ctx_current(), grt_ctx_background());
    /* background through grt_go_ctx */
    a = malloc(sizeof *a);
    *a = (struct gen_arg){grt_ctx_background(), 1};
    CHECK_EQ(grt_waitgroup_add(&gen_wg, 1), 0);
    CHECK_EQ(grt_go_ctx(grt_ctx_background(), generation2, a), 0);
    CHECK_EQ(grt_waitgroup_wait(&gen_wg), 0);
    grt_ctx_release(c);
}

/* References: the creator releases while its goroutines still run. */
static grt_chan *ref_go, *ref_out;

static void ref_child(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_chan_recv(ref_go, NULL), -ECANCELED); /* parked, then released */
    grt_ctx *me = grt_ctx_current();
    CHECK_EQ(grt_ctx_err(me), -ECANCELED);
    CHECK(grt_ctx_deadline(me) > 0);
    grt_chan *d = grt_ctx_done(me);
    CHECK(d != NULL);
    CHECK_EQ(grt_chan_tryrecv(d, NULL), -EPIPE);
    /* a released context cannot be retained again */
    errno = 0;
    CHECK(grt_ctx_retain(me) == NULL);
    CHECK_EQ(errno, EINVAL);
    /* but a child of it can still be made (born ended) and released */
    grt_ctx *k = grt_ctx_with_cancel(NULL);
    CHECK(k != NULL);
    CHECK_EQ(grt_ctx_err(k), -ECANCELED);
    grt_ctx_release(k);
    grt_ctx *bg = grt_ctx_swap(grt_ctx_background());
    CHECK_EQ(grt_chan_send(ref_out, NULL), 0);
    grt_ctx_swap(bg);
}

static void check_references(void)
{
    ref_go = grt_chan_make(0, 0);
    ref_out = grt_chan_make(0, 8);
    grt_ctx *c = grt_ctx_with_deadline(NULL, grt_now() + 3600 * GRT_SECOND);
    CHECK_EQ(grt_ctx_retain(c), c);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(grt_go_ctx(c, ref_child, NULL), 0);
    grt_sleep(10 * MS);
    grt_ctx_release(c); /* one reference left: still live */
    grt_sleep(10 * MS);
    CHECK_EQ(grt_chan_len(ref_out), 0u);
    CHECK_EQ(grt_ctx_err(c), 0);
    grt_ctx_release(c); /* the last: cancels, the children keep reading */
    for (int i = 0; i < 8; i++)
        CHECK_EQ(grt_chan_recv(ref_out, NULL), 0);
    grt_chan_release(ref_go);
    grt_chan_release(ref_out);
}

/* A cancel from a thread grt did not create. */
static grt_ctx *foreign_ctx, *foreign_first;
static atomic_int foreign_step;

static void *foreign_thread(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_ctx_cancel(foreign_first), 0); /* any cancel counts */
    atomic_store(&foreign_step, 1);
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    CHECK_EQ(grt_ctx_cancel(foreign_ctx), 0);
    return NULL;
}

static void check_foreign(void)
{
    foreign_ctx = grt_ctx_with_cancel(NULL);
    foreign_first = grt_ctx_with_cancel(NULL);
    atomic_store(&foreign_step, 0); /* each run */
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, foreign_thread, NULL), 0);
    while (atomic_load(&foreign_step) == 0)
        grt_sleep(MS);
    /* Every goroutine now waits on a channel nothing will send on; only
     * the foreign thread can end it, so this is no deadlock. */
    grt_chan *never = grt_chan_make(0, 0);
    grt_ctx *old = grt_ctx_swap(foreign_ctx);
    int64_t t0 = grt_now();
    CHECK_EQ(grt_chan_recv(never, NULL), -ECANCELED);
    CHECK_LT(grt_now() - t0, 10 * GRT_SECOND);
    grt_ctx_swap(old);
    pthread_join(t, NULL);
    grt_chan_release(never);
    grt_ctx_release(foreign_ctx);
    grt_ctx_release(foreign_first);
}

static void nop(void *arg)
{
    (void)arg;
}

static void check_bad_input(void)
{
    grt_ctx *bg = grt_ctx_background();
    CHECK(bg != NULL);
    CHECK_EQ(grt_ctx_background(), bg);
    CHECK_EQ(grt_ctx_err(bg), 0);
    CHECK_EQ(grt_ctx_cancel(bg), 0); /* never cancelled */
    CHECK_EQ(grt_ctx_err(bg), 0);
    CHECK(grt_ctx_done(bg) == NULL);
    CHECK_EQ(grt_ctx_retain(bg), bg);
    grt_ctx_release(bg); /* nothing happens */
    CHECK_EQ(grt_ctx_err(bg), 0);

    CHECK_EQ(grt_ctx_cancel(NULL), -EINVAL);
    CHECK_EQ(grt_ctx_err(NULL), -EINVAL);
    CHECK_EQ(grt_ctx_deadline(NULL), -EINVAL);
    errno = 0;
    CHECK(grt_ctx_done(NULL) == NULL);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(grt_ctx_retain(NULL) == NULL);
    CHECK_EQ(errno, EINVAL);
    grt_ctx_release(NULL);
    errno = 0;
    CHECK(grt_ctx_with_deadline(NULL, -5) == NULL);
    CHECK_EQ(errno, EINVAL);
    grt_ctx *c = grt_ctx_with_deadline(NULL, GRT_FOREVER);
    CHECK(c != NULL);
    CHECK_EQ(grt_ctx_deadline(c), GRT_FOREVER);
    CHECK_EQ(grt_go_ctx(NULL, nop, NULL), -EINVAL);
    CHECK_EQ(grt_go_ctx(c, NULL, NULL), -EINVAL);
    errno = 0;
    CHECK(grt_ctx_swap(NULL) == NULL);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(grt_ctx_current(), bg); /* the failed swap changed nothing */
    grt_ctx_release(c);
}

static void main_fn(void *arg)
{
    (void)arg;
    check_tree();
    check_deadlines();
    check_inheritance();
    check_references();
    check_bad_input();
    check_foreign();
}

/* Goroutines abandoned under a context when grt_run returns give their
 * references back: the program's release after the run frees it (ASan's
 * leak check sees the rest), and its deadline no longer runs. */
static grt_ctx *abandoned_ctx;

static void abandoned(void *arg)
{
    grt_chan *never = arg;
    grt_chan_recv(never, NULL); /* parked on its context's list for ever */
}

static void abandon_fn(void *arg)
{
    grt_chan *never = arg;
    abandoned_ctx = grt_ctx_with_deadline(NULL, grt_now() + 3600 * GRT_SECOND);
    grt_ctx *child = grt_ctx_with_cancel(abandoned_ctx);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(grt_go_ctx(i % 2 ? child : abandoned_ctx, abandoned, never), 0);
    grt_ctx_release(child); /* cancels child's two; the others stay parked */
    grt_sleep(10 * MS);
}

static void check_abandoned(void)
{
    grt_chan *never = grt_chan_make(0, 0);
    test_run(2, abandon_fn, never);
    CHECK_EQ(grt_ctx_err(abandoned_ctx), 0);
    grt_ctx_release(abandoned_ctx);
    grt_chan_release(never);
}

int main(void)
{
    /* Outside goroutines: background, no swap, and contexts work. */
    CHECK_EQ(grt_ctx_current(), grt_ctx_background());
    errno = 0;
    CHECK(grt_ctx_swap(grt_ctx_background()) == NULL);
    CHECK_EQ(errno, EPERM);
    grt_ctx *c = grt_ctx_with_cancel(NULL);
    int64_t t0 = grt_now();
    grt_ctx *k = grt_ctx_with_deadline(c, t0 + 200 * MS);
    CHECK(grt_ctx_err(k) == 0 || grt_now() >= t0 + 200 * MS);
    struct timespec ts = {0, 250 * 1000 * 1000};
    nanosleep(&ts, NULL);
    CHECK_EQ(grt_ctx_err(k), -ETIMEDOUT); /* noticed without a runtime */
    CHECK_EQ(grt_ctx_err(c), 0);
    grt_ctx_release(c);
    CHECK_EQ(grt_ctx_err(k), -ETIMEDOUT);
    grt_ctx_release(k);

    test_run(1, main_fn, NULL);
    test_run(2, main_fn, NULL);
    check_abandoned();
    printf("ok\n");
    return 0;
}
