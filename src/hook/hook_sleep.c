/*
 * hook_sleep.c - sleep, usleep, nanosleep, clock_nanosleep on a goroutine
 * park it for the time (grt_sleep); the thread runs other goroutines.  A
 * parked goroutine is not interrupted by signals, so these never return
 * EINTR there (rem, when given, is left alone: nothing remains).
 */
#include "hook.h"

#include <errno.h>

static void sleep_ns(int64_t ns)
{
    int saved = hook_errno_get();
    grt_sleep(ns);
    hook_errno_set(saved);
}

unsigned sleep(unsigned s)
{
    if (!hook_on_g())
        return REAL(sleep)(s);
    sleep_ns((int64_t)s * 1000000000);
    return 0;
}

int usleep(useconds_t us)
{
    if (!hook_on_g())
        return REAL(usleep)(us);
    sleep_ns((int64_t)us * 1000);
    return 0;
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
    sleep_ns(ts_ns_sat(req));
    return 0;
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
        if (req->tv_sec >= 0)
            sleep_ns(ts_ns_sat(req));
        return 0;
    }
    /* Absolute: sleep until that clock reads the time, re-checking in case
     * it was set (CLOCK_REALTIME) while we slept. */
    for (;;) {
        struct timespec now;
        clock_gettime(clock, &now);
        int64_t left = ((int64_t)req->tv_sec - now.tv_sec) * 1000000000 + (req->tv_nsec - now.tv_nsec);
        if (req->tv_sec < 0 || left <= 0)
            return 0;
        sleep_ns(left);
    }
}
