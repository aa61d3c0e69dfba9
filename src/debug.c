/*
 * debug.c - looking at goroutines: the listing printed by deadlock reports
 * and fatal errors, and checkdead.
 */
#include "runtime.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fdprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fdprintf(int fd, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1)
        n = (int)sizeof buf - 1;
    for (int off = 0; off < n;) {
        ssize_t w = write(fd, buf + off, (size_t)(n - off));
        if (w <= 0)
            break;
        off += (int)w;
    }
}

struct dump_ctx {
    int     fd;
    int64_t now;
    int     count;
};

static void dump_one(struct g *gp, void *arg)
{
    struct dump_ctx *c = arg;
    uint32_t s = ld_acquire(&gp->status);
    if (s == G_DEAD || s == G_IDLE || gp->gen != grt__sched.gen)
        return;
    c->count++;
    char what[96];
    if (s == G_WAITING) {
        int64_t mins = (c->now - gp->waitsince) / 60000000000LL;
        if (mins > 0)
            snprintf(what, sizeof what, "%s, %lld minutes", grt__wait_reason_names[gp->waitreason],
                     (long long)mins);
        else
            snprintf(what, sizeof what, "%s", grt__wait_reason_names[gp->waitreason]);
    } else {
        snprintf(what, sizeof what, "%s", grt__status_name(s));
    }
    fdprintf(c->fd, "goroutine %llu [%s]%s%s%s:\n", (unsigned long long)gp->goid, what,
             gp->name ? " \"" : "", gp->name ? gp->name : "", gp->name ? "\"" : "");
    if (gp->parent_goid)
        fdprintf(c->fd, "created by goroutine %llu\n\n", (unsigned long long)gp->parent_goid);
    else
        fdprintf(c->fd, "%s\n\n", gp->is_main || gp->goid == 1 ? "main goroutine" : "created by a foreign thread");
}

void grt__dump_goroutines(int fd)
{
    struct dump_ctx c = {fd, grt__nanotime(), 0};
    grt__lock(&grt__allg_lock);
    grt__allg_each(dump_one, &c);
    grt__unlock(&grt__allg_lock);
}

struct dead_scan {
    int64_t live;
    int64_t running;
};

static void scan_one(struct g *gp, void *arg)
{
    struct dead_scan *d = arg;
    uint32_t s = ld_acquire(&gp->status);
    if (gp->gen != grt__sched.gen || s == G_DEAD || s == G_IDLE)
        return;
    d->live++;
    if (s == G_RUNNING || s == G_SYSCALL || s == G_RUNNABLE || s == G_PREEMPTED)
        d->running++;
}

/* Called with sched.lock held whenever an M goes idle.  If no M is running
 * goroutine code and nothing outside the goroutines (a timer, a syscall,
 * the network, a foreign thread) can wake one, the program is stuck
 * forever: say so and exit, as Go does. */
void grt__checkdead(void)
{
    if (grt__sched.state != RT_RUNNING || grt__sched.foreign_spawn)
        return;
    int64_t mcount = grt__sched.mnext - grt__sched.nmfreed;
    int64_t run = mcount - grt__sched.nmidle - grt__sched.nmidlelocked - grt__sched.nmsys;
    if (run > 0)
        return;
    if (run < 0)
        grt__fatal("checkdead: inconsistent counts: mcount=%lld nmidle=%d nmidlelocked=%d nmsys=%d",
                   (long long)mcount, grt__sched.nmidle, grt__sched.nmidlelocked, grt__sched.nmsys);
    if (grt__timers_next() != 0)
        return; /* a timer will wake somebody */
    if (grt__netpoll_waiters() > 0)
        return;
    struct dead_scan d = {0, 0};
    grt__lock(&grt__allg_lock);
    grt__allg_each(scan_one, &d);
    grt__unlock(&grt__allg_lock);
    if (d.running > 0)
        return; /* in a queue or a syscall: not stuck */
    static const char msg[] = "grt: fatal error: all goroutines are asleep - deadlock!\n\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    grt__dump_goroutines(2);
    _exit(2);
}

/* GRT_DEBUG=schedtrace=MS: one line per period, in Go's format:
 * SCHED 1004ms: procs=2 idleprocs=0 threads=5 spinningthreads=0
 *   idlethreads=1 runqueue=0 [3 0]
 * scheddetail=1 adds a line per P and per M. */
void grt__schedtrace_tick(int64_t now)
{
    static int64_t last;
    if (grt__debug.schedtrace <= 0)
        return;
    if (now - last < (int64_t)grt__debug.schedtrace * 1000000)
        return;
    last = now;
    char buf[4096];
    int n = 0;
    grt__lock(&grt__sched.lock);
    n += snprintf(buf + n, sizeof buf - (size_t)n,
                  "SCHED %lldms: procs=%d idleprocs=%u threads=%lld spinningthreads=%u "
                  "idlethreads=%d runqueue=%d [",
                  (long long)((now - grt__sched.start_time) / 1000000), grt__gomaxprocs,
                  grt__sched.npidle, (long long)(grt__sched.mnext - grt__sched.nmfreed),
                  grt__sched.nmspinning, grt__sched.nmidle, grt__sched.runq_size);
    for (int32_t i = 0; i < grt__gomaxprocs && n < (int)sizeof buf - 16; i++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%u", i ? " " : "",
                      grt__runq_len(grt__allp[i]));
    n += snprintf(buf + n, sizeof buf - (size_t)n, "]\n");
    if (grt__debug.scheddetail > 0) {
        for (int32_t i = 0; i < grt__gomaxprocs && n < (int)sizeof buf - 128; i++) {
            struct p *pp = grt__allp[i];
            struct m *mp = ld_relaxed(&pp->m);
            n += snprintf(buf + n, sizeof buf - (size_t)n,
                          "  P%d: status=%u schedtick=%u syscalltick=%u m=%lld runqsize=%u gfreecnt=%d\n",
                          pp->id, pp->status, pp->schedtick, pp->syscalltick,
                          mp ? (long long)mp->id : -1LL, grt__runq_len(pp), pp->ngfree);
        }
        for (struct m *mp = grt__allm; mp && n < (int)sizeof buf - 128; mp = mp->alllink) {
            struct p *pp = mp->p;
            struct g *cg = mp->curg;
            n += snprintf(buf + n, sizeof buf - (size_t)n,
                          "  M%lld: p=%d curg=%lld spinning=%d blocked=%d lockedg=%lld\n",
                          (long long)mp->id, pp ? pp->id : -1, cg ? (long long)cg->goid : -1LL,
                          mp->spinning, mp->blocked,
                          mp->lockedg ? (long long)mp->lockedg->goid : -1LL);
        }
    }
    grt__unlock(&grt__sched.lock);
    if (n > (int)sizeof buf)
        n = (int)sizeof buf;
    ssize_t w = write(2, buf, (size_t)n);
    (void)w;
}
