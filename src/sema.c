/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sema.c - address-keyed semaphores for goroutines (Go's sema.go).
 *
 * The table: SEMTAB_SIZE (251, a prime, as in Go) buckets, each with its
 * own runtime lock, a waiter count and the waiters of every address that
 * hashes to it.  Within a bucket the waiters are kept as Go keeps them, one
 * sudog per distinct address linked on a doubly linked list (next/prev),
 * each heading the FIFO of the other waiters on the same address (waitlink,
 * with waittail pointing at the last).  Go keeps the distinct addresses in
 * a treap so that thousands of contended addresses in one bucket stay
 * O(log n); here they are a plain list, O(number of distinct contended
 * addresses in the bucket), which with 251 buckets is a handful in any
 * realistic program.  The FIFO per address is what fairness needs, and it
 * is O(1) at both ends.
 *
 * The count lives in the caller's word (*addr).  The protocol that keeps a
 * release from missing a waiter without taking the lock when nobody waits:
 *   acquirer: nwait++ (under the bucket lock), then re-try the count;
 *   releaser: count++, then read nwait; only if non-zero take the lock.
 * Each side writes one word and then reads the other's, with sequential
 * consistency, so at least one of them sees the other: either the acquirer
 * gets the count, or the releaser sees nwait and finds it queued (the
 * acquirer holds the bucket lock from nwait++ until it is parked).
 *
 * sudog fields used: elem = the address, ticket = 1 when the releaser
 * handed its unit straight to this waiter (handoff), 0 otherwise.
 */
#include "runtime.h"
#include "sched.h"
#include "sema.h"
#include "sudog.h"
#include "chan.h"
#include "ctx.h"

#define SEMTAB_SIZE 251

struct sema_root {
    grt__mutex         lock;
    uint32_t           nwait; /* atomic: waiters in this bucket */
    struct grt__sudog *head;  /* one sudog per distinct waiting address */
} __attribute__((aligned(64))); /* one bucket per cache line */

static struct sema_root semtable[SEMTAB_SIZE];

static inline struct sema_root *root_for(uint32_t *addr)
{
    return &semtable[((uintptr_t)addr >> 3) % SEMTAB_SIZE];
}

/* Take one unit if there is one. */
static inline bool sema_tryacquire(uint32_t *addr)
{
    for (;;) {
        /* seq_cst: the read half of the store-load pair described above */
        uint32_t v = ld_seqcst(addr);
        if (v == 0)
            return false;
        /* acquire: pairs with the releaser's increment */
        if (cas_acquire(addr, v, v - 1))
            return true;
    }
}

/* ------------------------------------------------------------------ */
/* The bucket's waiters (root->lock held)                              */
/* ------------------------------------------------------------------ */

static struct grt__sudog *root_find(struct sema_root *root, uint32_t *addr)
{
    for (struct grt__sudog *s = root->head; s != NULL; s = s->next)
        if (s->elem == addr)
            return s;
    return NULL;
}

/* Put n where old is on the list of distinct addresses. */
static void root_replace(struct sema_root *root, struct grt__sudog *old,
                         struct grt__sudog *n)
{
    n->prev = old->prev;
    n->next = old->next;
    if (n->prev != NULL)
        n->prev->next = n;
    else
        root->head = n;
    if (n->next != NULL)
        n->next->prev = n;
    old->next = old->prev = NULL;
}

static void root_queue(struct sema_root *root, uint32_t *addr, struct grt__sudog *s,
                       bool lifo)
{
    s->queued = true;
    s->elem = addr;
    s->ticket = 0;
    s->next = s->prev = s->waitlink = s->waittail = NULL;
    struct grt__sudog *t = root_find(root, addr);
    if (t == NULL) {
        s->next = root->head;
        if (root->head != NULL)
            root->head->prev = s;
        root->head = s;
        return;
    }
    if (lifo) {
        /* s becomes the head of the address's FIFO, t its second */
        root_replace(root, t, s);
        s->waitlink = t;
        s->waittail = t->waittail ? t->waittail : t;
        t->waittail = NULL;
    } else {
        if (t->waittail == NULL)
            t->waitlink = s;
        else
            t->waittail->waitlink = s;
        t->waittail = s;
    }
}

/* Remove and return the first waiter on addr, or NULL. */
static struct grt__sudog *root_dequeue(struct sema_root *root, uint32_t *addr)
{
    struct grt__sudog *s = root_find(root, addr);
    if (s == NULL)
        return NULL;
    struct grt__sudog *t = s->waitlink;
    if (t != NULL) {
        root_replace(root, s, t);
        t->waittail = s->waittail == t ? NULL : s->waittail;
    } else {
        if (s->prev != NULL)
            s->prev->next = s->next;
        else
            root->head = s->next;
        if (s->next != NULL)
            s->next->prev = s->prev;
    }
    s->next = s->prev = s->waitlink = s->waittail = NULL;
    s->queued = false;
    return s;
}

/* Take s, still queued on addr, out wherever it is (its context woke it). */
static void root_remove(struct sema_root *root, uint32_t *addr, struct grt__sudog *s)
{
    struct grt__sudog *t = root_find(root, addr);
    if (t == s) {
        root_dequeue(root, addr);
        return;
    }
    struct grt__sudog *prev = t;
    while (prev->waitlink != s)
        prev = prev->waitlink;
    prev->waitlink = s->waitlink;
    if (t->waittail == s)
        t->waittail = prev == t ? NULL : prev;
    s->waitlink = NULL;
    s->queued = false;
}

/* ------------------------------------------------------------------ */
/* Acquire and release                                                 */
/* ------------------------------------------------------------------ */

static bool unlock_root(struct g *gp, void *arg)
{
    (void)gp;
    grt__unlock(&((struct sema_root *)arg)->lock);
    return true;
}

/* intr: the goroutine's context may end the wait (ctx.h); then its error
 * is returned and no unit is taken. */
static int semacquire_slow(uint32_t *addr, bool lifo, int reason, bool intr)
{
    struct g *gp = grt__curg();
    if (unlikely(gp == NULL))
        grt__fatal("semacquire outside a goroutine");
    struct sema_root *root = root_for(addr);
    struct grt__sudog *s = grt__sudog_acquire();
    s->g = gp;
    intr = intr && gp->ctx != NULL;
    int err = 0;
    for (;;) {
        if (intr && (err = grt__park_check(gp)) != 0)
            break;
        grt__lock(&root->lock);
        /* seq_cst: the write half of the store-load pair; it turns off the
         * releaser's lock-free "nobody waits" exit */
        xadd_seqcst(&root->nwait, 1);
        if (sema_tryacquire(addr)) {
            xadd_seqcst(&root->nwait, -1); /* under the lock, like the increment */
            grt__unlock(&root->lock);
            break;
        }
        root_queue(root, addr, s, lifo);
        if (intr) {
            s->is_select = true; /* releasers claim it (ctx.h) */
            grt__park_gen(gp);
            err = grt__gopark_intr(gp, unlock_root, root, reason, NULL);
        } else {
            grt__gopark(unlock_root, root, reason);
        }
        if (unlikely(err != 0)) {
            /* The context won: no releaser handed us anything.  A
             * releaser that lost the claim dequeued us already. */
            grt__lock(&root->lock);
            if (s->queued) {
                root_remove(root, addr, s);
                xadd_seqcst(&root->nwait, -1); /* under the lock, as above */
            }
            grt__unlock(&root->lock);
            break;
        }
        /* The releaser dequeued us (and decremented nwait).  Either it
         * handed us its unit, or we compete for one like a newcomer. */
        if (s->ticket != 0 || sema_tryacquire(addr))
            break;
        lifo = true; /* we have waited already: back to the front */
    }
    s->elem = NULL;
    s->is_select = false;
    grt__sudog_release(s);
    return err;
}

void grt__semacquire(uint32_t *addr, bool lifo, int reason)
{
    if (likely(sema_tryacquire(addr)))
        return;
    semacquire_slow(addr, lifo, reason, false);
}

int grt__semacquire_intr(uint32_t *addr, int reason)
{
    if (likely(sema_tryacquire(addr)))
        return 0;
    return semacquire_slow(addr, false, reason, true);
}

void grt__semrelease(uint32_t *addr, bool handoff)
{
    struct sema_root *root = root_for(addr);
    /* seq_cst (and release of the caller's critical section to the next
     * acquirer): the write half of the store-load pair */
    xadd_seqcst(addr, 1);
    if (ld_seqcst(&root->nwait) == 0) /* seq_cst: the read half of the pair */
        return;
    grt__lock(&root->lock);
    if (ld_relaxed(&root->nwait) == 0) { /* relaxed: the lock orders it */
        /* an acquirer consumed the count and left meanwhile */
        grt__unlock(&root->lock);
        return;
    }
    struct grt__sudog *s;
    while ((s = root_dequeue(root, addr)) != NULL) {
        xadd_seqcst(&root->nwait, -1); /* under the lock; read lock-free above */
        if (grt__select_claim(s))
            break;
        /* its context woke it first: it leaves without a unit */
    }
    grt__unlock(&root->lock);
    if (s == NULL)
        return; /* the waiters in this bucket are on other addresses */

    /* Hand the unit over before the waiter can run, so that no goroutine
     * arriving meanwhile takes it. */
    bool handed = handoff && sema_tryacquire(addr);
    if (handed)
        s->ticket = 1;
    struct g *gp = s->g; /* s is the waiter's again once it is ready */
    grt__goready(gp);
    if (handed) {
        /* The waiter is in our runnext: let it run now, as Go's goyield
         * does, instead of at our next park (a starving mutex's new owner
         * would otherwise wait for our whole time slice). */
        grt__handoff_yield();
    }
}

void grt__sema_fini(void)
{
    for (int i = 0; i < SEMTAB_SIZE; i++) {
        semtable[i].head = NULL;
        st_relaxed(&semtable[i].nwait, 0); /* relaxed: nothing else runs */
        semtable[i].lock.key = 0;
    }
}
