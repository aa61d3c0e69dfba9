/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * debug.c - looking at goroutines: the goroutine dump (grt_dump, SIGQUIT,
 * deadlock reports and fatal errors) with stack traces walked along frame
 * pointers, and schedtrace.
 *
 * Why frame pointers and not libunwind: the stacks walked are those of
 * parked goroutines, whose only state is the saved context (sp, and the
 * callee-saved registers pushed on their stack, rbp/x29 among them), and
 * libgrt is built with -fno-omit-frame-pointer, so the chain is exact from
 * the park down to the first user frame; libunwind would need a
 * synthesised ucontext per goroutine and is not async-signal-safe in its
 * DWARF path (the dump also runs in fatal-signal handlers).  User code
 * built without frame pointers ends the chain early: every record is
 * bounds-checked against the goroutine's stack, so a bad chain stops the
 * walk, never crashes it.
 */
#include "runtime.h"
#include "arch.h"
#include "debug.h"
#include "env.h"
#include "g.h"
#include "misc.h"
#include "p.h"
#include "runq.h"
#include "sched.h"
#include "offload.h"
#include "sys.h"
#include "sema.h"


#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
        ssize_t w = grt__sys_write(fd, buf + off, (size_t)(n - off));
        if (w <= 0)
            break;
        off += (int)w;
    }
}

/* ------------------------------------------------------------------ */
/* Symbols                                                             */
/* ------------------------------------------------------------------ */

/* dladdr names only the symbols in the dynamic symbol table; most of a
 * program (static functions, a static libgrt, an executable not linked
 * with -rdynamic) is not there.  So the object's own .symtab is read from
 * its file: mapped once, kept for the life of the process, at most
 * MAX_OBJS objects.  Only mmap/open are used, so it also works in the
 * fatal-signal paths; a busy cache (two dumps at once, or a signal during
 * a dump) just means no name for that frame. */
#define MAX_OBJS 8

struct objsyms {
    char              path[256];
    bool              failed;
    bool              dyn;     /* ET_DYN: symbol values are relative to the base */
    const ElfW(Sym)  *syms;
    size_t            nsyms;
    const char       *strs;
    size_t            strsz;
};

static struct objsyms objs[MAX_OBJS];
static int            nobjs;
static uint32_t       objs_busy;

static void objsyms_load(struct objsyms *o, const char *path)
{
    snprintf(o->path, sizeof o->path, "%s", path);
    o->failed = true;
    int fd = grt__sys_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(ElfW(Ehdr))) {
        close(fd);
        return;
    }
    size_t len = (size_t)st.st_size;
    const uint8_t *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return;
    const ElfW(Ehdr) *eh = (const void *)map;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shoff == 0 ||
        eh->e_shoff + (size_t)eh->e_shnum * sizeof(ElfW(Shdr)) > len)
        goto bad;
    const ElfW(Shdr) *sh = (const void *)(map + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
            continue;
        const ElfW(Shdr) *str = &sh[sh[i].sh_link];
        if (sh[i].sh_offset + sh[i].sh_size > len || str->sh_offset + str->sh_size > len)
            goto bad;
        o->syms = (const void *)(map + sh[i].sh_offset);
        o->nsyms = sh[i].sh_size / sizeof(ElfW(Sym));
        o->strs = (const char *)(map + str->sh_offset);
        o->strsz = str->sh_size;
        o->dyn = eh->e_type == ET_DYN;
        o->failed = false;
        return;
    }
bad:
    munmap((void *)map, len);
}

/* The function containing addr in the object at path loaded at base. */
static const char *objsyms_find(const char *path, uintptr_t base, uintptr_t addr, uintptr_t *off)
{
    if (!cas_acquire(&objs_busy, 0, 1))
        return NULL;
    struct objsyms *o = NULL;
    for (int i = 0; i < nobjs && !o; i++)
        if (!strcmp(objs[i].path, path))
            o = &objs[i];
    if (o == NULL && nobjs < MAX_OBJS) {
        o = &objs[nobjs++];
        objsyms_load(o, path);
    }
    const char *best = NULL;
    if (o && !o->failed) {
        uintptr_t rel = o->dyn ? addr - base : addr, bestv = 0;
        for (size_t i = 0; i < o->nsyms; i++) {
            const ElfW(Sym) *sy = &o->syms[i];
            if (ELF64_ST_TYPE(sy->st_info) != STT_FUNC || sy->st_shndx == SHN_UNDEF ||
                sy->st_name >= o->strsz)
                continue;
            /* Sized symbols only: the unsized ones (crt's frame_dummy)
             * would claim every address after them. */
            uintptr_t v = sy->st_value;
            if (v <= rel && v >= bestv && rel < v + sy->st_size) {
                best = o->strs + sy->st_name;
                bestv = v;
            }
        }
        *off = rel - bestv;
    }
    st_release(&objs_busy, 0);
    return best;
}

/* "name+0xoff [object+0xoffset]" for a code address.  For a return
 * address, ret is true: the lookup uses pc - 1, the call itself, which may
 * belong to another function than the instruction after it (a noreturn
 * call at the end of one). */
static void symbolize(uintptr_t pc, bool ret, char *buf, size_t n)
{
    Dl_info di;
    memset(&di, 0, sizeof di);
    uintptr_t look = ret ? pc - 1 : pc;
    if (!dladdr((void *)look, &di) || di.dli_fname == NULL) {
        snprintf(buf, n, "?");
        return;
    }
    uintptr_t base = (uintptr_t)di.dli_fbase, off = 0;
    const char *name = NULL;
    if (di.dli_sname && di.dli_saddr) {
        name = di.dli_sname;
        off = pc - (uintptr_t)di.dli_saddr;
    } else {
        name = objsyms_find(di.dli_fname, base, look, &off);
        off += pc - look;
        /* A return address that is the first byte of a function: the
         * "call" was a frame built by hand (grt__goexit_stub). */
        if (name == NULL && look != pc)
            name = objsyms_find(di.dli_fname, base, pc, &off);
    }
    if (name)
        snprintf(buf, n, "%s+%#lx [%s+%#lx]", name, (unsigned long)off, di.dli_fname,
                 (unsigned long)(pc - base));
    else
        snprintf(buf, n, "? [%s+%#lx]", di.dli_fname, (unsigned long)(pc - base));
}

/* ------------------------------------------------------------------ */
/* Goroutine dump                                                      */
/* ------------------------------------------------------------------ */

#define MAX_FRAMES 64

/* Walk frame records (fp -> {caller fp, return pc}) from fp, printing each
 * return address.  Every record must lie inside [lo, hi) and each one
 * above the last, so a corrupt chain or code built without frame pointers
 * ends the walk instead of reading wild memory.  Not instrumented: the
 * frames belong to other goroutines' stacks, which ASan may poison. */
__attribute__((no_sanitize_address, no_sanitize_thread)) static void
walk_frames(int fd, uintptr_t pc, uintptr_t fp, uintptr_t lo, uintptr_t hi)
{
    char sym[512];
    int depth = 0;
    if (pc) {
        symbolize(pc, true, sym, sizeof sym);
        fdprintf(fd, "\t#%-2d %#014lx %s\n", depth++, (unsigned long)pc, sym);
    }
    while (depth < MAX_FRAMES && fp >= lo && fp + 2 * sizeof(uintptr_t) <= hi &&
           (fp & (sizeof(uintptr_t) - 1)) == 0) {
        const uintptr_t *rec = (const uintptr_t *)fp;
        uintptr_t next = rec[0], ret = rec[1];
        if (ret == 0)
            break;
        symbolize(ret, true, sym, sizeof sym);
        fdprintf(fd, "\t#%-2d %#014lx %s\n", depth++, (unsigned long)ret, sym);
        if (next <= fp)
            break;
        fp = next;
    }
    if (depth == MAX_FRAMES)
        fdprintf(fd, "\t...\n");
}

struct dump_ctx {
    int       fd;
    int64_t   now;
    int       count;
    struct g *self;   /* the goroutine printing the dump, or interrupted */
    uintptr_t self_fp; /* where its frame walk starts */
    uintptr_t self_pc; /* and its pc, if interrupted by a signal */
};

static void fmt_duration(char *buf, size_t n, int64_t ns)
{
    if (ns >= 60000000000LL)
        snprintf(buf, n, "%lld minutes", (long long)(ns / 60000000000LL));
    else if (ns >= 1000000000LL)
        snprintf(buf, n, "%.1f s", (double)ns / 1e9);
    else
        snprintf(buf, n, "%lld ms", (long long)(ns / 1000000));
}

/* The dump and the scheddetail lines read other threads' Gs, Ms and Ps
 * without their locks, on purpose: a diagnostic must not wait for (or
 * deadlock on) the state it describes, and a torn value costs a wrong line,
 * nothing more.  GRT_NO_TSAN keeps TSan from reporting those reads. */
#define GRT_NO_TSAN __attribute__((no_sanitize_thread))

GRT_NO_TSAN static void dump_one(struct g *gp, void *arg)
{
    struct dump_ctx *c = arg;
    uint32_t s = ld_acquire(&gp->status);
    if (s == G_DEAD || s == G_IDLE || gp->gen != grt__sched.gen)
        return;
    c->count++;
    char what[128], dur[32];
    struct m *mp = ld_relaxed(&gp->m);
    if (s == G_WAITING) {
        fmt_duration(dur, sizeof dur, c->now - gp->waitsince);
        snprintf(what, sizeof what, "%s, %s", grt__wait_reason_names[gp->waitreason], dur);
    } else if (s == G_SYSCALL && mp) {
        fmt_duration(dur, sizeof dur, c->now - ld_relaxed(&mp->syscall_when));
        snprintf(what, sizeof what, "syscall, %s, M%lld", dur, (long long)mp->id);
    } else if (s == G_RUNNING && mp) {
        struct p *pp = ld_relaxed(&mp->p);
        snprintf(what, sizeof what, "running, M%lld P%d", (long long)mp->id, pp ? pp->id : -1);
    } else if (s == G_RUNNABLE && gp->waitreason == WAIT_PREEMPTED) {
        snprintf(what, sizeof what, "runnable, preempted");
    } else {
        snprintf(what, sizeof what, "%s", grt__status_name(s));
    }
    fdprintf(c->fd, "goroutine %llu%s%s%s [%s]:\n", (unsigned long long)gp->goid,
             gp->name ? " \"" : "", gp->name ? gp->name : "", gp->name ? "\"" : "", what);

    /* A stack trace where the stack holds still: parked and queued Gs
     * (their context was saved before their status changed), and the
     * goroutine printing the dump.  Running ones: their state only. */
    void *sp = ld_relaxed(&gp->sched.sp);
    if (gp == c->self) {
        if (c->self_pc) {
            char sym[512];
            symbolize(c->self_pc, false, sym, sizeof sym);
            fdprintf(c->fd, "\tpc %#lx %s\n", (unsigned long)c->self_pc, sym);
        }
        walk_frames(c->fd, 0, c->self_fp, gp->stack_lo, gp->stack_hi);
    } else if ((s == G_WAITING || s == G_RUNNABLE || s == G_PREEMPTED) && sp != NULL &&
               (uintptr_t)sp >= gp->stack_lo && (uintptr_t)sp < gp->stack_hi) {
        walk_frames(c->fd, grt__ctx_pc(sp), grt__ctx_fp(sp), gp->stack_lo, gp->stack_hi);
    } else if (s == G_RUNNABLE && gp->fn) {
        char sym[512];
        symbolize((uintptr_t)gp->fn, false, sym, sizeof sym);
        fdprintf(c->fd, "\tnot started: %s\n", sym);
    }

    if (gp->parent_goid)
        fdprintf(c->fd, "created by goroutine %llu\n\n", (unsigned long long)gp->parent_goid);
    else
        fdprintf(c->fd, "%s\n\n",
                 gp->is_main || gp == grt__sched.main_g ? "main goroutine" : "created by a foreign thread");
}

/* The caller's own trace starts at this function's frame, which lives
 * until the walk is done; so the first return address printed is its
 * caller's (grt_dump, say).  Not inlined: clang would otherwise merge it
 * into grt_dump, whose frame would then be the first one skipped. */
__attribute__((noinline)) void grt__dump_goroutines(int fd)
{
    struct dump_ctx c = {fd, grt__nanotime(), 0, grt__curg(),
                         (uintptr_t)__builtin_frame_address(0), 0};
    /* Walked without the allg lock: the dump writes to fd, which may block,
     * and nobody else should wait for that.  allg records are never freed
     * while the runtime runs. */
    grt__allg_each_nolock(dump_one, &c);
    int64_t threads, queued, total;
    grt__offload_stats(&threads, &queued, &total);
    if (threads > 0 || total > 0)
        fdprintf(fd, "offload pool: %lld threads, %lld queued, %lld calls\n", (long long)threads,
                 (long long)queued, (long long)total);
}

/* Write all of [buf, buf + n) to fd.  Each write may block (a pipe that a
 * goroutine of this program drains), so it runs in a syscall section and
 * the P goes on running the others; EAGAIN from a non-blocking descriptor
 * is waited out with poll the same way. */
static int write_out(int fd, const char *buf, size_t n)
{
    int rc = 0;
    grt_syscall_enter();
    while (n > 0) {
        ssize_t w = grt__sys_write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pfd = {fd, POLLOUT, 0};
            grt__sys_poll(&pfd, 1, -1);
            continue;
        }
        if (w <= 0) {
            rc = w < 0 ? -errno : -EIO;
            break;
        }
        buf += w;
        n -= (size_t)w;
    }
    grt_syscall_exit();
    return rc;
}

/* Read every goroutine into mem with the world stopped, so that none of
 * them runs, exits (freeing its name) or gives its stack back under the
 * walk (Go's runtime.Stack(buf, true) does the same).  From a goroutine. */
static void dump_stopped(int mem)
{
    grt__semacquire(&grt__sched.worldsema, false, WAIT_SEMACQUIRE);
    grt__stop_the_world();
    grt__dump_goroutines(mem);
    grt__start_the_world();
    grt__semrelease(&grt__sched.worldsema, false);
}

/* A thread that is not a goroutine cannot stop the world (it cannot wait
 * on worldsema), and reading the goroutines on the fly, as the SIGQUIT
 * handler must, could read a name or a stack freed meanwhile.  So it asks
 * a goroutine to take the dump and waits for it on a note; the request is
 * shared until both sides are done with it (the caller gives up if the
 * runtime stops first). */
struct dump_req {
    grt__note done;
    int       mem;  /* the goroutine's own descriptor of the caller's memfd */
    uint32_t  refs; /* atomic */
};

static void dump_req_put(struct dump_req *r)
{
    if (xadd_acqrel(&r->refs, -1) == 0) /* acq_rel: the last side frees */
        free(r);
}

static void dump_for_foreign(void *arg)
{
    struct dump_req *r = arg;
    dump_stopped(r->mem);
    close(r->mem); /* before the wake-up: the caller returns with no descriptor left */
    grt__note_wakeup(&r->done);
    dump_req_put(r);
}

static int dump_foreign(int mem)
{
    struct dump_req *r = calloc(1, sizeof *r);
    if (r == NULL)
        return -ENOMEM;
    r->mem = dup(mem);
    if (r->mem < 0) {
        int e = -errno;
        free(r);
        return e;
    }
    r->refs = 2;
    int rc = grt__newproc_quiet(dump_for_foreign, r);
    if (rc != 0) {
        close(r->mem);
        free(r);
        return rc;
    }
    while (!grt__note_tsleep(&r->done, 10 * 1000000)) {
        if (ld_acquire(&grt__sched.state) != RT_RUNNING) {
            rc = -ESRCH; /* abandoned with the rest: it may never run */
            break;
        }
    }
    dump_req_put(r);
    return rc;
}

/* grt_dump: the dump goes to an in-memory file first and to fd only once
 * the world runs again: fd may be a pipe that one of the stopped
 * goroutines reads. */
int grt_dump(int fd)
{
    if (fd < 0)
        return -EBADF;
    if (ld_acquire(&grt__sched.state) != RT_RUNNING)
        return -ESRCH;
    int mem = memfd_create("grt-dump", MFD_CLOEXEC);
    if (mem < 0)
        return -errno;
    int rc = 0;
    if (grt__curg() != NULL)
        dump_stopped(mem);
    else
        rc = dump_foreign(mem);
    off_t len = rc == 0 ? lseek(mem, 0, SEEK_END) : 0;
    if (len > 0) {
        char *text = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, mem, 0);
        if (text == MAP_FAILED) {
            rc = -errno;
        } else {
            rc = write_out(fd, text, (size_t)len);
            munmap(text, (size_t)len);
        }
    }
    close(mem);
    return rc;
}

void grt__dump_goroutines_interrupted(int fd, struct g *gp, uintptr_t pc, uintptr_t fp)
{
    struct dump_ctx c = {fd, grt__nanotime(), 0, gp, fp, pc};
    grt__allg_each_nolock(dump_one, &c);
}

/* GRT_DEBUG=schedtrace=MS: one line per period on stderr, in Go's format
 * (DESIGN.md section 9), called by sysmon, which keeps running while
 * schedtrace is on:
 *   SCHED 1004ms: procs=2 idleprocs=0 threads=5 spinningthreads=0
 *     idlethreads=1 runqueue=0 [3 0]
 * (one line; the bracket lists each P's local queue).  scheddetail=1
 * follows Go's detailed form: the first line adds stopping, nmidlelocked,
 * stopwait and sysmonwait instead of the bracket, then a line per P, per M
 * and per live G. */
static void tracef(char *buf, size_t size, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void tracef(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
    if (*n >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *n, size - *n, fmt, ap);
    va_end(ap);
    if (k > 0)
        *n += (size_t)k < size - *n ? (size_t)k : size - *n - 1;
}

GRT_NO_TSAN static void detail_g(struct g *gp, void *arg)
{
    int fd = *(int *)arg;
    uint32_t s = ld_acquire(&gp->status);
    if (s == G_DEAD || s == G_IDLE || gp->gen != grt__sched.gen)
        return;
    struct m *mp = ld_relaxed(&gp->m), *lm = ld_relaxed(&gp->lockedm);
    char mbuf[24], lbuf[24];
    snprintf(mbuf, sizeof mbuf, mp ? "%lld" : "nil", mp ? (long long)mp->id : 0LL);
    snprintf(lbuf, sizeof lbuf, lm ? "%lld" : "nil", lm ? (long long)lm->id : 0LL);
    fdprintf(fd, "  G%llu: status=%u(%s) m=%s lockedm=%s\n", (unsigned long long)gp->goid, s,
             s == G_WAITING ? grt__wait_reason_names[gp->waitreason] : "", mbuf, lbuf);
}

GRT_NO_TSAN void grt__schedtrace_tick(int64_t now)
{
    static int64_t last;
    static uint32_t last_gen;
    if (grt__debug.schedtrace <= 0)
        return;
    if (last_gen == grt__sched.gen && now - last < (int64_t)grt__debug.schedtrace * 1000000)
        return;
    last_gen = grt__sched.gen;
    last = now;
    bool detail = grt__debug.scheddetail > 0;
    static char buf[16384]; /* sysmon only */
    size_t n = 0, size = sizeof buf;
    grt__lock(&grt__sched.lock);
    tracef(buf, size, &n,
           "SCHED %lldms: procs=%d idleprocs=%u threads=%lld spinningthreads=%u "
           "idlethreads=%d runqueue=%d",
           (long long)((now - grt__sched.start_time) / 1000000), grt__gomaxprocs,
           ld_relaxed(&grt__sched.npidle), (long long)(grt__sched.mnext - grt__sched.nmfreed),
           ld_relaxed(&grt__sched.nmspinning), grt__sched.nmidle,
           ld_relaxed(&grt__sched.runq_size));
    if (detail) {
        tracef(buf, size, &n, " stopping=%s nmidlelocked=%d stopwait=%d sysmonwait=%s\n",
               ld_relaxed(&grt__sched.stopping) ? "true" : "false", grt__sched.nmidlelocked,
               grt__sched.stopwait, ld_relaxed(&grt__sched.sysmonwait) ? "true" : "false");
        for (int32_t i = 0; i < grt__gomaxprocs; i++) {
            struct p *pp = grt__allp[i];
            struct m *mp = ld_relaxed(&pp->m);
            char mbuf[24];
            snprintf(mbuf, sizeof mbuf, mp ? "%lld" : "nil", mp ? (long long)mp->id : 0LL);
            tracef(buf, size, &n,
                   "  P%d: status=%u schedtick=%u syscalltick=%u m=%s runqsize=%u gfreecnt=%d "
                   "timerslen=%u\n",
                   pp->id, ld_relaxed(&pp->status), ld_relaxed(&pp->schedtick),
                   ld_relaxed(&pp->syscalltick), mbuf, grt__runq_len(pp),
                   ld_relaxed(&pp->ngfree), ld_relaxed(&pp->ntimers));
        }
        for (struct m *mp = grt__allm; mp; mp = mp->alllink) {
            struct p *pp = ld_relaxed(&mp->p);
            struct g *cg = ld_relaxed(&mp->curg);
            struct g *lg = ld_relaxed(&mp->lockedg);
            char pb[16], cb[24], lb[24];
            snprintf(pb, sizeof pb, pp ? "%d" : "nil", pp ? pp->id : 0);
            snprintf(cb, sizeof cb, cg ? "%llu" : "nil", cg ? (unsigned long long)cg->goid : 0ULL);
            snprintf(lb, sizeof lb, lg ? "%llu" : "nil", lg ? (unsigned long long)lg->goid : 0ULL);
            tracef(buf, size, &n, "  M%lld: p=%s curg=%s locks=%d spinning=%s blocked=%s lockedg=%s\n",
                   (long long)mp->id, pb, cb, ld_relaxed(&mp->locks),
                   ld_relaxed(&mp->spinning) ? "true" : "false",
                   ld_relaxed(&mp->blocked) ? "true" : "false", lb);
        }
    } else {
        tracef(buf, size, &n, " [");
        for (int32_t i = 0; i < grt__gomaxprocs; i++)
            tracef(buf, size, &n, "%s%u", i ? " " : "", grt__runq_len(grt__allp[i]));
        tracef(buf, size, &n, "]\n");
    }
    grt__unlock(&grt__sched.lock);
    ssize_t w = grt__sys_write(2, buf, n);
    (void)w;
    if (detail) {
        int fd = 2;
        grt__allg_each_nolock(detail_g, &fd);
    }
}
