/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * trace.h - the execution trace's hooks in the scheduler (trace.c records
 * events; trace_json.c turns them into the file).  Every hook is behind
 * grt__tracing(): a relaxed load and a branch predicted not taken while
 * tracing is off.
 */
#ifndef GRT_TRACE_H
#define GRT_TRACE_H

#include "runtime.h"

extern uint32_t grt__trace_on;
#define grt__tracing() unlikely(ld_relaxed(&grt__trace_on))
enum { GRT_TR_CREATE, GRT_TR_UNBLOCK, GRT_TR_SYSCALL_ENTER, GRT_TR_SYSCALL_EXIT, GRT_TR_STEAL };
void grt__trace_go_start(struct p *pp, struct g *gp); /* execute */
void grt__trace_go_end(struct p *pp, struct g *gp);   /* dropg: status says why */
void grt__trace_event(struct p *pp, int what, uint64_t g, uint32_t arg); /* pp NULL: no P */
void grt__trace_syscall_exit(struct g *gp);
void grt__trace_env_start(void);  /* grt_run: GRT_TRACE */
void grt__trace_shutdown(void);   /* grt_run end: flush */

#endif
