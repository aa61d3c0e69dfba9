/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * globrunq.c - the global run queue: FIFO, under sched.lock.
 *
 * Go threads its global queue through the Gs themselves (g.schedlink).
 * That costs a cache miss per G wherever a batch moves: the records were
 * last written on another core (the P that made or readied them), and a
 * list walk takes those misses one after the other, with sched.lock held.
 * In the spawn benchmark at procs=2 that walk was the largest single cost.
 *
 * So the queue holds pointers, not links: a list of segments, each an
 * array of G pointers consumed from the front.  Moving a batch between a
 * ring and the global queue copies pointers (a few consecutive lines) and
 * does not touch a single G; the records are first read when they are
 * about to run, where runq_get prefetches them.
 *
 * Segments are allocated with malloc under sched.lock (rarely: each holds
 * 254 Gs, and two empty ones are kept for reuse).  If malloc fails the
 * runtime cannot queue a runnable goroutine and stops with a fatal error,
 * as Go's runtime does when it runs out of memory.
 */
#include "runtime.h"
#include "globrunq.h"
#include "runq.h"
#include "sched.h"

#include <stdlib.h>

#define SEG_CAP   254 /* a segment is 2 KiB */
#define SEG_SPARE 2

struct grt__gqseg {
    struct grt__gqseg *next;
    uint32_t           head, tail; /* g[head, tail) are queued */
    struct g          *g[SEG_CAP];
};

static struct grt__gqseg *seg_spare; /* empty, for reuse (sched.lock) */
static int32_t            nseg_spare;

static struct grt__gqseg *seg_new(void)
{
    struct grt__gqseg *s = seg_spare;
    if (s) {
        seg_spare = s->next;
        nseg_spare--;
    } else if ((s = malloc(sizeof *s)) == NULL) {
        grt__fatal("out of memory (global run queue)");
    }
    s->next = NULL;
    s->head = s->tail = 0;
    return s;
}

static void seg_drop(struct grt__gqseg *s)
{
    if (nseg_spare >= SEG_SPARE) {
        free(s);
        return;
    }
    s->next = seg_spare;
    seg_spare = s;
    nseg_spare++;
}

/* The segment with room at the tail of the queue. */
static struct grt__gqseg *seg_tail(void)
{
    struct grt__gqseg *t = grt__sched.runq_tail;
    if (t && t->tail < SEG_CAP)
        return t;
    struct grt__gqseg *s = seg_new();
    if (t)
        t->next = s;
    else
        grt__sched.runq_head = s;
    grt__sched.runq_tail = s;
    return s;
}

void grt__globrunq_putbatch(struct g *const *gs, int32_t n)
{
    int32_t i = 0;
    while (i < n) {
        struct grt__gqseg *s = seg_tail();
        while (i < n && s->tail < SEG_CAP)
            s->g[s->tail++] = gs[i++];
    }
    st_relaxed(&grt__sched.runq_size, grt__sched.runq_size + n);
}

void grt__globrunq_put(struct g *gp)
{
    grt__globrunq_putbatch(&gp, 1);
}

/* Up to n Gs off the front into out[]; returns how many. */
static int32_t globrunq_take(struct g **out, int32_t n)
{
    int32_t k = 0;
    while (k < n) {
        struct grt__gqseg *s = grt__sched.runq_head;
        if (s == NULL)
            break;
        while (k < n && s->head < s->tail)
            out[k++] = s->g[s->head++];
        if (s->head == s->tail) {
            /* Empty: unlink it, unless it is the tail with room left. */
            if (s == grt__sched.runq_tail && s->tail < SEG_CAP) {
                s->head = s->tail = 0;
                break;
            }
            grt__sched.runq_head = s->next;
            if (grt__sched.runq_head == NULL)
                grt__sched.runq_tail = NULL;
            seg_drop(s);
        }
    }
    st_relaxed(&grt__sched.runq_size, grt__sched.runq_size - k);
    return k;
}

/* Take a batch: one to run now (returned), the rest onto pp's ring.  A
 * fair share: len/procs + 1, at most max (0: no limit), at most half a
 * ring.  sched.lock is held, so the rest must fit in the ring without
 * spilling back (runq_put_slow takes the lock): callers pass max 1 or call
 * this only with pp's ring empty. */
struct g *grt__globrunq_get(struct p *pp, int32_t max)
{
    int32_t size = grt__sched.runq_size;
    if (size == 0)
        return NULL;
    int32_t n = size / grt__gomaxprocs + 1;
    if (n > size)
        n = size;
    if (max > 0 && n > max)
        n = max;
    if (n > (int32_t)GRT_RUNQ_SIZE / 2)
        n = GRT_RUNQ_SIZE / 2;
    struct g *batch[GRT_RUNQ_SIZE / 2];
    n = globrunq_take(batch, n);
    if (n == 0)
        return NULL;
    grt__runq_put_batch(pp, batch + 1, (uint32_t)n - 1);
    return batch[0];
}

/* grt_run's end: whatever was queued is abandoned (its Gs are freed with
 * allgs); the segments go. */
void grt__globrunq_fini(void)
{
    struct grt__gqseg *s = grt__sched.runq_head;
    while (s) {
        struct grt__gqseg *next = s->next;
        free(s);
        s = next;
    }
    while (seg_spare) {
        s = seg_spare;
        seg_spare = s->next;
        free(s);
    }
    nseg_spare = 0;
    grt__sched.runq_head = grt__sched.runq_tail = NULL;
    grt__sched.runq_size = 0;
}
