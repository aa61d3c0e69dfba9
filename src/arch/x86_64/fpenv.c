/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fpenv.c (x86-64) - capturing and loading the baseline FP environment
 * (src/fpenv.h).  The preemption trampoline (switch.S) loads it itself.
 */
#include "fpenv.h"

#define MXCSR_FLAGS 0x3fu /* IE DE ZE OE UE PE: status, not environment */

struct grt__fpenv grt__fpenv_base = {.ctl = 0x1f80, .ctl2 = 0x037f};

void grt__fpenv_capture(void)
{
    uint32_t mxcsr;
    uint16_t cw;
    __asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mxcsr), "=m"(cw));
    grt__fpenv_base.ctl = mxcsr & ~MXCSR_FLAGS;
    grt__fpenv_base.ctl2 = cw;
}

void grt__fpenv_load(void)
{
    uint16_t cw = (uint16_t)grt__fpenv_base.ctl2;
    /* A C function is entered with the x87 stack empty: no fninit here. */
    __asm__ volatile("fldcw %0\n\tldmxcsr %1" : : "m"(cw), "m"(grt__fpenv_base.ctl));
}
