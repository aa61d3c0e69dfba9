/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_preempt_sighandler.c - a signal handler of the program is never
 * preempted and never resumes on another thread (API.md, "Edge cases,
 * settled"), whatever stack it runs on.
 *
 * Under GRT_DEBUG=preemptstress (a preemption request every 50 us),
 * goroutines send SIGUSR1 to their own thread (tgkill), so the handler
 * runs at once on the goroutine's stack, in the goroutine's context; it
 * spins for a millisecond, some twenty preemption requests' worth, in the
 * program's own code.  It records its thread at entry and at exit, and at
 * procs=1 also a counter that other goroutines ("witnesses") advance while
 * they run: if it moved during the handler, the handler was switched out.
 * The handler is installed three ways: plain (the signal blocked while it
 * runs), SA_NODEFER with an empty mask (nothing in the thread's signal
 * mask shows that a handler runs) and SA_ONSTACK (it runs on the M's
 * signal stack).  At procs=2 a thread that grt did not create also sends
 * the signal at the threads of spinning goroutines.
 *
 * "Stale frame": a handler's signal frame outlives the handler in the
 * stack's memory.  A goroutine that ran a handler and exited leaves one;
 * the next goroutine to get that stack may start lower (first frames are
 * staggered by goroutine id, src/stack.h), so the dead frame then lies
 * above everything it runs, and it must still be preempted.  A spinner
 * set up that way never calls into grt; the phase ends only if it is
 * preempted, and a watchdog thread fails the test if that takes 20 s.
 */
#include "grt_test.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>

#define HANDLER_NS 1000000 /* each handler spins this long */
#define PER_SENDER 40      /* signals each sender goroutine sends per variant */

static long tid(void) { return syscall(SYS_gettid); }

static atomic_long progress;   /* advanced by the witnesses while they run */
static atomic_int  stop;
static atomic_long handled, foreign_sent;
static atomic_long spin_tid[2]; /* threads of the spinning goroutines (procs=2) */
static int         procs_now;
static bool        check_progress; /* procs=1 and the signal sent by the goroutine itself */

static atomic_uintptr_t handler_frame; /* frame address of the last handler run */

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    atomic_store(&handler_frame, (uintptr_t)__builtin_frame_address(0));
    int saved = errno;
    long t0 = tid();
    long p0 = atomic_load(&progress);
    int64_t end = test_now_ns() + HANDLER_NS;
    while (test_now_ns() < end)
        for (volatile int i = 0; i < 200; i++)
            ;
    long t1 = tid();
    long p1 = atomic_load(&progress);
    if (t1 != t0)
        TEST_FAIL("a signal handler began on thread %ld and returns on thread %ld", t0, t1);
    if (check_progress && p1 != p0)
        TEST_FAIL("procs=1: other goroutines ran %ld steps while a signal handler ran: it was "
                  "preempted",
                  p1 - p0);
    atomic_fetch_add(&handled, 1);
    errno = saved;
}

static void install(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | flags;
    sigemptyset(&sa.sa_mask);
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
}

static void witness(void *arg)
{
    while (!atomic_load(&stop)) {
        for (volatile int i = 0; i < 1000; i++)
            ;
        atomic_fetch_add(&progress, 1);
    }
    grt_waitgroup_done(arg);
}

static void sender(void *arg)
{
    for (int i = 0; i < PER_SENDER; i++) {
        CHECK_EQ(syscall(SYS_tgkill, getpid(), tid(), SIGUSR1), 0);
        grt_yield();
    }
    grt_waitgroup_done(arg);
}

/* procs=2: goroutines that spin and publish their thread for the foreign
 * sender, which interrupts them wherever they are. */
static void spinner(void *arg)
{
    int k = (int)(intptr_t)arg;
    while (!atomic_load(&stop)) {
        atomic_store(&spin_tid[k], tid());
        for (volatile int i = 0; i < 10000; i++)
            ;
    }
}

static void *foreign_sender(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        for (int k = 0; k < 2; k++) {
            long t = atomic_load(&spin_tid[k]);
            if (t != 0 && syscall(SYS_tgkill, getpid(), t, SIGUSR1) == 0)
                atomic_fetch_add(&foreign_sent, 1);
        }
        usleep(3000);
    }
    return NULL;
}

/* ---- stale frame (procs=1) ---- */

#define STALE_DEPTH 2048 /* the handler runs this far below the leaver's frame */
#define STALE_SHIFT 112  /* goroutine ids between the leaver and the spinner:
                            a start at least 9 KiB lower, below the whole
                            dead frame */
#define COLOURS     192  /* src/stack.h: starts cycle through 48 lines in
                            each of 4 pages, by goroutine id */

static atomic_uintptr_t spinner_frame;
static atomic_int       stale_stop, stale_phase_done;
static _Atomic uint64_t leaver_id;

/* Take the signal deep in a frame of its own, so that what the leaver
 * calls afterwards (its exit) does not reach the dead frame. */
static __attribute__((noinline)) void signal_self_deep(void)
{
    volatile char pad[STALE_DEPTH];
    pad[0] = 1;
    CHECK_EQ(syscall(SYS_tgkill, getpid(), tid(), SIGUSR1), 0);
    pad[STALE_DEPTH - 1] = pad[0];
}

static void leaver(void *arg)
{
    (void)arg;
    leaver_id = grt_id();
    signal_self_deep();
}

static void nothing(void *arg) { (void)arg; }

static void stale_spinner(void *arg)
{
    atomic_store(&spinner_frame, (uintptr_t)__builtin_frame_address(0));
    while (!atomic_load(&stale_stop))
        for (volatile int i = 0; i < 1000; i++)
            ;
    grt_waitgroup_done(arg);
}

static void *stale_watchdog(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000 && !atomic_load(&stale_phase_done); i++)
        usleep(10000);
    if (!atomic_load(&stale_phase_done))
        TEST_FAIL("stale frame: a goroutine whose stack holds a dead signal frame above its "
                  "first frame was not preempted in 20 s");
    return NULL;
}

static void stale_frame_phase(void)
{
    install(0);
    pthread_t wd;
    atomic_store(&stale_phase_done, 0);
    CHECK_EQ(pthread_create(&wd, NULL, stale_watchdog, NULL), 0);
    int shown = 0;
    for (int trial = 0; trial < 16 && shown < 3; trial++) {
        long before = atomic_load(&handled);
        leaver_id = 0;
        CHECK_EQ(grt_go(leaver, NULL), 0);
        while (atomic_load(&handled) == before || leaver_id == 0)
            grt_yield();
        grt_yield(); /* the leaver exits: its stack goes back to the P's cache */
        uintptr_t dead = atomic_load(&handler_frame);
        /* Staggering is by goroutine id modulo COLOURS: the spinner must
         * not wrap round to a start above the leaver's. */
        if (leaver_id % COLOURS + STALE_SHIFT >= COLOURS) {
            for (int i = 0; i < COLOURS - (int)(leaver_id % COLOURS); i++)
                CHECK_EQ(grt_go(nothing, NULL), 0);
            grt_sleep(1000000);
            continue;
        }
        for (int i = 1; i < STALE_SHIFT; i++)
            CHECK_EQ(grt_go(nothing, NULL), 0);
        grt_waitgroup wg = {0};
        grt_waitgroup_add(&wg, 1);
        atomic_store(&stale_stop, 0);
        atomic_store(&spinner_frame, 0);
        /* Spawned last, the spinner runs next and takes the warmest stack:
         * the leaver's. */
        CHECK_EQ(grt_go(stale_spinner, &wg), 0);
        grt_sleep(20 * 1000000); /* runs again only if the spinner is preempted */
        atomic_store(&stale_stop, 1);
        grt_waitgroup_wait(&wg);
        uintptr_t sf = atomic_load(&spinner_frame);
        if (dead > sf && dead - sf < 16384)
            shown++; /* the dead frame was above the spinner's frames on its stack */
    }
    printf("procs=1, stale frame: %d spinners ran below a dead signal frame and were preempted\n",
           shown);
    atomic_store(&stale_phase_done, 1);
    CHECK_EQ(pthread_join(wd, NULL), 0);
    CHECK_GE(shown, 3);
}

static void main_g(void *arg)
{
    (void)arg;
    static const int variants[] = {0, SA_NODEFER, SA_ONSTACK};
    static const char *const names[] = {"plain", "SA_NODEFER", "SA_ONSTACK"};
    grt_waitgroup ww = {0};
    atomic_store(&stop, 0);
    if (procs_now == 1)
        stale_frame_phase();
    grt_waitgroup_add(&ww, 2);
    CHECK_EQ(grt_go(witness, &ww), 0);
    CHECK_EQ(grt_go(witness, &ww), 0);
    for (size_t v = 0; v < sizeof variants / sizeof *variants; v++) {
        install(variants[v]);
        check_progress = procs_now == 1;
        long before = atomic_load(&handled);
        grt_waitgroup wg = {0};
        grt_waitgroup_add(&wg, 2);
        CHECK_EQ(grt_go(sender, &wg), 0);
        CHECK_EQ(grt_go(sender, &wg), 0);
        grt_waitgroup_wait(&wg);
        long n = atomic_load(&handled) - before;
        printf("procs=%d, %s handler: %ld signals handled on goroutine threads\n", procs_now, names[v], n);
        CHECK_EQ(n, 2 * PER_SENDER);
    }
    check_progress = false;
    if (procs_now == 2) {
        install(0);
        for (intptr_t k = 0; k < 2; k++)
            CHECK_EQ(grt_go(spinner, (void *)k), 0);
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, foreign_sender, NULL), 0);
        long before = atomic_load(&handled);
        int64_t end = grt_now() + 10 * (int64_t)1000000000;
        while (atomic_load(&handled) - before < 100 && grt_now() < end)
            grt_sleep(10 * 1000000);
        atomic_store(&stop, 1);
        CHECK_EQ(pthread_join(th, NULL), 0);
        printf("procs=2: %ld signals sent by a foreign thread, %ld handled\n",
               (long)atomic_load(&foreign_sent), atomic_load(&handled) - before);
        CHECK_GE(atomic_load(&handled) - before, 100);
    }
    atomic_store(&stop, 1);
    grt_waitgroup_wait(&ww);
}

int main(void)
{
#ifdef GRT_TSAN
    /* No asynchronous preemption under TSan (so nothing to check), and the
     * witnesses, which never call into grt, would then keep the only P. */
    TEST_SKIP("signal-based preemption is off under TSan");
#endif
    setenv("GRT_DEBUG", "preemptstress=50", 1);
    for (procs_now = 1; procs_now <= 2; procs_now++) {
        memset(spin_tid, 0, sizeof spin_tid);
        test_run(procs_now, main_g, NULL);
    }
    signal(SIGUSR1, SIG_DFL);
    return 0;
}
