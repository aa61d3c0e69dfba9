/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_thread_limit: more goroutines blocked in system calls than the
 * runtime may have threads (DESIGN.md: maxmcount, 10,000) end the program
 * with a clear fatal error, not a hang.
 *
 * A child process (this binary, run as "<self> child") starts 10,100
 * goroutines that each block their thread in read(2) on a pipe nobody
 * writes, inside grt_syscall_enter/exit.  Sysmon hands each one's P on,
 * a new thread takes it, and so on until thread 10,001 would be needed:
 * the child must then die with exit status 2 and "grt: fatal error:
 * thread limit exceeded" on stderr, well within the timeout.
 *
 * Skipped under the sanitizers (ten thousand threads are too heavy there,
 * and TSan has a thread limit of its own).
 */
#include "grt_test.h"

#include <sys/resource.h>

#define NBLOCK 10100

static int pipefd[2];

static void blocker(void *arg)
{
    (void)arg;
    char b;
    grt_syscall_enter();
    ssize_t r = read(pipefd[0], &b, 1); /* never returns: nobody writes */
    grt_syscall_exit();
    TEST_FAIL("read returned %zd", r);
}

static void child_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < NBLOCK; i++)
        CHECK_EQ(grt_go(blocker, NULL), 0);
    /* Wait for the fatal error.  (Goroutines in system calls are not a
     * deadlock, so checkdead stays quiet while main blocks for ever.) */
    grt_select(NULL, 0, GRT_FOREVER);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        CHECK_EQ(pipe(pipefd), 0);
        test_run(2, child_main, NULL);
        TEST_FAIL("grt_run returned");
    }
    if (TEST_SANITIZED)
        TEST_SKIP("10,000 threads under a sanitizer");
    struct rlimit rl;
    if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < 20000)
        TEST_SKIP("RLIMIT_NPROC %lu is too low for 10,000 threads", (unsigned long)rl.rlim_cur);
    char out[8192];
    int64_t t0 = test_now_ns();
    int status = test_subprocess("child", out, sizeof out, 240, NULL);
    double secs = (double)(test_now_ns() - t0) / 1e9;
    printf("child ended after %.1f s; stderr:\n%.400s\n", secs, out);
    if (WIFSIGNALED(status))
        TEST_FAIL("child killed by signal %d (SIGALRM = the child hung)", WTERMSIG(status));
    CHECK(WIFEXITED(status));
    if (strstr(out, "Resource temporarily unavailable") || strstr(out, "EAGAIN"))
        TEST_SKIP("the system ran out of threads before grt's limit");
    CHECK_EQ(WEXITSTATUS(status), 2);
    CHECK_STR_CONTAINS(out, "grt: fatal error: thread limit exceeded");
    printf("test_thread_limit: ok\n");
    return 0;
}
