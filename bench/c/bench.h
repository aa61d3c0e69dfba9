/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench.h - helpers shared by the C benchmark programs (one header, no .c:
 * every bench/c/<name>.c is a whole program).
 *
 * Conventions, the same in the Go twins (bench/go/common):
 *   - argv[1] (or argv[2] for http, after the port) is procs; without it the
 *     program uses its row's fixed procs, else $GRT_MAXPROCS, else 1.
 *   - $GRT_BENCH_SCALE (a positive float, default 1) multiplies the
 *     workload N; QUICK=1 in run.sh sets it to 0.1.
 *   - Exactly one result line on stdout:
 *       name procs=P n=N metric=VALUE unit [key=VALUE ...] [check=VALUE]
 *   - A grt call that returns -ENOSYS (or NULL with errno ENOSYS) prints
 *     "name unsupported: <call>" and exits 77; any other failure prints to
 *     stderr and exits 1.
 */
#ifndef GRT_BENCH_H
#define GRT_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "grt.h"

/* Each program defines BENCH_NAME before including this header. */
#ifndef BENCH_NAME
#error "define BENCH_NAME before including bench.h"
#endif

static inline int64_t bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* user + system CPU seconds of the whole process so far */
static inline double bench_cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static inline double bench_scale(void)
{
    const char *s = getenv("GRT_BENCH_SCALE");
    double v = s && *s ? strtod(s, NULL) : 1.0;
    return v > 0 ? v : 1.0;
}

/* n * scale, at least min */
static inline int64_t bench_n(int64_t n, int64_t min)
{
    int64_t v = (int64_t)llround((double)n * bench_scale());
    return v < min ? min : v;
}

/* procs: argv[idx] if present, else fixed (> 0), else $GRT_MAXPROCS, else 1 */
static inline int bench_procs(int argc, char **argv, int idx, int fixed)
{
    if (argc > idx && argv[idx][0]) return atoi(argv[idx]);
    if (fixed > 0) return fixed;
    const char *e = getenv("GRT_MAXPROCS");
    if (e && *e && atoi(e) > 0) return atoi(e);
    return 1;
}

static inline void bench_unsupported(const char *call)
{
    printf("%s unsupported: %s\n", BENCH_NAME, call);
    fflush(stdout);
    _exit(77);
}

static inline void bench_fail(const char *call, long err)
{
    fprintf(stderr, "%s: %s failed: %ld (%s)\n", BENCH_NAME, call, err,
            strerror((int)(err < 0 ? -err : err)));
    fflush(stderr);
    _exit(1);
}

/* Check an int result of a grt call: -ENOSYS -> 77, other negative -> 1. */
#define BENCH_CHECK(call_expr, call_name)                                   \
    do {                                                                    \
        long r_ = (long)(call_expr);                                        \
        if (r_ == -ENOSYS) bench_unsupported(call_name);                    \
        if (r_ < 0) bench_fail(call_name, r_);                              \
    } while (0)

/* Check a pointer result: NULL with errno ENOSYS -> 77, other NULL -> 1. */
#define BENCH_CHECK_PTR(ptr, call_name)                                     \
    do {                                                                    \
        if ((ptr) == NULL) {                                                \
            int e_ = errno;                                                 \
            if (e_ == ENOSYS) bench_unsupported(call_name);                 \
            bench_fail(call_name, -(long)e_);                               \
        }                                                                   \
    } while (0)

/* Run main_fn as the main goroutine on procs Ps with the default stack. */
static inline void bench_run(int procs, grt_fn main_fn, void *arg)
{
    grt_config cfg = {.procs = procs, .stack_size = 0};
    int r = grt_run(&cfg, main_fn, arg);
    if (r == -ENOSYS) bench_unsupported("grt_run");
    if (r < 0) bench_fail("grt_run", r);
}

/* VmRSS of this process in KiB, from /proc/self/status; -1 if unknown */
static inline long bench_vmrss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

#endif /* GRT_BENCH_H */
