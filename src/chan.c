/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * chan.c - channels: Go's hchan in C.
 *
 * A channel is a ring buffer of dataqsiz elements plus two FIFOs of parked
 * goroutines (recvq, sendq), all under one runtime lock.  The invariants,
 * as in Go's chan.go, hold whenever the lock is free:
 *   - sendq non-empty  =>  the buffer is full (or there is none)
 *   - recvq non-empty  =>  the buffer is empty
 *   - closed           =>  sendq is empty (close woke every sender)
 * so an operation looks at the opposite queue first: a waiting partner is
 * served directly, copying the element straight from the sender's memory
 * into the receiver's (on its stack, while it is parked), which saves a
 * trip through the buffer and keeps FIFO order, and is the only way an
 * unbuffered channel moves data.  When a receiver meets a full buffer with
 * senders waiting, it takes the oldest buffered element and the first
 * sender's element goes into the slot it freed.
 *
 * A woken goroutine learns what happened from its sudog: success is true
 * after a transfer and false after close.  The waker sets g->param to the
 * sudog before grt__goready, always after it has released the channel lock
 * (goready may take the scheduler's locks, and the woken G may start at
 * once on another thread).
 *
 * Lifetime: grt_chan_make returns one reference.  A goroutine parked on a
 * channel holds one more (sudog->c), so releasing the last user reference
 * while goroutines are still blocked does not free the channel under them;
 * it is freed when they leave.  If they never leave (abandoned when grt_run
 * returns), grt__sudog_fini empties the queues and drops their references.
 *
 * Lock-free fast paths (Go's full()/empty()): a non-blocking operation on a
 * channel that is observed not ready answers -EAGAIN without the lock.
 * closed, qcount and each queue's first pointer are stored with release
 * under the lock and loaded with acquire here.  Each observation is a
 * single word, a closed channel never reopens, and a channel not ready for
 * sending can only become ready by an event we could equally have missed by
 * being a moment earlier, so the answer is one the channel really had at
 * some instant between the loads (see the comments at each site).
 *
 * Limits: elem_size up to GRT_CHAN_ELEM_MAX (1 MiB; larger is EINVAL since
 * elements are copied onto goroutine stacks); elem_size * cap must fit in
 * memory (EINVAL if it overflows, ENOMEM if malloc fails).
 */
#include "runtime.h"
#include "chan.h"
#include "ctx.h"
#include "sched.h"
#include "sudog.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Wait queues (c->lock held)                                          */
/* ------------------------------------------------------------------ */

void grt__waitq_enqueue(struct grt__waitq *q, struct grt__sudog *s)
{
    s->next = NULL;
    s->prev = q->last;
    if (q->last == NULL)
        st_release(&q->first, s); /* release: the fast paths read first */
    else
        q->last->next = s;
    q->last = s;
}

/* The first waiter that can still be woken.  A select sudog whose G was
 * already claimed by another case (or by its deadline) is unlinked and
 * skipped: its G will find it gone when it comes back to clean up. */
struct grt__sudog *grt__waitq_dequeue(struct grt__waitq *q)
{
    for (;;) {
        struct grt__sudog *s = q->first;
        if (s == NULL)
            return NULL;
        struct grt__sudog *y = s->next;
        if (y == NULL) {
            q->last = NULL;
        } else {
            y->prev = NULL;
            s->next = NULL;
        }
        st_release(&q->first, y); /* release: the fast paths read first */
        if (grt__select_claim(s))
            return s;
    }
}

/* Unlink s if it is still queued (a select cleaning up its losing cases). */
void grt__waitq_remove(struct grt__waitq *q, struct grt__sudog *s)
{
    struct grt__sudog *x = s->prev, *y = s->next;
    if (x != NULL) {
        x->next = y;
        if (y != NULL)
            y->prev = x;
        else
            q->last = x;
    } else if (y != NULL) {
        y->prev = NULL;
        st_release(&q->first, y); /* release: as in enqueue */
    } else if (q->first == s) {
        /* the only element; otherwise it was already dequeued */
        st_release(&q->first, NULL); /* release: as in enqueue */
        q->last = NULL;
    }
    s->next = s->prev = NULL;
}

/* ------------------------------------------------------------------ */
/* Transfers (c->lock held)                                            */
/* ------------------------------------------------------------------ */

/* Most elements are a word or two: copy those inline instead of calling
 * memcpy through the PLT, which costs more than the copy on the hand-off
 * path.  (Unaligned accesses are fine on both supported architectures.) */
static inline void elem_copy(void *dst, const void *src, size_t n)
{
    /* __builtin_memcpy with a constant size compiles to plain moves */
    if (n == 4)
        __builtin_memcpy(dst, src, 4);
    else if (n == 8)
        __builtin_memcpy(dst, src, 8);
    else if (n == 16)
        __builtin_memcpy(dst, src, 16);
    else
        memcpy(dst, src, n);
}

static inline unsigned char *chan_slot(struct grt_chan *c, size_t i)
{
    return c->buf + i * c->elemsize;
}

void grt__chan_buf_put(struct grt_chan *c, const void *ep)
{
    if (c->elemsize)
        elem_copy(chan_slot(c, c->sendx), ep, c->elemsize);
    if (++c->sendx == c->dataqsiz)
        c->sendx = 0;
    st_release(&c->qcount, c->qcount + 1); /* release: read by the fast paths */
}

void grt__chan_buf_take(struct grt_chan *c, void *ep)
{
    if (c->elemsize && ep)
        elem_copy(ep, chan_slot(c, c->recvx), c->elemsize);
    if (++c->recvx == c->dataqsiz)
        c->recvx = 0;
    st_release(&c->qcount, c->qcount - 1); /* release: read by the fast paths */
}

/* A receiver was waiting, so the buffer is empty: give it ep directly. */
void grt__chan_send_to(struct grt_chan *c, struct grt__sudog *s, const void *ep)
{
    if (c->elemsize && s->elem)
        elem_copy(s->elem, ep, c->elemsize);
    s->elem = NULL;
    s->success = true;
}

/* A sender was waiting.  Unbuffered: take its element.  Buffered (so the
 * buffer is full): take the head of the buffer and put the sender's element
 * at the tail, which is the same slot once the head moves on. */
void grt__chan_recv_from(struct grt_chan *c, struct grt__sudog *s, void *ep)
{
    if (c->dataqsiz == 0) {
        if (c->elemsize && ep)
            elem_copy(ep, s->elem, c->elemsize);
    } else {
        unsigned char *slot = chan_slot(c, c->recvx);
        if (c->elemsize) {
            if (ep)
                elem_copy(ep, slot, c->elemsize);
            elem_copy(slot, s->elem, c->elemsize);
        }
        if (++c->recvx == c->dataqsiz)
            c->recvx = 0;
        c->sendx = c->recvx;
    }
    s->elem = NULL;
    s->success = true;
}

/* After the channel lock is released. */
void grt__chan_wake(struct grt__sudog *s)
{
    struct g *gp = s->g; /* s belongs to gp again once it is ready */
    gp->param = (uintptr_t)s;
    grt__goready(gp);
}

/* ------------------------------------------------------------------ */
/* Lifetime                                                            */
/* ------------------------------------------------------------------ */

grt_chan *grt_chan_make(size_t elem_size, size_t cap)
{
    if (elem_size > GRT_CHAN_ELEM_MAX ||
        (elem_size != 0 && cap > (SIZE_MAX - sizeof(struct grt_chan)) / elem_size)) {
        errno = EINVAL;
        return NULL;
    }
    struct grt_chan *c = calloc(1, sizeof *c + elem_size * cap);
    if (c == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    c->elemsize = elem_size;
    c->dataqsiz = cap;
    c->refs = 1;
    return c;
}

void grt__chan_ref(struct grt_chan *c)
{
    /* relaxed: taking a reference needs an existing one, which orders it */
    xadd_relaxed(&c->refs, 1);
}

void grt__chan_unref(struct grt_chan *c)
{
    /* acq_rel: every use by other holders happens before the free */
    int64_t n = xadd_acqrel(&c->refs, -1);
    if (n == 0)
        free(c);
    else if (unlikely(n < 0))
        grt__fatal("grt_chan_release of a freed channel");
}

grt_chan *grt_chan_retain(grt_chan *c)
{
    if (c != NULL)
        grt__chan_ref(c);
    return c;
}

void grt_chan_release(grt_chan *c)
{
    if (c != NULL)
        grt__chan_unref(c);
}

void grt__chan_abandon(struct grt_chan *c)
{
    grt__lock(&c->lock);
    /* release: as in enqueue; every waiter here was abandoned */
    st_release(&c->recvq.first, NULL);
    c->recvq.last = NULL;
    st_release(&c->sendq.first, NULL);
    c->sendq.last = NULL;
    grt__unlock(&c->lock);
    grt__chan_unref(c);
}

size_t grt_chan_len(const grt_chan *c)
{
    /* relaxed: a snapshot, stale as soon as it is returned anyway */
    return c ? ld_relaxed(&c->qcount) : 0;
}

size_t grt_chan_cap(const grt_chan *c)
{
    return c ? c->dataqsiz : 0;
}

/* ------------------------------------------------------------------ */
/* Send                                                                */
/* ------------------------------------------------------------------ */

/* Go's full(): no receiver to hand to and no room in the buffer. */
static inline bool chan_full(struct grt_chan *c)
{
    if (c->dataqsiz == 0)
        return ld_acquire(&c->recvq.first) == NULL; /* pairs with waitq stores */
    return ld_acquire(&c->qcount) == c->dataqsiz;   /* pairs with buf_put/take */
}

/* Go's empty(): no sender to take from and nothing buffered. */
static inline bool chan_empty(struct grt_chan *c)
{
    if (c->dataqsiz == 0)
        return ld_acquire(&c->sendq.first) == NULL; /* pairs with waitq stores */
    return ld_acquire(&c->qcount) == 0;             /* pairs with buf_put/take */
}

/* The sudog of a parking operation, queued on q (c->lock held). */
static inline struct grt__sudog *chan_enqueue(struct grt_chan *c, struct grt__waitq *q, void *elem,
                                              struct g *gp, bool claimed)
{
    struct grt__sudog *s = grt__sudog_acquire();
    s->g = gp;
    s->elem = elem;
    s->c = c;
    if (claimed) /* a fresh sudog's is_select is false */
        s->is_select = true;
    grt__chan_ref(c);
    gp->waiting = s;
    gp->param = 0;
    grt__waitq_enqueue(q, s);
    return s;
}

/* After the park: s goes back, with c's reference.  0 or -EPIPE. */
static inline int chan_dequeued(struct grt_chan *c, struct grt__sudog *s, struct g *gp)
{
    gp->param = 0;
    gp->waiting = NULL;
    bool ok = s->success;
    s->c = NULL;
    grt__sudog_release(s); /* is_select: every acquire clears it */
    grt__chan_unref(c);
    return ok ? 0 : -EPIPE;
}

static bool unlock_chan(struct g *gp, void *arg)
{
    (void)gp;
    grt__unlock(&((struct grt_chan *)arg)->lock);
    return true;
}

/* chan_park for a goroutine under a context (ctx.h), out of the way of
 * the common path: an ended context returns its error instead of
 * parking, and the wakers claim the park as a select's. */
static __attribute__((noinline, cold)) int chan_park_ctx(struct grt_chan *c, struct grt__waitq *q,
                                                         void *elem, struct g *gp, int reason)
{
    int err = grt__park_check(gp);
    if (err != 0) {
        grt__unlock(&c->lock);
        return err;
    }
    struct grt__sudog *s = chan_enqueue(c, q, elem, gp, true);
    grt__park_gen(gp);
    err = grt__gopark_intr(gp, unlock_chan, c, reason, NULL);
    if (err != 0) {
        /* The context won: no partner touched s, which may still be
         * queued (a waker that lost the claim unlinked it). */
        grt__lock(&c->lock);
        grt__waitq_remove(q, s);
        grt__unlock(&c->lock);
    } else if (unlikely(gp->param != (uintptr_t)s)) {
        grt__fatal("channel operation: spurious wakeup");
    }
    int r = chan_dequeued(c, s, gp);
    return err != 0 ? err : r;
}

/* Block on c (lock held, released by the park) in queue q until a partner
 * or close completes the operation; elem is read (send) or written (recv,
 * zeroed by close) by the other side while we are parked.  0 or -EPIPE,
 * or under a context the context's error. */
/* Always inlined: the parked frame keeps the name of the operation in
 * dumps (test_dump), whichever compiler builds it. */
static inline __attribute__((always_inline)) int chan_park(struct grt_chan *c,
                                                           struct grt__waitq *q, void *elem,
                                                           struct g *gp, int reason)
{
    if (unlikely(gp->ctx != NULL))
        return chan_park_ctx(c, q, elem, gp, reason);
    struct grt__sudog *s = chan_enqueue(c, q, elem, gp, false);
    grt__goparkunlock(&c->lock, reason);
    if (unlikely(gp->param != (uintptr_t)s))
        grt__fatal("channel operation: spurious wakeup");
    return chan_dequeued(c, s, gp);
}

static int chan_send_slow(struct grt_chan *c, const void *ep, struct g *gp)
{
    return chan_park(c, &c->sendq, (void *)ep, gp, WAIT_CHAN_SEND);
}

static int chan_recv_slow(struct grt_chan *c, void *ep, struct g *gp)
{
    return chan_park(c, &c->recvq, ep, gp, WAIT_CHAN_RECV);
}

/* gp NULL: do not block. */
static int chan_send(struct grt_chan *c, const void *ep, struct g *gp)
{
    /* Not closed, then not ready: since a closed channel stays closed and
     * a not-ready one only turns ready by an event we may as well not have
     * seen yet, the channel was open and full at the moment of the second
     * load.  (The order matters: the first load is an acquire.) */
    if (gp == NULL && !ld_acquire(&c->closed) && chan_full(c)) /* pairs with close */
        return -EAGAIN;

    grt__lock(&c->lock);
    if (c->closed) {
        grt__unlock(&c->lock);
        return -EPIPE;
    }
    struct grt__sudog *s = grt__waitq_dequeue(&c->recvq);
    if (s != NULL) {
        grt__chan_send_to(c, s, ep);
        grt__unlock(&c->lock);
        grt__chan_wake(s);
        return 0;
    }
    if (c->qcount < c->dataqsiz) {
        grt__chan_buf_put(c, ep);
        grt__unlock(&c->lock);
        return 0;
    }
    if (gp == NULL) {
        grt__unlock(&c->lock);
        return -EAGAIN;
    }
    return chan_send_slow(c, ep, gp);
}

int grt_chan_send(grt_chan *c, const void *elem)
{
    if (c == NULL || (elem == NULL && c->elemsize != 0))
        return -EINVAL;
    struct g *gp = grt__curg();
    if (gp == NULL)
        return -EPERM;
    grt__preempt_point(gp);
    return chan_send(c, elem, gp);
}

int grt_chan_trysend(grt_chan *c, const void *elem)
{
    if (c == NULL || (elem == NULL && c->elemsize != 0))
        return -EINVAL;
    grt__foreign_note();
    return chan_send(c, elem, NULL);
}

/* ------------------------------------------------------------------ */
/* Receive                                                             */
/* ------------------------------------------------------------------ */

static inline void elem_clear(struct grt_chan *c, void *ep)
{
    if (ep && c->elemsize)
        memset(ep, 0, c->elemsize);
}

/* gp NULL: do not block. */
static int chan_recv(struct grt_chan *c, void *ep, struct g *gp)
{
    if (gp == NULL && chan_empty(c)) {
        /* Empty, then open: the channel was empty and open at the moment
         * of the second load, since an empty channel turning non-empty is
         * an event we could not have seen yet. */
        if (!ld_acquire(&c->closed)) /* acquire: pairs with close's release */
            return -EAGAIN;
        /* Closed for good.  Data that arrived between the two loads was
         * sent before the close, and the close's release made it visible:
         * look once more before reporting drained. */
        if (chan_empty(c)) {
            elem_clear(c, ep);
            return -EPIPE;
        }
    }

    grt__lock(&c->lock);
    if (c->closed) {
        if (c->qcount == 0) {
            grt__unlock(&c->lock);
            elem_clear(c, ep);
            return -EPIPE;
        }
        /* closed with data left: drain it like an open channel */
    } else {
        struct grt__sudog *s = grt__waitq_dequeue(&c->sendq);
        if (s != NULL) {
            grt__chan_recv_from(c, s, ep);
            grt__unlock(&c->lock);
            grt__chan_wake(s);
            return 0;
        }
    }
    if (c->qcount > 0) {
        grt__chan_buf_take(c, ep);
        grt__unlock(&c->lock);
        return 0;
    }
    if (gp == NULL) {
        grt__unlock(&c->lock);
        return -EAGAIN;
    }
    return chan_recv_slow(c, ep, gp);
}

int grt_chan_recv(grt_chan *c, void *elem)
{
    if (c == NULL)
        return -EINVAL;
    struct g *gp = grt__curg();
    if (gp == NULL)
        return -EPERM;
    grt__preempt_point(gp);
    return chan_recv(c, elem, gp);
}

int grt_chan_tryrecv(grt_chan *c, void *elem)
{
    if (c == NULL)
        return -EINVAL;
    grt__foreign_note();
    return chan_recv(c, elem, NULL);
}

/* ------------------------------------------------------------------ */
/* Close                                                               */
/* ------------------------------------------------------------------ */

int grt_chan_close(grt_chan *c)
{
    if (c == NULL)
        return -EINVAL;
    grt__foreign_note();
    grt__lock(&c->lock);
    if (c->closed) {
        grt__unlock(&c->lock);
        return -EPIPE;
    }
    st_release(&c->closed, 1); /* release: pairs with the fast paths' loads */

    /* Collect every waiter in queue order (receivers first), linked
     * through next, which dequeue cleared; wake them with the lock dropped. */
    struct grt__sudog *list = NULL, **tail = &list, *s;
    while ((s = grt__waitq_dequeue(&c->recvq)) != NULL) {
        elem_clear(c, s->elem);
        s->elem = NULL;
        s->success = false;
        *tail = s;
        tail = &s->next;
    }
    while ((s = grt__waitq_dequeue(&c->sendq)) != NULL) {
        s->elem = NULL;
        s->success = false;
        *tail = s;
        tail = &s->next;
    }
    grt__unlock(&c->lock);

    while (list != NULL) {
        s = list;
        list = s->next;
        s->next = NULL;
        grt__chan_wake(s);
    }
    return 0;
}
