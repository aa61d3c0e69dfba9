/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arch.h - what every architecture provides.  The portable runtime uses
 * these and nothing else of the machine; src/arch/<arch>/ implements them:
 *
 *   switch.S         the context switch, the first frame's entry and exit,
 *                    and the asynchronous preemption trampoline;
 *   arch_impl.h      the inline part (below), included by this header;
 *   preempt_arch.c   the architecture half of asynchronous preemption,
 *                    whose contract is preempt.h.
 *
 * CMake picks the directory (GRT_ARCH) and puts it on the quote include
 * path, so "arch_impl.h" is the chosen architecture's.  No other file
 * tests the architecture: a new port is a new directory, nothing else.
 */
#ifndef GRT_ARCH_H
#define GRT_ARCH_H

#include <stdbool.h>
#include <stdint.h>

/* --- the context switch (switch.S) ------------------------------------
 * A saved context is a stack pointer: the callee-saved registers and the
 * resume pc are pushed on the stack being left (the layout is documented
 * in each switch.S), with errno's value: errno is part of the goroutine,
 * so the switch reads it from the thread being left (errno_loc, that
 * thread's &errno) and ctx_jump writes it into the errno of the thread
 * that resumes.  ctx_init's frame holds 0. */

/* Resume the context saved at sp on the thread whose errno is at
 * errno_loc.  Never returns. */
void grt__ctx_jump(void *sp, int *errno_loc) __attribute__((noreturn));
/* Save the caller's context (and *errno_loc) in *save, move to g0's stack
 * at g0sp (16-byte aligned) and call fn(arg) there.  fn never returns;
 * ctx_jump(*save, ...) later returns from this call. */
void grt__ctx_mcall(void **save, void *g0sp, void (*fn)(void *), void *arg, int *errno_loc);
/* Save the caller's context (and *errno_loc) in *save and call fn(arg) on
 * the same stack (fn never returns; ctx_jump(*save, ...) returns from this
 * call). */
void grt__ctx_save_call(void **save, void (*fn)(void *), void *arg, int *errno_loc);
/* Call fn(arg) on g0's stack at g0sp and come back (systemstack). */
void grt__ctx_systemstack(void (*fn)(void *), void *arg, void *g0sp);
/* The first frame of a goroutine: gostart calls fn(arg) as ctx_init set
 * it up, and fn returns into goexit_stub, which ends the goroutine. */
void grt__gostart(void);
void grt__goexit_stub(void);

/* --- the preemption trampoline (switch.S) -----------------------------
 * preempt_arch.c makes an interrupted goroutine "call" this: it saves
 * every register, calls grt__async_preempt_park (preempt.h) and, once the
 * goroutine is resumed, restores them and goes back to the interrupted pc
 * (see each switch.S for the frame). */
void grt__async_preempt(void);

/* --- the inline part (arch_impl.h) -------------------------------------
 * Each architecture's arch_impl.h defines, as static inline functions:
 *
 *   void     *grt__ctx_init(uintptr_t hi, void (*fn)(void *), void *arg)
 *       the saved context that makes ctx_jump start fn(arg) on a fresh
 *       stack whose top is hi (the sp to store in the gobuf);
 *   uintptr_t grt__ctx_pc(void *sp), grt__ctx_fp(void *sp)
 *       the pc and frame pointer a saved context resumes with (dumps);
 *   void      grt__cpu_relax(void)
 *       the spin-wait hint (pause, yield);
 *   bool      grt__arch_counter_usable(void)
 *   int64_t   grt__arch_counter(void)
 *       a cheap, constant-rate, cross-core-consistent tick counter (the
 *       trace's clock; usable() false: the trace reads clock_gettime);
 *
 * and, where the compiler may keep a thread-local address across a call
 * (aarch64), defines GRT_ARCH_G_SLOT and
 *
 *   struct g **grt__arch_g_slot(void)
 *       the running thread's grt__g slot, computed afresh at every use
 *       (runtime.h's getg). */
#include "arch_impl.h"

#endif
