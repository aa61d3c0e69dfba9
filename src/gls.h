/*
 * gls.h - goroutine-local storage (grt_key_*, grt_getspecific and
 * grt_setspecific): pthread keys whose values belong to the goroutine.
 */
#ifndef GRT_GLS_H
#define GRT_GLS_H

#include "runtime.h"

/* The values of one goroutine, allocated by its first grt_setspecific.
 * A value counts only while gen matches its key's generation, so a key
 * deleted and created again never sees the values of its earlier life. */
struct grt__gls {
    struct {
        void    *val;
        uint32_t gen;
    } slot[GRT_KEYS_MAX];
};

/* The goroutine is exiting (on its own stack, still running): run the
 * destructors with pthread's repeat rule, then free its values. */
void grt__gls_exit(struct g *gp);

/* Free gp's values without running anything (an abandoned goroutine). */
void grt__gls_free(struct g *gp);

#endif
