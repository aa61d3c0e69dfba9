/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arch_impl.h (aarch64) - the inline part of the architecture contract
 * (src/arch.h): a goroutine's first frame, reading a saved context, the
 * spin hint, the counter and the g slot.  The frame layout is documented
 * in switch.S.
 */
#ifndef GRT_ARCH_IMPL_H
#define GRT_ARCH_IMPL_H

#include <stdbool.h>
#include <stdint.h>

static inline void *grt__ctx_init(uintptr_t hi, void (*fn)(void *), void *arg)
{
    uintptr_t *sp = (uintptr_t *)((hi & ~(uintptr_t)15) - 176);
    for (int i = 0; i < 22; i++)
        sp[i] = 0;                    /* sp[20]: errno, 0 at start */
    sp[0] = (uintptr_t)fn;            /* x19 */
    sp[1] = (uintptr_t)arg;           /* x20 */
    sp[10] = 0;                       /* x29: end of the frame chain */
    sp[11] = (uintptr_t)grt__gostart; /* x30: where ctx_jump returns */
    return sp;
}

static inline uintptr_t grt__ctx_pc(void *sp) { return ((uintptr_t *)sp)[11]; }
static inline uintptr_t grt__ctx_fp(void *sp) { return ((uintptr_t *)sp)[10]; }

static inline void grt__cpu_relax(void) { __asm__ __volatile__("yield" ::: "memory"); }

/* The generic timer's virtual count (cntvct_el0) is constant-rate by the
 * architecture, but the trace has not been validated with it on hardware
 * yet: it reads clock_gettime, as it always has on aarch64. */
static inline bool grt__arch_counter_usable(void) { return false; }
static inline int64_t grt__arch_counter(void)
{
    uint64_t v;
    __asm__ __volatile__("isb; mrs %0, cntvct_el0" : "=r"(v) : : "memory");
    return (int64_t)v;
}

/* The running thread's grt__g slot (runtime.h, getg).  A goroutine may park
 * inside a runtime function and go on on another thread.  GCC reads
 * tpidr_el0 once per function and keeps the thread-local address in a
 * callee-saved register across calls, so after such a park it would read
 * the old thread's grt__g (seen: grt_mutex_lock reading another M's g after
 * grt__semacquire, a fault under qemu).  So the thread pointer is read at
 * every use, in a volatile asm that calls and memory accesses cannot cross;
 * the slot's offset from it is the same on every thread (initial-exec TLS)
 * and may be kept. */
#define GRT_ARCH_G_SLOT 1
struct g;
static inline struct g **grt__arch_g_slot(void)
{
    uintptr_t off, tp;
    __asm__("adrp %0, :gottprel:grt__g\n\tldr %0, [%0, #:gottprel_lo12:grt__g]" : "=r"(off));
    __asm__ __volatile__("mrs %0, tpidr_el0" : "=r"(tp) : : "memory");
    return (struct g **)(tp + off);
}

#endif
