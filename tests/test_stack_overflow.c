/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_stack_overflow.c - faults in goroutines (DESIGN.md section 9).
 *
 * Run as subprocesses of this binary:
 *   - a goroutine that recurses without end hits the guard page under its
 *     stack: "grt: fatal error: stack overflow in goroutine N (stack S
 *     bytes, created by goroutine P)", the goroutine dump, exit status 2;
 *     the same for the main goroutine and for a frame larger than the
 *     guard page;
 *   - a NULL dereference is still a SIGSEGV death (named on stderr first);
 *   - a SIGSEGV handler the program installed before grt_run is called for
 *     a fault that is not an overflow.
 */
#include "grt_test.h"

#include <signal.h>

static volatile int limit = 1 << 30;

__attribute__((noinline)) static int recurse(int n)
{
    volatile char buf[512];
    buf[0] = (char)n;
    if (n >= limit)
        return buf[0];
    return recurse(n + 1) + buf[0];
}

/* One frame far bigger than the guard page: the fault is below it. */
__attribute__((noinline)) static int big_frame(int n)
{
    volatile char buf[200 * 1024];
    buf[0] = (char)n;
    buf[sizeof buf - 1] = (char)n;
    if (n >= limit)
        return buf[0];
    return big_frame(n + 1) + buf[0] + buf[sizeof buf - 1];
}

static void overflow_g(void *arg)
{
    (void)arg;
    printf("%d\n", recurse(0));
}

static void big_g(void *arg)
{
    (void)arg;
    printf("%d\n", big_frame(0));
}

static void null_g(void *arg)
{
    volatile int *p = arg;
    *p = 1;
}

static void park_forever(void *arg)
{
    (void)arg;
    grt_chan *c = grt_chan_make(0, 0);
    grt_chan_recv(c, NULL);
}

static void spawn_and_wait(grt_fn fn, void *arg, size_t stack)
{
    grt_attr a = {.stack_size = stack, .name = "victim"};
    CHECK_EQ(grt_go(park_forever, NULL), 0);
    CHECK_EQ(grt_go_attr(fn, arg, &a), 0);
    grt_sleep(5LL * 1000000000);
    fprintf(stderr, "still alive\n");
}

static void main_overflow(void *arg) { (void)arg; spawn_and_wait(overflow_g, NULL, 64 * 1024); }
static void main_big(void *arg) { (void)arg; spawn_and_wait(big_g, NULL, 0); }
static void main_null(void *arg) { (void)arg; spawn_and_wait(null_g, NULL, 0); }
static void main_self(void *arg) { (void)arg; printf("%d\n", recurse(0)); }

static void program_segv(int sig)
{
    (void)sig;
    static const char msg[] = "program's own SIGSEGV handler\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(42);
}

static void child(const char *mode)
{
    grt_config cfg = {.procs = 2, .stack_size = 0};
    if (!strcmp(mode, "overflow"))
        grt_run(&cfg, main_overflow, NULL);
    else if (!strcmp(mode, "big"))
        grt_run(&cfg, main_big, NULL);
    else if (!strcmp(mode, "main")) {
        cfg.stack_size = 128 * 1024;
        grt_run(&cfg, main_self, NULL);
    } else if (!strcmp(mode, "null"))
        grt_run(&cfg, main_null, NULL);
    else if (!strcmp(mode, "chain")) {
        signal(SIGSEGV, program_segv);
        grt_run(&cfg, main_null, NULL);
    }
    exit(0);
}

static char buf[1 << 16];

static void expect_overflow(const char *mode, const char *msg)
{
    int st = test_subprocess(mode, buf, sizeof buf, 30, NULL);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 2)
        TEST_FAIL("%s: want exit status 2, got %#x; stderr:\n%s", mode, st, buf);
    CHECK_STR_CONTAINS(buf, msg);
    CHECK_STR_CONTAINS(buf, "goroutine 1 [");   /* the dump follows */
    CHECK(strstr(buf, "still alive") == NULL);
    printf("%s: exit 2, \"%.*s\"\n", mode, (int)strcspn(buf, "\n"), buf);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        child(argv[1]);
        return 0;
    }
#ifdef GRT_ASAN
    /* ASan runs instrumented code on its own fake stacks and reports stack
     * overflows itself from its own SIGSEGV handler. */
    TEST_SKIP("stack overflow detection is ASan's business under ASan");
#endif
    /* Goroutine 3: main is 1, park_forever 2. */
    expect_overflow("overflow",
                    "grt: fatal error: stack overflow in goroutine 3 (stack 65536 bytes, created by goroutine 1)");
    expect_overflow("big",
                    "grt: fatal error: stack overflow in goroutine 3 (stack 262144 bytes, created by goroutine 1)");
    expect_overflow("main",
                    "grt: fatal error: stack overflow in goroutine 1 (stack 131072 bytes, main goroutine)");

#ifdef GRT_TSAN
    /* TSan takes SIGSEGV itself (handle_segv) and reports any other fault
     * as its own error, exit 66: only the overflow reports are grt's. */
    printf("null/chain: not checked under TSan\n");
    return 0;
#endif
    int st = test_subprocess("null", buf, sizeof buf, 30, NULL);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSEGV)
        TEST_FAIL("null: want death by SIGSEGV, got %#x; stderr:\n%s", st, buf);
    CHECK_STR_CONTAINS(buf, "grt: unexpected signal SIGSEGV: segmentation violation at address 0, ");
    CHECK_STR_CONTAINS(buf, "in goroutine 3");
    printf("null: killed by SIGSEGV, \"%.*s\"\n", (int)strcspn(buf, "\n"), buf);

    st = test_subprocess("chain", buf, sizeof buf, 30, NULL);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 42)
        TEST_FAIL("chain: want the program's handler (exit 42), got %#x; stderr:\n%s", st, buf);
    CHECK_STR_CONTAINS(buf, "program's own SIGSEGV handler");
    printf("chain: the program's SIGSEGV handler was called\n");
    return 0;
}
