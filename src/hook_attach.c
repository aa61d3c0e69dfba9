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

static uint32_t hook_attached;

void grt__hook_attach(void)
{
    st_release(&hook_attached, 1); /* pairs with grt_hook_active's acquire */
}

int grt_hook_active(void)
{
    return (int)ld_acquire(&hook_attached);
}
