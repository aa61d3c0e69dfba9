/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sync.h - what the sync objects (sync.c) need from the rest of the runtime:
 * their reset when grt_run returns.
 *
 * A goroutine records on its own stack, in a chain from g->syncref, every
 * sync object it is parked on or inside (a once whose fn it runs, an
 * rwmutex it is locking, a cond it waits on, the mutex it then locks
 * again).  A goroutine abandoned at shutdown leaves that chain behind, and
 * grt__allg_syncref_reset zeroes every object on it: the zero state is the fresh
 * one, and nothing of the old run (sudogs, semaphore counts meant for
 * abandoned waiters, a waiter count) survives into the next.
 */
#ifndef GRT_SYNC_H
#define GRT_SYNC_H

#include "runtime.h"

struct grt__syncref {
    struct g            *g;    /* the goroutine whose chain this is on */
    void                *obj;  /* the object, zeroed at shutdown */
    size_t               size;
    struct grt__syncref *up;   /* the one recorded before (outer call) */
};

/* The walk at shutdown is grt__allg_syncref_reset (g.h): the goroutine
 * records are the scheduler's. */

#endif
