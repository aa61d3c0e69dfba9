/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stack.c - goroutine stacks.
 *
 * Every default-size stack is a slot of an arena: one mmap (PROT_READ|WRITE,
 * MAP_NORESERVE) holding many [guard page | stack] slots.  The kernel
 * commits pages as they are touched.  The guard page under each stack is
 * installed once, when the slot is first carved, with MADV_GUARD_INSTALL
 * (Linux 6.13+), which does not split the mapping, so a million stacks stay
 * a few thousand VMAs, far under vm.max_map_count.  Older kernels fall back
 * to mprotect(PROT_NONE), which splits the VMA: there the map limit is real,
 * and the slots are carved when the arena is mapped so that the failure
 * shows up as an error from grt_go, not as a crash later.
 *
 * Binding is lazy (DESIGN.md section 3): a G gets a stack when it first
 * runs, not when it is spawned.  So that grt_go can still report -ENOMEM
 * when memory runs out, a spawn takes a *credit*: the promise of a slot.
 * Credits are reserved in batches per P (no shared cache line on the spawn
 * path) and returned when the G exits.  Invariant, under stack_lock:
 *
 *     credits handed out (to Ps and to Gs) <= slots in all arenas
 *
 * so a G holding a credit always finds a stack: a warm one from its P's
 * cache, one from the global warm pool, a cold (MADV_DONTNEED'ed) one, or
 * a fresh slot - mapping another arena when the free stacks are all in
 * other Ps' caches, which only their owners may touch.
 *
 * Warm stacks (already faulted in) are kept for reuse: GRT_STACKCACHE_MAX
 * per P, WARM_MAX globally; beyond that, and when sysmon finds them unused
 * for TRIM_AGE, they are given back with MADV_DONTNEED (the guard survives)
 * and kept cold.  A spawn-run-exit cycle therefore touches no new page.
 *
 * Stacks of a non-default size (grt_go_attr) are mapped one by one at spawn
 * time and unmapped at exit: they are the rare case.
 */
#include "runtime.h"
#include "misc.h"
#include "race.h"
#include "sched.h"
#include "stack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define CREDIT_BATCH   64
#define ARENA_MIN      64      /* slots in the first arena */
#define ARENA_MAX      4096    /* arenas grow geometrically up to this */
/* Warm stacks kept in the global pool.  Large on purpose: a program whose
 * goroutine count swings (skynet's tree, a burst of connections) would
 * otherwise pay MADV_DONTNEED, a TLB shootdown, a page fault and a page
 * clear for every stack on every swing.  Idle warm stacks are given back
 * by time instead (grt__stack_trim, TRIM_AGE_NS). */
#define WARM_MAX       (256 * 1024)
#define TRIM_AGE_NS    (5 * 1000000000LL)

typedef struct grt__stack {
    uintptr_t          lo, hi;    /* usable range; the guard is [lo - page, lo) */
    struct grt__stack *next;      /* pool lists */
    int64_t            idle_since;
    bool               custom;    /* own mapping, unmapped at exit */
    bool               carved;    /* guard installed */
} grt__stack;

struct arena {
    struct arena *next;
    uintptr_t     base;
    size_t        len;
    uint32_t      nslots;
    uint32_t      ncarved;
    grt__stack    slots[];
};

static struct {
    grt__mutex    lock;
    size_t        page;
    size_t        size;          /* default stack size (usable bytes) */
    bool          guard_madvise; /* MADV_GUARD_INSTALL works */
    struct arena *arenas;
    struct arena *carving;       /* arena with uncarved slots */
    int64_t       nslots;
    int64_t       credits_out;
    grt__stack   *warm;
    int32_t       nwarm;
    grt__stack   *cold;
    int32_t       ncold;
    int64_t       nbound;        /* stacks bound to Gs (atomic) */
    int64_t       custom_bytes;  /* atomic */
} pool;

static bool guard_install(uintptr_t addr)
{
    if (pool.guard_madvise && madvise((void *)addr, pool.page, MADV_GUARD_INSTALL) == 0)
        return true;
    return mprotect((void *)addr, pool.page, PROT_NONE) == 0;
}

static bool probe_guard_madvise(void)
{
    void *p = mmap(NULL, pool.page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return false;
    bool ok = madvise(p, pool.page, MADV_GUARD_INSTALL) == 0;
    munmap(p, pool.page);
    return ok;
}

int grt__stack_init(size_t default_size)
{
    memset(&pool, 0, sizeof pool);
    pool.page = (size_t)sysconf(_SC_PAGESIZE);
    pool.size = (default_size + pool.page - 1) & ~(pool.page - 1);
    pool.guard_madvise = probe_guard_madvise();
    return 0;
}

static bool slot_carve(struct arena *a, uint32_t i)
{
    grt__stack *s = &a->slots[i];
    uintptr_t guard = a->base + (uintptr_t)i * (pool.size + pool.page);
    if (!guard_install(guard))
        return false;
    s->lo = guard + pool.page;
    s->hi = s->lo + pool.size;
    s->carved = true;
    return true;
}

/* Map a new arena.  stack_lock held.  False when the kernel refuses. */
static bool arena_grow(void)
{
    int64_t n = pool.nslots / 2;
    if (n < ARENA_MIN)
        n = ARENA_MIN;
    if (n > ARENA_MAX)
        n = ARENA_MAX;
    size_t len = (size_t)n * (pool.size + pool.page);
    void *base = mmap(NULL, len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED)
        return false;
    struct arena *a = calloc(1, sizeof *a + (size_t)n * sizeof(grt__stack));
    if (a == NULL) {
        munmap(base, len);
        return false;
    }
    a->base = (uintptr_t)base;
    a->len = len;
    a->nslots = (uint32_t)n;
    if (!pool.guard_madvise) {
        /* mprotect splits the mapping: carve now, so hitting the map limit
         * is reported to the spawner instead of failing at first run. */
        while (a->ncarved < a->nslots && slot_carve(a, a->ncarved))
            a->ncarved++;
        if (a->ncarved == 0) {
            munmap(base, len);
            free(a);
            return false;
        }
        a->nslots = a->ncarved;
    }
    a->next = pool.arenas;
    pool.arenas = a;
    pool.nslots += a->nslots;
    return true;
}

/* Reserve n credits (stack_lock held); false if no memory. */
static bool credits_reserve(int64_t want, int64_t *got)
{
    while (pool.nslots - pool.credits_out < want) {
        if (!arena_grow())
            break;
    }
    int64_t avail = pool.nslots - pool.credits_out;
    *got = avail < want ? avail : want;
    pool.credits_out += *got;
    return *got > 0;
}

int grt__stack_credit_take(struct p *pp)
{
    if (pp && pp->stack_credits > 0) {
        pp->stack_credits--;
        return 0;
    }
    int64_t got = 0;
    grt__lock(&pool.lock);
    bool ok = credits_reserve(pp ? CREDIT_BATCH : 1, &got);
    grt__unlock(&pool.lock);
    if (!ok)
        return -ENOMEM;
    if (pp)
        pp->stack_credits += (int32_t)got - 1;
    return 0;
}

void grt__stack_credit_give(struct p *pp)
{
    if (pp) {
        pp->stack_credits++;
        if (pp->stack_credits <= 2 * CREDIT_BATCH)
            return;
        grt__lock(&pool.lock);
        pool.credits_out -= CREDIT_BATCH;
        grt__unlock(&pool.lock);
        pp->stack_credits -= CREDIT_BATCH;
        return;
    }
    grt__lock(&pool.lock);
    pool.credits_out--;
    grt__unlock(&pool.lock);
}

int grt__stack_custom(struct g *gp, size_t size)
{
    size = (size + pool.page - 1) & ~(pool.page - 1);
    size_t len = size + pool.page;
    void *base = mmap(NULL, len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED)
        return errno == ENOMEM ? -ENOMEM : -EAGAIN;
    grt__stack *s = calloc(1, sizeof *s);
    if (s == NULL || !(pool.guard_madvise
                           ? madvise(base, pool.page, MADV_GUARD_INSTALL) == 0
                           : mprotect(base, pool.page, PROT_NONE) == 0)) {
        free(s);
        munmap(base, len);
        return -ENOMEM;
    }
    s->lo = (uintptr_t)base + pool.page;
    s->hi = s->lo + size;
    s->custom = true;
    s->carved = true;
    gp->stack = s;
    gp->stack_lo = s->lo;
    gp->stack_hi = s->hi;
    xadd_relaxed(&pool.custom_bytes, (int64_t)len);
    return 0;
}

/* A stack for a G that holds a credit: warm first, then cold, then fresh. */
static grt__stack *stack_get_global(struct p *pp)
{
    grt__lock(&pool.lock);
    /* Refill half the P cache from the warm pool in one visit. */
    while (pool.warm && pp && pp->nstackcache < GRT_STACKCACHE_MAX / 2) {
        grt__stack *s = pool.warm;
        pool.warm = s->next;
        pool.nwarm--;
        pp->stackcache[pp->nstackcache++] = s;
    }
    grt__stack *s = NULL;
    if (pp && pp->nstackcache > 0) {
        s = pp->stackcache[--pp->nstackcache];
    } else if (pool.warm) {
        s = pool.warm;
        pool.warm = s->next;
        pool.nwarm--;
    } else if (pool.cold) {
        s = pool.cold;
        pool.cold = s->next;
        pool.ncold--;
    } else {
        /* Free stacks may sit in other Ps' caches, which only their owners
         * touch: the credit promised a slot, not that one is reachable from
         * here, so map more rather than wait for them. */
        do {
            for (struct arena *a = pool.arenas; a && !s; a = a->next) {
                if (a->ncarved < a->nslots) {
                    if (!slot_carve(a, a->ncarved))
                        grt__fatal("cannot install a stack guard page (out of memory?)");
                    s = &a->slots[a->ncarved++];
                }
            }
        } while (s == NULL && arena_grow());
    }
    grt__unlock(&pool.lock);
    if (s == NULL)
        grt__fatal("stack pool exhausted with a credit outstanding");
    return s;
}

void grt__stack_bind(struct p *pp, struct g *gp)
{
    grt__stack *s;
    if (likely(pp->nstackcache > 0))
        s = pp->stackcache[--pp->nstackcache];
    else
        s = stack_get_global(pp);
    gp->stack = s;
    gp->stack_lo = s->lo;
    gp->stack_hi = s->hi;
    xadd_relaxed(&pool.nbound, 1);
}

static void stack_put_global(grt__stack *s, int64_t now)
{
    s->idle_since = now;
    if (pool.nwarm < WARM_MAX) {
        s->next = pool.warm;
        pool.warm = s;
        pool.nwarm++;
        return;
    }
    madvise((void *)s->lo, s->hi - s->lo, MADV_DONTNEED);
    s->next = pool.cold;
    pool.cold = s;
    pool.ncold++;
}

static void custom_unmap(grt__stack *s)
{
    size_t len = (s->hi - s->lo) + pool.page;
    grt__race_unmap((void *)(s->lo - pool.page), len);
    munmap((void *)(s->lo - pool.page), len);
    xadd_relaxed(&pool.custom_bytes, -(int64_t)len);
    free(s);
}

/* Shutdown: a goroutine abandoned with a stack of its own size still holds
 * that mapping (the arenas, freed by grt__stack_fini, hold the others). */
void grt__stack_free_abandoned(struct g *gp)
{
    grt__stack *s = gp->stack;
    if (s == NULL || !s->custom)
        return;
    gp->stack = NULL;
    gp->stack_lo = gp->stack_hi = 0;
    custom_unmap(s);
}

void grt__stack_unbind(struct p *pp, struct g *gp)
{
    grt__stack *s = gp->stack;
    gp->stack = NULL;
    gp->stack_lo = gp->stack_hi = 0;
    if (s == NULL)
        return;
    if (s->custom) {
        custom_unmap(s);
        return;
    }
    xadd_relaxed(&pool.nbound, -1);
    if (likely(pp && pp->nstackcache < GRT_STACKCACHE_MAX)) {
        pp->stackcache[pp->nstackcache++] = s;
        return;
    }
    int64_t now = grt__nanotime();
    grt__lock(&pool.lock);
    if (pp) {
        while (pp->nstackcache > GRT_STACKCACHE_MAX / 2)
            stack_put_global(pp->stackcache[--pp->nstackcache], now);
    }
    stack_put_global(s, now);
    grt__unlock(&pool.lock);
}

void grt__stackcache_flush(struct p *pp)
{
    int64_t now = grt__nanotime();
    grt__lock(&pool.lock);
    while (pp->nstackcache > 0)
        stack_put_global(pp->stackcache[--pp->nstackcache], now);
    pool.credits_out -= pp->stack_credits;
    pp->stack_credits = 0;
    grt__unlock(&pool.lock);
}

/* Give back warm stacks nobody used for TRIM_AGE_NS.  The warm list is
 * LIFO and every stack enters it stamped with the time, so it is ordered
 * newest first: cut it at the first stack old enough and give back all
 * that follows, with the madvise calls outside the lock (there may be many
 * thousands; binds must not wait behind them). */
void grt__stack_trim(int64_t now)
{
    grt__lock(&pool.lock);
    grt__stack **link = &pool.warm;
    while (*link && now - (*link)->idle_since <= TRIM_AGE_NS)
        link = &(*link)->next;
    grt__stack *old = *link;
    *link = NULL;
    int64_t n = 0;
    for (grt__stack *s = old; s; s = s->next)
        n++;
    pool.nwarm -= n;
    grt__unlock(&pool.lock);
    if (old == NULL)
        return;
    grt__stack *last = old;
    for (grt__stack *s = old; s; s = s->next) {
        madvise((void *)s->lo, s->hi - s->lo, MADV_DONTNEED);
        last = s;
    }
    grt__lock(&pool.lock);
    last->next = pool.cold;
    pool.cold = old;
    pool.ncold += n;
    grt__unlock(&pool.lock);
}

void grt__stack_stats(int64_t *reserved, int64_t *resident)
{
    grt__lock(&pool.lock);
    int64_t r = 0;
    for (struct arena *a = pool.arenas; a; a = a->next)
        r += (int64_t)a->len;
    /* Resident is estimated, not measured: a warm or bound stack has at
     * least its top page committed; cold and uncarved slots have none. */
    int64_t warm = pool.nwarm + ld_relaxed(&pool.nbound);
    grt__unlock(&pool.lock);
    *reserved = r + ld_relaxed(&pool.custom_bytes);
    *resident = warm * (int64_t)pool.page;
}

void grt__stack_fini(bool keep)
{
    for (struct arena *a = keep ? NULL : pool.arenas; a;) {
        struct arena *next = a->next;
        grt__race_unmap((void *)a->base, a->len);
        munmap((void *)a->base, a->len);
        free(a);
        a = next;
    }
    pool.arenas = NULL;
    pool.warm = pool.cold = NULL;
}

/* Whether addr lies on a guard page of some stack, and which (dumps and the
 * stack-overflow report).  Only for diagnostics: walks the arenas. */
bool grt__stack_is_guard(uintptr_t addr)
{
    for (struct arena *a = pool.arenas; a; a = a->next) {
        if (addr < a->base || addr >= a->base + a->len)
            continue;
        uintptr_t off = (addr - a->base) % (pool.size + pool.page);
        return off < pool.page;
    }
    return false;
}
