/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hook_init.c - libgrt_hook's start: libc's functions found once with
 * dlsym(RTLD_NEXT), GRT_HOOK=0, and the announcement to libgrt
 * (grt_hook_active).  Also errno, touched only out of line (hook.h).
 */
#include "hook.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct hook_real hook_libc;
bool hook_enabled;

void hook_resolve(void)
{
    /* Idempotent: two threads racing here store the same pointers. */
#define HOOK_RESOLVE_ONE(name, ret, args)                                              \
    if (__atomic_load_n(&hook_libc.name, __ATOMIC_ACQUIRE) == NULL)                    \
        __atomic_store_n(&hook_libc.name, (ret(*) args)dlsym(RTLD_NEXT, #name), __ATOMIC_RELEASE);
    HOOK_REAL_LIST(HOOK_RESOLVE_ONE)
#undef HOOK_RESOLVE_ONE
}

__attribute__((constructor)) static void hook_start(void)
{
    hook_resolve();
    const char *e = getenv("GRT_HOOK");
    if (e && strcmp(e, "0") == 0)
        return; /* off: every call goes straight to libc */
    hook_enabled = true;
    grt__hook_attach();
}

__attribute__((noinline)) int hook_errno_get(void)
{
    return errno;
}

__attribute__((noinline)) void hook_errno_set(int e)
{
    errno = e;
}

int hook_fail(int e)
{
    hook_errno_set(e);
    return -1;
}
