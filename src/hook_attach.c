/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hook_attach.c - how libgrt learns that libgrt_hook is in the process.
 *
 * The hook's constructor calls grt__hook_attach (unless GRT_HOOK=0): it
 * runs when the hook is loaded, before main and before grt_run, whether
 * the hook was linked in or preloaded.  libgrt needs nothing else from the
 * hook: the runtime's own descriptor calls go through sys.h and never
 * reach it.
 */
#include "runtime.h"

/* Exported for libgrt_hook only (not in grt.h). */
GRT_EXTERN void grt__hook_attach(void);
GRT_EXTERN void grt__hook_park_begin(void);
GRT_EXTERN void grt__hook_park_end(void);

static uint32_t hook_attached;

void grt__hook_attach(void)
{
    st_release(&hook_attached, 1); /* pairs with grt_hook_active's acquire */
}

int grt_hook_active(void)
{
    return (int)ld_acquire(&hook_attached);
}

/* Before a hooked call's park: parks record their M until park_end. */
void grt__hook_park_begin(void)
{
    struct g *gp = getg();
    if (gp != NULL && gp != gp->m->g0)
        gp->affine = true;
}

/* After it: count where the goroutine resumed, if it parked. */
void grt__hook_park_end(void)
{
    struct g *gp = getg();
    if (gp == NULL || !gp->affine)
        return;
    gp->affine = false;
    if (gp->affm != NULL) {
        xadd_relaxed(gp->affm == gp->m ? &grt__sched.naffine_home : &grt__sched.naffine_away, 1);
        gp->affm = NULL;
    }
}
