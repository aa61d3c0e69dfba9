/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sched.h - the scheduler (sched.c): switching goroutines, parking and
 * readying them, spawning, and the questions the synchronisation
 * primitives ask the scheduler instead of reading its state themselves.
 */
#ifndef GRT_SCHED_H
#define GRT_SCHED_H

#include "runtime.h"

/* Run the scheduler on this M's g0: find a goroutine and switch to it. */
_Noreturn void grt__schedule(void);
/* Park the calling goroutine with reason (WAIT_*).  unlockf(gp, arg) runs on
 * g0 after the switch; returning false resumes gp at once. */
void grt__gopark(bool (*unlockf)(struct g *gp, void *arg), void *arg, int reason);
/* Park, releasing l once the goroutine is off its stack. */
void grt__goparkunlock(grt__mutex *l, int reason);
/* Make a parked goroutine runnable: from any thread, with or without a P. */
void grt__goready(struct g *gp);
/* Readying many goroutines at once (timers, netpoll): between begin and
 * end, goready queues without waking another M per goroutine; end wakes
 * one if any was readied.  On an M (g0 or a goroutine). */
void grt__ready_batch_begin(void);
void grt__ready_batch_end(void);
/* Make a list of runnable-to-be goroutines (G_WAITING, linked through
 * schedlink, n of them) runnable: as many as there are idle Ps go to the
 * global queue with an M started for each, the rest to the caller's P
 * (Go's injectglist).  Any thread. */
void grt__injectglist(struct g *head, int32_t n);
/* The same for a list the poller returned, counted in the statistics. */
void grt__netpoll_inject(struct g *head, int32_t n);
/* Start an M to run a P if one is idle and nobody is spinning. */
void grt__wakep(void);
/* A timer at `when` was added: make sure somebody runs it in time. */
void grt__timer_sleeper_kick(int64_t when);

/* Move gp from status old to new.  Only the owner of a transition writes
 * the status, so finding anything but old is a runtime bug (fatal). */
void grt__gstatus_move(struct g *gp, uint32_t old, uint32_t new);
const char *grt__status_name(uint32_t s);
extern const char *const grt__wait_reason_names[WAIT_NREASONS];

/* Switch to g0 and call fn(gp) there, gp being the goroutine left. */
void grt__mcall(void (*fn)(struct g *gp));
/* Call fn(arg) on g0's stack and come back. */
void grt__systemstack(void (*fn)(void *arg), void *arg);
/* The calling goroutine ends here. */
_Noreturn void grt__goexit1(void);
/* Run gp, which was in a syscall, on this M (syscall.c's exit path). */
_Noreturn void grt__execute_from_syscall(struct g *gp);
_Noreturn void grt__fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A thread grt did not create made a call that can ready a goroutine (or
 * could next time): deadlock detection is off for the rest of the run
 * (API.md), since that thread may do it again at any time.  Every such
 * public entry point calls grt__foreign_note first; on a runtime thread it
 * costs one thread-local load. */
void grt__foreign_note_slow(void);
static inline void grt__foreign_note(void)
{
    if (__builtin_expect(getg() == NULL, 0))
        grt__foreign_note_slow();
}

/* Spawning (grt_go and the runtime's own goroutines). */
int grt__newproc(grt_fn fn, void *arg, const grt_attr *attr);
/* newproc that also hands back the new G (schedinit marks the main one). */
int grt__newproc_g(grt_fn fn, void *arg, const grt_attr *attr, struct g **out);
/* newproc from any thread that leaves deadlock detection on (a dump taken
 * for a foreign thread). */
int grt__newproc_quiet(grt_fn fn, void *arg);

/* Preemption: gp (running) gives up its P because sysmon or a signal
 * asked; called on g0 by mcall. */
void grt__gopreempt_m(struct g *gp);
/* A cooperative preemption point (DESIGN.md section 7): sysmon asked gp
 * to give up its P (it ran for 10 ms); honour it here, at an entry into
 * the runtime where gp holds no runtime lock. */
void grt__preempt_park(void);
static inline void grt__preempt_point(struct g *gp)
{
    if (__builtin_expect(__atomic_load_n(&gp->preempt, __ATOMIC_RELAXED), 0))
        grt__preempt_park();
}

/* Called with sched.lock held whenever an M goes idle: if nothing can ever
 * run again, report the deadlock and exit (Go's checkdead). */
void grt__checkdead(void);

/* --- questions the synchronisation primitives ask ------------------- */

/* Whether a run of the runtime is in progress (grt_run between start and
 * exit).  Acquire: pairs with the release store that starts the run. */
static inline bool grt__sched_running(void)
{
    return ld_acquire(&grt__sched.state) == RT_RUNNING;
}
/* Whether a goroutine waiting for a lock held by another running goroutine
 * should spin (iteration iter) rather than park: only on a multicore
 * machine, with another P running goroutines and no work waiting on the
 * caller's P (Go's sync_runtime_canSpin). */
bool grt__can_spin(int iter);
/* A resource was handed off to a woken goroutine: the caller, if it is a
 * goroutine holding no runtime lock and a P, yields so that the waiter runs
 * next (Go's semrelease handoff).  Inside grt_syscall_enter/exit (no P) it
 * must not yield or park, and the waiter runs elsewhere anyway. */
void grt__handoff_yield(void);

#endif
