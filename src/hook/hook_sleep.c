/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hook_sleep.c - sleep, usleep, nanosleep, clock_nanosleep on a goroutine
 * park it for the time (grt_sleep); the thread runs other goroutines.  A
 * parked goroutine is not interrupted by signals, so these never return
 * EINTR there (rem, when given, is left alone).  The goroutine's context
 * does interrupt them: its end fails the call with ECANCELED or ETIMEDOUT.
 */
#include "hook.h"

#include <errno.h>

/* 0 after the sleep (errno as it was), or the errno of the goroutine's
 * context that ended it. */
static int sleep_ns(int64_t ns)
{
    int saved = hook_errno_get();
    int r = hook_park_sleep(ns);
    if (r < 0)
        return -r;
    hook_errno_set(saved);
    return 0;
}

unsigned sleep(unsigned s)
{
    if (!hook_on_g())
        return REAL(sleep)(s);
    int e = sleep_ns((int64_t)s * 1000000000);
    if (e != 0) {
        hook_errno_set(e);
        return s; /* as for a signal: not slept (how much is not kept) */
    }
    return 0;
}

int usleep(useconds_t us)
{
    if (!hook_on_g())
        return REAL(usleep)(us);
    int e = sleep_ns((int64_t)us * 1000);
    return e != 0 ? hook_fail(e) : 0;
}

static bool ts_valid(const struct timespec *ts)
{
    return ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000 && ts->tv_sec >= 0;
}

static int64_t ts_ns_sat(const struct timespec *ts)
{
    if (ts->tv_sec > INT64_MAX / 1000000000 - 1)
        return INT64_MAX;
    return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (!hook_on_g())
        return REAL(nanosleep)(req, rem);
    if (req == NULL)
        return hook_fail(EFAULT);
    if (!ts_valid(req))
        return hook_fail(EINVAL);
    int e = sleep_ns(ts_ns_sat(req));
    return e != 0 ? hook_fail(e) : 0;
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req, struct timespec *rem)
{
    if (!hook_on_g() || (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC &&
                         clock != CLOCK_BOOTTIME && clock != CLOCK_TAI))
        return REAL(clock_nanosleep)(clock, flags, req, rem); /* CPU clocks: libc's */
    if (req == NULL)
        return EFAULT;
    if (req->tv_nsec < 0 || req->tv_nsec >= 1000000000)
        return EINVAL; /* returned, not in errno, like libc's */
    if (!(flags & TIMER_ABSTIME)) {
        return req->tv_sec >= 0 ? sleep_ns(ts_ns_sat(req)) : 0;
    }
    /* Absolute: sleep until that clock reads the time, re-checking in case
     * it was set (CLOCK_REALTIME) while we slept. */
    for (;;) {
        struct timespec now;
        clock_gettime(clock, &now);
        int64_t left = ((int64_t)req->tv_sec - now.tv_sec) * 1000000000 + (req->tv_nsec - now.tv_nsec);
        if (req->tv_sec < 0 || left <= 0)
            return 0;
        int e = sleep_ns(left);
        if (e != 0)
            return e; /* returned, not in errno */
    }
}
