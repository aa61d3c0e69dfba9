/*
 * gls.c - goroutine-local storage: pthread_key_create and friends, with a
 * value per goroutine instead of per thread, so that a goroutine sees its
 * own values on whichever thread it runs.
 *
 * Keys are process-wide, like pthread's: a table of GRT_KEYS_MAX slots,
 * each with a generation and a destructor.  A key names its slot and the
 * generation it was created in (key = gen << 7 | slot), so a key deleted
 * and created again is a different key, and a zero-filled grt_key is never
 * valid.  Each goroutine's values are an array indexed by slot, allocated
 * on its first grt_setspecific, each value tagged with the generation it
 * was set under: get and set are O(1), and a value set under an earlier
 * life of the slot is simply not seen.
 *
 * At exit (its function returned, or grt_exit) the goroutine itself runs
 * the destructors of its non-NULL values whose keys still live, setting
 * each value to NULL first, and repeats while a destructor set a value
 * again, at most GRT_KEYS_DESTRUCTOR_ITERATIONS rounds (pthread's rule).
 * Goroutines abandoned when grt_run returns run nothing: their values are
 * freed with them (grt.h).
 */
#include "gls.h"

#include <errno.h>
#include <stdlib.h>

#define SLOT_BITS 7 /* GRT_KEYS_MAX == 1 << SLOT_BITS */
#define GEN_MASK  ((1u << (32 - SLOT_BITS)) - 1)

_Static_assert(GRT_KEYS_MAX == 1u << SLOT_BITS, "key encoding");

static struct {
    grt__mutex lock; /* create and delete */
    struct {
        uint32_t state;              /* gen << 1 | in use (atomic) */
        void   (*dtor)(void *value); /* written before state publishes it */
    } keys[GRT_KEYS_MAX];
} kt;

/* The slot of a live key, or -1. */
static inline int key_slot(grt_key key, uint32_t *gen)
{
    uint32_t slot = key & (GRT_KEYS_MAX - 1);
    *gen = key >> SLOT_BITS;
    /* acquire: pairs with the release in create, so the destructor written
     * before is visible with the state */
    if (*gen == 0 || ld_acquire(&kt.keys[slot].state) != (*gen << 1 | 1))
        return -1;
    return (int)slot;
}

int grt_key_create(grt_key *key, void (*destructor)(void *value))
{
    if (key == NULL)
        return -EINVAL;
    grt__lock(&kt.lock);
    for (uint32_t i = 0; i < GRT_KEYS_MAX; i++) {
        uint32_t st = kt.keys[i].state;
        if (st & 1)
            continue;
        uint32_t gen = ((st >> 1) + 1) & GEN_MASK;
        if (gen == 0)
            gen = 1;
        kt.keys[i].dtor = destructor;
        st_release(&kt.keys[i].state, gen << 1 | 1);
        grt__unlock(&kt.lock);
        *key = gen << SLOT_BITS | i;
        return 0;
    }
    grt__unlock(&kt.lock);
    return -EAGAIN;
}

int grt_key_delete(grt_key key)
{
    uint32_t gen;
    grt__lock(&kt.lock);
    int slot = key_slot(key, &gen);
    if (slot >= 0)
        st_release(&kt.keys[slot].state, gen << 1); /* free, same generation */
    grt__unlock(&kt.lock);
    return slot >= 0 ? 0 : -EINVAL;
}

void *grt_getspecific(grt_key key)
{
    struct g *gp = grt__curg();
    uint32_t gen;
    int slot;
    if (gp == NULL || gp->gls == NULL || (slot = key_slot(key, &gen)) < 0)
        return NULL;
    return gp->gls->slot[slot].gen == gen ? gp->gls->slot[slot].val : NULL;
}

int grt_setspecific(grt_key key, const void *value)
{
    struct g *gp = grt__curg();
    if (gp == NULL)
        return -EPERM;
    uint32_t gen;
    int slot = key_slot(key, &gen);
    if (slot < 0)
        return -EINVAL;
    if (gp->gls == NULL) {
        if (value == NULL)
            return 0; /* nothing to record */
        if ((gp->gls = calloc(1, sizeof *gp->gls)) == NULL)
            return -ENOMEM;
    }
    gp->gls->slot[slot].val = (void *)value;
    gp->gls->slot[slot].gen = gen;
    return 0;
}

void grt__gls_exit(struct g *gp)
{
    struct grt__gls *v = gp->gls;
    for (int round = 0; round < GRT_KEYS_DESTRUCTOR_ITERATIONS; round++) {
        bool called = false;
        for (uint32_t i = 0; i < GRT_KEYS_MAX; i++) {
            void *val = v->slot[i].val;
            if (val == NULL)
                continue;
            v->slot[i].val = NULL;
            uint32_t st = ld_acquire(&kt.keys[i].state);
            void (*dtor)(void *) = kt.keys[i].dtor;
            if (st != (v->slot[i].gen << 1 | 1) || dtor == NULL)
                continue; /* deleted since: no destructor, as in pthread */
            dtor(val);
            called = true;
        }
        if (!called)
            break;
    }
    grt__gls_free(gp);
}

void grt__gls_free(struct g *gp)
{
    free(gp->gls);
    gp->gls = NULL;
}
