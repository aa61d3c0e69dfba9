/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * preempt.c - asynchronous preemption by signal (DESIGN.md section 7).
 *
 * A goroutine that runs C code in a loop never reaches a scheduling point,
 * so the cooperative flag sysmon sets (g->preempt) is not enough.  sysmon
 * then sends SIGURG to the goroutine's thread.  The handler runs on the M's
 * signal stack and decides whether the interrupted instruction is a safe
 * point:
 *
 *   - the thread runs a user goroutine (grt__g is not g0) in G_RUNNING and
 *     preemption was requested (g->preempt);
 *   - the M holds no runtime lock (m->locks == 0);
 *   - the pc lies in code known to be preemptible: an executable segment of
 *     the program or of a library, but not libc, the dynamic loader, the
 *     sanitizer runtimes, libgcc/libstdc++ (they take locks) and not
 *     libgrt itself (the runtime's own code manipulates Ps and Gs and must
 *     never lose its P half-way).  The ranges are computed once per run with
 *     dl_iterate_phdr; when libgrt is linked statically its code sits in the
 *     ELF section grt_text, whose bounds the linker provides;
 *   - it is not stopped in a PLT stub on its way from runtime code into
 *     libc (see in_call_stub), and the vDSO counts as libc;
 *   - there is room on the goroutine's stack for the register save area;
 *   - the goroutine is not inside a signal handler of the program that
 *     runs on its stack (see in_handler).
 *
 * A program linked fully statically (libc inside the executable) gets no
 * asynchronous preemption: libc's code cannot be told from the program's.
 *
 * If so, the handler makes the goroutine "call" grt__async_preempt
 * (src/arch/<arch>/), which saves every register, parks the goroutine on
 * the global run queue and later resumes it exactly where it was.  If not,
 * the flag stays set and sysmon asks again 10 ms later.  On aarch64 no
 * user-space epilogue can restore every register and still jump, so the
 * handler itself saves the state and the trampoline comes back through a
 * SIGURG of its own, whose frame the handler rewrites
 * (grt__arch_preempt_resume, checked first for every SIGURG).
 *
 * The signal is installed with SA_RESTART | SA_ONSTACK and sent only to a
 * thread whose P is running a user goroutine, never to one parked in the
 * runtime or inside grt_syscall_enter/exit (golang/go#38290: users saw
 * SIGURG as EINTR from their own system calls).  A handler the program had
 * installed for SIGURG is called for every SIGURG that is not ours.
 */
#include "runtime.h"
#include "env.h"
#include "preempt.h"
#include "sched.h"
#include "stack.h"

#include <errno.h>
#include <link.h>
#include <signal.h>
#include <string.h>
#include <time.h>


/* Bounds of libgrt's code when it is linked statically (objcopy renames
 * its .text to grt_text, see CMakeLists.txt); NULL in the shared build. */
extern const char __start_grt_text[] __attribute__((weak));
extern const char __stop_grt_text[] __attribute__((weak));

#define MAX_RANGES 256

struct range {
    uintptr_t lo, hi;
};

static struct {
    struct range good[MAX_RANGES]; /* executable code that may be interrupted */
    int          ngood;
    struct range bad[MAX_RANGES];  /* executable code that may not */
    int          nbad;
    struct sigaction old;          /* the program's SIGURG action */
    bool         installed;
    size_t       stack_need;
    pthread_t    stress;           /* GRT_DEBUG=preemptstress thread */
    bool         stress_running;
} pre;

static bool saw_libc;

static bool name_is_unsafe(const char *name)
{
    if (strstr(name, "/libc.so"))
        saw_libc = true;
    static const char *const unsafe[] = {
        "/libc.so", "/ld-linux", "/ld64.so", "/libpthread.so", "/libdl.so", "/libgcc_s.so",
        "/libstdc++.so", "/libasan.so", "/libtsan.so", "/libubsan.so", "/liblsan.so",
        "/libgrt.so",
        /* libc's clock_gettime runs here; runtime code calls it */
        "linux-vdso.so", "linux-gate.so",
    };
    for (size_t i = 0; i < sizeof unsafe / sizeof *unsafe; i++)
        if (strstr(name, unsafe[i]))
            return true;
    return false;
}

static int phdr_visit(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    uintptr_t self = (uintptr_t)&grt__schedule;
    bool contains_grt = false;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (self >= lo && self < hi)
            contains_grt = true;
    }
    /* In the static build libgrt is inside the program, but its code is in
     * grt_text, checked separately; the program's own code stays good. */
    bool grt_object = contains_grt && __start_grt_text == NULL;
    bool unsafe = grt_object || name_is_unsafe(info->dlpi_name);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        struct range r = {info->dlpi_addr + ph->p_vaddr, info->dlpi_addr + ph->p_vaddr + ph->p_memsz};
        if (unsafe && pre.nbad < MAX_RANGES)
            pre.bad[pre.nbad++] = r;
        else if (!unsafe && (ph->p_flags & PF_R) && pre.ngood < MAX_RANGES)
            pre.good[pre.ngood++] = r; /* readable: in_call_stub reads its code */
    }
    return 0;
}

/* Runtime code calls libc through PLT stubs that live in the program's own
 * code, which is otherwise preemptible.  Stopped in such a stub, a
 * goroutine would resume on another thread in the middle of a runtime
 * function that may hold its M or P in registers.  So no goroutine is
 * preempted at an instruction that PLT code is made of (the architecture
 * knows them).  Telling a stub called by the runtime from one called by
 * user code would need the return address, and that cannot be found: the
 * word at sp (x86-64) or lr (aarch64) is the caller's return address only
 * inside a stub; elsewhere it may be a stale one into the runtime, held
 * for good by a leaf function that spins (a callback that grt_once_do
 * calls, say), which would then never be preempted.  Refusing every stub
 * instruction costs a 10 ms delay when the signal lands on one. */
static bool in_call_stub(uintptr_t pc, uintptr_t hi)
{
    return pc + 4 > hi || grt__arch_insn_in_stub(pc);
}

static bool pc_preemptible(uintptr_t pc)
{
    if (__start_grt_text && pc >= (uintptr_t)__start_grt_text && pc < (uintptr_t)__stop_grt_text)
        return false;
    for (int i = 0; i < pre.nbad; i++)
        if (pc >= pre.bad[i].lo && pc < pre.bad[i].hi)
            return false;
    for (int i = 0; i < pre.ngood; i++)
        if (pc >= pre.good[i].lo && pc < pre.good[i].hi)
            return !in_call_stub(pc, pre.good[i].hi);
    return false; /* unknown code (JIT, a library loaded later): leave it */
}

/* A handler of the program's own may run on the goroutine's stack (one
 * installed without SA_ONSTACK).  Preempted there, it would go on on
 * another thread, and its sigreturn would put the first thread's signal
 * mask and alternate stack on that one; so it is never preempted.  What
 * tells us reliably that the interrupted code runs inside a handler: the
 * kernel always builds the handler's signal frame on the stack the
 * handler runs on, just above the handler's first frame, and it stays
 * there until sigreturn; so a handler running on the goroutine stack has a
 * frame between the interrupted sp and the goroutine's first frame, and
 * the architecture knows how to recognise one (grt__arch_sigframe_in).
 * What is not reliable: uc_link (Linux always stores NULL), the
 * interrupted signal mask (a handler installed with SA_NODEFER and an
 * empty sa_mask leaves it as it was, and a program may block signals
 * itself), and tracking handler entry (every handler the program installs
 * would have to be wrapped, i.e. sigaction interposed).
 *
 * The search covers live frames only: it stops at the goroutine's first
 * frame (grt__stack_start), not at the top of the stack.  Above that lie
 * the bytes of earlier goroutines that used the same stack from a higher
 * start, and a dead signal frame among them made the goroutine
 * unpreemptible for as long as it ran (test_preempt_sighandler, "stale
 * frame").  Inside live frames a dead signal frame can still be found, in
 * an uninitialised local array deeper than where a handler once ran: the
 * goroutine is then not preempted until that frame returns.  The search
 * also stops 256 KiB above sp (a handler that deep in its own calls would
 * still be preempted).  It costs one load per 64 bytes (x86-64) or 16
 * bytes (aarch64) of the stack in use, and runs only at a safe point,
 * just before a preemption. */
#define HANDLER_SCAN_MAX (256u * 1024u)

static bool in_handler(uintptr_t sp, uintptr_t hi)
{
    if (sp >= hi)
        return false; /* not on its own frames (code that switched stacks itself) */
    if (hi - sp > HANDLER_SCAN_MAX)
        hi = sp + HANDLER_SCAN_MAX;
    return grt__arch_sigframe_in(sp, hi);
}

static void chain(int sig, siginfo_t *si, void *ucp)
{
    if (pre.old.sa_flags & SA_SIGINFO) {
        if (pre.old.sa_sigaction)
            pre.old.sa_sigaction(sig, si, ucp);
    } else if (pre.old.sa_handler != SIG_DFL && pre.old.sa_handler != SIG_IGN) {
        pre.old.sa_handler(sig);
    }
}

/* Code that has just computed &errno (glibc's __errno_location returns it
 * in a register) and is about to store or load through it would, resumed
 * on another thread, use this thread's errno, and the goroutine's errno
 * value would be lost.  So while a register holds this thread's &errno the
 * request is put off to the next one.  A register can also hold the
 * address long after its use (a loop that never touches it): after
 * ERRNO_DEFER_MAX requests in a row the goroutine is preempted anyway, so
 * that no goroutine becomes unpreemptible. */
#define ERRNO_DEFER_MAX 2

static bool errno_live(struct g *gp, void *ucp)
{
    if (gp->errno_defer < ERRNO_DEFER_MAX && grt__arch_uc_holds(ucp, (uintptr_t)&errno)) {
        gp->errno_defer++;
        return true;
    }
    gp->errno_defer = 0;
    return false;
}

static void sigurg_handler(int sig, siginfo_t *si, void *ucp)
{
    int saved_errno = errno;
    if (grt__arch_preempt_resume(ucp)) {
        errno = saved_errno;
        return;
    }
    struct g *gp = grt__g;
    struct m *mp = gp ? gp->m : NULL;
    bool ours = false;
    if (mp && gp != mp->g0 && ld_relaxed(&gp->preempt)) {
        ours = true;
        if (mp->locks == 0 && ld_relaxed(&gp->status) == G_RUNNING && mp->curg == gp &&
            !grt__debug.asyncpreemptoff) {
            uintptr_t pc = grt__arch_uc_pc(ucp), sp = grt__arch_uc_sp(ucp);
            /* The save area goes below sp: not if this handler itself runs
             * there (the M has no signal stack, see signal.c). */
            uintptr_t here = (uintptr_t)__builtin_frame_address(0);
            bool on_gstack = here >= gp->stack_lo && here < gp->stack_hi;
            if (sp > gp->stack_lo + pre.stack_need && sp <= gp->stack_hi && !on_gstack &&
                pc_preemptible(pc) && !in_handler(sp, grt__stack_start(gp)) && !errno_live(gp, ucp))
                (void)grt__arch_preempt_inject(ucp);
        }
    }
    if (!ours)
        chain(sig, si, ucp);
    errno = saved_errno;
}

/* GRT_DEBUG=preemptstress=US: a thread that, every US microseconds, asks
 * every running goroutine to stop, as sysmon does after 10 ms.  The tests
 * use it to put thousands of preemptions per second on code that sysmon
 * alone would interrupt a hundred times a second (register preservation,
 * libc safety, system calls under the signal).  It stops before teardown
 * joins the Ms, so every pthread_t it signals is still valid. */
static void *stress_main(void *arg)
{
    (void)arg;
    uint32_t gen = grt__sched.gen;
    int64_t period = (int64_t)grt__debug.preemptstress * 1000;
    struct timespec ts = {period / 1000000000, period % 1000000000};
    while (ld_acquire(&grt__sched.state) == RT_RUNNING && gen == grt__sched.gen) {
        nanosleep(&ts, NULL);
        int32_t np = ld_acquire(&grt__gomaxprocs);
        for (int32_t i = 0; i < np; i++) {
            struct p *pp = grt__allp[i];
            if (ld_acquire(&pp->status) != P_RUNNING)
                continue;
            struct m *mp = ld_relaxed(&pp->m);
            struct g *gp = mp ? ld_acquire(&mp->curg) : NULL;
            if (gp == NULL || gp == mp->g0)
                continue;
            st_relaxed(&gp->preempt, true);
            grt__preempt_signal(mp, gp);
        }
    }
    return NULL;
}

void grt__preempt_init(void)
{
    pre.ngood = pre.nbad = 0;
    pre.installed = false;
#ifdef GRT_TSAN
    /* TSan holds asynchronous signals back and runs the handler later, at
     * one of its interceptors, with the ucontext saved when the signal
     * arrived.  Redirecting that stale context would push a return address
     * into stack memory the goroutine has reused since (seen as a loop
     * counter changing under a goroutine).  Under TSan preemption is
     * cooperative only. */
    return;
#endif
    if (!grt__arch_preempt_supported())
        return;
    grt__arch_preempt_init();
    pre.stack_need = grt__arch_preempt_stack_need();
    saw_libc = false;
    dl_iterate_phdr(phdr_visit, NULL);
    if (!saw_libc)
        return; /* a fully static program: libc's code cannot be told
                   from the program's, so nothing is provably safe */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = sigurg_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigfillset(&sa.sa_mask);
    pre.installed = sigaction(SIGURG, &sa, &pre.old) == 0;
    pre.stress_running = false;
    if (pre.installed && grt__debug.preemptstress > 0 && !grt__debug.asyncpreemptoff)
        pre.stress_running = pthread_create(&pre.stress, NULL, stress_main, NULL) == 0;
}

/* Teardown, before the Ms are joined: no more preemption requests. */
void grt__preempt_fini(void)
{
    if (pre.stress_running)
        pthread_join(pre.stress, NULL);
    pre.stress_running = false;
}

/* Teardown, once every M is joined: the handler goes only then, since a
 * goroutine finishing its run may still be on its way back from a
 * preemption, which on aarch64 needs the handler (grt__arch_preempt_resume). */
void grt__preempt_uninstall(void)
{
    if (pre.installed)
        sigaction(SIGURG, &pre.old, NULL);
    pre.installed = false;
}

/* sysmon: gp has run for 10 ms on mp.  Interrupt it if it is running user
 * code right now (a thread in the runtime or a syscall is left alone). */
void grt__preempt_signal(struct m *mp, struct g *gp)
{
    if (grt__debug.asyncpreemptoff || !pre.installed)
        return;
    if (ld_acquire(&mp->curg) != gp || ld_relaxed(&gp->status) != G_RUNNING)
        return;
    struct p *pp = ld_relaxed(&mp->p);
    if (pp == NULL || ld_relaxed(&pp->status) != P_RUNNING)
        return;
    pthread_kill(mp->thread, SIGURG);
}

/* Called by grt__async_preempt on the goroutine's stack, every register
 * saved: give the P to someone else. */
void grt__async_preempt_park(void)
{
    /* the handler checked the safe point (no runtime lock held) */
    grt__preempt_park();
}
