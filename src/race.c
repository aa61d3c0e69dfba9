/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * race.c - sanitizer fiber annotations (see race.h).  Compiled into every
 * build; empty unless the build defines GRT_ASAN or GRT_TSAN.
 */
#include "runtime.h"
#include "race.h"

#if defined(GRT_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>

void grt__race_switch_start(struct g *from, struct g *to, bool from_dying)
{
    /* A dying goroutine passes NULL so ASan releases its fake stack. */
    __sanitizer_start_switch_fiber(from_dying ? NULL : &from->race_fake_stack,
                                   (const void *)to->stack_lo,
                                   to->stack_hi - to->stack_lo);
}

void grt__race_switch_finish(struct g *now)
{
    const void *old_bottom;
    size_t old_size;
    __sanitizer_finish_switch_fiber(now->race_fake_stack, &old_bottom, &old_size);
    now->race_fake_stack = NULL;
}

/* A stack is reused by many goroutines; frames of one that never returned
 * (it exited from deep inside, or was abandoned) leave their redzones in
 * the shadow.  A goroutine starts with a clean stack. */
void grt__race_g_start(struct g *gp)
{
    __asan_unpoison_memory_region((void *)gp->stack_lo, gp->stack_hi - gp->stack_lo);
}

void grt__race_g_end(struct g *gp) { (void)gp; }
void grt__race_m_start(struct g *g0) { (void)g0; }
void grt__race_m_exit(struct m *mp) { (void)mp; }

void grt__race_stack_enter(struct g *from, struct g *g0)
{
    grt__race_switch_start(from, g0, false);
}

void grt__race_stack_leave(struct g *g0, struct g *back)
{
    /* Finish the entry on g0's stack was done by the caller; now go back. */
    grt__race_switch_start(g0, back, false);
}

void grt__race_unmap(void *addr, size_t len)
{
    /* The shadow outlives munmap: a later mapping at this address would
     * inherit the redzones of our goroutines' frames. */
    __asan_unpoison_memory_region(addr, len);
}

#elif defined(GRT_TSAN)
#include <sanitizer/tsan_interface.h>

int grt__fence_word;

void grt__race_release(void *addr)
{
    __tsan_release(addr);
}

void grt__race_acquire(void *addr)
{
    __tsan_acquire(addr);
}

/* TSan keeps a shadow call stack per fiber.  Scheduling code on g0 never
 * returns (schedule -> execute -> gogo) and every mcall starts g0 afresh at
 * the top of its stack, so instrumented function entries there would grow
 * g0's shadow stack without bound.  libgrt is therefore compiled without
 * function entry/exit instrumentation (CMakeLists.txt); its memory accesses
 * are still checked, and each g0 keeps the thread's own fiber for life. */
void grt__race_switch_start(struct g *from, struct g *to, bool from_dying)
{
    (void)from;
    (void)from_dying;
    /* flags 0: the switch synchronises the two fibers (happens-before). */
    __tsan_switch_to_fiber(to->race_fiber, 0);
}

void grt__race_switch_finish(struct g *now)
{
    (void)now;
}

void grt__race_m_exit(struct m *mp)
{
    __tsan_switch_to_fiber(mp->race_fiber, 0);
    mp->g0->race_fiber = mp->race_fiber;
}

void grt__race_g_start(struct g *gp)
{
    gp->race_fiber = __tsan_create_fiber(0);
}

void grt__race_g_end(struct g *gp)
{
    /* Called on g0 after the switch away from gp: its fiber is not current. */
    if (gp->race_fiber) {
        __tsan_destroy_fiber(gp->race_fiber);
        gp->race_fiber = NULL;
    }
}

void grt__race_m_start(struct g *g0)
{
    g0->race_fiber = __tsan_get_current_fiber();
    g0->m->race_fiber = g0->race_fiber;
}

void grt__race_stack_enter(struct g *from, struct g *g0) { (void)from; (void)g0; }
void grt__race_stack_leave(struct g *g0, struct g *back) { (void)g0; (void)back; }

#else
typedef int grt__race_unused; /* ISO C wants a translation unit to declare something */
#endif
