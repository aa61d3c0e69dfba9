/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fpenv.h - the floating-point environment goroutines start from.
 *
 * Goroutines share their thread's floating-point environment, as Go's do:
 * a switch at a park is a function call, and a goroutine that changes the
 * rounding mode must put it back before a call that can park.  An
 * asynchronous preemption is not a call, so the preemption trampoline
 * saves the goroutine's whole FP state and, before the thread goes on to
 * the scheduler and the next goroutine, loads the baseline below; on
 * resume it puts the goroutine's own state back exactly.  The baseline is
 * the control state of the thread that called grt_run (x86-64: the x87
 * control word and MXCSR's control bits, with the x87 stack empty and no
 * exception flag raised; aarch64: FPCR, with FPSR clear), and every M
 * loads it when it starts, so a new thread does not inherit whatever its
 * creator was running with.
 */
#ifndef GRT_FPENV_H
#define GRT_FPENV_H

#include <stdint.h>

/* Read by the trampolines (src/arch/<arch>/switch.S, preempt_arch.c):
 * x86-64: ctl = MXCSR (flags clear), ctl2 = x87 control word;
 * aarch64: ctl = FPCR. */
struct grt__fpenv {
    uint32_t ctl;
    uint32_t ctl2;
};
extern struct grt__fpenv grt__fpenv_base;

/* grt_run, on the calling thread: take its environment as the baseline. */
void grt__fpenv_capture(void);
/* Load the baseline into the running thread (every M, when it starts). */
void grt__fpenv_load(void);

#endif
