/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * env.h - GRT_DEBUG settings (env.c).
 */
#ifndef GRT_ENV_H
#define GRT_ENV_H

#include <stdint.h>

struct grt__debug {
    int32_t schedtrace;      /* ms, 0 off */
    int32_t scheddetail;
    int32_t asyncpreemptoff;
    int32_t preemptstress;   /* us; testing: preempt every running G this often */
    int32_t offloadidle;     /* ms; testing: offload threads retire after this (offload.c) */
};
extern struct grt__debug grt__debug;
void grt__parse_env(void);

#endif
