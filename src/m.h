/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * m.h - machines, the OS threads (m.c): starting, parking and ending them.
 */
#ifndef GRT_M_H
#define GRT_M_H

#include "runtime.h"

/* Run pp (NULL: an idle P, if any) on an idle or new M. */
void      grt__startm(struct p *pp, bool spinning, bool locked_wakeup);
/* Park the calling M until startm hands it a P. */
void      grt__stopm(void);
/* Give pp away (its M enters a syscall or blocks). */
void      grt__handoffp(struct p *pp);
void      grt__mput(struct m *mp);  /* sched.lock held */
struct m *grt__mget(void);          /* sched.lock held */
bool      grt__mget_this(struct m *mp); /* sched.lock held: take mp off the idle list if it is there */
void      grt__midle_clear(void);   /* sched.lock held */
int       grt__newm(struct p *pp, bool spinning); /* 0 or -errno */
struct m *grt__m_alloc(void);
void      grt__m_free(struct m *mp);
/* Run the scheduler on the calling thread (grt_run's M). */
void      grt__mstart_m0(struct m *mp);
/* The M ends: its thread exits (m0 returns out of mstart). */
_Noreturn void grt__mexit(struct m *mp);
_Noreturn void grt__ctx_jump_exit(struct m *mp);

#endif
