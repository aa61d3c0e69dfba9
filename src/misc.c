/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * misc.c - clocks, per-M random numbers, CPU count.
 */
#include "runtime.h"
#include "misc.h"

#include <sched.h>
#include <time.h>
#include <unistd.h>

int64_t grt__nanotime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A clock with the resolution of the kernel's tick (a few ms) at a quarter
 * of the cost: for bookkeeping read on every park (how long a goroutine
 * has waited, shown in dumps in seconds). */
int64_t grt__nanotime_coarse(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t grt_now(void)
{
    return grt__nanotime();
}

/* wyrand: one multiply per number, good statistical quality, and per-M
 * state so no two threads contend.  Threads without an M (foreign ones)
 * use a thread-local state. */
static __thread uint64_t foreign_rand;

static inline uint32_t wyrand(uint64_t *s)
{
    *s += 0xa0761d6478bd642fULL;
    __uint128_t t = (__uint128_t)*s * (*s ^ 0xe7037ed1a0b428dbULL);
    return (uint32_t)((uint64_t)(t >> 64) ^ (uint64_t)t);
}

uint32_t grt__fastrand(void)
{
    struct g *gp = getg();
    if (gp && gp->m)
        return wyrand(&gp->m->fastrand);
    if (foreign_rand == 0)
        foreign_rand = (uint64_t)grt__nanotime() ^ (uint64_t)(uintptr_t)&foreign_rand;
    return wyrand(&foreign_rand);
}

int32_t grt__getncpu(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int32_t)n : 1;
}

void grt__osyield(void)
{
    sched_yield();
}
