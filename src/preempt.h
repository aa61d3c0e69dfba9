/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * preempt.h - asynchronous preemption: what src/preempt.c offers the
 * scheduler, and the architecture half, which each
 * src/arch/<arch>/preempt_arch.c provides for src/preempt.c.
 */
#ifndef GRT_PREEMPT_H
#define GRT_PREEMPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct g;
struct m;

/* --- preempt.c, for the scheduler ------------------------------------ */

void grt__preempt_init(void);      /* grt_run: install SIGURG if possible */
void grt__preempt_fini(void);
void grt__preempt_uninstall(void);
/* Ask mp, running gp, to stop at the next safe instruction. */
void grt__preempt_signal(struct m *mp, struct g *gp);

/* --- the architecture half ------------------------------------------- */

/* false: the architecture cannot redirect a thread yet; no SIGURG handler
 * is installed and preemption stays cooperative. */
bool      grt__arch_preempt_supported(void);
void      grt__arch_preempt_init(void);
/* Program counter and stack pointer of an interrupted context (ucontext_t). */
uintptr_t grt__arch_uc_pc(void *ucp);
uintptr_t grt__arch_uc_sp(void *ucp);
/* Does a general-purpose register of the interrupted context hold v?
 * (preempt.c: the thread's errno address, see there.) */
bool      grt__arch_uc_holds(void *ucp, uintptr_t v);
uintptr_t grt__arch_uc_fp(void *ucp); /* frame pointer (rbp, x29): dumps */
/* Whether the instruction at pc (readable, 4 bytes at least) is one that
 * PLT stubs and linker veneers are made of (see in_call_stub). */
bool      grt__arch_insn_in_stub(uintptr_t pc);
/* Goroutine stack the trampoline needs below the interrupted sp. */
size_t    grt__arch_preempt_stack_need(void);
/* Rewrite the context so that it resumes in grt__async_preempt.  False if
 * the architecture cannot carry this context (the request then stays
 * pending, as for any other unsafe point). */
bool      grt__arch_preempt_inject(void *ucp);
/* Whether [lo, hi), the live part of a goroutine stack above an
 * interrupted sp, holds a signal frame that the kernel built: the
 * interrupted code is then inside a signal handler running on that stack
 * (preempt.c, in_handler).  Reads the stack only. */
bool      grt__arch_sigframe_in(uintptr_t lo, uintptr_t hi);
/* Called first for every SIGURG.  True if the signal belongs to a
 * trampoline on its way back (aarch64 returns to the interrupted code
 * through a signal of its own, see src/arch/aarch64/preempt_arch.c): the
 * context was rewritten, or the trampoline will ask again; either way the
 * signal is not the program's and not a preemption request. */
bool      grt__arch_preempt_resume(void *ucp);

/* Called by the trampoline with every register saved. */
void grt__async_preempt_park(void);

#endif
