/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_schedtrace.c - GRT_DEBUG=schedtrace=MS prints Go's SCHED line every
 * MS milliseconds; scheddetail=1 adds the P, M and G lines (DESIGN.md
 * section 9).  Run as subprocesses whose stderr is captured: a program
 * with two Ps, a busy goroutine and sleepers, running for 600 ms.
 *
 * Checked: every SCHED line parses with Go's field names in Go's order;
 * procs is 2 and the bracket has one queue length per P; the timestamps
 * rise; the lines come about every period (sysmon prints them, waking at
 * least every 10 ms, so a line may be up to one sysmon sleep late, never
 * early); the number of lines fits the run time.  With scheddetail: a
 * line per P, one per M, and one per goroutine.
 */
#include "grt_test.h"

#define RUN_MS   600
#define PERIOD   50

static void busy(void *arg)
{
    int64_t end = *(int64_t *)arg;
    while (grt_now() < end) {
    }
}

static void sleepy(void *arg)
{
    int64_t end = *(int64_t *)arg;
    while (grt_now() < end)
        grt_sleep(3000000);
}

static void main_g(void *arg)
{
    (void)arg;
    static int64_t end;
    end = grt_now() + RUN_MS * 1000000LL;
    grt_go(busy, &end);
    for (int i = 0; i < 3; i++)
        grt_go(sleepy, &end);
    grt_sleep(RUN_MS * 1000000LL + 20000000);
}

static char buf[1 << 18];

int main(int argc, char **argv)
{
    if (argc > 1) {
        test_run(2, main_g, NULL);
        return 0;
    }
    char env1[64];
    snprintf(env1, sizeof env1, "GRT_DEBUG=schedtrace=%d", PERIOD);
    char *env[] = {env1, NULL};
    int st = test_subprocess("child", buf, sizeof buf, 60, env);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        TEST_FAIL("child status %#x:\n%s", st, buf);

    int lines = 0;
    long prev = -1, late = 0, maxgap = 0;
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, "SCHED ", 6) != 0)
            continue;
        long ms;
        int procs, idle, threads, spin, idlet, rq, q0, q1, used = 0;
        int k = sscanf(l,
                       "SCHED %ldms: procs=%d idleprocs=%d threads=%d spinningthreads=%d "
                       "idlethreads=%d runqueue=%d [%d %d]%n",
                       &ms, &procs, &idle, &threads, &spin, &idlet, &rq, &q0, &q1, &used);
        if (k != 9 || used == 0)
            TEST_FAIL("line %d does not parse (%d fields): %.*s", lines, k, (int)strcspn(l, "\n"), l);
        CHECK_EQ(procs, 2);
        CHECK(idle >= 0 && idle <= 2);
        CHECK_GE(threads, 1);
        CHECK(q0 >= 0 && q1 >= 0 && rq >= 0);
        if (prev >= 0) {
            long gap = ms - prev;
            /* Never early (1 ms for rounding); late by at most a sysmon
             * sleep, with slack for a loaded machine. */
            CHECK_GE(gap, PERIOD - 1);
            if (gap > PERIOD + 25)
                late++;
            if (gap > maxgap)
                maxgap = gap;
        }
        prev = ms;
        lines++;
    }
    printf("schedtrace=%d over %d ms: %d lines, longest gap %ld ms, %ld late\n", PERIOD, RUN_MS,
           lines, maxgap, late);
    /* Exactness is for an idle machine; on a loaded one (the suite runs
     * tests in parallel, the sanitizers are slow) sysmon itself may be
     * descheduled, so only most lines must be on time. */
    CHECK_GE(lines, RUN_MS / (2 * PERIOD));
    CHECK_LE(lines, RUN_MS / PERIOD + 2);
    CHECK_LE(late, lines / 3);

    char *env2[] = {"GRT_DEBUG=schedtrace=100,scheddetail=1", NULL};
    st = test_subprocess("child", buf, sizeof buf, 60, env2);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        TEST_FAIL("detail child status %#x:\n%s", st, buf);
    CHECK_STR_CONTAINS(buf, " stopping=false nmidlelocked=");
    CHECK_STR_CONTAINS(buf, "\n  P0: status=");
    CHECK_STR_CONTAINS(buf, "\n  P1: status=");
    CHECK_STR_CONTAINS(buf, "\n  M0: p=");
    CHECK_STR_CONTAINS(buf, "\n  G1: status=");
    CHECK_STR_CONTAINS(buf, "\n  G5: status=");
    CHECK_STR_CONTAINS(buf, "(sleep) m=nil lockedm=nil\n");
    printf("scheddetail=1: P, M and G lines present\n");
    return 0;
}
