/*
 * arch.h (x86-64) - building a goroutine's first frame, and reading a
 * saved context for stack traces.  The layout is documented in switch.S.
 */
#ifndef GRT_ARCH_H
#define GRT_ARCH_H
#include <stdint.h>

void grt__ctx_jump(void *sp) __attribute__((noreturn));
void grt__ctx_mcall(void **save, void *g0sp, void (*fn)(void *), void *arg);
void grt__ctx_save_call(void **save, void (*fn)(void *), void *arg);
void grt__ctx_systemstack(void (*fn)(void *), void *arg, void *g0sp);
void grt__gostart(void);
void grt__goexit_stub(void);

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
    return sp;
}

/* The pc and frame pointer a saved context will resume with. */
static inline uintptr_t grt__ctx_pc(void *sp) { return ((uintptr_t *)sp)[6]; }
static inline uintptr_t grt__ctx_fp(void *sp) { return ((uintptr_t *)sp)[5]; }

static inline void grt__cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }

#endif
