/* SPDX-License-Identifier: BSD-3-Clause */
/* LD_PRELOAD=libgrt_hook.so into a program linked with libgrt only: the
 * test runs itself again with the hook preloaded.  There the hook reports
 * itself (grt_hook_active), and a plain usleep and read in goroutines park
 * them instead of the one thread of procs=1. */
#include "grt_test.h"

#include <stdatomic.h>
#include <stdbool.h>

static test_heartbeat hb;
static grt_waitgroup wg = GRT_WAITGROUP_INIT;

static void sleeper(void *arg)
{
    (void)arg;
    usleep(200000);
    grt_waitgroup_done(&wg);
}

static void reader(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char c;
    CHECK_EQ(read(fd, &c, 1), 1); /* parks: the writer runs on the same P */
    grt_waitgroup_done(&wg);
}

static void writer(void *arg)
{
    usleep(50000);
    CHECK_EQ(write((int)(intptr_t)arg, "x", 1), 1);
}

static void child_main(void *arg)
{
    (void)arg;
    test_heartbeat_start(&hb, 5 * 1000000);
    int64_t t0 = grt_now();
    grt_waitgroup_add(&wg, 10);
    for (int i = 0; i < 10; i++)
        grt_go(sleeper, NULL);
    grt_waitgroup_wait(&wg);
    CHECK_LT(grt_now() - t0, 1500 * 1000000LL); /* 10 x 200 ms would be 2 s */
    CHECK_GE(atomic_load(&hb.ticks), 5);
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    grt_waitgroup_add(&wg, 1);
    grt_go(reader, (void *)(intptr_t)sv[0]);
    grt_go(writer, (void *)(intptr_t)sv[1]);
    grt_waitgroup_wait(&wg);
    close(sv[0]);
    close(sv[1]);
    test_heartbeat_stop(&hb);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child")) {
        CHECK_EQ(grt_hook_active(), 1);
        test_run(1, child_main, NULL);
        return 0;
    }
    CHECK_EQ(grt_hook_active(), 0); /* not linked with the hook */
    char env[4096];
    snprintf(env, sizeof env, "LD_PRELOAD=%s", GRT_HOOK_SO);
    /* The sanitizer runtimes insist on coming first in the library list;
     * a preloaded library ahead of them is what this test is about. */
    char *envs[] = {env, "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1", NULL};
    char out[8192];
    int status = test_subprocess("child", out, sizeof out, 60, envs);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        TEST_FAIL("preloaded run: status %d:\n%s", status, out);
    puts("ok");
    return 0;
}
