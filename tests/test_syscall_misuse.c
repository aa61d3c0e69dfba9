/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_syscall_misuse: grt_syscall_enter/exit used in ways the bracket was
 * not meant for, and what grt.h settles for each.
 *
 *  - brackets nest: enter inside the bracket counts, only the outermost
 *    exit takes the P back (a library that brackets its own call inside the
 *    program's bracket); an unmatched exit, and one exit too many after a
 *    nested pair, is "grt: fatal error" with exit status 2;
 *  - grt_go inside the bracket spawns as from the goroutine: the child runs,
 *    and deadlock detection stays on (it used to take the foreign-thread
 *    path and silence it for the rest of the run);
 *  - parking inside the bracket is a fatal error (exit 2), not a crash;
 *  - grt_yield inside the bracket yields the thread and returns;
 *  - unlocking a mutex in starvation mode inside the bracket hands it to
 *    the first waiter without parking or yielding (it used to call
 *    grt_yield during the hand-off and kill the process).
 * The fatal cases run in a child process (this binary with an argument).
 */
#include "grt_test.h"

#include <stdatomic.h>

#define MS (1000LL * 1000)

/* --- child modes --------------------------------------------------- */

static void unmatched_exit_main(void *arg)
{
    (void)arg;
    grt_syscall_exit();
    TEST_FAIL("an unmatched grt_syscall_exit returned");
}

static void nested_extra_exit_main(void *arg)
{
    (void)arg;
    grt_syscall_enter();
    grt_syscall_enter();
    grt_syscall_exit();
    grt_syscall_exit();
    grt_syscall_exit(); /* one too many */
    TEST_FAIL("an extra grt_syscall_exit returned");
}

static void park_inside_main(void *arg)
{
    (void)arg;
    grt_syscall_enter();
    grt_sleep(1 * MS);
    TEST_FAIL("a goroutine parked inside the bracket");
}

static void nop(void *arg)
{
    (void)arg;
}

/* grt_go inside the bracket must not silence deadlock detection: main then
 * waits on a channel nobody has, which is a deadlock. */
static void go_inside_deadlock_main(void *arg)
{
    (void)arg;
    grt_syscall_enter();
    CHECK_EQ(grt_go(nop, NULL), 0);
    grt_syscall_exit();
    grt_chan *c = grt_chan_make(0, 0);
    CHECK(c != NULL);
    grt_chan_recv(c, NULL);
    TEST_FAIL("received from a channel nobody sends on");
}

struct mode {
    const char *name;
    grt_fn      fn;
    const char *expect;
};

static const struct mode modes[] = {
    {"unmatched_exit", unmatched_exit_main, "grt_syscall_exit without grt_syscall_enter"},
    {"nested_extra_exit", nested_extra_exit_main, "grt_syscall_exit without grt_syscall_enter"},
    {"park_inside", park_inside_main, "parks inside grt_syscall_enter/exit"},
    {"go_inside_deadlock", go_inside_deadlock_main, "all goroutines are asleep - deadlock!"},
};
#define NMODES (sizeof modes / sizeof modes[0])

/* --- in-process checks --------------------------------------------- */

static grt_waitgroup wg;
static atomic_uint_fast64_t child_ran;

static void child(void *arg)
{
    (void)arg;
    atomic_fetch_add(&child_ran, 1);
    grt_waitgroup_done(&wg);
}

static void check_nesting_and_go(void)
{
    uint64_t me = grt_id();
    atomic_store(&child_ran, 0);
    for (int i = 0; i < 1000; i++) {
        grt_syscall_enter();
        grt_syscall_enter();
        grt_syscall_enter();
        CHECK_EQ(grt_waitgroup_add(&wg, 1), 0);
        CHECK_EQ(grt_go(child, NULL), 0); /* spawned as from the goroutine */
        grt_yield();                      /* the thread yields; we stay */
        grt_syscall_exit();
        grt_syscall_exit();
        CHECK_EQ(grt_id(), me);
        grt_syscall_exit();
        grt_sleep(0); /* parking is allowed again */
    }
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    CHECK_EQ(atomic_load(&child_ran), 1000);
}

/* Starvation mode: a waiter that waited over 1 ms and lost switches the
 * mutex to hand-off.  Unlocking it then hands it to that waiter. */
#define MUTEX_STARVING_BIT 4
static grt_mutex mu;
static atomic_int stop_contenders;

static void contender(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_contenders)) {
        CHECK_EQ(grt_mutex_lock(&mu), 0);
        CHECK_EQ(grt_mutex_unlock(&mu), 0);
    }
    grt_waitgroup_done(&wg);
}

static void check_starving_unlock_inside(void)
{
    int handed = 0;
    int64_t t0 = grt_now();
    CHECK_EQ(grt_waitgroup_add(&wg, 3), 0);
    atomic_store(&stop_contenders, 0);
    CHECK_EQ(grt_mutex_lock(&mu), 0);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(grt_go(contender, NULL), 0);
    while (handed < 20 && grt_now() - t0 < 10000 * MS) {
        /* Hold it long enough for the waiters to count as starving. */
        int64_t h = grt_now();
        while (grt_now() - h < 2 * MS)
            grt_yield();
        if (__atomic_load_n(&mu.state_, __ATOMIC_RELAXED) & MUTEX_STARVING_BIT) {
            grt_syscall_enter();
            CHECK_EQ(grt_mutex_unlock(&mu), 0); /* hand-off inside the bracket */
            grt_syscall_exit();
            handed++;
        } else {
            CHECK_EQ(grt_mutex_unlock(&mu), 0);
        }
        CHECK_EQ(grt_mutex_lock(&mu), 0);
    }
    atomic_store(&stop_contenders, 1);
    CHECK_EQ(grt_mutex_unlock(&mu), 0);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    printf("starving mutex unlocked inside the bracket %d times\n", handed);
    CHECK_GT(handed, 0);
}

static void main_fn(void *arg)
{
    (void)arg;
    check_nesting_and_go();
    check_starving_unlock_inside();
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        for (size_t i = 0; i < NMODES; i++)
            if (strcmp(argv[1], modes[i].name) == 0)
                test_run(1, modes[i].fn, NULL);
        TEST_FAIL("mode %s returned", argv[1]);
    }
    /* Outside goroutines both are no-ops, unmatched or not. */
    grt_syscall_exit();
    grt_syscall_enter();
    grt_syscall_exit();
    grt_syscall_exit();
    for (int procs = 1; procs <= 2; procs++)
        test_run(procs, main_fn, NULL);
    for (size_t i = 0; i < NMODES; i++) {
        test_expect_fatal(modes[i].name, modes[i].expect);
        printf("%s: fatal error, exit 2\n", modes[i].name);
    }
    printf("test_syscall_misuse: ok\n");
    return 0;
}
