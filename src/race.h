/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * race.h - telling the sanitizers about stack switches.
 *
 * AddressSanitizer keeps a shadow of each stack and "fake stacks" for
 * detect_stack_use_after_return; ThreadSanitizer keeps a logical thread
 * (a fiber) per flow of control.  Neither can see grt's switches by itself,
 * so every switch is bracketed:
 *
 *   race_switch_start(from, to)   before the stack pointer changes
 *   race_switch_finish(now)       first thing on the new stack
 *
 * Goroutines get a TSan fiber when they first run and lose it when they
 * exit, so a reused G record is a new logical thread, as in Go's race
 * detector.  In normal builds everything here is an empty inline function
 * and GRT_RACE is 0, so the scheduler carries no cost and no #ifdef.
 */
#ifndef GRT_RACE_H
#define GRT_RACE_H

#include <stdbool.h>
#include <stddef.h>

struct g;
struct m;

#if defined(GRT_ASAN) || defined(GRT_TSAN)
#define GRT_RACE 1
void grt__race_switch_start(struct g *from, struct g *to, bool from_dying);
void grt__race_switch_finish(struct g *now);
void grt__race_g_start(struct g *gp);
void grt__race_g_end(struct g *gp);
void grt__race_m_start(struct g *g0);
void grt__race_m_exit(struct m *mp);
void grt__race_stack_enter(struct g *from, struct g *g0); /* systemstack */
void grt__race_stack_leave(struct g *g0, struct g *back);
#else
#define GRT_RACE 0
static inline void grt__race_switch_start(struct g *from, struct g *to, bool from_dying)
{ (void)from; (void)to; (void)from_dying; }
static inline void grt__race_switch_finish(struct g *now) { (void)now; }
static inline void grt__race_g_start(struct g *gp) { (void)gp; }
static inline void grt__race_g_end(struct g *gp) { (void)gp; }
static inline void grt__race_m_start(struct g *g0) { (void)g0; }
static inline void grt__race_m_exit(struct m *mp) { (void)mp; }
static inline void grt__race_stack_enter(struct g *from, struct g *g0) { (void)from; (void)g0; }
static inline void grt__race_stack_leave(struct g *g0, struct g *back) { (void)g0; (void)back; }
#endif

/* A hand-off no memory model sees (a pointer passed through the kernel, as
 * epoll's event data): release before, acquire after (TSan: a sync object
 * keyed by addr; nothing at addr is read or written). */
#if defined(GRT_TSAN)
void grt__race_release(void *addr);
void grt__race_acquire(void *addr);
#else
static inline void grt__race_release(void *addr) { (void)addr; }
static inline void grt__race_acquire(void *addr) { (void)addr; }
#endif

/* A goroutine stack is about to be unmapped (ASan: forget its shadow). */
#if defined(GRT_ASAN)
void grt__race_unmap(void *addr, size_t len);
#else
static inline void grt__race_unmap(void *addr, size_t len) { (void)addr; (void)len; }
#endif

#endif
