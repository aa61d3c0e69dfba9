/*
 * signotify.h - the program's signals (os/signal): grt_signal_notify and
 * grt_signal_stop, and the runtime-internal watchers built on the same path
 * (grt_signal_ctx).
 *
 * One path: the handler only sets a pending bit and writes to an eventfd;
 * the eventfd is registered with the poller under grt__signal_pd, and the
 * poller calls grt__signal_deliver, which sends on the channels (and runs
 * the watchers) from the scheduler, never from the handler.
 */
#ifndef GRT_SIGNOTIFY_H
#define GRT_SIGNOTIFY_H

#include "netpoll.h"

/* The poller's handle for the wake-up eventfd: grt__netpoll_ready passes
 * an event on it to grt__signal_deliver instead of a wait slot. */
extern grt__polldesc grt__signal_pd;

/* Deliver every pending signal (on the scheduler: any M, with or without
 * a P; never parks). */
void grt__signal_deliver(void);

/* A runtime-owned watcher (grt_signal_ctx): fn(arg, signo) runs on the
 * scheduler, without this file's lock (so it may end a context, and the
 * context's end may unwatch), for each signal of sigs[0..n) that arrives,
 * until grt__signal_unwatch(*handle).  A call may still be running when
 * unwatch returns: drop(arg) (if not NULL) runs once neither unwatch nor
 * any delivery uses arg any more, which is when its owner may free it.
 * fn must not park.  0, -EINVAL for a refused signal, -ENOMEM, -ESRCH when
 * the runtime is not running.  The watcher outlives grt_run's end (which
 * only stops its signals) until it is unwatched. */
int  grt__signal_watch(const int *sigs, size_t n, void (*fn)(void *arg, int signo),
                       void (*drop)(void *arg), void *arg, void **handle);
void grt__signal_unwatch(void *handle);

/* grt_run's end: every registration dropped, dispositions restored. */
void grt__signal_notify_fini(void);

#endif
