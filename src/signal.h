/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * signal.h - per-M signal stacks and the fatal-signal handlers (signal.c).
 * Included as "signal.h" from src/ only; the C library's is <signal.h>.
 */
#ifndef GRT_SIGNAL_H
#define GRT_SIGNAL_H

#include "runtime.h"

void grt__signal_m_init(struct m *mp); /* this M's signal stack */
void grt__signal_m_fini(struct m *mp);
void grt__signal_init(void);           /* SIGSEGV/SIGBUS/SIGQUIT at grt_run */
void grt__signal_fini(void);

#endif
