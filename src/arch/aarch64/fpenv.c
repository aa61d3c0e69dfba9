/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fpenv.c (aarch64) - capturing and loading the baseline FP environment
 * (src/fpenv.h).  The preemption handler writes it into the signal frame
 * it redirects (preempt_arch.c).
 */
#include "fpenv.h"

struct grt__fpenv grt__fpenv_base;

void grt__fpenv_capture(void)
{
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    grt__fpenv_base.ctl = (uint32_t)fpcr;
    grt__fpenv_base.ctl2 = 0;
}

void grt__fpenv_load(void)
{
    uint64_t fpcr = grt__fpenv_base.ctl;
    /* FPSR holds only cumulative flags and QC: cleared. */
    __asm__ volatile("msr fpcr, %0\n\tmsr fpsr, xzr" : : "r"(fpcr) : "memory");
}
