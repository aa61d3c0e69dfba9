/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sudog.h - a goroutine's entry in a wait queue (Go's sudog).
 *
 * A G waiting on a channel, a semaphore or a condition variable is
 * represented in that object's queue by a sudog, not by the G itself: one G
 * in a select waits on many channels at once, and the same channel can hold
 * many Gs, so the relation is many-to-many and needs a record per pair.
 *
 * Who owns a sudog:
 *   - the G that acquired it, while it is not queued;
 *   - the lock of the queue it is on (channel lock, sema bucket lock, cond
 *     list lock) while it is queued;
 *   - a waker that dequeued it, until the waker has called grt__goready on
 *     sg->g; after that only the G touches it again (and releases it).
 *
 * Field use per queue:
 *   channel  g, next/prev (recvq/sendq), elem (the waiter's buffer), c,
 *            is_select, success, casei, waitlink (g->waiting, select only)
 *   sema     g, next/prev (the bucket's list of distinct addresses),
 *            elem (the address), waitlink/waittail (other waiters on the
 *            same address, FIFO), ticket (1: the count was handed off)
 *   cond     g, next (ticket-ordered list), ticket (the notify ticket)
 *   A G under a context (ctx.h) marks its sudog is_select: wakers claim it
 *   through g->select_done as a select's, and skip it if the context won.
 */
#ifndef GRT_SUDOG_H
#define GRT_SUDOG_H

#include "runtime.h"

struct grt_chan;

struct grt__sudog {
    struct g           *g;
    struct grt__sudog  *next;
    struct grt__sudog  *prev;
    void               *elem;
    struct grt_chan    *c;        /* channel waited on; holds one reference */
    struct grt__sudog  *waitlink; /* g->waiting list, or sema same-address list */
    struct grt__sudog  *waittail; /* sema: last of the same-address list */
    uint32_t            ticket;
    int32_t             casei;    /* select: index of the case */
    bool                is_select;
    bool                success;  /* chan: true if woken by a transfer, false by close */
    bool                in_use;   /* between acquire and release (see sudog_fini) */
    bool                queued;   /* sema, cond: still on the list (a G its
                                     context woke withdraws it, ctx.h) */
};

/* A clean sudog (every field zero but in_use).  Never NULL: running out of
 * memory for a 100-byte record is fatal, as in Go. */
struct grt__sudog *grt__sudog_acquire(void);
/* Give back a sudog whose links are all cleared. */
void grt__sudog_release(struct grt__sudog *s);

/* A P goes away: its cache goes central. */
void grt__sudogcache_flush(struct p *pp);
/* grt_run is returning: free every sudog, including those of abandoned
 * goroutines, and detach them from the channels and semaphores they were
 * queued on. */
void grt__sudog_fini(void);

#endif
