/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arch_impl.h (x86-64) - the inline part of the architecture contract
 * (src/arch.h): a goroutine's first frame, reading a saved context, the
 * spin hint and the TSC.  The frame layout is documented in switch.S.
 */
#ifndef GRT_ARCH_IMPL_H
#define GRT_ARCH_IMPL_H

#include <cpuid.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Build the frame that makes grt__ctx_jump start fn(arg) on [lo, hi):
 * returns the sp to store in the gobuf. */
static inline void *grt__ctx_init(uintptr_t hi, void (*fn)(void *), void *arg)
{
    uintptr_t *sp = (uintptr_t *)(hi & ~(uintptr_t)15);
    *--sp = (uintptr_t)grt__goexit_stub; /* fn's return address */
    *--sp = (uintptr_t)grt__gostart;     /* popped by ctx_jump's ret */
    *--sp = 0;                           /* rbp: end of the frame chain */
    *--sp = (uintptr_t)fn;               /* rbx */
    *--sp = (uintptr_t)arg;              /* r12 */
    *--sp = 0;                           /* r13 */
    *--sp = 0;                           /* r14 */
    *--sp = 0;                           /* r15 */
    *--sp = 0;                           /* errno: a goroutine starts with 0 */
    return sp;
}

/* The pc and frame pointer a saved context will resume with. */
static inline uintptr_t grt__ctx_pc(void *sp) { return ((uintptr_t *)sp)[7]; }
static inline uintptr_t grt__ctx_fp(void *sp) { return ((uintptr_t *)sp)[6]; }

static inline void grt__cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }

/* The TSC, where it is invariant (constant rate in every P- and C-state,
 * CPUID 0x80000007 EDX bit 8): a third of the cost of clock_gettime. */
static inline bool grt__arch_counter_usable(void)
{
    unsigned a, b, c, d;
    if ((unsigned)__get_cpuid_max(0x80000000, NULL) < 0x80000007u)
        return false;
    __cpuid(0x80000007, a, b, c, d);
    return (d >> 8) & 1;
}
static inline int64_t grt__arch_counter(void) { return (int64_t)__builtin_ia32_rdtsc(); }

#endif
