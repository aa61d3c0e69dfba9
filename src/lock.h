/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lock.h - runtime locks and notes (lock_futex.c implements them on Linux
 * futexes; the encoding of each word is described there).
 */
#ifndef GRT_LOCK_H
#define GRT_LOCK_H

#include <stdbool.h>
#include <stdint.h>

/* A runtime lock: a futex word, 0 unlocked, 1 locked, 2 locked with
 * sleepers.  Held only for short critical sections on the scheduler's own
 * data; holding one marks the M as unpreemptible (m->locks). */
typedef struct grt__mutex {
    uint32_t key;
} grt__mutex;

/* A one-shot wake-up for a single sleeper: noteclear, then exactly one
 * notewakeup and one notesleep in either order. */
typedef struct grt__note {
    uint32_t key;
} grt__note;

void grt__lock(grt__mutex *l);
void grt__unlock(grt__mutex *l);
void grt__note_clear(grt__note *n);
void grt__note_wakeup(grt__note *n);
void grt__note_sleep(grt__note *n);
/* Sleep at most ns nanoseconds (ns < 0: forever); true if woken. */
bool grt__note_tsleep(grt__note *n, int64_t ns);

#endif
