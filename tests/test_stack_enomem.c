/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_stack_enomem: running out of address space makes grt_go fail with
 * -ENOMEM or -EAGAIN, and the program keeps running.
 *
 * Main (procs=2, default stack 1 MiB) first makes sure both Ps have
 * threads, then lowers RLIMIT_AS to the current address space size plus
 * HEADROOM, and spawns goroutines that take their stacks (each one runs,
 * and then loops on grt_yield until released) until grt_go fails.  Every
 * goroutine accepted by grt_go must actually start (one that was accepted
 * but can never get a stack would be a lost goroutine).  Expected: a
 * failure with -ENOMEM or -EAGAIN (not a crash, not a fatal error) after
 * at least MIN_OK successes.  Then it releases them, waits until they are
 * all gone, and checks new goroutines can be spawned and run: a batch of
 * half as many alive at once (their stacks can come from the ones just
 * freed), and a few hundred spawned one after the other.  The limit is
 * restored at the end.
 *
 * Skipped under the sanitizers, which reserve terabytes of shadow address
 * space and make RLIMIT_AS meaningless.
 */
#include <stdatomic.h>
#include <sys/resource.h>

#include "grt_test.h"

#define STACK (1024 * 1024)
#define HEADROOM ((size_t)2 << 30) /* 2 GiB: ~2000 stacks of 1 MiB */
#define MIN_OK 16
#define MAXG 100000

static atomic_int release_them;
static atomic_int started;
static atomic_int finished;

static void blocked(void *arg)
{
    (void)arg;
    volatile char touch[4096]; /* use a page of the stack */
    touch[0] = 1;
    touch[4095] = touch[0];
    atomic_fetch_add_explicit(&started, 1, memory_order_release);
    while (!atomic_load_explicit(&release_them, memory_order_acquire))
        grt_yield();
    atomic_fetch_add_explicit(&finished, 1, memory_order_release);
}

static size_t vm_size(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    CHECK(f != NULL);
    char line[256];
    size_t kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %zu kB", &kb) == 1)
            break;
    fclose(f);
    CHECK_GT(kb, 0);
    return kb * 1024;
}

static void wait_started(int want)
{
    int64_t deadline = test_now_ns() + 60 * 1000000000LL;
    while (atomic_load_explicit(&started, memory_order_acquire) < want) {
        if (test_now_ns() > deadline)
            TEST_FAIL("grt_go accepted %d goroutines but only %d ever started", want,
                      atomic_load(&started));
        grt_yield();
    }
}

static void wait_gone(int want_finished)
{
    int64_t deadline = test_now_ns() + 60 * 1000000000LL;
    while (atomic_load(&finished) < want_finished || grt_goroutines() != 1) {
        if (test_now_ns() > deadline)
            TEST_FAIL("after release: %d of %d finished, grt_goroutines()=%" PRId64,
                      atomic_load(&finished), want_finished, grt_goroutines());
        grt_yield();
    }
}

static atomic_ullong sink; /* written by many goroutines: atomic */

static void warm(void *arg)
{
    (void)arg;
    uint64_t x = 1;
    for (int i = 0; i < 2000000; i++)
        x = x * 6364136223846793005ULL + 1;
    atomic_store_explicit(&sink, x, memory_order_relaxed);
    atomic_fetch_add(&finished, 1);
}

static void quick(void *arg)
{
    (void)arg;
    atomic_fetch_add_explicit(&finished, 1, memory_order_release);
}

static void main_fn(void *arg)
{
    (void)arg;
    /* Both Ps get their threads now, before address space is short. */
    atomic_store(&finished, 0);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(grt_go(warm, NULL), 0);
    wait_gone(8);

    struct rlimit old;
    CHECK_EQ(getrlimit(RLIMIT_AS, &old), 0);
    size_t base = vm_size();
    struct rlimit lim = old;
    lim.rlim_cur = base + HEADROOM;
    if (old.rlim_max != RLIM_INFINITY && lim.rlim_cur > old.rlim_max)
        TEST_SKIP("RLIMIT_AS hard limit too low");
    CHECK_EQ(setrlimit(RLIMIT_AS, &lim), 0);

    atomic_store(&finished, 0);
    atomic_store(&started, 0);
    atomic_store(&release_them, 0);
    int ok = 0, rc = 0;
    int64_t t0 = test_now_ns();
    while (ok < MAXG) {
        rc = grt_go(blocked, NULL);
        if (rc != 0)
            break;
        ok++;
        if (ok % 16 == 0)
            wait_started(ok); /* they take their stacks now */
    }
    int64_t t1 = test_now_ns();
    if (rc != -ENOMEM && rc != -EAGAIN)
        TEST_FAIL("grt_go returned %d after %d goroutines, expected -ENOMEM or -EAGAIN", rc, ok);
    wait_started(ok);
    /* Still failing while they hold their stacks: a second try may succeed
     * or fail (a stack may have been cached), but must not crash. */
    int rc2 = grt_go(blocked, NULL);
    if (rc2 == 0) {
        ok++;
        wait_started(ok);
    } else if (rc2 != -ENOMEM && rc2 != -EAGAIN) {
        TEST_FAIL("second grt_go at the limit returned %d", rc2);
    }
    printf("  limit VmSize+%zu MiB: %d goroutines with 1 MiB stacks, then grt_go = %d (%s), "
           "%.0f ms\n",
           HEADROOM >> 20, ok, rc, rc == -ENOMEM ? "ENOMEM" : "EAGAIN", (double)(t1 - t0) / 1e6);
    if (ok < MIN_OK)
        TEST_FAIL("only %d goroutines before running out, with %zu MiB of address space left",
                  ok, HEADROOM >> 20);

    atomic_store_explicit(&release_them, 1, memory_order_release);
    wait_gone(ok);

    /* The program goes on: half as many alive at once ... */
    int again = ok / 2;
    atomic_store(&finished, 0);
    atomic_store(&started, 0);
    atomic_store(&release_them, 0);
    for (int i = 0; i < again; i++) {
        int r = grt_go(blocked, NULL);
        if (r != 0)
            TEST_FAIL("after the release: grt_go #%d of %d returned %d", i, again, r);
    }
    wait_started(again);
    atomic_store_explicit(&release_them, 1, memory_order_release);
    wait_gone(again);
    /* ... and one after the other. */
    atomic_store(&finished, 0);
    for (int i = 0; i < 300; i++) {
        int r = grt_go(quick, NULL);
        if (r != 0)
            TEST_FAIL("after the release: sequential grt_go #%d returned %d", i, r);
        wait_gone(i + 1);
    }
    CHECK_EQ(setrlimit(RLIMIT_AS, &old), 0);
    /* With the limit lifted, plenty again. */
    atomic_store(&finished, 0);
    for (int i = 0; i < 1000; i++)
        CHECK_EQ(grt_go(quick, NULL), 0);
    wait_gone(1000);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (TEST_SANITIZED)
        TEST_SKIP("sanitizers reserve huge address space; RLIMIT_AS cannot be used");
    grt_config cfg = {.procs = 2, .stack_size = STACK};
    int rc = grt_run(&cfg, main_fn, NULL);
    if (rc != 0)
        TEST_FAIL("grt_run returned %d", rc);
    printf("ok\n");
    return 0;
}
