/*
 * trace.c - the execution trace (DESIGN.md section 9): GRT_TRACE=path and
 * grt_trace_start/grt_trace_stop write Chrome trace-event JSON, which
 * ui.perfetto.dev and chrome://tracing open.
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
 * is a clock read and a 32-byte record appended to a buffer owned by the
 * P (only the M holding the P writes it, so no lock and no atomic).  A
 * full buffer is formatted and written out by its owner under the file
 * lock, 8192 events at a time; whatever is left is written at
 * grt_trace_stop or when grt_run ends.  Events with no P go to one buffer
 * under a lock: they are rare.
 *
 * Stopping needs every P quiet, so grt_trace_stop stops the world (as
 * grt_procs does): then no M but the caller holds a P, and the per-P
 * buffers can be flushed and freed safely.  Starting does the same, so that
 * every P sees tracing switch on between two runs, never in the middle.
 */
#include "runtime.h"
#include "sema.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TRACE_BUF_EVENTS 8192
#define NOP_TID          1000000

uint32_t grt__trace_on;

enum {
    EV_RUN = 1,   /* ts = start, dur, g; arg = end kind << 8 | wait reason */
    EV_CREATE,    /* g = new goroutine */
    EV_UNBLOCK,   /* g = goroutine made runnable */
    EV_SYSCALL_ENTER,
    EV_SYSCALL_EXIT,
    EV_STEAL,     /* arg = victim P */
    EV_RUNQ,      /* arg = local queue length */
    EV_GRUNQ,     /* arg = global queue length */
};

enum { END_BLOCK = 1, END_YIELD, END_PREEMPT, END_EXIT, END_HANDOFF };

struct trace_ev {
    int64_t  ts;
    int64_t  dur;
    uint64_t g;
    uint32_t arg;
    uint16_t type;
    int16_t  p; /* -1: no P */
};

struct grt__tracebuf {
    uint32_t        n;
    /* the run in progress on this P (owner only) */
    uint64_t        run_g;
    int64_t         run_start;
    int64_t         last_runq, last_grunq; /* last counter values written */
    struct trace_ev ev[TRACE_BUF_EVENTS];
};

static struct {
    pthread_mutex_t       file_lock;   /* fd, first, fmt */
    int                   fd;
    bool                  first;       /* no event written yet (commas) */
    bool                  failed;      /* a write failed: the file is cut short */
    int64_t               start;       /* nanotime of grt_trace_start */
    int32_t               maxp;        /* highest P id seen + 1 (track names) */
    pthread_mutex_t       nop_lock;    /* nop buffer */
    struct grt__tracebuf *nop;
    char                  fmt[65536];  /* formatting buffer, under file_lock */
    size_t                fmtlen;
} tr = {
    .file_lock = PTHREAD_MUTEX_INITIALIZER,
    .nop_lock = PTHREAD_MUTEX_INITIALIZER,
    .fd = -1,
};

static const char *const end_names[] = {
    [END_BLOCK] = "block", [END_YIELD] = "yield", [END_PREEMPT] = "preempt",
    [END_EXIT] = "exit", [END_HANDOFF] = "handoff",
};

/* ------------------------------------------------------------------ */
/* Writing the file (file_lock held)                                   */
/* ------------------------------------------------------------------ */

static void out_flush(void)
{
    size_t off = 0;
    while (off < tr.fmtlen && !tr.failed) {
        ssize_t w = write(tr.fd, tr.fmt + off, tr.fmtlen - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            tr.failed = true;
        else
            off += (size_t)w;
    }
    tr.fmtlen = 0;
}

static void out_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out_event(const char *fmt, ...)
{
    if (sizeof tr.fmt - tr.fmtlen < 512)
        out_flush();
    char *p = tr.fmt + tr.fmtlen;
    size_t room = sizeof tr.fmt - tr.fmtlen;
    int n = 0;
    if (!tr.first)
        p[n++] = ',';
    p[n++] = '\n';
    tr.first = false;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(p + n, room - (size_t)n, fmt, ap);
    va_end(ap);
    if (k > 0 && (size_t)k < room - (size_t)n)
        tr.fmtlen += (size_t)(n + k);
}

/* Trace-event timestamps are microseconds; keep nanosecond precision. */
#define US(ns) ((ns) / 1000), (int)((ns) % 1000)

static void out_buf(struct grt__tracebuf *b)
{
    for (uint32_t i = 0; i < b->n; i++) {
        const struct trace_ev *e = &b->ev[i];
        int tid = e->p < 0 ? NOP_TID : e->p;
        int64_t ts = e->ts - tr.start;
        if (ts < 0)
            ts = 0;
        if (e->p >= tr.maxp)
            tr.maxp = e->p + 1;
        switch (e->type) {
        case EV_RUN: {
            uint32_t kind = e->arg >> 8, reason = e->arg & 0xff;
            const char *end = kind < sizeof end_names / sizeof *end_names && end_names[kind]
                                  ? end_names[kind] : "?";
            const char *why = reason < WAIT_NREASONS ? grt__wait_reason_names[reason] : "?";
            out_event("{\"name\":\"G%llu\",\"cat\":\"run\",\"ph\":\"X\",\"pid\":1,\"tid\":%d,"
                      "\"ts\":%lld.%03d,\"dur\":%lld.%03d,\"args\":{\"g\":%llu,\"end\":\"%s\"%s%s%s}}",
                      (unsigned long long)e->g, tid, US((long long)ts), US((long long)e->dur),
                      (unsigned long long)e->g, end, kind == END_BLOCK ? ",\"reason\":\"" : "",
                      kind == END_BLOCK ? why : "", kind == END_BLOCK ? "\"" : "");
            int64_t at = ts + e->dur;
            if (kind == END_BLOCK)
                out_event("{\"name\":\"block\",\"cat\":\"sched\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,"
                          "\"tid\":%d,\"ts\":%lld.%03d,\"args\":{\"g\":%llu,\"reason\":\"%s\"}}",
                          tid, US((long long)at), (unsigned long long)e->g, why);
            else if (kind == END_PREEMPT)
                out_event("{\"name\":\"preempt\",\"cat\":\"sched\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,"
                          "\"tid\":%d,\"ts\":%lld.%03d,\"args\":{\"g\":%llu}}",
                          tid, US((long long)at), (unsigned long long)e->g);
            break;
        }
        case EV_CREATE:
        case EV_UNBLOCK:
        case EV_SYSCALL_ENTER:
        case EV_SYSCALL_EXIT: {
            static const char *const names[] = {
                [EV_CREATE] = "create", [EV_UNBLOCK] = "unblock",
                [EV_SYSCALL_ENTER] = "syscall enter", [EV_SYSCALL_EXIT] = "syscall exit",
            };
            out_event("{\"name\":\"%s\",\"cat\":\"sched\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,"
                      "\"tid\":%d,\"ts\":%lld.%03d,\"args\":{\"g\":%llu}}",
                      names[e->type], tid, US((long long)ts), (unsigned long long)e->g);
            break;
        }
        case EV_STEAL:
            out_event("{\"name\":\"steal\",\"cat\":\"sched\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,"
                      "\"tid\":%d,\"ts\":%lld.%03d,\"args\":{\"from\":%u}}",
                      tid, US((long long)ts), e->arg);
            break;
        case EV_RUNQ:
            out_event("{\"name\":\"runq P%d\",\"ph\":\"C\",\"pid\":1,\"ts\":%lld.%03d,"
                      "\"args\":{\"len\":%u}}",
                      e->p, US((long long)ts), e->arg);
            break;
        case EV_GRUNQ:
            out_event("{\"name\":\"global runq\",\"ph\":\"C\",\"pid\":1,\"ts\":%lld.%03d,"
                      "\"args\":{\"len\":%u}}",
                      US((long long)ts), e->arg);
            break;
        }
    }
    b->n = 0;
}

static void buf_flush(struct grt__tracebuf *b)
{
    pthread_mutex_lock(&tr.file_lock);
    if (tr.fd >= 0)
        out_buf(b);
    pthread_mutex_unlock(&tr.file_lock);
}

/* ------------------------------------------------------------------ */
/* Recording (the hooks)                                               */
/* ------------------------------------------------------------------ */

/* The buffer of pp, created at its first event.  Owner only. */
static struct grt__tracebuf *pbuf(struct p *pp)
{
    struct grt__tracebuf *b = pp->trace;
    if (unlikely(b == NULL)) {
        b = calloc(1, sizeof *b);
        if (b == NULL)
            return NULL; /* this P's events are lost; the trace goes on */
        b->last_runq = b->last_grunq = -1;
        pp->trace = b;
    }
    return b;
}

static inline void put(struct grt__tracebuf *b, int type, int16_t pid, int64_t ts, int64_t dur,
                       uint64_t g, uint32_t arg)
{
    if (unlikely(b->n == TRACE_BUF_EVENTS))
        buf_flush(b);
    struct trace_ev *e = &b->ev[b->n++];
    e->ts = ts;
    e->dur = dur;
    e->g = g;
    e->arg = arg;
    e->type = (uint16_t)type;
    e->p = pid;
}

/* An event from a thread that holds no P (pid says which track). */
static void put_nop(int type, int16_t pid, uint64_t g, uint32_t arg)
{
    int64_t now = grt__nanotime();
    pthread_mutex_lock(&tr.nop_lock);
    if (tr.nop == NULL) {
        tr.nop = calloc(1, sizeof *tr.nop);
        if (tr.nop)
            tr.nop->last_runq = tr.nop->last_grunq = -1;
    }
    if (tr.nop)
        put(tr.nop, type, pid, now, 0, g, arg);
    pthread_mutex_unlock(&tr.nop_lock);
}

static void counters(struct p *pp, struct grt__tracebuf *b, int64_t now)
{
    int64_t l = (int64_t)grt__runq_len(pp) + (ld_relaxed(&pp->runnext) != NULL);
    int64_t gl = ld_relaxed(&grt__sched.runq_size);
    if (l != b->last_runq) {
        b->last_runq = l;
        put(b, EV_RUNQ, (int16_t)pp->id, now, 0, 0, (uint32_t)l);
    }
    if (gl != b->last_grunq) {
        b->last_grunq = gl;
        put(b, EV_GRUNQ, (int16_t)pp->id, now, 0, 0, (uint32_t)gl);
    }
}

static void run_close(struct p *pp, struct grt__tracebuf *b, int64_t now, uint32_t arg)
{
    put(b, EV_RUN, (int16_t)pp->id, b->run_start, now - b->run_start, b->run_g, arg);
    b->run_g = 0;
}

/* execute(): gp starts running on pp. */
void grt__trace_go_start(struct p *pp, struct g *gp)
{
    struct grt__tracebuf *b = pbuf(pp);
    if (b == NULL)
        return;
    int64_t now = grt__nanotime();
    /* A run still open: its G left in a syscall and the P was handed
     * off; the slice ends where the P's next one starts. */
    if (b->run_g)
        run_close(pp, b, now, END_HANDOFF << 8);
    b->run_g = gp->goid;
    b->run_start = now;
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
    int64_t now = grt__nanotime();
    uint32_t s = ld_relaxed(&gp->status), kind;
    if (s == G_WAITING)
        kind = END_BLOCK;
    else if (s == G_DEAD)
        kind = END_EXIT;
    else if (gp->waitreason == WAIT_PREEMPTED)
        kind = END_PREEMPT;
    else
        kind = END_YIELD;
    run_close(pp, b, now, kind << 8 | (s == G_WAITING ? gp->waitreason : 0));
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
        put_nop(type, -1, g, arg);
        return;
    }
    struct grt__tracebuf *b = pbuf(pp);
    if (b)
        put(b, type, (int16_t)pp->id, grt__nanotime(), 0, g, arg);
}

/* grt_syscall_exit, before the M has a P again: the event goes on the
 * track of the P it had, through the shared buffer. */
void grt__trace_syscall_exit(struct g *gp)
{
    struct p *oldp = gp->m ? gp->m->oldp : NULL;
    put_nop(EV_SYSCALL_EXIT, oldp ? (int16_t)oldp->id : -1, gp->goid, 0);
}

/* ------------------------------------------------------------------ */
/* Starting and stopping                                               */
/* ------------------------------------------------------------------ */

static int trace_open(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    pthread_mutex_lock(&tr.file_lock);
    tr.fd = fd;
    tr.first = true;
    tr.failed = false;
    tr.maxp = 0;
    tr.fmtlen = 0;
    tr.start = grt__nanotime();
    static const char head[] = "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"grt\"},"
                               "\"traceEvents\":[";
    memcpy(tr.fmt, head, sizeof head - 1);
    tr.fmtlen = sizeof head - 1;
    pthread_mutex_unlock(&tr.file_lock);
    return 0;
}

/* Every P's buffer and the no-P one out to the file, then the track
 * names and the closing bracket.  Only while nobody writes the per-P
 * buffers: world stopped, or every thread joined. */
static int trace_close(void)
{
    int32_t np = ld_acquire(&grt__nallp);
    int64_t now = grt__nanotime();
    for (int32_t i = 0; i < np; i++) {
        struct p *pp = grt__allp[i];
        struct grt__tracebuf *b = pp ? pp->trace : NULL;
        if (b == NULL)
            continue;
        if (b->run_g)
            run_close(pp, b, now, END_YIELD << 8); /* cut at the end of the trace */
        buf_flush(b);
        pp->trace = NULL;
        free(b);
    }
    pthread_mutex_lock(&tr.nop_lock);
    struct grt__tracebuf *nb = tr.nop;
    tr.nop = NULL;
    pthread_mutex_unlock(&tr.nop_lock);
    if (nb) {
        buf_flush(nb);
        free(nb);
    }
    pthread_mutex_lock(&tr.file_lock);
    out_event("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"grt\"}}");
    for (int32_t i = 0; i < tr.maxp || i < np; i++)
        out_event("{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":\"P%d\"}}",
                  i, i);
    out_event("{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":\"no P\"}}",
              NOP_TID);
    if (sizeof tr.fmt - tr.fmtlen < 8)
        out_flush();
    memcpy(tr.fmt + tr.fmtlen, "\n]}\n", 4);
    tr.fmtlen += 4;
    out_flush();
    int rc = tr.failed ? -EIO : 0;
    if (close(tr.fd) != 0 && rc == 0 && errno != EINTR)
        rc = -errno;
    tr.fd = -1;
    pthread_mutex_unlock(&tr.file_lock);
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
            if (b) {
                b->run_g = gp->goid;
                b->run_start = grt__nanotime();
            }
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
