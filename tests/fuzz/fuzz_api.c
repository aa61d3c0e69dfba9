/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_api.c - a libFuzzer target that decodes its input into a sequence of
 * grt API calls and runs them inside one grt_run.
 *
 * Input: byte 0 chooses the number of Ps (1 or 2); then each op is one
 * opcode byte (an index into ops[], modulo its length) followed by the
 * operand bytes that op reads.  A missing byte reads as 0, so every input
 * decodes to something.
 *
 * The main goroutine owns every object (channels, timers, descriptors,
 * sync objects) and is the only one that creates, closes or frees them;
 * the goroutines it starts only use them.  By construction no input can
 * deadlock or leak:
 *   - main never blocks without a finite deadline (try forms, selects and
 *     sleeps with bounded deadlines, descriptor calls after setting a
 *     deadline on that descriptor);
 *   - every goroutine ends once main closes the channels and descriptors,
 *     wakes the cond waiters and frees the timers, which it does at the end
 *     of every input before it waits for them all;
 *   - timer channels are received from only with a finite deadline (a stopped
 *     timer never sends).
 * So any abort, hang, sanitizer report or "grt: fatal error" is a defect of
 * grt, never of the input.  The run also checks what it can observe:
 * every value sent on a channel is received exactly once (counted, and
 * drained at the end), each receiver sees each sender's values on one
 * channel in order, close/stop/reset return what the contract says, bad
 * arguments return their documented errors, a descriptor closes exactly
 * once, grt_once runs once, and grt_goroutines() is back to 1 at the end.
 *
 * Adding an op: write `static void op_x(struct fz *st)` and add one line to
 * ops[] (the contexts of grt_ctx_* go at the marked place).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "grt.h"

#define NCH 4        /* channel slots */
#define NTM 4        /* timer slots */
#define NFD 8        /* descriptor slots */
#define NSENDER 256  /* sender ids; the last few are not order-checked */
#define ID_UNCHECKED 250
#define MAX_GO 48    /* goroutines started by one input */
#define MAX_OPS 200  /* ops executed per input */
#define BUDGET_NS (20 * 1000 * 1000) /* stop decoding after this long */

enum { CH_ELEM = sizeof(uint64_t) };

struct fz {
    const uint8_t *p;
    size_t n, i;
    int64_t start;

    grt_chan *ch[NCH];   /* written by main only, atomically (func timers read it) */
    int chcap[NCH];
    int chrefs[NCH];     /* references main holds */
    bool chclosed[NCH];
    uint32_t main_seq;
    uint32_t main_last[NCH][NSENDER];

    grt_timer *tm[NTM];
    bool tm_ticker[NTM], tm_func[NTM];

    int fd[NFD];

    grt_mutex mu;
    grt_rwmutex rw;
    grt_mutex cvmu;
    grt_cond cv;
    int cv_tickets; /* under cvmu: signals not yet consumed */
    bool ending;    /* under cvmu: main is tearing down */
    grt_once once;
    bool once_used;
    grt_waitgroup wg;   /* WG rounds */
    grt_chan *wgdone;   /* waiters of a round report here */

    grt_waitgroup all;  /* every goroutine main started */
    int ngo;
    uint32_t next_id;

    int64_t sent, recvd, funcs_fired, funcs_armed, once_runs; /* atomic */
};

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz_api: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

#define EXPECT(cond, ...)                                                      \
    do {                                                                       \
        if (!(cond))                                                           \
            die(__VA_ARGS__);                                                  \
    } while (0)

static void add64(int64_t *p, int64_t d) { __atomic_fetch_add(p, d, __ATOMIC_RELAXED); }
static int64_t get64(int64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

/* ------------------------------------------------------------------ */
/* Decoding                                                            */
/* ------------------------------------------------------------------ */

static uint8_t u8(struct fz *st) { return st->i < st->n ? st->p[st->i++] : 0; }

static int pick(struct fz *st, int n) { return u8(st) % n; }

/* Relative delays for timers and sleeps: negative, zero, tiny, short,
 * long (never reached within an input) and saturating. */
static const int64_t delays[] = {
    INT64_MIN, -1, 0, 1, 1000, 20000, 100000, 500000, 2000000,
    1000000000, INT64_MAX,
};
static const int64_t periods[] = {0, 0, 0, 20000, 100000, 1000000, INT64_MAX};
static const int64_t sleeps[] = {INT64_MIN, -1, 0, 1, 1000, 20000, 200000};

/* An absolute deadline.  Main gets only "do not block" or ones at most a
 * couple of milliseconds away; goroutines may also get "never". */
static int64_t deadline_pick(struct fz *st, bool may_block_forever)
{
    int64_t now = grt_now();
    int k = pick(st, may_block_forever ? 10 : 7);
    switch (k) {
    case 0: return 0;
    case 1: return now - 1000;      /* past */
    case 2: return INT64_MIN;       /* far past */
    case 3: return now + 1000;
    case 4: return now + 50000;
    case 5: return now + 500000;
    case 6: return now + 2000000;
    case 7: return GRT_FOREVER;
    case 8: return INT64_MAX;
    default: return now > 0 ? now + (INT64_MAX - now) : INT64_MAX; /* the saturated sum */
    }
}

/* ------------------------------------------------------------------ */
/* Channel values: sender id in the high half, its sequence number in   */
/* the low half; each receiver checks per (channel, sender) order.      */
/* ------------------------------------------------------------------ */

static grt_chan *chan_get(struct fz *st, int c) { return __atomic_load_n(&st->ch[c], __ATOMIC_ACQUIRE); }

static void got_value(struct fz *st, uint32_t (*last)[NSENDER], int c, uint64_t v)
{
    uint32_t id = (uint32_t)(v >> 32), seq = (uint32_t)v;
    EXPECT(id < NSENDER && seq > 0, "channel %d: value %#llx was never sent", c,
           (unsigned long long)v);
    if (id < ID_UNCHECKED) {
        EXPECT(seq > last[c][id], "channel %d: sender %u's value %u received after %u", c, id, seq,
               last[c][id]);
        last[c][id] = seq;
    }
    add64(&st->recvd, 1);
}

/* ------------------------------------------------------------------ */
/* Goroutines                                                          */
/* ------------------------------------------------------------------ */

enum gkind {
    G_SEND, G_RECV, G_SELECT, G_SLEEP, G_MUTEX, G_RWREAD, G_RWWRITE, G_COND,
    G_ONCE, G_FDREAD, G_FDWRITE, G_FDWAIT, G_TIMERWAIT, G_YIELD, G_SPAWN,
    G_WGDONE, G_WGWAIT, G_CLOSE, G_KINDS
};

struct job {
    struct fz *st;
    enum gkind kind;
    uint32_t id;
    int c[4], ops[4], ncases;
    int count;
    int64_t arg, deadline;
    int fd;
    grt_chan *tc; /* G_TIMERWAIT: a reference to a timer's channel */
    int result;   /* G_CLOSE: its grt_close's result, valid once done is 1 */
    int done;
};

static void go_job(struct fz *st, struct job *j);

static void once_fn(void *arg)
{
    struct fz *st = arg;
    add64(&st->once_runs, 1);
    grt_yield();
}

static void job_select(struct job *j, uint32_t (*last)[NSENDER])
{
    struct fz *st = j->st;
    grt_case cases[4];
    uint64_t out[4], in[4];
    uint32_t seq = 0;
    for (int loop = 0; loop < j->count; loop++) {
        bool any = false;
        for (int k = 0; k < j->ncases; k++) {
            grt_chan *ch = j->c[k] >= 0 ? chan_get(st, j->c[k]) : NULL;
            any |= ch != NULL;
            out[k] = ((uint64_t)j->id << 32) | ++seq;
            cases[k] = (grt_case){.chan = ch, .op = j->ops[k], .elem = j->ops[k] == GRT_SEND ? &out[k] : &in[k]};
        }
        /* With only nil channels nothing but the deadline ends it: a far
         * one would be select{}, which no input may ask for. */
        int64_t dl = j->deadline;
        if (!any && (dl == GRT_FOREVER || dl > grt_now() + 10000000))
            dl = grt_now() + 100000;
        int r = grt_select(cases, (size_t)j->ncases, dl);
        if (r == -ETIMEDOUT)
            continue;
        EXPECT(r >= 0 && r < j->ncases, "grt_select returned %d", r);
        EXPECT(cases[r].chan != NULL, "grt_select chose a nil channel");
        if (cases[r].err == -EPIPE)
            return; /* closed: main is ending */
        EXPECT(cases[r].err == 0, "select case err %d", cases[r].err);
        if (cases[r].op == GRT_SEND)
            add64(&st->sent, 1);
        else
            got_value(st, last, j->c[r], in[r]);
    }
}

/* Take the rwmutex (for writing or reading), yield, give it back. */
static void rw_cycle(struct fz *st, bool write)
{
    EXPECT((write ? grt_rwmutex_lock(&st->rw) : grt_rwmutex_rlock(&st->rw)) == 0, "rwmutex lock");
    grt_yield();
    EXPECT((write ? grt_rwmutex_unlock(&st->rw) : grt_rwmutex_runlock(&st->rw)) == 0,
           "rwmutex unlock");
}

static void job_run(void *arg)
{
    struct job *j = arg;
    struct fz *st = j->st;
    static __thread char scratch[4096];
    uint32_t (*last)[NSENDER] = NULL;
    char buf[512];
    int r;

    if (j->kind == G_RECV || j->kind == G_SELECT) {
        last = calloc(NCH, sizeof *last);
        EXPECT(last != NULL, "out of memory");
    }
    switch (j->kind) {
    case G_SEND: {
        grt_chan *ch = chan_get(st, j->c[0]);
        for (int k = 1; ch && k <= j->count; k++) {
            uint64_t v = ((uint64_t)j->id << 32) | (uint32_t)k;
            r = grt_chan_send(ch, &v);
            if (r == -EPIPE)
                break;
            EXPECT(r == 0, "grt_chan_send: %d", r);
            add64(&st->sent, 1);
        }
        break;
    }
    case G_RECV: {
        grt_chan *ch = chan_get(st, j->c[0]);
        for (int k = 0; ch && k < j->count; k++) {
            uint64_t v = 0;
            r = grt_chan_recv(ch, &v);
            if (r == -EPIPE) {
                EXPECT(v == 0, "recv on a closed channel left %#llx", (unsigned long long)v);
                break;
            }
            EXPECT(r == 0, "grt_chan_recv: %d", r);
            got_value(st, last, j->c[0], v);
        }
        break;
    }
    case G_SELECT:
        job_select(j, last);
        break;
    case G_SLEEP:
        EXPECT(grt_sleep(j->arg) == 0, "grt_sleep");
        break;
    case G_MUTEX:
        for (int k = 0; k < j->count; k++) {
            EXPECT(grt_mutex_lock(&st->mu) == 0, "grt_mutex_lock");
            if (k & 1)
                grt_sleep(2000); /* long holds push waiters into starvation mode */
            else
                grt_yield();
            EXPECT(grt_mutex_unlock(&st->mu) == 0, "grt_mutex_unlock");
        }
        break;
    case G_RWREAD:
    case G_RWWRITE:
        for (int k = 0; k < j->count; k++)
            rw_cycle(st, j->kind == G_RWWRITE);
        break;
    case G_COND:
        EXPECT(grt_mutex_lock(&st->cvmu) == 0, "lock");
        while (st->cv_tickets == 0 && !st->ending)
            EXPECT(grt_cond_wait(&st->cv, &st->cvmu) == 0, "grt_cond_wait");
        if (st->cv_tickets > 0)
            st->cv_tickets--;
        EXPECT(grt_mutex_unlock(&st->cvmu) == 0, "unlock");
        break;
    case G_ONCE:
        EXPECT(grt_once_do(&st->once, once_fn, st) == 0, "grt_once_do");
        EXPECT(get64(&st->once_runs) == 1, "grt_once_do returned before its function ran once");
        break;
    case G_FDREAD:
        for (int k = 0; k < j->count; k++) {
            ssize_t n = grt_read(j->fd, buf, (size_t)j->arg);
            if (n <= 0)
                break;
        }
        break;
    case G_FDWRITE: {
        memset(scratch, 'w', sizeof scratch);
        for (int64_t left = j->arg; left > 0;) {
            size_t n = left < (int64_t)sizeof scratch ? (size_t)left : sizeof scratch;
            ssize_t w = grt_write(j->fd, scratch, n);
            if (w <= 0)
                break;
            EXPECT((size_t)w <= n, "grt_write wrote %zd of %zu", w, n);
            if ((size_t)w < n)
                break; /* an error or deadline stopped it part way */
            left -= w;
        }
        break;
    }
    case G_FDWAIT:
        r = grt_wait_fd(j->fd, (int)j->arg, j->deadline);
        EXPECT(r < 0 || (r & ~(GRT_READ | GRT_WRITE)) == 0, "grt_wait_fd returned %d", r);
        break;
    case G_TIMERWAIT: {
        int64_t when = 0;
        grt_case cs = {.chan = j->tc, .op = GRT_RECV, .elem = &when};
        for (int k = 0; k < j->count; k++) {
            r = grt_select(&cs, 1, grt_now() + j->arg);
            if (r == -ETIMEDOUT)
                continue;
            EXPECT(r == 0 && cs.err == 0, "select on a timer channel: %d/%d", r, cs.err);
            EXPECT(when > 0 && when <= grt_now(), "timer value %lld is not a past time",
                   (long long)when);
        }
        grt_chan_release(j->tc);
        break;
    }
    case G_YIELD:
        for (int k = 0; k < j->count; k++)
            grt_yield();
        break;
    case G_SPAWN: {
        /* A goroutine that starts another; the count of `all` is above 0
         * while it does, so this Add never races a Wait to zero. */
        struct job *k = calloc(1, sizeof *k);
        EXPECT(k != NULL, "out of memory");
        k->st = st;
        k->kind = G_SLEEP;
        k->arg = 1000;
        EXPECT(grt_waitgroup_add(&st->all, 1) == 0, "grt_waitgroup_add");
        r = grt_go(job_run, k);
        EXPECT(r == 0, "grt_go from a goroutine: %d", r);
        break;
    }
    case G_WGDONE:
        if (j->arg)
            grt_sleep(j->arg);
        EXPECT(grt_waitgroup_done(&st->wg) == 0, "grt_waitgroup_done");
        break;
    case G_WGWAIT: {
        EXPECT(grt_waitgroup_wait(&st->wg) == 0, "grt_waitgroup_wait");
        EXPECT(grt_chan_send(st->wgdone, NULL) == 0, "send");
        break;
    }
    case G_CLOSE:
        break; /* below: main frees j once `done` is set */
    case G_KINDS:
        break;
    }
    free(last);
    if (j->kind == G_CLOSE) {
        j->result = grt_close(j->fd);
        __atomic_store_n(&j->done, 1, __ATOMIC_RELEASE); /* pairs with op_double_close */
    } else {
        free(j);
    }
    grt_waitgroup_done(&st->all);
}

static void go_job(struct fz *st, struct job *j)
{
    EXPECT(grt_waitgroup_add(&st->all, 1) == 0, "grt_waitgroup_add");
    st->ngo++;
    int r = grt_go(job_run, j);
    EXPECT(r == 0, "grt_go: %d", r);
}

/* ------------------------------------------------------------------ */
/* Ops run by main                                                     */
/* ------------------------------------------------------------------ */

static int chan_slot(struct fz *st) { return pick(st, NCH); }

static void op_go(struct fz *st)
{
    if (st->ngo >= MAX_GO)
        return;
    struct job *j = calloc(1, sizeof *j);
    EXPECT(j != NULL, "out of memory");
    j->st = st;
    j->kind = (enum gkind)pick(st, G_CLOSE); /* G_CLOSE is op_double_close's */
    j->id = ++st->next_id;
    j->count = 1 + pick(st, 8);
    j->c[0] = chan_slot(st);
    switch (j->kind) {
    case G_SELECT:
        j->ncases = 1 + pick(st, 4);
        for (int k = 0; k < j->ncases; k++) {
            int b = u8(st);
            j->c[k] = b % 5 == 4 ? -1 : b % 5; /* -1: a nil channel */
            j->ops[k] = (b >> 4) & 1 ? GRT_SEND : GRT_RECV;
        }
        j->deadline = deadline_pick(st, true);
        break;
    case G_SLEEP:
        j->arg = sleeps[pick(st, (int)(sizeof sleeps / sizeof *sleeps))];
        break;
    case G_ONCE:
        st->once_used = true;
        break;
    case G_FDREAD:
    case G_FDWRITE:
    case G_FDWAIT: {
        static const int64_t sizes[] = {1, 100, 512, 4096, 70000};
        j->fd = st->fd[pick(st, NFD)];
        j->arg = j->kind == G_FDWAIT ? 1 + pick(st, 3)
                 : j->kind == G_FDREAD ? 1 + pick(st, 512)
                                       : sizes[pick(st, 5)];
        j->deadline = deadline_pick(st, true);
        break;
    }
    case G_TIMERWAIT: {
        grt_timer *t = st->tm[pick(st, NTM)];
        grt_chan *c = grt_timer_chan(t);
        if (c == NULL) {
            free(j);
            return;
        }
        j->tc = grt_chan_retain(c);
        j->arg = 1000 + 100000 * pick(st, 20);
        break;
    }
    case G_WGDONE:
    case G_WGWAIT:
        j->kind = G_YIELD; /* rounds are op_wg_round's */
        break;
    default:
        break;
    }
    go_job(st, j);
}

static void op_chan_make(struct fz *st)
{
    int c = chan_slot(st), cap = pick(st, 4);
    if (st->ch[c])
        return;
    grt_chan *ch = grt_chan_make(CH_ELEM, (size_t)cap);
    EXPECT(ch != NULL, "grt_chan_make: %s", strerror(errno));
    EXPECT(grt_chan_cap(ch) == (size_t)cap && grt_chan_len(ch) == 0, "fresh channel: cap/len");
    st->chcap[c] = cap;
    st->chrefs[c] = 1;
    __atomic_store_n(&st->ch[c], ch, __ATOMIC_RELEASE);
}

static void op_chan_retain(struct fz *st)
{
    int c = chan_slot(st);
    if (st->ch[c] && st->chrefs[c] < 8) {
        EXPECT(grt_chan_retain(st->ch[c]) == st->ch[c], "grt_chan_retain");
        st->chrefs[c]++;
    }
}

static void op_chan_release(struct fz *st)
{
    int c = chan_slot(st);
    if (st->ch[c] && st->chrefs[c] > 1) { /* the last one goes at the end */
        grt_chan_release(st->ch[c]);
        st->chrefs[c]--;
    }
}

static void op_chan_close(struct fz *st)
{
    int c = chan_slot(st);
    if (!st->ch[c])
        return;
    int r = grt_chan_close(st->ch[c]);
    EXPECT(r == (st->chclosed[c] ? -EPIPE : 0), "grt_chan_close: %d (closed before: %d)", r,
           st->chclosed[c]);
    st->chclosed[c] = true;
}

static void op_chan_trysend(struct fz *st)
{
    int c = chan_slot(st);
    if (!st->ch[c])
        return;
    uint64_t v = ++st->main_seq; /* sender id 0: main */
    int r = grt_chan_trysend(st->ch[c], &v);
    if (st->chclosed[c])
        EXPECT(r == -EPIPE, "trysend on a closed channel: %d", r);
    EXPECT(r == 0 || r == -EAGAIN || r == -EPIPE, "grt_chan_trysend: %d", r);
    if (r == 0)
        add64(&st->sent, 1);
    EXPECT(grt_chan_len(st->ch[c]) <= (size_t)st->chcap[c], "len > cap");
}

static void op_chan_tryrecv(struct fz *st)
{
    int c = chan_slot(st);
    if (!st->ch[c])
        return;
    uint64_t v = 7;
    int r = grt_chan_tryrecv(st->ch[c], &v);
    EXPECT(r == 0 || r == -EAGAIN || r == -EPIPE, "grt_chan_tryrecv: %d", r);
    if (r == -EPIPE)
        EXPECT(st->chclosed[c] && v == 0, "tryrecv: -EPIPE on an open channel, or elem not zeroed");
    if (r == 0)
        got_value(st, st->main_last, c, v);
}

static void op_select(struct fz *st)
{
    grt_case cases[4];
    uint64_t out[4], in[4];
    int slot[4];
    int n = pick(st, 5); /* 0 cases: a plain timed wait */
    for (int k = 0; k < n; k++) {
        int b = u8(st);
        slot[k] = b % 5 == 4 ? -1 : b % 5;
        grt_chan *ch = slot[k] >= 0 ? st->ch[slot[k]] : NULL;
        out[k] = ++st->main_seq;
        bool send = (b >> 4) & 1;
        cases[k] = (grt_case){.chan = ch, .op = send ? GRT_SEND : GRT_RECV, .elem = send ? &out[k] : &in[k]};
    }
    int64_t dl = deadline_pick(st, false);
    int r = grt_select(n ? cases : NULL, (size_t)n, dl);
    if (r == -ETIMEDOUT)
        return;
    EXPECT(r >= 0 && r < n, "grt_select: %d", r);
    EXPECT(cases[r].chan != NULL, "grt_select chose a nil channel");
    if (cases[r].err == -EPIPE) {
        EXPECT(st->chclosed[slot[r]], "select: -EPIPE on an open channel");
        return;
    }
    EXPECT(cases[r].err == 0, "select case err %d", cases[r].err);
    if (cases[r].op == GRT_SEND)
        add64(&st->sent, 1);
    else
        got_value(st, st->main_last, slot[r], in[r]);
}

static void func_fire(void *arg)
{
    struct fz *st = arg;
    add64(&st->funcs_fired, 1);
    grt_chan *ch = chan_get(st, (int)(get64(&st->funcs_fired) % NCH));
    uint64_t v = ((uint64_t)ID_UNCHECKED << 32) | 1;
    if (ch && grt_chan_trysend(ch, &v) == 0)
        add64(&st->sent, 1);
}

static void op_timer_new(struct fz *st)
{
    int t = pick(st, NTM);
    if (st->tm[t])
        return;
    int64_t d = delays[pick(st, (int)(sizeof delays / sizeof *delays))];
    if (u8(st) & 1) {
        st->tm[t] = grt_timer_func(d, func_fire, st);
        EXPECT(st->tm[t] != NULL, "grt_timer_func: %s", strerror(errno));
        EXPECT(grt_timer_chan(st->tm[t]) == NULL, "a func timer has a channel");
        st->tm_func[t] = true;
        st->tm_ticker[t] = false;
        add64(&st->funcs_armed, 1);
    } else {
        int64_t per = periods[pick(st, (int)(sizeof periods / sizeof *periods))];
        st->tm[t] = grt_timer_new(d, per);
        EXPECT(st->tm[t] != NULL, "grt_timer_new: %s", strerror(errno));
        EXPECT(grt_chan_cap(grt_timer_chan(st->tm[t])) == 1, "timer channel cap");
        st->tm_func[t] = false;
        st->tm_ticker[t] = per > 0;
    }
}

static void op_timer_stop(struct fz *st)
{
    grt_timer *t = st->tm[pick(st, NTM)];
    if (!t)
        return;
    int r = grt_timer_stop(t);
    EXPECT(r == 0 || r == 1, "grt_timer_stop: %d", r);
    EXPECT(grt_timer_stop(t) == 0, "a second grt_timer_stop returned non-zero");
    if (grt_timer_chan(t))
        EXPECT(grt_chan_tryrecv(grt_timer_chan(t), NULL) == -EAGAIN,
               "a value from before grt_timer_stop is still in the channel");
}

static void op_timer_reset(struct fz *st)
{
    int k = pick(st, NTM);
    grt_timer *t = st->tm[k];
    if (!t)
        return;
    int r = grt_timer_reset(t, delays[pick(st, (int)(sizeof delays / sizeof *delays))]);
    EXPECT(r == 0 || r == 1, "grt_timer_reset: %d", r);
    if (st->tm_func[k])
        add64(&st->funcs_armed, 1); /* fires (again) */
}

static void op_timer_free(struct fz *st)
{
    int k = pick(st, NTM);
    grt_timer_free(st->tm[k]);
    st->tm[k] = NULL;
}

static void op_timer_tryrecv(struct fz *st)
{
    grt_timer *t = st->tm[pick(st, NTM)];
    if (!t || !grt_timer_chan(t))
        return;
    int64_t when = 0;
    int r = grt_chan_tryrecv(grt_timer_chan(t), &when);
    EXPECT(r == 0 || r == -EAGAIN, "tryrecv on a timer channel: %d", r);
    if (r == 0)
        EXPECT(when > 0 && when <= grt_now(), "timer value %lld is not a past time", (long long)when);
}

static void op_sleep(struct fz *st)
{
    EXPECT(grt_sleep(sleeps[pick(st, (int)(sizeof sleeps / sizeof *sleeps))]) == 0, "grt_sleep");
}

static void op_yield(struct fz *st) { grt_yield(); }

static void op_mutex(struct fz *st)
{
    switch (pick(st, 3)) {
    case 0:
        EXPECT(grt_mutex_lock(&st->mu) == 0, "grt_mutex_lock");
        grt_yield();
        EXPECT(grt_mutex_unlock(&st->mu) == 0, "grt_mutex_unlock");
        break;
    case 1:
        if (grt_mutex_trylock(&st->mu) == 0)
            EXPECT(grt_mutex_unlock(&st->mu) == 0, "grt_mutex_unlock");
        break;
    default:
        /* Unlock (maybe of a starving mutex) inside a syscall bracket:
         * unlock never parks, so this is allowed (issue 9, defect 12). */
        EXPECT(grt_mutex_lock(&st->mu) == 0, "grt_mutex_lock");
        grt_syscall_enter();
        EXPECT(grt_mutex_unlock(&st->mu) == 0, "grt_mutex_unlock in a syscall bracket");
        grt_syscall_exit();
        break;
    }
}

static void op_rwmutex(struct fz *st) { rw_cycle(st, !(u8(st) & 1)); }

static void op_cond(struct fz *st)
{
    EXPECT(grt_mutex_lock(&st->cvmu) == 0, "lock");
    st->cv_tickets++;
    int r = u8(st) & 1 ? grt_cond_broadcast(&st->cv) : grt_cond_signal(&st->cv);
    EXPECT(r == 0, "grt_cond_signal/broadcast: %d", r);
    EXPECT(grt_mutex_unlock(&st->cvmu) == 0, "unlock");
}

static void op_once(struct fz *st)
{
    st->once_used = true;
    EXPECT(grt_once_do(&st->once, once_fn, st) == 0, "grt_once_do");
    EXPECT(get64(&st->once_runs) == 1, "grt_once_do: %lld runs", (long long)get64(&st->once_runs));
}

/* A self-contained WaitGroup round: Add(n), n goroutines call Done, m wait
 * (and main too); main collects every waiter before the next round, so no
 * Add ever races a previous round's Wait (that is misuse, fatal in Go). */
static void op_wg_round(struct fz *st)
{
    int n = pick(st, 4), m = pick(st, 3);
    if (st->ngo + n + m > MAX_GO)
        return;
    if (n)
        EXPECT(grt_waitgroup_add(&st->wg, n) == 0, "grt_waitgroup_add");
    for (int k = 0; k < n + m; k++) {
        struct job *j = calloc(1, sizeof *j);
        EXPECT(j != NULL, "out of memory");
        j->st = st;
        j->kind = k < n ? G_WGDONE : G_WGWAIT;
        j->arg = sleeps[pick(st, (int)(sizeof sleeps / sizeof *sleeps))];
        go_job(st, j);
    }
    EXPECT(grt_waitgroup_wait(&st->wg) == 0, "grt_waitgroup_wait");
    for (int k = 0; k < m; k++)
        EXPECT(grt_chan_recv(st->wgdone, NULL) == 0, "recv");
}

static int fd_slot_free(struct fz *st)
{
    for (int k = 0; k < NFD; k++)
        if (st->fd[k] < 0)
            return k;
    return -1;
}

/* Two free descriptor slots, or false. */
static bool two_slots(struct fz *st, int *a, int *b)
{
    *a = fd_slot_free(st);
    if (*a < 0)
        return false;
    st->fd[*a] = 0; /* reserve */
    *b = fd_slot_free(st);
    st->fd[*a] = -1;
    return *b >= 0;
}

static void op_fd_open(struct fz *st)
{
    int a, b;
    if (!two_slots(st, &a, &b))
        return;
    int sv[2];
    int r = u8(st) & 1 ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) : pipe2(sv, O_CLOEXEC);
    EXPECT(r == 0, "pipe/socketpair: %s", strerror(errno));
    st->fd[a] = sv[0];
    st->fd[b] = sv[1];
}

/* Main does descriptor I/O only under a deadline it has just set. */
static void op_fd_io(struct fz *st)
{
    int fd = st->fd[pick(st, NFD)];
    char buf[4096];
    int64_t dl = grt_now() + 1000 * (1 + pick(st, 1000));
    int r = grt_set_deadline(fd, dl, dl);
    if (fd < 0) {
        EXPECT(r == -EBADF, "grt_set_deadline(-1): %d", r);
        return;
    }
    EXPECT(r == 0, "grt_set_deadline on an open fd: %d", r);
    size_t n = 1 + (size_t)u8(st) * 16;
    ssize_t got;
    switch (pick(st, 3)) {
    case 0:
        memset(buf, 'm', n);
        got = grt_write(fd, buf, n);
        EXPECT(got <= (ssize_t)n, "grt_write: %zd of %zu", got, n); /* short: a deadline or error */
        break;
    case 1:
        got = grt_read(fd, buf, n);
        EXPECT(got <= (ssize_t)n, "grt_read: %zd of %zu", got, n);
        break;
    default:
        got = grt_wait_fd(fd, 1 + pick(st, 3), dl);
        EXPECT(got < 0 || (got & ~(GRT_READ | GRT_WRITE)) == 0, "grt_wait_fd: %zd", got);
        break;
    }
}

static void op_fd_deadline(struct fz *st)
{
    int fd = st->fd[pick(st, NFD)];
    int64_t rd = deadline_pick(st, true), wd = deadline_pick(st, true);
    int r = grt_set_deadline(fd, rd, wd);
    EXPECT(r == (fd < 0 ? -EBADF : 0), "grt_set_deadline: %d", r);
}

/* Move a deadline to just ahead, again and again, while it may be firing
 * (issue 9, defect 1). */
static void op_fd_deadline_churn(struct fz *st)
{
    int fd = st->fd[pick(st, NFD)];
    if (fd < 0)
        return;
    int loops = 50 * (1 + pick(st, 8));
    for (int k = 0; k < loops; k++)
        EXPECT(grt_set_deadline(fd, grt_now() + 1000 + 500 * (k % 3), GRT_FOREVER) == 0,
               "grt_set_deadline");
    EXPECT(grt_set_deadline(fd, GRT_FOREVER, GRT_FOREVER) == 0, "grt_set_deadline");
}

static void op_fd_close(struct fz *st)
{
    int k = pick(st, NFD);
    if (st->fd[k] < 0)
        return;
    int r = grt_close(st->fd[k]);
    EXPECT(r == 0, "grt_close of an open fd: %d", r);
    st->fd[k] = -1;
}

/* Main and a goroutine close one fd at once: exactly one gets 0 (defect 2). */
static void op_double_close(struct fz *st)
{
    int k = pick(st, NFD);
    if (st->fd[k] < 0 || st->ngo >= MAX_GO)
        return;
    struct job *j = calloc(1, sizeof *j);
    EXPECT(j != NULL, "out of memory");
    j->st = st;
    j->kind = G_CLOSE;
    j->fd = st->fd[k];
    st->fd[k] = -1;
    go_job(st, j);
    if (u8(st) & 1)
        grt_yield();
    int mine = grt_close(j->fd);
    /* Wait for the closer before any new descriptor can take the number. */
    int64_t until = grt_now() + 10000000000LL;
    while (!__atomic_load_n(&j->done, __ATOMIC_ACQUIRE)) {
        if (grt_now() > until)
            die("double close: the closing goroutine did not finish in 10 s");
        grt_sleep(1000);
    }
    int theirs = j->result;
    EXPECT((mine == 0 && theirs == -EBADF) || (mine == -EBADF && theirs == 0),
           "two grt_close of one fd returned %d and %d", mine, theirs);
    free(j);
}

/* A thread grt did not create sends on a channel (defect 6's class). */
struct foreign { grt_chan *ch; int r; };

static void *foreign_main(void *arg)
{
    struct foreign *f = arg;
    uint64_t v = ((uint64_t)(ID_UNCHECKED + 1) << 32) | 1;
    f->r = grt_chan_trysend(f->ch, &v);
    grt_chan_release(f->ch);
    return NULL;
}

static void op_foreign(struct fz *st)
{
    int c = chan_slot(st);
    if (!st->ch[c])
        return;
    struct foreign f = {.ch = grt_chan_retain(st->ch[c]), .r = 1};
    pthread_t t;
    if (pthread_create(&t, NULL, foreign_main, &f) != 0) {
        grt_chan_release(f.ch);
        return;
    }
    grt_syscall_enter();
    pthread_join(t, NULL);
    grt_syscall_exit();
    EXPECT(f.r == 0 || f.r == -EAGAIN || f.r == -EPIPE, "foreign trysend: %d", f.r);
    if (f.r == 0)
        add64(&st->sent, 1);
}

static void op_procs(struct fz *st)
{
    int r = grt_procs(1 + pick(st, 2));
    EXPECT(r == 1 || r == 2, "grt_procs: %d", r);
}

static void op_stats(struct fz *st)
{
    grt_stats s;
    EXPECT(grt_stats_get(&s) == 0, "grt_stats_get");
    EXPECT(s.goroutines >= 1 && (s.procs == 1 || s.procs == 2), "stats: %lld goroutines, %lld procs",
           (long long)s.goroutines, (long long)s.procs);
}

static void noop(void *arg) { (void)arg; }

/* Documented errors for bad arguments; each leaves nothing behind. */
static void op_bad_input(struct fz *st)
{
    char b[8];
    grt_mutex m = GRT_MUTEX_INIT;
    grt_rwmutex rw = GRT_RWMUTEX_INIT;
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    grt_case cs = {.chan = NULL, .op = 0};
    int r;
    static const char *const bad_tcp[] = {"127.0.0.1:99999", "127.0.0.1:-1", ":http", "127.0.0.1:",
                                          "[::1", "[::1]", "::1:80", "127.0.0.1:65536"};
    char longpath[200];
    memset(longpath, 'x', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    switch (pick(st, 22)) {
    case 0: EXPECT((r = grt_close(-1)) == -EBADF, "grt_close(-1): %d", r); break;
    case 1: EXPECT((r = grt_close(INT_MAX)) == -EBADF, "grt_close(INT_MAX): %d", r); break;
    case 2: EXPECT((r = (int)grt_read(-1, b, 1)) == -EBADF, "grt_read(-1): %d", r); break;
    case 3: EXPECT((r = (int)grt_read(INT_MAX, b, 1)) == -EBADF, "grt_read(INT_MAX): %d", r); break;
    case 4: EXPECT((r = grt_wait_fd(-1, GRT_READ, 0)) == -EBADF, "grt_wait_fd(-1): %d", r); break;
    case 5: EXPECT((r = grt_select(NULL, 0, 0)) == -ETIMEDOUT, "grt_select(NULL,0,0): %d", r); break;
    case 6: EXPECT((r = grt_select(NULL, 1, 0)) == -EINVAL, "grt_select(NULL,1,0): %d", r); break;
    case 7: EXPECT((r = grt_select(&cs, 1, 0)) == -EINVAL, "grt_select(op 0): %d", r); break;
    case 8: EXPECT((r = grt_mutex_unlock(&m)) == -EPERM, "unlock of an unlocked mutex: %d", r); break;
    case 9:
        EXPECT(grt_mutex_lock(&m) == 0, "lock");
        EXPECT((r = grt_mutex_trylock(&m)) == -EBUSY, "trylock of a locked mutex: %d", r);
        EXPECT(grt_mutex_unlock(&m) == 0, "unlock");
        break;
    case 10: EXPECT((r = grt_rwmutex_runlock(&rw)) == -EPERM, "runlock: %d", r); break;
    case 11: EXPECT((r = grt_rwmutex_unlock(&rw)) == -EPERM, "rw unlock: %d", r); break;
    case 12: EXPECT((r = grt_waitgroup_add(&wg, -1)) == -EINVAL, "waitgroup_add(-1): %d", r); break;
    case 13:
        errno = 0;
        EXPECT(grt_timer_new(0, -1) == NULL && errno == EINVAL, "grt_timer_new(period -1)");
        errno = 0;
        EXPECT(grt_timer_func(0, NULL, NULL) == NULL && errno == EINVAL, "grt_timer_func(NULL)");
        EXPECT(grt_timer_stop(NULL) == -EINVAL && grt_timer_reset(NULL, 0) == -EINVAL, "timer NULL");
        break;
    case 14: EXPECT((r = grt_go(NULL, NULL)) == -EINVAL, "grt_go(NULL): %d", r); break;
    case 15: {
        grt_attr a = {.stack_size = (size_t)2 << 30, .name = "huge"};
        EXPECT((r = grt_go_attr(noop, NULL, &a)) == -EINVAL, "grt_go_attr(2 GiB): %d", r);
        break;
    }
    case 16:
        EXPECT((r = grt_procs(-1)) == -EINVAL, "grt_procs(-1): %d", r);
        EXPECT((r = grt_stats_get(NULL)) == -EINVAL, "grt_stats_get(NULL): %d", r);
        break;
    case 17: {
        const char *a = bad_tcp[pick(st, (int)(sizeof bad_tcp / sizeof *bad_tcp))];
        EXPECT((r = grt_listen("tcp", a)) == -EINVAL, "grt_listen(tcp, %s): %d", a, r);
        EXPECT((r = grt_dial("tcp", a, grt_now() + 1000000)) == -EINVAL, "grt_dial(tcp, %s): %d", a, r);
        break;
    }
    case 18: EXPECT((r = grt_listen("bogus", "127.0.0.1:0")) == -EINVAL, "grt_listen(bogus): %d", r); break;
    case 19: EXPECT((r = grt_listen("unix", "")) == -EINVAL, "grt_listen(unix, \"\"): %d", r); break;
    case 20: EXPECT((r = grt_listen("unix", longpath)) == -EINVAL, "grt_listen(unix, 199 bytes): %d", r); break;
    default:
        errno = 0;
        EXPECT(grt_chan_make(CH_ELEM, SIZE_MAX) == NULL && (errno == EINVAL || errno == ENOMEM),
               "grt_chan_make(SIZE_MAX)");
        break;
    }
}

/* A loopback TCP or unix connection through grt_listen, grt_dial and
 * grt_accept (each bounded by a deadline); both ends go to fd slots. */
static void op_net_pair(struct fz *st)
{
    int a, b;
    if (!two_slots(st, &a, &b))
        return;
    bool unix_net = u8(st) & 1;
    char addr[64];
    int lfd = unix_net ? (snprintf(addr, sizeof addr, "@grt-fuzz-%d", (int)getpid()),
                          grt_listen("unix", addr))
                       : grt_listen("tcp4", "127.0.0.1:0");
    if (lfd == -EMFILE || lfd == -ENFILE)
        return;
    EXPECT(lfd >= 0, "grt_listen: %d", lfd);
    if (!unix_net) {
        struct sockaddr_in sin;
        socklen_t len = sizeof sin;
        EXPECT(getsockname(lfd, (struct sockaddr *)&sin, &len) == 0, "getsockname");
        snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(sin.sin_port));
    }
    int64_t dl = grt_now() + 2000000000LL; /* only a stuck runtime waits this long */
    int c = grt_dial(unix_net ? "unix" : "tcp4", addr, dl);
    int s = -1;
    if (c >= 0) {
        EXPECT(grt_set_deadline(lfd, dl, dl) == 0, "grt_set_deadline(listener)");
        s = grt_accept(lfd, NULL, NULL);
    }
    EXPECT(grt_close(lfd) == 0, "grt_close(listener)");
    if (c < 0 || s < 0) {
        EXPECT(c == -EMFILE || c == -ENFILE || s == -EMFILE || s == -ENFILE,
               "loopback dial %d, accept %d", c, s);
        if (c >= 0)
            grt_close(c);
        return;
    }
    st->fd[a] = c;
    st->fd[b] = s;
}

typedef void (*op_fn)(struct fz *st);

/* The opcode table: an input byte picks one entry (modulo its length).
 * New calls get one line each; the grt_ctx_* ops go in the marked place. */
static const op_fn ops[] = {
    op_go, op_go, op_go,
    op_chan_make, op_chan_make,
    op_chan_retain,
    op_chan_release,
    op_chan_close,
    op_chan_trysend, op_chan_trysend,
    op_chan_tryrecv, op_chan_tryrecv,
    op_select, op_select,
    op_timer_new,
    op_timer_stop,
    op_timer_reset,
    op_timer_free,
    op_timer_tryrecv,
    op_sleep,
    op_yield,
    op_mutex,
    op_rwmutex,
    op_cond,
    op_once,
    op_wg_round,
    op_fd_open,
    op_net_pair,
    op_fd_io,
    op_fd_deadline,
    op_fd_deadline_churn,
    op_fd_close,
    op_double_close,
    op_foreign,
    op_procs,
    op_stats,
    op_bad_input,
    /* contexts (grt_ctx_*): add their ops here */
};

/* ------------------------------------------------------------------ */
/* One input                                                           */
/* ------------------------------------------------------------------ */

static void teardown(struct fz *st)
{
    /* Stop every timer: a func timer that fired already has its goroutine. */
    for (int k = 0; k < NTM; k++) {
        grt_timer_free(st->tm[k]);
        st->tm[k] = NULL;
    }
    for (int c = 0; c < NCH; c++)
        if (st->ch[c] && !st->chclosed[c]) {
            EXPECT(grt_chan_close(st->ch[c]) == 0, "grt_chan_close");
            st->chclosed[c] = true;
        }
    for (int k = 0; k < NFD; k++)
        if (st->fd[k] >= 0) {
            int r = grt_close(st->fd[k]);
            EXPECT(r == 0, "grt_close of an open fd at the end: %d", r);
            st->fd[k] = -1;
        }
    EXPECT(grt_mutex_lock(&st->cvmu) == 0, "lock");
    st->ending = true;
    EXPECT(grt_cond_broadcast(&st->cv) == 0, "grt_cond_broadcast");
    EXPECT(grt_mutex_unlock(&st->cvmu) == 0, "unlock");

    EXPECT(grt_waitgroup_wait(&st->all) == 0, "grt_waitgroup_wait");
    /* AfterFunc goroutines are not ours to join: wait, bounded, for them. */
    int64_t until = grt_now() + 10000000000LL;
    while (grt_goroutines() != 1) {
        if (grt_now() > until)
            die("%lld goroutines left at the end", (long long)grt_goroutines());
        grt_sleep(100000);
    }
    for (int c = 0; c < NCH; c++) {
        if (!st->ch[c])
            continue;
        uint64_t v;
        int r;
        while ((r = grt_chan_tryrecv(st->ch[c], &v)) == 0)
            got_value(st, st->main_last, c, v);
        EXPECT(r == -EPIPE && grt_chan_len(st->ch[c]) == 0, "draining a closed channel: %d", r);
        while (st->chrefs[c]-- > 0)
            grt_chan_release(st->ch[c]);
        st->ch[c] = NULL;
    }
    EXPECT(get64(&st->sent) == get64(&st->recvd), "%lld values sent but %lld received",
           (long long)get64(&st->sent), (long long)get64(&st->recvd));
    EXPECT(get64(&st->funcs_fired) <= get64(&st->funcs_armed),
           "func timers fired %lld times, armed %lld times", (long long)get64(&st->funcs_fired),
           (long long)get64(&st->funcs_armed));
    if (st->once_used)
        EXPECT(get64(&st->once_runs) == 1, "grt_once ran %lld times", (long long)get64(&st->once_runs));
    grt_chan_release(st->wgdone);
}

static void fuzz_main(void *arg)
{
    struct fz *st = arg;
    st->start = grt_now();
    st->wgdone = grt_chan_make(0, 0);
    EXPECT(st->wgdone != NULL, "grt_chan_make");
    for (int k = 0; k < MAX_OPS && st->i < st->n; k++) {
        if (grt_now() - st->start > BUDGET_NS)
            break;
        ops[u8(st) % (sizeof ops / sizeof *ops)](st);
    }
    teardown(st);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN); /* writes to a closed peer return -EPIPE */
    /* clang links the ASan runtime and libFuzzer's callbacks into the
     * executable, where preempt.c cannot tell them from the program's own
     * code: a SIGURG landing in a sanitizer or coverage call made by the
     * runtime would preempt the runtime itself (seen as ASan's "starting
     * fiber switch while in fiber switch").  So asynchronous preemption is
     * off here unless GRT_DEBUG says otherwise; the preemption tests cover
     * it in the gcc sanitizer builds, where those runtimes are libraries. */
    setenv("GRT_DEBUG", "asyncpreemptoff=1", 0);
    return 0;
}

/* grt's fatal errors end the process with _exit(2), which libFuzzer cannot
 * catch to save the input: with $FUZZ_API_LAST set, each input is written
 * there first (scripts/run-fuzz.sh keeps it as the reproducer). */
static void save_input(const uint8_t *data, size_t size)
{
    static const char *path;
    static bool checked;
    if (!checked) {
        path = getenv("FUZZ_API_LAST");
        checked = true;
    }
    if (path == NULL || *path == '\0')
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    while (size > 0) {
        ssize_t w = write(fd, data, size);
        if (w <= 0)
            break;
        data += w;
        size -= (size_t)w;
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    save_input(data, size);
    static struct fz st;
    memset(&st, 0, sizeof st);
    st.p = data;
    st.n = size;
    for (int k = 0; k < NFD; k++)
        st.fd[k] = -1;
    grt_config cfg = {.procs = 1 + (size ? data[0] & 1 : 0), .stack_size = 0};
    st.i = 1;
    int r = grt_run(&cfg, fuzz_main, &st);
    EXPECT(r == 0, "grt_run: %d", r);
    return 0;
}
