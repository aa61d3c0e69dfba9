/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_deadlock: a program whose goroutines are all blocked for ever must
 * die like Go's: "grt: fatal error: all goroutines are asleep - deadlock!"
 * on stderr and exit status 2.  Each scenario runs as a subprocess of this
 * binary:
 *
 *   recv     main receives on a channel nobody will ever send on
 *   many     main and 20 goroutines blocked on channel sends, receives and
 *            selects (one with cases on a NULL channel only)
 *   select   main in select {} after the other goroutines exited
 *   mutex    two goroutines locking two mutexes in opposite orders, main
 *            waiting for them on a waitgroup
 *   cond     main waiting on a cond nobody signals
 *
 * and the controls, which must exit 0 and print nothing of the kind:
 *
 *   sleeper  main waits on a channel that a goroutine sends on after a
 *            50 ms sleep (a pending timer is not a deadlock)
 *   deadline main in a select with a deadline and nothing else
 */
#include "grt_test.h"

#include <stdbool.h>

#define MS (1000LL * 1000)

static grt_chan *never;

static void block_recv(void *arg)
{
    (void)arg;
    grt_chan_recv(never, NULL);
    TEST_FAIL("recv on a dead channel returned");
}

static void block_send(void *arg)
{
    grt_chan *c = arg;
    int v = 1;
    grt_chan_send(c, &v);
    TEST_FAIL("send on a dead channel returned");
}

static void block_select(void *arg)
{
    grt_case cs[2] = {{never, GRT_RECV, NULL, 0}, {arg, GRT_SEND, &(int){1}, 0}};
    grt_select(cs, 2, GRT_FOREVER);
    TEST_FAIL("select on dead channels returned");
}

static void block_nil_select(void *arg)
{
    (void)arg;
    grt_case cs[1] = {{NULL, GRT_RECV, NULL, 0}};
    grt_select(cs, 1, GRT_FOREVER);
    TEST_FAIL("select on a NULL channel returned");
}

static void exiting(void *arg) { (void)arg; }

static grt_mutex     ma, mb;
static grt_waitgroup wg, both_hold;

static void lock_ab(void *arg)
{
    grt_mutex *first = arg, *second = first == &ma ? &mb : &ma;
    grt_mutex_lock(first);
    grt_waitgroup_done(&both_hold);
    grt_waitgroup_wait(&both_hold); /* both have their first lock */
    grt_mutex_lock(second);
    TEST_FAIL("lock inversion did not deadlock");
}

static void late_sender(void *arg)
{
    grt_sleep(50 * MS);
    int v = 9;
    grt_chan_send(arg, &v);
}

static void scenario(void *arg)
{
    const char *mode = arg;
    never = grt_chan_make(sizeof(int), 0);
    if (strcmp(mode, "recv") == 0) {
        int v;
        grt_chan_recv(never, &v);
    } else if (strcmp(mode, "many") == 0) {
        grt_chan *full = grt_chan_make(sizeof(int), 1);
        int v = 0;
        grt_chan_send(full, &v);
        for (int i = 0; i < 5; i++) {
            grt_go(block_recv, NULL);
            grt_go(block_send, full);
            grt_go(block_select, full);
            grt_go(block_nil_select, NULL);
        }
        grt_chan_send(full, &v);
    } else if (strcmp(mode, "select") == 0) {
        for (int i = 0; i < 10; i++)
            grt_go(exiting, NULL);
        grt_select(NULL, 0, GRT_FOREVER);
    } else if (strcmp(mode, "mutex") == 0) {
        grt_waitgroup_add(&both_hold, 2);
        grt_waitgroup_add(&wg, 2);
        grt_go(lock_ab, &ma);
        grt_go(lock_ab, &mb);
        grt_waitgroup_wait(&wg);
    } else if (strcmp(mode, "cond") == 0) {
        grt_mutex m = GRT_MUTEX_INIT;
        grt_cond c = GRT_COND_INIT;
        grt_mutex_lock(&m);
        grt_cond_wait(&c, &m);
    } else if (strcmp(mode, "sleeper") == 0) {
        grt_chan *c = grt_chan_make(sizeof(int), 0);
        grt_go(late_sender, c);
        int v = 0;
        CHECK_EQ(grt_chan_recv(c, &v), 0);
        CHECK_EQ(v, 9);
        grt_chan_release(c);
        grt_chan_release(never);
        return; /* exit 0 */
    } else if (strcmp(mode, "deadline") == 0) {
        grt_case cs[1] = {{never, GRT_RECV, NULL, 0}};
        CHECK_EQ(grt_select(cs, 1, grt_now() + 50 * MS), -ETIMEDOUT);
        grt_chan_release(never);
        return;
    }
    TEST_FAIL("scenario %s: the blocked call returned", mode);
}

static void expect_deadlock(const char *mode)
{
    char buf[16384];
    int st = test_subprocess(mode, buf, sizeof buf, 60, NULL);
    if (!WIFEXITED(st))
        TEST_FAIL("%s: not a normal exit (status 0x%x); stderr:\n%s", mode, st, buf);
    if (WEXITSTATUS(st) != 2)
        TEST_FAIL("%s: exit status %d, want 2; stderr:\n%s", mode, WEXITSTATUS(st), buf);
    CHECK_STR_CONTAINS(buf, "grt: fatal error: all goroutines are asleep - deadlock!");
    printf("%s: deadlock reported\n", mode);
}

static void expect_clean(const char *mode)
{
    char buf[16384];
    int st = test_subprocess(mode, buf, sizeof buf, 60, NULL);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        TEST_FAIL("%s: status 0x%x, want exit 0; stderr:\n%s", mode, st, buf);
    if (strstr(buf, "deadlock"))
        TEST_FAIL("%s: false deadlock report:\n%s", mode, buf);
    printf("%s: clean exit\n", mode);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        grt_config cfg = {.procs = 2, .stack_size = 0};
        int rc = grt_run(&cfg, scenario, argv[1]);
        return rc == 0 ? 0 : 3;
    }
    expect_deadlock("recv");
    expect_deadlock("many");
    expect_deadlock("select");
    expect_deadlock("mutex");
    expect_deadlock("cond");
    expect_clean("sleeper");
    expect_clean("deadline");
    printf("ok\n");
    return 0;
}
