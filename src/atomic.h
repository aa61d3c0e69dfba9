/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * atomic.h - the memory orderings grt uses, named.
 *
 * Thin wrappers over the GCC/Clang __atomic builtins so that each atomic
 * line in the runtime says which ordering it needs, and the comment beside
 * it can say what it pairs with.  The builtins work on plain integer and
 * pointer fields, so the structs in runtime.h stay plain C.
 */
#ifndef GRT_ATOMIC_H
#define GRT_ATOMIC_H

#define ld_relaxed(p)     __atomic_load_n((p), __ATOMIC_RELAXED)
#define ld_acquire(p)     __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ld_seqcst(p)      __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define st_relaxed(p, v)  __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define st_release(p, v)  __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define st_seqcst(p, v)   __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define xchg_acqrel(p, v) __atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)
#define xadd_acqrel(p, v) __atomic_add_fetch((p), (v), __ATOMIC_ACQ_REL)
#define xadd_relaxed(p, v) __atomic_add_fetch((p), (v), __ATOMIC_RELAXED)
#define xadd_seqcst(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define or_acqrel(p, v)   __atomic_fetch_or((p), (v), __ATOMIC_ACQ_REL)
#define and_acqrel(p, v)  __atomic_fetch_and((p), (v), __ATOMIC_ACQ_REL)

/* Compare-and-swap returning success; *expected is not updated for the
 * caller (a copy is taken), which keeps call sites free of temporaries. */
#define cas_ordered(p, old, new, order)                                        \
    __extension__({                                                            \
        __typeof__(*(p)) cas_expected_ = (old);                                \
        __atomic_compare_exchange_n((p), &cas_expected_, (new), 0, (order),    \
                                    __ATOMIC_RELAXED);                         \
    })
#define cas_acqrel(p, old, new)  cas_ordered(p, old, new, __ATOMIC_ACQ_REL)
#define cas_release(p, old, new) cas_ordered(p, old, new, __ATOMIC_RELEASE)
#define cas_acquire(p, old, new) cas_ordered(p, old, new, __ATOMIC_ACQUIRE)
#define cas_seqcst(p, old, new)  cas_ordered(p, old, new, __ATOMIC_SEQ_CST)

/* A full barrier: orders an earlier store before a later load (the store
 * buffer drain that the spinning protocol in sched.c depends on). */
#ifdef GRT_TSAN
/* TSan does not model fences; a seq-cst read-modify-write is a full barrier
 * it understands (and on x86 the same instruction class). */
extern int grt__fence_word;
#define fence_seqcst() ((void)__atomic_fetch_add(&grt__fence_word, 0, __ATOMIC_SEQ_CST))
#else
#define fence_seqcst() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

/* Increment a counter that only its owner writes but others read: a plain
 * load and an atomic (relaxed) store, no locked instruction. */
#define inc_owner(p) st_relaxed((p), ld_relaxed(p) + 1)

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif
