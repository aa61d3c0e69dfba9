/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * trace_event.h - the execution trace's binary events, as the recorder
 * (trace.c) writes them into chunks and spills them, and the converter
 * (trace_json.c) reads them back to write the JSON file.
 */
#ifndef GRT_TRACE_EVENT_H
#define GRT_TRACE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_BUF_EVENTS 16384

enum {
    EV_RUN_START = 1, /* g starts running on the chunk's P */
    EV_RUN_END,       /* g stops; arg = end kind << 8 | wait reason */
    EV_CREATE,        /* g = new goroutine */
    EV_UNBLOCK,       /* g = goroutine made runnable */
    EV_SYSCALL_ENTER,
    EV_SYSCALL_EXIT,
    EV_STEAL,         /* arg = victim P */
    EV_RUNQ,          /* g = local queue length */
    EV_GRUNQ,         /* g = global queue length */
};

enum { END_BLOCK = 1, END_YIELD, END_PREEMPT, END_EXIT, END_HANDOFF };

/* An event is 16 bytes, a quarter of a cache line: memory traffic is most
 * of what recording costs.  w packs the goroutine id (40 bits: ids are
 * handed out one by one and stay far below 2^40), the type (8 bits) and a
 * 16-bit argument.  The P is the chunk's; events in the no-P chunk carry
 * their track's P in the argument instead (their types have no other). */
struct trace_ev {
    int64_t  ts;  /* ticks (see trace.c's clock) */
    uint64_t w;
};

#define EV_G_MASK ((UINT64_C(1) << 40) - 1)
#define EV_NOP    0xffff /* arg of a no-P event that belongs to no P track */

static inline uint64_t ev_pack(int type, uint64_t g, uint32_t arg)
{
    return (g & EV_G_MASK) | (uint64_t)type << 40 | (uint64_t)(arg & 0xffff) << 48;
}
static inline int      ev_type(uint64_t w) { return (int)(w >> 40 & 0xff); }
static inline uint32_t ev_arg(uint64_t w) { return (uint32_t)(w >> 48); }
static inline uint64_t ev_g(uint64_t w) { return w & EV_G_MASK; }

/* A chunk of events: filled by one owner, then queued whole for the
 * writer thread, which spills it and puts it back on the free list.  The
 * spill file holds, per chunk, its header (n, p) and then n events. */
struct chunk {
    struct chunk   *next;
    uint32_t        n;
    int32_t         p;   /* owner P, -1 for the no-P chunk */
    struct trace_ev ev[TRACE_BUF_EVENTS];
};
/* The spill writes n and p as one 8-byte header. */
_Static_assert(offsetof(struct chunk, p) == offsetof(struct chunk, n) + 4, "chunk header");

/* write(2) all of buf, retrying on EINTR; false on an error. */
bool grt__trace_write_all(int fd, const void *buf, size_t len);

/* --- trace_json.c: the file ------------------------------------------ */

/* Create the trace file at path and write its head.  0 or -errno. */
int  grt__trace_json_open(const char *path);
/* Close a file opened by json_open without writing more (setup failed). */
void grt__trace_json_abort(void);
/* Read the chunks spilled into spill back from its start and write them
 * as JSON, an event at tick t at (t - base) * scale ns; then the track
 * names (P0 .. nprocs-1 at least) and the end of the file, and close it.
 * spill_ok false: the spill lost chunks, the file is cut short.
 * 0, -EIO if anything could not be written, or close's -errno. */
int  grt__trace_json_close(int spill, bool spill_ok, int64_t base, double scale, int32_t nprocs);

#endif
