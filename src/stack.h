/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stack.h - goroutine stacks (stack.c): mapping, credits, caches, trim.
 */
#ifndef GRT_STACK_H
#define GRT_STACK_H

#include "runtime.h"

int   grt__stack_init(size_t default_size);
void  grt__stack_fini(bool keep);
int   grt__stack_credit_take(struct p *pp);   /* before a default-size G is queued */
void  grt__stack_credit_give(struct p *pp);
int   grt__stack_custom(struct g *gp, size_t size); /* non-default size: eager */
void  grt__stack_bind(struct p *pp, struct g *gp);  /* at first run */
void  grt__stack_unbind(struct p *pp, struct g *gp);/* at exit */
void  grt__stack_free_abandoned(struct g *gp);      /* shutdown: a custom stack */
void  grt__stackcache_flush(struct p *pp);           /* P destroyed */
void  grt__stack_trim(int64_t now);                  /* sysmon */
void  grt__stack_stats(int64_t *reserved, int64_t *resident);
bool  grt__stack_is_guard(uintptr_t addr);

#endif
