/* Time arithmetic that saturates instead of wrapping: a deadline past
 * INT64_MAX is "never", never a time in the past.  Every computation of a
 * deadline from a time and a duration goes through here. */
#ifndef GRT_DEADLINE_H
#define GRT_DEADLINE_H

#include <stdint.h>

static inline int64_t grt__time_add(int64_t t, int64_t d)
{
    int64_t r;
    if (__builtin_add_overflow(t, d, &r))
        return d > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

#endif
