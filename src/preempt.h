/*
 * preempt.h - the architecture half of asynchronous preemption, which each
 * src/arch/<arch>/preempt_arch.c provides for src/preempt.c.
 */
#ifndef GRT_PREEMPT_H
#define GRT_PREEMPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* false: the architecture cannot redirect a thread yet; no SIGURG handler
 * is installed and preemption stays cooperative. */
bool      grt__arch_preempt_supported(void);
void      grt__arch_preempt_init(void);
/* Program counter and stack pointer of an interrupted context (ucontext_t). */
uintptr_t grt__arch_uc_pc(void *ucp);
uintptr_t grt__arch_uc_sp(void *ucp);
uintptr_t grt__arch_uc_fp(void *ucp); /* frame pointer (rbp, x29): dumps */
/* Goroutine stack the trampoline needs below the interrupted sp. */
size_t    grt__arch_preempt_stack_need(void);
/* Rewrite the context so that it resumes in grt__async_preempt. */
void      grt__arch_preempt_inject(void *ucp);

/* Called by the trampoline with every register saved. */
void grt__async_preempt_park(void);

#endif
