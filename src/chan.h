/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * chan.h - the channel object and the pieces chan.c shares with select.c.
 *
 * Everything here except the lock-free hints (closed, qcount and the first
 * pointer of each queue, read by the non-blocking fast paths) is guarded by
 * c->lock.  Those hints are written with release stores under the lock and
 * read with acquire loads without it; see chan.c for why a stale read is
 * still a correct answer.
 */
#ifndef GRT_CHAN_H
#define GRT_CHAN_H

#include "sudog.h"

/* FIFO of waiting sudogs, linked through next/prev. */
struct grt__waitq {
    struct grt__sudog *first;
    struct grt__sudog *last;
};

struct grt_chan {
    grt__mutex        lock;
    uint32_t          closed;   /* 0 open, 1 closed; never goes back */
    int64_t           refs;     /* atomic; freed at 0 */
    size_t            elemsize;
    size_t            dataqsiz; /* capacity of buf in elements */
    size_t            qcount;   /* elements in buf */
    size_t            sendx;    /* next slot to fill */
    size_t            recvx;    /* next slot to drain */
    struct grt__waitq recvq;    /* blocked receivers */
    struct grt__waitq sendq;    /* blocked senders */
    unsigned char     buf[];    /* dataqsiz * elemsize bytes */
};

/* Largest element: an element is copied by value through the buffer and
 * straight into the other goroutine's stack, so a huge one would be a
 * stack-overflow trap rather than a feature.  Go's limit is 64 KiB. */
#define GRT_CHAN_ELEM_MAX ((size_t)1 << 20)

/* Queue operations; c->lock held. */
void               grt__waitq_enqueue(struct grt__waitq *q, struct grt__sudog *s);
struct grt__sudog *grt__waitq_dequeue(struct grt__waitq *q);
void               grt__waitq_remove(struct grt__waitq *q, struct grt__sudog *s);

/* Hand-offs with a waiting goroutine, c->lock held.  They copy the element
 * and mark the sudog successful; the caller unlocks and then calls
 * grt__chan_wake(s) (which must not be done under the channel lock, as it
 * may take the scheduler's locks). */
void grt__chan_send_to(struct grt_chan *c, struct grt__sudog *s, const void *ep);
void grt__chan_recv_from(struct grt_chan *c, struct grt__sudog *s, void *ep);
void grt__chan_wake(struct grt__sudog *s);

/* The buffer, c->lock held. */
void grt__chan_buf_put(struct grt_chan *c, const void *ep);
void grt__chan_buf_take(struct grt_chan *c, void *ep);

/* A parked operation keeps its channel alive: sudog->c holds a reference. */
void grt__chan_ref(struct grt_chan *c);
void grt__chan_unref(struct grt_chan *c);

/* Shutdown (sudog.c): a goroutine blocked on c was abandoned.  Empties c's
 * queues (every waiter is abandoned) and drops the waiter's reference. */
void grt__chan_abandon(struct grt_chan *c);

/* The select_done word of a G (Go's g.selectDone), extended with a
 * generation so that a stale deadline timer cannot end a later select:
 *   bit 0      set by whoever won this select (a channel or the timer)
 *   bits 1-31  the select's generation, bumped by each blocking select
 * A channel claims a select sudog with one CAS of gen|0 -> gen|1. */
static inline bool grt__select_claim(struct grt__sudog *s)
{
    if (!s->is_select)
        return true;
    uint32_t v = ld_relaxed(&s->g->select_done) & ~1u;
    /* acq_rel: pairs with the other claimants; the winner's writes to the
     * sudog and to g->param happen after it */
    return cas_acqrel(&s->g->select_done, v, v | 1u);
}

#endif
