/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_errors: every bad input of the core calls returns its documented
 * error, and the runtime keeps working afterwards (after each failed call
 * inside the runtime, a goroutine is spawned and must run).
 *
 * Outside the runtime (before the first grt_run and after it returns):
 *   grt_go(NULL, ..) -> -EINVAL; grt_go(fn, ..) and grt_go_attr -> -ESRCH
 *   (and fn never runs, not even in a later run); grt_id() == 0;
 *   grt_goroutines() == 0; grt_exit() returns; grt_yield() returns;
 *   grt_procs(0) -> -ESRCH; grt_lock_thread/grt_unlock_thread -> -EPERM;
 *   grt_stats_get(&s) -> -ESRCH; grt_syscall_enter/exit are no-ops.
 *   grt_run(NULL cfg, NULL fn) -> -EINVAL; procs < 0 -> -EINVAL; an absurd
 *   default stack_size (SIZE_MAX, SIZE_MAX/2) -> -EINVAL; in each case the
 *   main function is not called.
 * Inside (main goroutine, and a second goroutine where it matters):
 *   grt_go(NULL, ..) and grt_go_attr(NULL, ..) -> -EINVAL;
 *   grt_go_attr(fn, arg, NULL) behaves like grt_go (runs fn(arg));
 *   grt_go_attr with a tiny stack_size (1 byte, 100 bytes, 4 KiB): grt.h
 *   says nothing about a minimum for grt_attr (grt_config's size is
 *   "rounded up to whole pages"), so either it is accepted (0) and the
 *   goroutine runs (rounded up), or it is refused with -EINVAL (below a
 *   minimum) and fn never runs; nothing else, and the runtime keeps
 *   working either way;
 *   grt_go_attr with a huge stack_size (SIZE_MAX, 1 << 62): no address
 *   space can hold it: -EINVAL (absurd) or -ENOMEM/-EAGAIN (no address
 *   space), never 0, and fn never runs;
 *   grt_run from inside a goroutine -> -EBUSY (main and non-main), and from
 *   a thread grt did not create while the runtime runs -> -EBUSY;
 *   grt_procs(-1) -> -EINVAL; grt_unlock_thread without lock -> -EPERM;
 *   grt_stats_get(NULL) -> -EINVAL, grt_stats_get(&s) -> 0 with sane
 *   fields; grt_id() == 1 in main.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "grt_test.h"

static atomic_int never_ran;  /* bumped by functions that must never run */
static atomic_int alive_ran;
static atomic_int main_calls; /* grt_run main functions actually called */

static void must_not_run(void *arg)
{
    (void)arg;
    atomic_fetch_add(&never_ran, 1);
    fprintf(stderr, "a function that must not run was called\n");
}

static void alive(void *arg)
{
    CHECK_EQ((intptr_t)arg, 7);
    atomic_fetch_add_explicit(&alive_ran, 1, memory_order_release);
}

static void wait_alive(int want, const char *after)
{
    int64_t deadline = test_now_ns() + 20 * 1000000000LL;
    while (atomic_load_explicit(&alive_ran, memory_order_acquire) < want) {
        if (test_now_ns() > deadline)
            TEST_FAIL("after %s: a new goroutine did not run", after);
        grt_yield();
    }
}

/* The runtime still works: spawn a goroutine and see it run. */
static void still_works(const char *after)
{
    int want = atomic_load(&alive_ran) + 1;
    int rc = grt_go(alive, (void *)(intptr_t)7);
    if (rc != 0)
        TEST_FAIL("after %s: grt_go returned %d", after, rc);
    wait_alive(want, after);
}

static void check_outside(const char *when)
{
    (void)when;
    CHECK_EQ(grt_go(NULL, NULL), -EINVAL);
    CHECK_EQ(grt_go_attr(NULL, NULL, NULL), -EINVAL);
    CHECK_EQ(grt_go(must_not_run, NULL), -ESRCH);
    CHECK_EQ(grt_go_attr(must_not_run, NULL, NULL), -ESRCH);
    grt_attr a = {.stack_size = 65536, .name = "outside"};
    CHECK_EQ(grt_go_attr(must_not_run, NULL, &a), -ESRCH);
    CHECK_EQ(grt_id(), 0);
    CHECK_EQ(grt_goroutines(), 0);
    grt_exit(); /* does nothing outside a goroutine */
    grt_yield();
    grt_syscall_enter();
    grt_syscall_exit();
    CHECK_EQ(grt_procs(0), -ESRCH);
    CHECK_EQ(grt_lock_thread(), -EPERM);
    CHECK_EQ(grt_unlock_thread(), -EPERM);
    grt_stats s;
    CHECK_EQ(grt_stats_get(&s), -ESRCH);
}

static void counting_main(void *arg)
{
    (void)arg;
    atomic_fetch_add(&main_calls, 1);
}

static void bad_runs(void)
{
    atomic_store(&main_calls, 0);
    CHECK_EQ(grt_run(NULL, NULL, NULL), -EINVAL);
    grt_config cfg = {.procs = 1, .stack_size = 0};
    CHECK_EQ(grt_run(&cfg, NULL, NULL), -EINVAL);
    cfg.procs = -1;
    CHECK_EQ(grt_run(&cfg, counting_main, NULL), -EINVAL);
    cfg.procs = -1000;
    CHECK_EQ(grt_run(&cfg, counting_main, NULL), -EINVAL);
    cfg.procs = 1;
    cfg.stack_size = SIZE_MAX;
    CHECK_EQ(grt_run(&cfg, counting_main, NULL), -EINVAL);
    cfg.stack_size = SIZE_MAX / 2;
    CHECK_EQ(grt_run(&cfg, counting_main, NULL), -EINVAL);
    CHECK_EQ(atomic_load(&main_calls), 0);
    /* A good run still works after the bad ones. */
    CHECK_EQ(grt_run(NULL, counting_main, NULL), 0);
    CHECK_EQ(atomic_load(&main_calls), 1);
}

/* --- inside ------------------------------------------------------------ */

static atomic_int sub_done;
static int sub_run_rc, sub_unlock_rc;

static void sub(void *arg)
{
    (void)arg;
    grt_config cfg = {.procs = 1, .stack_size = 0};
    sub_run_rc = grt_run(&cfg, must_not_run, NULL);
    sub_unlock_rc = grt_unlock_thread();
    atomic_store_explicit(&sub_done, 1, memory_order_release);
}

static atomic_int foreign_done;
static int foreign_run_rc;

static void *foreign(void *arg)
{
    (void)arg;
    foreign_run_rc = grt_run(NULL, must_not_run, NULL);
    atomic_store_explicit(&foreign_done, 1, memory_order_release);
    return NULL;
}

static atomic_int tiny_ran;
static atomic_llong tiny_used;

static void tiny(void *arg)
{
    (void)arg;
    /* Use a little stack: half a page must be there at least. */
    volatile char buf[1024];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)i;
    atomic_store(&tiny_used, buf[100] + (long long)sizeof buf);
    atomic_fetch_add_explicit(&tiny_ran, 1, memory_order_release);
}

static void inside_main(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_id(), 1);
    CHECK_EQ(grt_goroutines(), 1);
    still_works("start");

    CHECK_EQ(grt_go(NULL, NULL), -EINVAL);
    still_works("grt_go(NULL)");
    CHECK_EQ(grt_go(NULL, (void *)(intptr_t)1), -EINVAL);
    grt_attr a = {.stack_size = 0, .name = "x"};
    CHECK_EQ(grt_go_attr(NULL, NULL, &a), -EINVAL);
    CHECK_EQ(grt_go_attr(NULL, NULL, NULL), -EINVAL);
    still_works("grt_go_attr(NULL fn)");

    /* NULL attr: exactly grt_go. */
    int want = atomic_load(&alive_ran) + 1;
    CHECK_EQ(grt_go_attr(alive, (void *)(intptr_t)7, NULL), 0);
    wait_alive(want, "grt_go_attr(.., NULL attr)");

    /* Tiny stacks are rounded up to a page and work. */
    atomic_store(&tiny_ran, 0);
    size_t tiny_sizes[] = {1, 100, 4096};
    int accepted = 0;
    for (size_t i = 0; i < sizeof tiny_sizes / sizeof tiny_sizes[0]; i++) {
        grt_attr t = {.stack_size = tiny_sizes[i], .name = i ? NULL : "tiny"};
        int rc = grt_go_attr(tiny, NULL, &t);
        if (rc == 0)
            accepted++;
        else if (rc != -EINVAL)
            TEST_FAIL("grt_go_attr with stack_size %zu returned %d, expected 0 or -EINVAL",
                      tiny_sizes[i], rc);
        printf("  grt_go_attr(stack_size=%zu) = %d\n", tiny_sizes[i], rc);
        still_works("a tiny stack_size");
    }
    int64_t deadline = test_now_ns() + 20 * 1000000000LL;
    while (atomic_load_explicit(&tiny_ran, memory_order_acquire) < accepted) {
        if (test_now_ns() > deadline)
            TEST_FAIL("goroutines with tiny stacks did not run");
        grt_yield();
    }
    still_works("tiny stacks");

    /* Huge stacks: refused, never 0. */
    size_t huge[] = {SIZE_MAX, SIZE_MAX / 2, (size_t)1 << 62, (size_t)1 << 50};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        grt_attr h = {.stack_size = huge[i], .name = "huge"};
        int rc = grt_go_attr(must_not_run, NULL, &h);
        if (rc != -EINVAL && rc != -ENOMEM && rc != -EAGAIN)
            TEST_FAIL("grt_go_attr with stack_size %zu returned %d, expected -EINVAL, -ENOMEM or "
                      "-EAGAIN",
                      huge[i], rc);
        still_works("a huge stack_size");
    }

    /* grt_run inside the runtime. */
    grt_config cfg = {.procs = 1, .stack_size = 0};
    CHECK_EQ(grt_run(&cfg, must_not_run, NULL), -EBUSY);
    CHECK_EQ(grt_run(NULL, must_not_run, NULL), -EBUSY);
    still_works("grt_run in main");
    atomic_store(&sub_done, 0);
    CHECK_EQ(grt_go(sub, NULL), 0);
    while (!atomic_load_explicit(&sub_done, memory_order_acquire))
        grt_yield();
    CHECK_EQ(sub_run_rc, -EBUSY);
    CHECK_EQ(sub_unlock_rc, -EPERM);
    still_works("grt_run in a goroutine");
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, foreign, NULL), 0);
    while (!atomic_load_explicit(&foreign_done, memory_order_acquire))
        grt_yield();
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_EQ(foreign_run_rc, -EBUSY);
    still_works("grt_run from a foreign thread");

    CHECK_EQ(grt_procs(-1), -EINVAL);
    CHECK_EQ(grt_procs(-2147483647 - 1), -EINVAL);
    CHECK_EQ(grt_procs(0), 2);
    still_works("grt_procs(-1)");

    CHECK_EQ(grt_unlock_thread(), -EPERM);
    still_works("grt_unlock_thread");
    CHECK_EQ(grt_lock_thread(), 0);
    CHECK_EQ(grt_unlock_thread(), 0);
    CHECK_EQ(grt_unlock_thread(), -EPERM);
    still_works("a second grt_unlock_thread");

    CHECK_EQ(grt_stats_get(NULL), -EINVAL);
    still_works("grt_stats_get(NULL)");
    grt_stats s;
    memset(&s, 0xff, sizeof s);
    int rc = grt_stats_get(&s);
    CHECK_EQ(rc, 0);
    CHECK_GE(s.goroutines, 1);
    CHECK_EQ(s.procs, 2);
    CHECK_GE(s.threads, 1);
    CHECK_GE(s.spawned, 1);
    CHECK_GE(s.idle_procs, 0);
    CHECK_LE(s.idle_procs, 2);

    CHECK_EQ(grt_id(), 1);
    /* grt_go with an argument still passes it through. */
    still_works("everything");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    check_outside("before the first run");
    bad_runs();
    check_outside("after bad runs");
    test_run(2, inside_main, NULL);
    check_outside("after a run");
    /* Nothing refused above ran later. */
    test_run(1, counting_main, NULL);
    CHECK_EQ(atomic_load(&never_ran), 0);
    printf("ok\n");
    return 0;
}
