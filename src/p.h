/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * p.h - processors (p.c): the idle list, procresize, stop-the-world.
 */
#ifndef GRT_P_H
#define GRT_P_H

#include "runtime.h"

void      grt__pidleput(struct p *pp);     /* sched.lock held */
struct p *grt__pidleget(void);             /* sched.lock held */
struct p *grt__procresize(int32_t nprocs); /* sched.lock held, world stopped */
void      grt__acquirep(struct p *pp);
struct p *grt__releasep(void);
/* Stop every P but the caller's (one stop-the-world at a time), and let
 * them go again. */
void      grt__stop_the_world(void);
void      grt__start_the_world(void);
void      grt__p_destroy(struct p *pp);
void      grt__p_free_all(void);
/* A stride coprime with procs, for visiting the Ps in a random order. */
uint32_t  grt__steal_stride(uint32_t r);
extern int32_t grt__newprocs; /* pending grt_procs change, 0 none */

#endif
