/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * signal.c - per-M signal stacks, and what grt does with the signals that
 * mean something went wrong: SIGSEGV/SIGBUS (stack overflow or a crash)
 * and SIGQUIT (a goroutine dump).
 *
 * Every M runs its signal handlers on a stack of its own (sigaltstack), so
 * a handler never runs on a goroutine's stack: that stack may be nearly
 * full (a stack overflow is exactly a fault with no room left) and belongs
 * to the goroutine, not the thread.
 *
 * Faults, in this order (DESIGN.md section 9):
 *   1. A fault on the guard page under the running goroutine's stack, or
 *      with its sp already below the stack: a stack overflow.  Print
 *      "grt: fatal error: stack overflow in goroutine N (...)" and the
 *      goroutine dump, exit status 2, as Go does.  The program's own
 *      handler is not consulted: the goroutine cannot continue anyway.
 *   2. Anything else, if the program had installed a handler before
 *      grt_run: call it (it may be a JIT or a garbage collector that
 *      expects faults), and return if it returns.
 *   3. Otherwise name the goroutine, the address and the pc on stderr, put
 *      back the action the program had (the default, in practice) and raise
 *      the signal again, so the process dies of it with a core dump as it
 *      would without grt.
 * SIGQUIT is taken only when the program left it at the default: dump
 * every goroutine to stderr and exit with status 2 (Go's behaviour).
 * All the handlers are installed at grt_run and the previous actions put
 * back when it returns.
 */
#include "runtime.h"
#include "debug.h"
#include "preempt.h"
#include "signal.h"
#include "sys.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SIGSTACK_SIZE (64u * 1024u)

void grt__signal_m_init(struct m *mp)
{
    void *ss = mmap(NULL, SIGSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ss == MAP_FAILED)
        return; /* handlers then run on the interrupted stack */
    stack_t st = {.ss_sp = ss, .ss_size = SIGSTACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&st, &mp->old_sigstack) != 0) {
        munmap(ss, SIGSTACK_SIZE);
        return;
    }
    mp->sigstack = ss;
}

void grt__signal_m_fini(struct m *mp)
{
    if (mp->sigstack == NULL)
        return;
    /* Put back what the thread had (m0 returns to the program). */
    if (mp->old_sigstack.ss_sp && !(mp->old_sigstack.ss_flags & SS_DISABLE)) {
        sigaltstack(&mp->old_sigstack, NULL);
    } else {
        stack_t st = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
        sigaltstack(&st, NULL);
    }
    munmap(mp->sigstack, SIGSTACK_SIZE);
    mp->sigstack = NULL;
}

/* ------------------------------------------------------------------ */
/* Fatal signals                                                       */
/* ------------------------------------------------------------------ */

static struct {
    struct sigaction old_segv, old_bus, old_quit;
    bool             segv, bus, quit; /* installed by us */
    uintptr_t        page;
} sig;

static void put(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = grt__sys_write(2, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static bool has_handler(const struct sigaction *sa)
{
    if (sa->sa_flags & SA_SIGINFO)
        return sa->sa_sigaction != NULL;
    return sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN;
}

/* Whether the fault is the running goroutine running off its stack.  The
 * guard page is one page; a frame larger than that steps over it and may
 * run on through the stacks below (the pool packs them together) until it
 * hits unmapped memory or another guard page.  So a sp already below the
 * stack counts too, when the fault is close to that sp (the frame being
 * written) and the sp not absurdly far: code that moved the sp somewhere
 * else on purpose does not fault right at it.  Code compiled with
 * -fstack-clash-protection probes every page and always faults on the
 * goroutine's own guard page, before anything below is touched. */
static bool is_overflow(struct g *gp, uintptr_t addr, uintptr_t sp)
{
    if (gp == NULL || gp->stack_lo == 0)
        return false;
    uintptr_t lo = gp->stack_lo;
    if (addr < lo && addr >= lo - sig.page)
        return true;
    if (sp >= lo || lo - sp > ((uintptr_t)256 << 20))
        return false;
    return addr + 65536 > sp && addr < sp + 65536;
}

static _Noreturn void overflow_report(struct g *gp, void *ucp)
{
    char buf[256];
    if (gp->parent_goid)
        snprintf(buf, sizeof buf,
                 "grt: fatal error: stack overflow in goroutine %llu (stack %llu bytes, created by "
                 "goroutine %llu)\n\n",
                 (unsigned long long)gp->goid, (unsigned long long)(gp->stack_hi - gp->stack_lo),
                 (unsigned long long)gp->parent_goid);
    else
        snprintf(buf, sizeof buf,
                 "grt: fatal error: stack overflow in goroutine %llu (stack %llu bytes, %s)\n\n",
                 (unsigned long long)gp->goid, (unsigned long long)(gp->stack_hi - gp->stack_lo),
                 gp->is_main || gp == grt__sched.main_g ? "main goroutine"
                                                         : "created by a foreign thread");
    put(buf);
    grt__dump_goroutines_interrupted(2, gp, grt__arch_uc_pc(ucp), grt__arch_uc_fp(ucp));
    _exit(2);
}

static void fault_handler(int signo, siginfo_t *si, void *ucp)
{
    int saved_errno = errno;
    struct g *gp = grt__g;
    struct m *mp = gp ? gp->m : NULL;
    struct g *cur = (mp && gp != mp->g0) ? gp : NULL;
    uintptr_t addr = (uintptr_t)si->si_addr;
    uintptr_t pc = grt__arch_uc_pc(ucp), sp = grt__arch_uc_sp(ucp);

    if (signo == SIGSEGV && si->si_code > 0 && is_overflow(cur, addr, sp))
        overflow_report(cur, ucp);

    struct sigaction *old = signo == SIGSEGV ? &sig.old_segv : &sig.old_bus;
    if (has_handler(old)) {
        if (old->sa_flags & SA_SIGINFO)
            old->sa_sigaction(signo, si, ucp);
        else
            old->sa_handler(signo);
        errno = saved_errno;
        return;
    }

    char buf[256];
    const char *what = signo == SIGSEGV ? "SIGSEGV: segmentation violation" : "SIGBUS: bus error";
    if (cur)
        snprintf(buf, sizeof buf, "grt: unexpected signal %s at address %#llx, pc %#llx, in goroutine %llu\n",
                 what, (unsigned long long)addr, (unsigned long long)pc, (unsigned long long)cur->goid);
    else if (mp)
        snprintf(buf, sizeof buf, "grt: unexpected signal %s at address %#llx, pc %#llx, in the scheduler (M%lld)\n",
                 what, (unsigned long long)addr, (unsigned long long)pc, (long long)mp->id);
    else
        snprintf(buf, sizeof buf, "grt: unexpected signal %s at address %#llx, pc %#llx, on a thread grt did not create\n",
                 what, (unsigned long long)addr, (unsigned long long)pc);
    put(buf);
    /* The default action, then the same signal again: it is delivered as
     * soon as this handler returns (a fault would also recur on its own,
     * but a signal sent with kill would not). */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(signo, &dfl, NULL);
    raise(signo);
    errno = saved_errno;
}

static void quit_handler(int signo, siginfo_t *si, void *ucp)
{
    (void)signo;
    (void)si;
    struct g *gp = grt__g;
    struct m *mp = gp ? gp->m : NULL;
    struct g *cur = (mp && gp != mp->g0) ? gp : NULL;
    put("SIGQUIT: quit\n\n");
    grt__dump_goroutines_interrupted(2, cur, grt__arch_uc_pc(ucp), grt__arch_uc_fp(ucp));
    _exit(2);
}

void grt__signal_init(void)
{
    sig.page = (uintptr_t)sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sig.segv = sigaction(SIGSEGV, &sa, &sig.old_segv) == 0;
    sig.bus = sigaction(SIGBUS, &sa, &sig.old_bus) == 0;
    sig.quit = false;
    if (sigaction(SIGQUIT, NULL, &sig.old_quit) == 0 && !(sig.old_quit.sa_flags & SA_SIGINFO) &&
        sig.old_quit.sa_handler == SIG_DFL) {
        sa.sa_sigaction = quit_handler;
        sig.quit = sigaction(SIGQUIT, &sa, NULL) == 0;
    }
}

void grt__signal_fini(void)
{
    if (sig.segv)
        sigaction(SIGSEGV, &sig.old_segv, NULL);
    if (sig.bus)
        sigaction(SIGBUS, &sig.old_bus, NULL);
    if (sig.quit)
        sigaction(SIGQUIT, &sig.old_quit, NULL);
    sig.segv = sig.bus = sig.quit = false;
}
