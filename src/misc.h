/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * misc.h - clocks, per-M random numbers, the CPU count (misc.c).
 */
#ifndef GRT_MISC_H
#define GRT_MISC_H

#include <stdint.h>

int64_t  grt__nanotime(void);
int64_t  grt__nanotime_coarse(void);
uint32_t grt__fastrand(void);
/* A random number in [0, n). */
static inline uint32_t grt__fastrandn(uint32_t n) {
    return (uint32_t)(((uint64_t)grt__fastrand() * n) >> 32);
}
int32_t grt__getncpu(void);
void    grt__osyield(void);

#endif
