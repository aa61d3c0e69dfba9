/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_goexit: grt_exit (runtime.Goexit) and goroutines with their own
 * stack size.
 *
 *  1. grt_exit in a goroutine, called directly or three calls deep, ends
 *     that goroutine only: the code after it never runs, the other
 *     goroutines carry on, the count goes back to 1.  Many of them at once
 *     (procs=2) so exits race with running code.
 *  2. grt_exit in main ends grt_run with 0 as if main had returned: the
 *     code after it never runs, and other goroutines (still yielding) are
 *     abandoned.  The next run works.
 *  3. grt_go_attr with a name and a stack size (64 KiB, 1 MiB, and the
 *     default) runs, and the goroutine can really use most of its stack:
 *     a recursion with 512-byte frames goes until 75% of the stack size is
 *     in use (measured with frame addresses), then unwinds and checks every
 *     frame's contents (a frame overwritten by a too-small or shared stack
 *     shows up).  Several at once, at procs=2, with yields at the deepest
 *     point so they switch while deep.  A run with a 128 KiB default stack
 *     (grt_config.stack_size) does the same with attr stack_size 0.
 */
#include <stdatomic.h>

#include "grt_test.h"

static atomic_int before_exit;
static atomic_int after_exit;
static atomic_int helpers_done;

static void exit_deep(int depth)
{
    if (depth == 0)
        grt_exit();
    else
        exit_deep(depth - 1);
    atomic_fetch_add(&after_exit, 1); /* never */
}

static void exiter(void *arg)
{
    int depth = (int)(intptr_t)arg;
    atomic_fetch_add(&before_exit, 1);
    grt_yield();
    if (depth == 0)
        grt_exit();
    else
        exit_deep(depth);
    atomic_fetch_add(&after_exit, 1); /* never */
}

static void helper(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++)
        grt_yield();
    atomic_fetch_add(&helpers_done, 1);
}

static void wait_int(atomic_int *v, int want, const char *what)
{
    int64_t deadline = test_now_ns() + 20 * 1000000000LL;
    while (atomic_load(v) < want) {
        if (test_now_ns() > deadline)
            TEST_FAIL("timed out waiting for %s: %d of %d", what, atomic_load(v), want);
        grt_yield();
    }
}

static void wait_only_main(void)
{
    int64_t deadline = test_now_ns() + 20 * 1000000000LL;
    while (grt_goroutines() != 1) {
        if (test_now_ns() > deadline)
            TEST_FAIL("grt_goroutines()=%" PRId64 ", expected 1", grt_goroutines());
        grt_yield();
    }
}

static void main_exits_goroutines(void *arg)
{
    (void)arg;
    const int n = (int)test_scale(1000) < 10 ? 10 : (int)test_scale(1000);
    atomic_store(&before_exit, 0);
    atomic_store(&helpers_done, 0);
    for (int i = 0; i < n; i++) {
        CHECK_EQ(grt_go(exiter, (void *)(intptr_t)(i % 4)), 0);
        if (i % 10 == 0)
            CHECK_EQ(grt_go(helper, NULL), 0);
    }
    wait_int(&before_exit, n, "exiters to start");
    wait_int(&helpers_done, n / 10, "helpers");
    wait_only_main();
    CHECK_EQ(atomic_load(&after_exit), 0);
    CHECK_EQ(atomic_load(&before_exit), n);
}

/* --- grt_exit in main -------------------------------------------------- */

static atomic_int main_after;
static atomic_int abandoned_started;
static atomic_llong abandoned_bumps;

static void abandoned(void *arg)
{
    (void)arg;
    atomic_fetch_add(&abandoned_started, 1);
    for (;;) {
        atomic_fetch_add(&abandoned_bumps, 1);
        grt_yield();
    }
}

static void main_deep_exit(int depth)
{
    if (depth == 0)
        grt_exit();
    else
        main_deep_exit(depth - 1);
    atomic_fetch_add(&main_after, 1); /* never */
}

static void main_goexit(void *arg)
{
    int depth = (int)(intptr_t)arg;
    for (int i = 0; i < 4; i++)
        CHECK_EQ(grt_go(abandoned, NULL), 0);
    wait_int(&abandoned_started, 4, "the goroutines to abandon");
    main_deep_exit(depth);
    atomic_fetch_add(&main_after, 1); /* never */
}

/* --- stacks ------------------------------------------------------------ */

#define FRAME 512

struct stack_job {
    size_t size;     /* the goroutine's stack size */
    size_t target;   /* bytes of stack to use */
    size_t used;     /* out: deepest use measured */
    int depth;       /* out: frames */
    int ok;          /* out: every frame intact */
    uintptr_t top;
};

static atomic_int stack_done;

/* Each frame holds FRAME bytes filled with a pattern of its depth; on the
 * way back each frame checks its pattern, and the work after the call keeps
 * this from becoming a tail call. */
static __attribute__((noinline)) int recurse(struct stack_job *j, int depth)
{
    volatile unsigned char buf[FRAME];
    for (int i = 0; i < FRAME; i++)
        buf[i] = (unsigned char)(depth * 31 + i);
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    size_t used = j->top - here;
    int ok = 1;
    if (used + FRAME + 256 < j->target) {
        ok = recurse(j, depth + 1);
    } else {
        j->used = used;
        j->depth = depth;
        grt_yield(); /* switch away while deep */
        grt_yield();
    }
    for (int i = 0; i < FRAME; i++)
        if (buf[i] != (unsigned char)(depth * 31 + i))
            ok = 0;
    return ok;
}

static void stack_user(void *arg)
{
    struct stack_job *j = arg;
    j->top = (uintptr_t)__builtin_frame_address(0);
    j->ok = recurse(j, 0);
    atomic_fetch_add_explicit(&stack_done, 1, memory_order_release);
}

static void run_stack_jobs(struct stack_job *jobs, int n, int use_attr_size)
{
    atomic_store(&stack_done, 0);
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "stack-%zuk-%d", jobs[i].size / 1024, i);
        grt_attr a = {.stack_size = use_attr_size ? jobs[i].size : 0, .name = name};
        jobs[i].target = jobs[i].size / 4 * 3;
        int rc = grt_go_attr(stack_user, &jobs[i], &a);
        if (rc != 0)
            TEST_FAIL("grt_go_attr(stack_size=%zu, name=%s) returned %d", jobs[i].size, name, rc);
    }
    wait_int(&stack_done, n, "the stack users");
    for (int i = 0; i < n; i++) {
        if (!jobs[i].ok)
            TEST_FAIL("stack %zu: a frame was overwritten (depth %d)", jobs[i].size, jobs[i].depth);
        CHECK_GE(jobs[i].used + FRAME + 256, jobs[i].target);
        CHECK_LT(jobs[i].used, jobs[i].size);
    }
}

static void main_stacks(void *arg)
{
    (void)arg;
    struct stack_job jobs[8];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < 8; i++)
        jobs[i].size = (i % 2) ? 1024 * 1024 : 64 * 1024;
    run_stack_jobs(jobs, 8, 1);
    printf("  64 KiB stack: used %zu bytes in %d frames; 1 MiB stack: used %zu bytes in %d "
           "frames\n",
           jobs[0].used, jobs[0].depth, jobs[1].used, jobs[1].depth);
    /* The default stack (256 KiB) through grt_go_attr with size 0. */
    struct stack_job d[2];
    memset(d, 0, sizeof d);
    d[0].size = d[1].size = 256 * 1024;
    run_stack_jobs(d, 2, 0);
    /* Mixed sizes again, reusing whatever stacks were cached. */
    for (int i = 0; i < 8; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].size = (i % 2) ? 64 * 1024 : 1024 * 1024;
    }
    run_stack_jobs(jobs, 8, 1);
    wait_only_main();
}

static void main_small_default(void *arg)
{
    (void)arg;
    struct stack_job jobs[4];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < 4; i++)
        jobs[i].size = 128 * 1024;
    run_stack_jobs(jobs, 4, 0); /* attr size 0: the run's 128 KiB default */
    wait_only_main();
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_run(2, main_exits_goroutines, NULL);
    test_run(1, main_exits_goroutines, NULL);

    for (int depth = 0; depth < 3; depth += 2) {
        atomic_store(&abandoned_started, 0);
        test_run(2, main_goexit, (void *)(intptr_t)depth);
        CHECK_EQ(atomic_load(&main_after), 0);
        long long b = atomic_load(&abandoned_bumps);
        atomic_store(&abandoned_started, 0);
        test_run(1, main_goexit, (void *)(intptr_t)depth);
        CHECK_EQ(atomic_load(&main_after), 0);
        CHECK_GT(atomic_load(&abandoned_bumps), b);
    }
    CHECK_EQ(atomic_load(&after_exit), 0);

    test_run(2, main_stacks, NULL);
    test_run(1, main_stacks, NULL);
    grt_config cfg = {.procs = 2, .stack_size = 128 * 1024};
    CHECK_EQ(grt_run(&cfg, main_small_default, NULL), 0);
    printf("ok\n");
    return 0;
}
