/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * trace.c - the execution trace (DESIGN.md section 9): GRT_TRACE=path and
 * grt_trace_start/grt_trace_stop write Chrome trace-event JSON, which
 * ui.perfetto.dev and chrome://tracing open.  This file records the
 * events (trace_event.h) and starts and stops the trace; trace_json.c
 * writes the file from them.
 *
 * What the file shows, in process "grt" (pid 1):
 *   - a track per P (tid = P id, named "P<id>") with a complete slice ("X")
 *     per goroutine run, named "G<goid>", its args saying how it ended
 *     (block and the wait reason, yield, preempt, exit);
 *   - instant events on the P's track: create (the new goid), block (the
 *     reason), unblock (the goid readied), syscall enter/exit, steal (the
 *     victim P), preempt.  Events from threads with no P (a foreign
 *     grt_go, a goready from a thread that lost its P) go on a track
 *     "no P" (tid 1000000);
 *   - counters: "runq P<id>" (local queue, runnext included) and
 *     "global runq", emitted when a run starts or ends and the length
 *     changed since the last sample.
 *
 * Cost.  Every hook in the scheduler is `if (unlikely(grt__trace_on))`, a
 * load and a never-taken branch while tracing is off.  While on, an event
 * is a clock read and a 32-byte record appended to a chunk owned by the P
 * (only the M holding the P writes it, so no lock and no atomic).  Events
 * with no P go to one chunk under a lock: they are rare.
 *
 * Formatting JSON costs some 30 times as much as recording an event, so it
 * is not done while the program runs: that is what made tracing slow
 * (a writer thread formatting alongside took the second core at procs=2,
 * and its memory traffic slowed procs=1).  Full chunks go, as they are, to
 * a writer thread that appends them to an unlinked spill file next to the
 * trace (a write of 256 KiB: the page cache absorbs it), which keeps memory
 * bounded however long the trace runs.  grt_trace_stop, or the end of
 * grt_run, reads the spill back and writes the JSON (trace_json.c): the
 * price of the format is paid once, after the traced interval, the way
 * Go's binary trace is converted by `go tool trace` afterwards.  Tick-to-ns
 * mapping is then a single line through the start and the stop of the
 * trace.
 *
 * Stopping needs every P quiet, so grt_trace_stop stops the world (as
 * grt_procs does): then no M but the caller holds a P, and the per-P
 * buffers can be flushed and freed safely.  Starting does the same, so that
 * every P sees tracing switch on between two runs, never in the middle.
 */
#include "runtime.h"
#include "arch.h"
#include "misc.h"
#include "p.h"
#include "runq.h"
#include "sched.h"
#include "sema.h"
#include "trace.h"
#include "trace_event.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COUNTER_GAP_NS   10000 /* runq counters: at most one sample per 10 us per P */

uint32_t grt__trace_on;

struct grt__tracebuf {
    struct chunk *cur;
    int32_t       p;                     /* owner P, -1: no P */
    uint64_t      run_g;                 /* the run in progress (owner only) */
    int64_t       last_runq, last_grunq; /* last counter values written */
    int64_t       last_counter;          /* when they were last looked at */
};

static struct {
    int                   spill;       /* unlinked file of raw chunks (writer thread) */
    bool                  spill_failed;
    int64_t               start;       /* nanotime of grt_trace_start */
    /* Clock: events carry raw ticks (the architecture's counter where it
     * is usable, grt__arch_counter: the TSC costs a third of
     * clock_gettime, and there are millions of events); the conversion
     * maps ticks to ns by the line through (tsc0, start) and the
     * (tick, ns) pair taken when the trace stops. */
    bool                  use_tsc;
    uint64_t              tsc0;
    int64_t               counter_gap; /* COUNTER_GAP_NS in ticks */
    pthread_mutex_t       nop_lock;    /* nop buffer */
    struct grt__tracebuf *nop;
    /* Full chunks on their way to the writer thread, and empty ones. */
    pthread_mutex_t       q_lock;
    pthread_cond_t        q_cond;
    struct chunk         *q_head, *q_tail, *free;
    bool                  q_stop;
    pthread_t             writer;
    bool                  writer_running;
} tr = {
    .nop_lock = PTHREAD_MUTEX_INITIALIZER,
    .q_lock = PTHREAD_MUTEX_INITIALIZER,
    .q_cond = PTHREAD_COND_INITIALIZER,
    .spill = -1,
};

static inline int64_t ticks(void)
{
    if (likely(tr.use_tsc))
        return grt__arch_counter();
    return grt__nanotime();
}

/* ns per tick, from the start of the trace to now. */
static double tick_scale(void)
{
    if (!tr.use_tsc)
        return 1.0;
    int64_t ns = grt__nanotime();
    int64_t t = ticks();
    if (t <= (int64_t)tr.tsc0 || ns <= tr.start)
        return 1.0;
    return (double)(ns - tr.start) / (double)(t - (int64_t)tr.tsc0);
}

/* Writer thread only (and trace_close after it has been joined). */
static void chunk_spill(struct chunk *c)
{
    if (c->n == 0 || tr.spill_failed)
        return;
    if (!grt__trace_write_all(tr.spill, &c->n, sizeof c->n + sizeof c->p) ||
        !grt__trace_write_all(tr.spill, c->ev, (size_t)c->n * sizeof c->ev[0]))
        tr.spill_failed = true;
}

/* The writer thread: takes full chunks off the owners and spills them, so
 * that a P never waits for the disk and memory stays bounded. */
static void *writer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&tr.q_lock);
    for (;;) {
        while (tr.q_head == NULL && !tr.q_stop)
            pthread_cond_wait(&tr.q_cond, &tr.q_lock);
        struct chunk *list = tr.q_head;
        tr.q_head = tr.q_tail = NULL;
        if (list == NULL && tr.q_stop)
            break;
        pthread_mutex_unlock(&tr.q_lock);
        struct chunk *done = list, *last = NULL;
        for (struct chunk *c = list; c; c = c->next) {
            chunk_spill(c);
            last = c;
        }
        pthread_mutex_lock(&tr.q_lock);
        if (last) {
            last->next = tr.free;
            tr.free = done;
        }
    }
    pthread_mutex_unlock(&tr.q_lock);
    return NULL;
}

/* Queue the owner's full chunk for the writer and give it an empty one. */
static struct chunk *chunk_swap(struct chunk *full)
{
    pthread_mutex_lock(&tr.q_lock);
    if (full) {
        full->next = NULL;
        if (tr.q_tail)
            tr.q_tail->next = full;
        else
            tr.q_head = full;
        tr.q_tail = full;
        pthread_cond_signal(&tr.q_cond);
    }
    struct chunk *c = tr.free;
    if (c)
        tr.free = c->next;
    pthread_mutex_unlock(&tr.q_lock);
    if (c == NULL)
        c = malloc(sizeof *c);
    if (c) {
        c->n = 0;
        c->next = NULL;
    }
    return c;
}

/* ------------------------------------------------------------------ */
/* Recording (the hooks)                                               */
/* ------------------------------------------------------------------ */

static struct grt__tracebuf *tracebuf_new(int32_t p)
{
    struct grt__tracebuf *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    b->p = p;
    b->last_runq = b->last_grunq = -1;
    return b;
}

/* The buffer of pp, created at its first event.  Owner only. */
static struct grt__tracebuf *pbuf(struct p *pp)
{
    struct grt__tracebuf *b = pp->trace;
    if (unlikely(b == NULL)) {
        b = tracebuf_new(pp->id);
        if (b == NULL)
            return NULL; /* this P's events are lost; the trace goes on */
        pp->trace = b;
    }
    return b;
}

static void __attribute__((noinline)) put_slow(struct grt__tracebuf *b, int64_t ts, uint64_t w)
{
    struct chunk *c = b->cur = chunk_swap(b->cur);
    if (c == NULL)
        return; /* out of memory: this event is lost */
    c->p = b->p;
    c->ev[0].ts = ts;
    c->ev[0].w = w;
    c->n = 1;
}

static inline void put(struct grt__tracebuf *b, int type, int64_t ts, uint64_t g, uint32_t arg)
{
    struct chunk *c = b->cur;
    uint64_t w = ev_pack(type, g, arg);
    if (unlikely(c == NULL || c->n == TRACE_BUF_EVENTS)) {
        put_slow(b, ts, w);
        return;
    }
    struct trace_ev *e = &c->ev[c->n++];
    /* The chunk was last touched by the writer thread, on another core:
     * ask for the lines a few events ahead now, or each new line stalls
     * the store that reaches it (the event stream is too sparse for the
     * hardware prefetcher).  Past the chunk's end it is a harmless hint. */
    __builtin_prefetch(e + 16, 1, 3);
    e->ts = ts;
    e->w = w;
}

/* An event from a thread that holds no P, for the track of P pid (-1:
 * the "no P" track). */
static void put_nop(int type, int32_t pid, uint64_t g)
{
    int64_t now = ticks();
    pthread_mutex_lock(&tr.nop_lock);
    if (tr.nop == NULL)
        tr.nop = tracebuf_new(-1);
    if (tr.nop)
        put(tr.nop, type, now, g, pid < 0 ? EV_NOP : (uint32_t)pid);
    pthread_mutex_unlock(&tr.nop_lock);
}

static void counters(struct p *pp, struct grt__tracebuf *b, int64_t now)
{
    if (now - b->last_counter < tr.counter_gap)
        return;
    b->last_counter = now;
    int64_t l = (int64_t)grt__runq_len(pp) + (ld_relaxed(&pp->runnext) != NULL);
    int64_t gl = ld_relaxed(&grt__sched.runq_size);
    if (l != b->last_runq) {
        b->last_runq = l;
        put(b, EV_RUNQ, now, (uint64_t)l, 0);
    }
    if (gl != b->last_grunq) {
        b->last_grunq = gl;
        put(b, EV_GRUNQ, now, (uint64_t)gl, 0);
    }
}

static void run_open(struct grt__tracebuf *b, int64_t now, uint64_t goid)
{
    put(b, EV_RUN_START, now, goid, 0);
    b->run_g = goid;
}

static void run_close(struct grt__tracebuf *b, int64_t now, uint32_t arg)
{
    put(b, EV_RUN_END, now, b->run_g, arg);
    b->run_g = 0;
}

/* execute(): gp starts running on pp. */
void grt__trace_go_start(struct p *pp, struct g *gp)
{
    struct grt__tracebuf *b = pbuf(pp);
    if (b == NULL)
        return;
    int64_t now = ticks();
    /* A run still open: its G left in a syscall and the P was handed
     * off; the slice ends where the P's next one starts. */
    if (b->run_g)
        run_close(b, now, END_HANDOFF << 8);
    run_open(b, now, gp->goid);
    counters(pp, b, now);
}

/* dropg(): the G that ran on pp stops; its new status says why. */
void grt__trace_go_end(struct p *pp, struct g *gp)
{
    if (pp == NULL)
        return;
    struct grt__tracebuf *b = pbuf(pp);
    if (b == NULL || b->run_g != gp->goid)
        return; /* tracing started during this run */
    int64_t now = ticks();
    uint32_t s = ld_relaxed(&gp->status), kind;
    if (s == G_WAITING)
        kind = END_BLOCK;
    else if (s == G_DEAD)
        kind = END_EXIT;
    else if (gp->waitreason == WAIT_PREEMPTED)
        kind = END_PREEMPT;
    else
        kind = END_YIELD;
    run_close(b, now, kind << 8 | (s == G_WAITING ? gp->waitreason : 0));
    counters(pp, b, now);
}

/* Instant events: pp is the P of the calling M, or NULL. */
void grt__trace_event(struct p *pp, int what, uint64_t g, uint32_t arg)
{
    static const uint8_t types[] = {
        [GRT_TR_CREATE] = EV_CREATE, [GRT_TR_UNBLOCK] = EV_UNBLOCK,
        [GRT_TR_SYSCALL_ENTER] = EV_SYSCALL_ENTER, [GRT_TR_SYSCALL_EXIT] = EV_SYSCALL_EXIT,
        [GRT_TR_STEAL] = EV_STEAL,
    };
    int type = types[what];
    if (pp == NULL) {
        put_nop(type, -1, g);
        return;
    }
    struct grt__tracebuf *b = pbuf(pp);
    if (b)
        put(b, type, ticks(), g, arg);
}

/* grt_syscall_exit, before the M has a P again: the event goes on the
 * track of the P it had, through the shared buffer. */
void grt__trace_syscall_exit(struct g *gp)
{
    struct p *oldp = gp->m ? gp->m->oldp : NULL;
    put_nop(EV_SYSCALL_EXIT, oldp ? oldp->id : -1, gp->goid);
}

/* ------------------------------------------------------------------ */
/* Starting and stopping                                               */
/* ------------------------------------------------------------------ */

/* An anonymous file on the trace's own filesystem (it is about as big as
 * the trace will be, a tenth of it): O_TMPFILE in its directory, else a
 * named file unlinked at once. */
static int spill_open(const char *path)
{
    size_t len = strlen(path);
    char *dir = malloc(len + 16);
    if (dir == NULL)
        return -ENOMEM;
    memcpy(dir, path, len + 1);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = 0;
    else if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    int fd = grt__sys_open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        memcpy(dir, path, len);
        strcpy(dir + len, ".spillXXXXXX");
        fd = mkostemp(dir, O_CLOEXEC);
        if (fd >= 0)
            unlink(dir);
    }
    int err = errno;
    free(dir);
    return fd >= 0 ? fd : -err;
}

static int trace_open(const char *path)
{
    int rc = grt__trace_json_open(path);
    if (rc < 0)
        return rc;
    int spill = spill_open(path);
    if (spill < 0) {
        grt__trace_json_abort();
        return spill;
    }
    tr.spill = spill;
    tr.spill_failed = false;
    /* Calibrate the tick rate for the counter gap (the file's times are
     * mapped by the writer with the whole elapsed interval). */
    tr.use_tsc = grt__arch_counter_usable();
    tr.start = grt__nanotime();
    tr.tsc0 = (uint64_t)ticks();
    tr.counter_gap = COUNTER_GAP_NS;
    if (tr.use_tsc) {
        struct timespec d = {0, 1000000};
        grt__sys_nanosleep(&d, NULL);
        double nspt = tick_scale();
        tr.counter_gap = nspt > 0 ? (int64_t)(COUNTER_GAP_NS / nspt) : COUNTER_GAP_NS;
    }
    tr.q_stop = false;
    tr.writer_running = pthread_create(&tr.writer, NULL, writer_main, NULL) == 0;
    if (!tr.writer_running) {
        grt__trace_json_abort();
        close(spill);
        tr.spill = -1;
        return -EAGAIN;
    }
    return 0;
}

/* Hand a buffer's last chunk to the writer (trace_close). */
static void chunk_queue_last(struct grt__tracebuf *b)
{
    struct chunk *c = b->cur;
    b->cur = NULL;
    if (c == NULL)
        return;
    pthread_mutex_lock(&tr.q_lock);
    c->next = NULL;
    if (tr.q_tail)
        tr.q_tail->next = c;
    else
        tr.q_head = c;
    tr.q_tail = c;
    pthread_cond_signal(&tr.q_cond);
    pthread_mutex_unlock(&tr.q_lock);
}

/* Every P's buffer and the no-P one out to the file, then the track
 * names and the closing bracket.  Only while nobody writes the per-P
 * buffers: world stopped, or every thread joined. */
static int trace_close(void)
{
    int32_t np = ld_acquire(&grt__nallp);
    int64_t now = ticks();
    for (int32_t i = 0; i < np; i++) {
        struct p *pp = grt__allp[i];
        struct grt__tracebuf *b = pp ? pp->trace : NULL;
        if (b == NULL)
            continue;
        if (b->run_g)
            run_close(b, now, END_YIELD << 8); /* cut at the end of the trace */
        chunk_queue_last(b);
        pp->trace = NULL;
        free(b);
    }
    pthread_mutex_lock(&tr.nop_lock);
    struct grt__tracebuf *nb = tr.nop;
    tr.nop = NULL;
    pthread_mutex_unlock(&tr.nop_lock);
    if (nb) {
        chunk_queue_last(nb);
        free(nb);
    }
    /* The writer drains the queue before it leaves. */
    pthread_mutex_lock(&tr.q_lock);
    tr.q_stop = true;
    pthread_cond_signal(&tr.q_cond);
    pthread_mutex_unlock(&tr.q_lock);
    if (tr.writer_running)
        pthread_join(tr.writer, NULL);
    tr.writer_running = false;
    while (tr.free) {
        struct chunk *c = tr.free;
        tr.free = c->next;
        free(c);
    }
    int rc = grt__trace_json_close(tr.spill, !tr.spill_failed,
                                   tr.use_tsc ? (int64_t)tr.tsc0 : tr.start, tick_scale(), np);
    close(tr.spill);
    tr.spill = -1;
    return rc;
}

/* grt_run, before anything runs: GRT_TRACE=path. */
void grt__trace_env_start(void)
{
    const char *path = getenv("GRT_TRACE");
    if (path == NULL || *path == 0 || ld_relaxed(&grt__trace_on))
        return;
    if (trace_open(path) == 0)
        st_release(&grt__trace_on, 1);
}

/* grt_run, after every thread is joined. */
void grt__trace_shutdown(void)
{
    if (!ld_relaxed(&grt__trace_on))
        return;
    st_release(&grt__trace_on, 0);
    trace_close();
}

/* The world is stopped around the switch in both directions (see the top
 * of the file).  Serialised with grt_procs by worldsema. */
static int trace_switch(const char *path)
{
    struct g *gp = grt__curg();
    if (gp == NULL)
        return -EPERM;
    int rc = 0;
    grt__semacquire(&grt__sched.worldsema, false, WAIT_SEMACQUIRE);
    grt__stop_the_world();
    bool on = ld_relaxed(&grt__trace_on);
    if (path) {
        if (on)
            rc = -EBUSY;
        else if ((rc = trace_open(path)) == 0) {
            st_release(&grt__trace_on, 1);
            /* The caller is running already: its run starts now. */
            struct grt__tracebuf *b = pbuf(gp->m->p);
            if (b)
                run_open(b, ticks(), gp->goid);
        }
    } else {
        if (!on) {
            rc = -EINVAL;
        } else {
            st_release(&grt__trace_on, 0);
            rc = trace_close();
        }
    }
    grt__start_the_world();
    grt__semrelease(&grt__sched.worldsema, false);
    return rc;
}

int grt_trace_start(const char *path)
{
    if (path == NULL || *path == 0)
        return -EINVAL;
    if (ld_acquire(&grt__sched.state) != RT_RUNNING)
        return -ESRCH;
    return trace_switch(path);
}

int grt_trace_stop(void)
{
    if (ld_acquire(&grt__sched.state) != RT_RUNNING)
        return -ESRCH;
    return trace_switch(NULL);
}
