/* SPDX-License-Identifier: BSD-3-Clause */
/* offload.h - the blocking-call pool behind grt_offload (offload.c).
 *
 * A request is heap-owned and reference counted: one reference for the
 * waiting goroutine, one for the pool.  A waiter that stops waiting (its
 * deadline passed; later, its context ended) drops its reference and
 * leaves; the pool thread finishes fn, calls done (if any) and drops the
 * last one, so nothing the pool touches lives on the waiter's stack. */
#ifndef GRT_OFFLOAD_H
#define GRT_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "grt.h"

typedef struct grt__offload grt__offload;

/* A request to run fn(arg) in the pool.  done(arg), if not NULL, runs on the
 * pool thread after fn when the waiter has abandoned the request (it owns
 * arg then: free what fn produced); with it, a request abandoned before
 * it started (or under a context that had ended) never runs fn.  Without
 * it fn runs once whenever the request was queued.  NULL and errno on
 * failure. */
grt__offload *grt__offload_new(grt_fn fn, void *arg, grt_fn abandoned);
/* Queue it and park until fn has returned or deadline passes: 0, or
 * -ETIMEDOUT (also for a deadline already past: fn is not started), the
 * error of the caller's context when it ends first, or
 * -ESRCH/-EAGAIN when it cannot be queued.  The request is gone when it
 * returns; after a failure arg belongs to the abandoned callback, which
 * has run or will run when fn returns. */
int grt__offload_wait(grt__offload *o, int64_t deadline);

/* grt_run: start (reads GRT_OFFLOAD_THREADS) and stop the pool.  stop
 * returns true while a call whose goroutine still waited for it runs: fn
 * may be using that goroutine's stack, so the stacks must be kept. */
void grt__offload_start(void);
bool grt__offload_stop(void);
/* Requests queued or running (deadlock detection: their waiters will wake). */
int64_t grt__offload_pending(void);
void grt__offload_stats(int64_t *threads, int64_t *queued, int64_t *total);

#endif
