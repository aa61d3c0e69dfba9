/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * group.c - grt_group: errgroup.WithContext with SetLimit, built from the
 * public pieces: a context for the members, a waitgroup for their count,
 * a weighted semaphore for the limit.
 */
#include "runtime.h"

#include <errno.h>
#include <stdlib.h>

struct grt_group {
    grt_ctx      *ctx;     /* the program's reference, the group's */
    grt_waitgroup wg;
    grt_sem       slots;   /* capacity = limit, when limit > 0 */
    int           limit;
    int32_t       err;     /* atomic: the first non-zero result */
    int64_t       active;  /* atomic: members started and not finished */
    int64_t       refs;    /* atomic: the program's 1 + one per member, which
                              still touches g after its waitgroup done */
};

static void group_unref(grt_group *g)
{
    /* acq_rel: every member's last touch happens before the free */
    if (xadd_acqrel(&g->refs, -1) != 0)
        return;
    grt_ctx_release(g->ctx);
    free(g);
}

struct member {
    grt_group  *g;
    grt_task_fn fn;
    void       *arg;
};

grt_group *grt_group_new(grt_ctx *parent)
{
    grt_group *g = calloc(1, sizeof *g);
    if (g == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    g->refs = 1;
    g->ctx = grt_ctx_with_cancel(parent);
    if (g->ctx == NULL) {
        free(g);
        errno = ENOMEM;
        return NULL;
    }
    return g;
}

grt_ctx *grt_group_ctx(grt_group *g)
{
    if (g == NULL) {
        errno = EINVAL;
        return NULL;
    }
    return g->ctx;
}

int grt_group_limit(grt_group *g, int n)
{
    if (g == NULL)
        return -EINVAL;
    if (ld_acquire(&g->active) != 0) /* acquire: pairs with the members' decrement */
        return -EBUSY;
    g->limit = n > 0 ? n : 0;
    grt_sem_init(&g->slots, g->limit);
    return 0;
}

static void member_main(void *arg)
{
    struct member m = *(struct member *)arg;
    free(arg);
    grt_group *g = m.g;
    int r = m.fn(m.arg);
    /* relaxed on failure: only the winner's value matters, and wait reads
     * it after the waitgroup's acquire */
    if (r != 0 && __atomic_compare_exchange_n(&g->err, &(int32_t){0}, r, false,
                                              __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        grt_ctx_cancel(g->ctx);
    if (g->limit > 0)
        grt_sem_release(&g->slots, 1);
    xadd_acqrel(&g->active, -1); /* acq_rel: pairs with grt_group_limit */
    grt_waitgroup_done(&g->wg);
    group_unref(g);
}

int grt_group_go(grt_group *g, grt_task_fn fn, void *arg)
{
    if (g == NULL || fn == NULL)
        return -EINVAL;
    int err = grt_ctx_err(g->ctx);
    if (err != 0)
        return err;
    if (g->limit > 0 && (err = grt_sem_acquire(&g->slots, 1, GRT_FOREVER)) != 0)
        return err;
    /* the context may have ended while we waited for a slot */
    struct member *m = (err = grt_ctx_err(g->ctx)) == 0 ? malloc(sizeof *m) : NULL;
    if (m == NULL) {
        if (g->limit > 0)
            grt_sem_release(&g->slots, 1);
        return err != 0 ? err : -ENOMEM;
    }
    *m = (struct member){g, fn, arg};
    xadd_acqrel(&g->active, 1); /* acq_rel: pairs with grt_group_limit */
    xadd_relaxed(&g->refs, 1);  /* relaxed: the caller holds one */
    grt_waitgroup_add(&g->wg, 1);
    int rc = grt_go_ctx(g->ctx, member_main, m);
    if (rc != 0) {
        free(m);
        if (g->limit > 0)
            grt_sem_release(&g->slots, 1);
        xadd_acqrel(&g->active, -1);
        grt_waitgroup_done(&g->wg);
        group_unref(g);
    }
    return rc;
}

int grt_group_wait(grt_group *g)
{
    if (g == NULL)
        return -EINVAL;
    int rc = 0;
    if (grt__curg() != NULL) {
        /* Not interrupted by the caller's context (API.md): wait under
         * background. */
        grt_ctx *old = grt_ctx_swap(grt_ctx_background());
        rc = grt_waitgroup_wait(&g->wg);
        grt_ctx_swap(old);
    } else if (ld_acquire(&g->active) != 0) { /* acquire: pairs with the members' decrement */
        return -EPERM; /* it would have to park */
    }
    grt_ctx_cancel(g->ctx);
    if (rc != 0)
        return rc;
    return ld_relaxed(&g->err); /* relaxed: the waitgroup's acquire orders it */
}

void grt_group_free(grt_group *g)
{
    if (g == NULL)
        return;
    group_unref(g);
}
