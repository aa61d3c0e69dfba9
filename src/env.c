/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * env.c - the GRT_DEBUG environment variable:
 *   GRT_DEBUG=schedtrace=MS,scheddetail=1,asyncpreemptoff=1
 * Unknown keys are ignored, as Go ignores unknown GODEBUG settings.
 * One key exists for testing only: preemptstress=US makes a thread request
 * asynchronous preemption of every running goroutine every US microseconds
 * (preempt.c), so tests reach thousands of preemptions a second.  Another,
 * offloadidle=MS, retires idle grt_offload threads after MS instead of 10 s.
 */
#include "env.h"

#include <stdlib.h>
#include <string.h>

struct grt__debug grt__debug;

void grt__parse_env(void)
{
    memset(&grt__debug, 0, sizeof grt__debug);
    const char *s = getenv("GRT_DEBUG");
    while (s && *s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        if (eq) {
            size_t klen = (size_t)(eq - s);
            int32_t v = (int32_t)strtol(eq + 1, NULL, 10);
            if (klen == 10 && !memcmp(s, "schedtrace", 10))
                grt__debug.schedtrace = v;
            else if (klen == 11 && !memcmp(s, "scheddetail", 11))
                grt__debug.scheddetail = v;
            else if (klen == 15 && !memcmp(s, "asyncpreemptoff", 15))
                grt__debug.asyncpreemptoff = v;
            else if (klen == 13 && !memcmp(s, "preemptstress", 13))
                grt__debug.preemptstress = v;
            else if (klen == 11 && !memcmp(s, "offloadidle", 11))
                grt__debug.offloadidle = v;
        }
        s = end ? end + 1 : NULL;
    }
}
