/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_preempt.c - asynchronous preemption (DESIGN.md section 7).
 *
 * With one P, a goroutine spinning on a relaxed atomic load in a loop with
 * no calls never reaches a scheduling point.  Only the signal-based path
 * can take the P from it so that a goroutine that sleeps 1 ms and then sets
 * the flag gets to run (Go's TestPreemption).  With asyncpreemptoff=1 the
 * same program hangs (checked in a subprocess killed by a timeout), while a
 * loop that does reach a cooperative point (an uncontended grt_mutex) still
 * ends.  A goroutine dump shows a preempted goroutine's stack through the
 * trampoline into the loop that was interrupted.
 */
#include "grt_test.h"

#include <signal.h>
#include <sys/mman.h>

static int flag;

/* No calls, no scheduling points: only a signal can stop it. */
static void spinner(void *arg)
{
    grt_waitgroup *wg = arg;
    while (!__atomic_load_n(&flag, __ATOMIC_RELAXED)) {
    }
    grt_waitgroup_done(wg);
}

/* Reaches a cooperative preemption point (mutex lock) every iteration. */
static void coop_spinner(void *arg)
{
    grt_waitgroup *wg = arg;
    static grt_mutex mu = GRT_MUTEX_INIT;
    while (!__atomic_load_n(&flag, __ATOMIC_RELAXED)) {
        grt_mutex_lock(&mu);
        grt_mutex_unlock(&mu);
    }
    grt_waitgroup_done(wg);
}

static void setter(void *arg)
{
    grt_waitgroup *wg = arg;
    grt_sleep(1000000);
    __atomic_store_n(&flag, 1, __ATOMIC_RELAXED);
    grt_waitgroup_done(wg);
}

/* For the dump: the same loop under a name of its own. */
static int dump_spinner_started;
__attribute__((noinline)) static void dump_spinner(void *arg)
{
    grt_waitgroup *wg = arg;
    __atomic_store_n(&dump_spinner_started, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&flag, __ATOMIC_RELAXED)) {
    }
    grt_waitgroup_done(wg);
}

/* With one P, once the spinner has started, the main goroutine runs again
 * only after the spinner was preempted by signal.  Its stack trace then
 * goes from the scheduler through the trampoline's frame record into the
 * interrupted function. */
static void dump_main(void *arg)
{
    (void)arg;
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    __atomic_store_n(&flag, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&dump_spinner_started, 0, __ATOMIC_RELAXED);
    grt_waitgroup_add(&wg, 1);
    CHECK_EQ(grt_go(dump_spinner, &wg), 0);
    while (__atomic_load_n(&dump_spinner_started, __ATOMIC_ACQUIRE) == 0)
        grt_yield();
    int fd = memfd_create("dump", 0);
    CHECK_GE(fd, 0);
    CHECK_EQ(grt_dump(fd), 0);
    off_t len = lseek(fd, 0, SEEK_CUR);
    CHECK_GT(len, 0);
    char *dump = calloc(1, (size_t)len + 1);
    CHECK(dump != NULL);
    CHECK_EQ(pread(fd, dump, (size_t)len, 0), len);
    close(fd);
    /* The spinner's block: from the header before its frame to the blank line. */
    char *at = strstr(dump, "dump_spinner+");
    if (at == NULL)
        TEST_FAIL("no frame in dump_spinner in the dump:\n%s", dump);
    char *sec = at;
    while (sec > dump && !(sec[-1] == '\n' && !strncmp(sec, "goroutine ", 10)))
        sec--;
    char *e = strstr(at, "\n\n");
    if (e)
        *e = 0;
    CHECK_STR_CONTAINS(sec, "[runnable, preempted]");
    CHECK_STR_CONTAINS(sec, "grt__async_preempt+");
    CHECK_STR_CONTAINS(sec, "dump_spinner+");
    printf("dump of a goroutine preempted by signal:\n%s\n", sec);
    free(dump);
    __atomic_store_n(&flag, 1, __ATOMIC_RELAXED);
    grt_waitgroup_wait(&wg);
}

/* A leaf that spins on *arg without a frame of its own, so its return
 * address stays where its caller put it (the word at sp, or lr) for as
 * long as it spins.  Called by grt_once_do, that is an address inside
 * libgrt: the handler must not take it for a PLT stub called by the
 * runtime (preempt.c, in_call_stub), or this loop is never preempted. */
void leaf_spin(void *arg);
#if defined(__x86_64__)
__asm__(".text\n.globl leaf_spin\n.type leaf_spin, @function\nleaf_spin:\n"
        "1: movl (%rdi), %eax\n testl %eax, %eax\n je 1b\n ret\n"
        ".size leaf_spin, .-leaf_spin\n");
#elif defined(__aarch64__)
__asm__(".text\n.globl leaf_spin\n.type leaf_spin, %function\nleaf_spin:\n"
        "1: ldr w1, [x0]\n cbz w1, 1b\n ret\n"
        ".size leaf_spin, .-leaf_spin\n");
#endif

static void once_main(void *arg)
{
    (void)arg;
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    grt_once once = GRT_ONCE_INIT;
    __atomic_store_n(&flag, 0, __ATOMIC_RELAXED);
    grt_waitgroup_add(&wg, 1);
    CHECK_EQ(grt_go(setter, &wg), 0);
    int64_t t0 = grt_now();
    CHECK_EQ(grt_once_do(&once, leaf_spin, &flag), 0); /* spins until the setter runs */
    grt_waitgroup_wait(&wg);
    int64_t dt = grt_now() - t0;
    CHECK_LT(dt, 5000000000LL);
    printf("leaf spinning under grt_once_do: preempted, ended after %.1f ms\n", (double)dt / 1e6);
}

struct args {
    grt_fn spin;
    int    nspin;
};

static void main_g(void *arg)
{
    struct args *a = arg;
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    __atomic_store_n(&flag, 0, __ATOMIC_RELAXED);
    grt_waitgroup_add(&wg, a->nspin + 1);
    for (int i = 0; i < a->nspin; i++)
        CHECK_EQ(grt_go(a->spin, &wg), 0);
    /* Let the spinners take the P before the setter exists. */
    grt_yield();
    CHECK_EQ(grt_go(setter, &wg), 0);
    int64_t t0 = grt_now();
    grt_waitgroup_wait(&wg);
    int64_t dt = grt_now() - t0;
    /* 10 ms quantum per spinner, a few rounds at most; generous for CI. */
    CHECK_LT(dt, 5000000000LL);
    grt_stats st;
    CHECK_EQ(grt_stats_get(&st), 0);
    if (a->spin == spinner)
        CHECK_GE(st.preemptions, 1);
    printf("%s: %d spinner(s) stopped after %.1f ms, %lld preemptions\n",
           a->spin == spinner ? "async" : "coop", a->nspin, (double)dt / 1e6,
           (long long)st.preemptions);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "spin")) {
        /* Child: must hang when asynchronous preemption is off. */
        struct args a = {spinner, 1};
        test_run(1, main_g, &a);
        fprintf(stderr, "spin loop ended\n");
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "coop")) {
        struct args a = {coop_spinner, 1};
        test_run(1, main_g, &a);
        fprintf(stderr, "coop loop ended\n");
        return 0;
    }
#ifdef GRT_TSAN
    /* TSan defers asynchronous signals until the thread enters one of its
     * interceptors; a loop with no calls never does, so no preemption. */
    TEST_SKIP("signal-based preemption cannot be observed under TSan");
#endif
    /* 1. One spinner, then three sharing the one P with the setter. */
    struct args a1 = {spinner, 1};
    test_run(1, main_g, &a1);
    struct args a3 = {spinner, 3};
    test_run(1, main_g, &a3);
    test_run(1, dump_main, NULL);
    test_run(1, once_main, NULL);

    /* 2. asyncpreemptoff=1: the call-free loop hangs (killed by alarm). */
    static char buf[8192];
    char *env_off[] = {"GRT_DEBUG=asyncpreemptoff=1", NULL};
    int st = test_subprocess("spin", buf, sizeof buf, 2, env_off);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGALRM)
        TEST_FAIL("asyncpreemptoff: expected the child to hang and be killed, status %#x, "
                  "stderr:\n%s", st, buf);
    /* ... while a loop that takes a mutex is preempted cooperatively. */
    st = test_subprocess("coop", buf, sizeof buf, 20, env_off);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        TEST_FAIL("asyncpreemptoff coop: status %#x, stderr:\n%s", st, buf);
    CHECK_STR_CONTAINS(buf, "coop loop ended");
    printf("asyncpreemptoff=1: call-free loop hangs, mutex loop ends\n");
    return 0;
}
