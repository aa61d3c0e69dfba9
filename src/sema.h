/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sema.h - semaphores for goroutines, keyed by address (Go's sema.go).
 *
 * *addr is the count.  semacquire waits until it can decrement a non-zero
 * count; semrelease increments it and wakes one waiter.  The word itself
 * belongs to the caller (grt_mutex.sema_, grt_waitgroup.sema_, ...), so any
 * zero-filled uint32_t is a semaphore with count 0.
 */
#ifndef GRT_SEMA_H
#define GRT_SEMA_H

#include "runtime.h"

/* Acquire one unit of *addr, parking the calling goroutine (never the
 * thread) while the count is 0.  lifo queues the caller at the head of the
 * address's waiters (a woken mutex waiter that lost the race goes back to
 * the front).  reason is the WAIT_* shown in dumps.  Goroutines only. */
void grt__semacquire(uint32_t *addr, bool lifo, int reason);

/* grt__semacquire (FIFO) that the goroutine's context can interrupt
 * (ctx.h): 0 with the unit, or the context's error without it. */
int grt__semacquire_intr(uint32_t *addr, int reason);

/* Release one unit and wake the first waiter, if any.  handoff: the waiter
 * gets the unit directly (it cannot be stolen by a running goroutine) and
 * the caller, if it is a goroutine, yields so that the waiter runs next.
 * Callable from any thread. */
void grt__semrelease(uint32_t *addr, bool handoff);

/* Shutdown: forget every waiter (their goroutines were abandoned). */
void grt__sema_fini(void);

#endif
