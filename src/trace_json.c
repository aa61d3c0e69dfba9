/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * trace_json.c - the execution trace's file: the chunks trace.c spilled,
 * read back when the trace stops and written as Chrome trace-event JSON
 * (what the file shows is described at the top of trace.c).
 *
 * Formatting JSON costs some 30 times as much as recording an event, which
 * is why it is done here, once, after the traced interval, and not while
 * the program runs.
 */
#include "sched.h"
#include "trace_event.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOP_TID 1000000 /* the "no P" track */

static struct {
    pthread_mutex_t lock;       /* everything below */
    int             fd;
    bool            first;      /* no event written yet (commas) */
    bool            failed;     /* a write failed: the file is cut short */
    int32_t         maxp;       /* highest P id seen + 1 (track names) */
    int64_t         base;       /* tick of the trace's start */
    double          scale;      /* ns per tick */
    char            fmt[65536]; /* formatting buffer */
    size_t          fmtlen;
} tr = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .fd = -1,
};

static const char *const end_names[] = {
    [END_BLOCK] = "block", [END_YIELD] = "yield", [END_PREEMPT] = "preempt",
    [END_EXIT] = "exit", [END_HANDOFF] = "handoff",
};

/* ------------------------------------------------------------------ */
/* Writing the file (tr.lock held)                                     */
/* ------------------------------------------------------------------ */

/* All of len bytes through read(2) or write(2), retrying on EINTR; false
 * on an error or the end of the file. */
static bool rw_all(int fd, char *p, size_t len, bool wr)
{
    while (len > 0) {
        ssize_t k = wr ? grt__sys_write(fd, p, len) : grt__sys_read(fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        len -= (size_t)k;
    }
    return true;
}

bool grt__trace_write_all(int fd, const void *buf, size_t len)
{
    return rw_all(fd, (char *)buf, len, true);
}

static void out_flush(void)
{
    if (!tr.failed && !grt__trace_write_all(tr.fd, tr.fmt, tr.fmtlen))
        tr.failed = true;
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

/* Hand-rolled formatting: the writer's cost is nearly all here, and
 * snprintf is several times slower than appending the pieces. */
static char *app(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static char *app_u(char *p, uint64_t v)
{
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = t[--n];
    return p;
}

/* ns as microseconds with three decimals (trace-event time unit). */
static char *app_ts(char *p, int64_t ns)
{
    if (ns < 0)
        ns = 0;
    p = app_u(p, (uint64_t)(ns / 1000));
    int r = (int)(ns % 1000);
    *p++ = '.';
    *p++ = (char)('0' + r / 100);
    *p++ = (char)('0' + r / 10 % 10);
    *p++ = (char)('0' + r % 10);
    return p;
}

/* Start an event in the format buffer (room for the longest one). */
static char *ev_begin(void)
{
    if (sizeof tr.fmt - tr.fmtlen < 512)
        out_flush();
    char *p = tr.fmt + tr.fmtlen;
    if (!tr.first)
        *p++ = ',';
    *p++ = '\n';
    tr.first = false;
    return p;
}

static void ev_end(char *p)
{
    tr.fmtlen = (size_t)(p - tr.fmt);
}

static char *app_head(char *p, const char *name, const char *ph, int tid, int64_t ts)
{
    p = app(p, "{\"name\":\"");
    p = app(p, name);
    p = app(p, "\",\"ph\":\"");
    p = app(p, ph);
    p = app(p, "\",\"pid\":1,\"tid\":");
    p = app_u(p, (uint64_t)tid);
    p = app(p, ",\"ts\":");
    return app_ts(p, ts);
}

/* The conversion's view of each P track: the run it has open. */
static struct {
    uint64_t g;
    int64_t  start;
} open_run[GRT_MAX_PROCS];

static void out_run(int tid, uint64_t g, int64_t ts, int64_t dur, uint32_t arg)
{
    uint32_t kind = arg >> 8, reason = arg & 0xff;
    const char *end = kind < sizeof end_names / sizeof *end_names && end_names[kind]
                          ? end_names[kind] : "?";
    const char *why = reason < WAIT_NREASONS ? grt__wait_reason_names[reason] : "?";
    char name[32];
    name[0] = 'G';
    *app_u(name + 1, g) = 0;
    char *p = app_head(ev_begin(), name, "X", tid, ts);
    p = app(p, ",\"dur\":");
    p = app_ts(p, dur);
    p = app(p, ",\"cat\":\"run\",\"args\":{\"g\":");
    p = app_u(p, g);
    p = app(p, ",\"end\":\"");
    p = app(p, end);
    if (kind == END_BLOCK) {
        p = app(p, "\",\"reason\":\"");
        p = app(p, why);
    }
    ev_end(app(p, "\"}}"));
    if (kind == END_BLOCK || kind == END_PREEMPT) {
        p = app_head(ev_begin(), kind == END_BLOCK ? "block" : "preempt", "i", tid, ts + dur);
        p = app(p, ",\"s\":\"t\",\"cat\":\"sched\",\"args\":{\"g\":");
        p = app_u(p, g);
        if (kind == END_BLOCK) {
            p = app(p, ",\"reason\":\"");
            p = app(p, why);
            p = app(p, "\"");
        }
        ev_end(app(p, "}}"));
    }
}

static void out_chunk(struct chunk *b)
{
    double scale = tr.scale;
    int64_t base = tr.base;
    for (uint32_t i = 0; i < b->n; i++) {
        const struct trace_ev *e = &b->ev[i];
        int type = ev_type(e->w);
        uint32_t arg = ev_arg(e->w);
        uint64_t g = ev_g(e->w);
        int pid = b->p;
        if (pid < 0)
            pid = arg == EV_NOP ? -1 : (int)arg;
        if (pid >= GRT_MAX_PROCS)
            continue; /* a damaged spill: never index past the table */
        int tid = pid < 0 ? NOP_TID : pid;
        int64_t ts = (int64_t)((double)(e->ts - base) * scale);
        if (pid >= tr.maxp)
            tr.maxp = pid + 1;
        char *p, name[32];
        switch (type) {
        case EV_RUN_START:
            if (pid >= 0) {
                open_run[pid].g = g;
                open_run[pid].start = ts;
            }
            break;
        case EV_RUN_END:
            if (pid >= 0 && open_run[pid].g == g && g != 0) {
                out_run(tid, g, open_run[pid].start, ts - open_run[pid].start, arg);
                open_run[pid].g = 0;
            }
            break;
        case EV_CREATE:
        case EV_UNBLOCK:
        case EV_SYSCALL_ENTER:
        case EV_SYSCALL_EXIT: {
            static const char *const names[] = {
                [EV_CREATE] = "create", [EV_UNBLOCK] = "unblock",
                [EV_SYSCALL_ENTER] = "syscall enter", [EV_SYSCALL_EXIT] = "syscall exit",
            };
            p = app_head(ev_begin(), names[type], "i", tid, ts);
            p = app(p, ",\"s\":\"t\",\"cat\":\"sched\",\"args\":{\"g\":");
            p = app_u(p, g);
            ev_end(app(p, "}}"));
            break;
        }
        case EV_STEAL:
            p = app_head(ev_begin(), "steal", "i", tid, ts);
            p = app(p, ",\"s\":\"t\",\"cat\":\"sched\",\"args\":{\"from\":");
            p = app_u(p, arg);
            ev_end(app(p, "}}"));
            break;
        case EV_RUNQ:
        case EV_GRUNQ:
            if (type == EV_RUNQ) {
                memcpy(name, "runq P", 6);
                *app_u(name + 6, (uint64_t)(pid < 0 ? 0 : pid)) = 0;
            } else {
                memcpy(name, "global runq", 12);
            }
            /* Counters belong to the process; tid is ignored there. */
            p = app_head(ev_begin(), name, "C", 0, ts);
            p = app(p, ",\"args\":{\"len\":");
            p = app_u(p, g);
            ev_end(app(p, "}}"));
            break;
        }
    }
    b->n = 0;
}

/* ------------------------------------------------------------------ */
/* Opening and closing                                                 */
/* ------------------------------------------------------------------ */

int grt__trace_json_open(const char *path)
{
    int fd = grt__sys_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    pthread_mutex_lock(&tr.lock);
    tr.fd = fd;
    tr.first = true;
    tr.failed = false;
    tr.maxp = 0;
    static const char head[] = "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"grt\"},"
                               "\"traceEvents\":[";
    memcpy(tr.fmt, head, sizeof head - 1);
    tr.fmtlen = sizeof head - 1;
    pthread_mutex_unlock(&tr.lock);
    return 0;
}

void grt__trace_json_abort(void)
{
    pthread_mutex_lock(&tr.lock);
    close(tr.fd);
    tr.fd = -1;
    pthread_mutex_unlock(&tr.lock);
}

static bool read_all(int fd, void *buf, size_t len)
{
    return rw_all(fd, buf, len, false);
}

/* The spilled chunks, read back and written as JSON (tr.lock held). */
static void spill_convert(int spill, bool spill_ok)
{
    if (!spill_ok || lseek(spill, 0, SEEK_SET) != 0) {
        tr.failed = true;
        return;
    }
    struct chunk *c = malloc(sizeof *c);
    if (c == NULL) {
        tr.failed = true;
        return;
    }
    memset(open_run, 0, sizeof open_run);
    while (!tr.failed && read_all(spill, &c->n, sizeof c->n + sizeof c->p)) {
        if (c->n > TRACE_BUF_EVENTS || !read_all(spill, c->ev, (size_t)c->n * sizeof c->ev[0])) {
            tr.failed = true;
            break;
        }
        out_chunk(c);
    }
    free(c);
}

int grt__trace_json_close(int spill, bool spill_ok, int64_t base, double scale, int32_t nprocs)
{
    pthread_mutex_lock(&tr.lock);
    tr.base = base;
    tr.scale = scale;
    spill_convert(spill, spill_ok);
    out_event("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"grt\"}}");
    for (int32_t i = 0; i < tr.maxp || i < nprocs; i++)
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
    pthread_mutex_unlock(&tr.lock);
    return rc;
}
