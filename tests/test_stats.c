/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_stats.c - every field of grt_stats (API.md, Observation) comes from
 * a real counter: each is driven by something the test does and checked
 * against what it must then be.
 */
#include "grt_test.h"

#include <fcntl.h>

static grt_stats get(void)
{
    grt_stats s;
    CHECK_EQ(grt_stats_get(&s), 0);
    /* Always: the gauges are consistent with each other. */
    CHECK_GE(s.goroutines, 1);
    CHECK_GE(s.threads, 1);
    CHECK(s.idle_threads >= 0 && s.idle_threads <= s.threads);
    CHECK(s.spinning_threads >= 0 && s.spinning_threads <= s.procs);
    CHECK(s.idle_procs >= 0 && s.idle_procs <= s.procs);
    CHECK(s.global_runq >= 0 && s.local_runq >= 0);
    CHECK(s.stack_resident > 0 && s.stack_resident <= s.stack_reserved);
    return s;
}

static grt_chan *block_ch;

static void blocker(void *arg)
{
    (void)arg;
    grt_chan_recv(block_ch, NULL);
}

static void nothing(void *arg)
{
    (void)arg;
}

static void busy(void *arg)
{
    grt_waitgroup *wg = arg;
    volatile uint64_t x = 0;
    for (int i = 0; i < 2000000; i++)
        x += (uint64_t)i;
    (void)x; /* volatile: the loop is the point (clang: set but not used) */
    grt_waitgroup_done(wg);
}

static void hog(void *arg)
{
    grt_waitgroup *wg = arg;
    /* Its own mutex: never contended, so the hog never parks and only a
     * preemption (sysmon's request, honoured at the lock) takes its P. */
    grt_mutex mu = GRT_MUTEX_INIT;
    int64_t end = grt_now() + 50000000;
    while (grt_now() < end) { /* cooperative preemption points: no signal needed */
        grt_mutex_lock(&mu);
        grt_mutex_unlock(&mu);
    }
    grt_waitgroup_done(wg);
}

static void in_syscall(void *arg)
{
    grt_waitgroup *wg = arg;
    grt_syscall_enter();
    usleep(60000);
    grt_syscall_exit();
    grt_waitgroup_done(wg);
}

static int pfd[2];

static void reader(void *arg)
{
    grt_waitgroup *wg = arg;
    char c;
    CHECK_EQ(grt_read(pfd[0], &c, 1), 1);
    grt_waitgroup_done(wg);
}

/* One P: queue lengths are exact while nobody else runs. */
static void main1(void *arg)
{
    (void)arg;
    grt_stats s0 = get();
    CHECK_EQ(s0.procs, 1);
    CHECK_EQ(s0.goroutines, 1);
    CHECK_EQ(s0.idle_procs, 0);
    CHECK_GE(s0.spawned, 1); /* main itself */
    for (int i = 0; i < 100; i++)
        CHECK_EQ(grt_go(nothing, NULL), 0);
    grt_stats s1 = get();
    CHECK_EQ(s1.goroutines, 101);
    CHECK_EQ(s1.spawned - s0.spawned, 100);
    CHECK_EQ(s1.local_runq + s1.global_runq, 100);
    int64_t sw = s1.switches;
    for (int i = 0; i < 1000; i++)
        grt_yield();
    grt_stats s2 = get();
    CHECK_EQ(s2.goroutines, 1);
    CHECK_EQ(s2.local_runq + s2.global_runq, 0);
    CHECK_GE(s2.switches - sw, 1000 + 100);
    printf("procs=1: spawned %lld, switches %lld\n", (long long)s2.spawned, (long long)s2.switches);
}

static void main2(void *arg)
{
    (void)arg;
    grt_stats s0 = get();
    CHECK_EQ(s0.procs, 2);

    /* goroutines, spawned, stacks */
    block_ch = grt_chan_make(0, 0);
    for (int i = 0; i < 1000; i++)
        CHECK_EQ(grt_go(blocker, NULL), 0);
    grt_sleep(20000000);
    grt_stats s1 = get();
    CHECK_EQ(s1.goroutines, 1001);
    CHECK_EQ(s1.spawned - s0.spawned, 1000);
    CHECK_GE(s1.stack_reserved, 1000LL * 256 * 1024); /* each has run: each has a stack */
    CHECK_GT(s1.stack_resident, s0.stack_resident);
    CHECK_LT(s1.stack_resident, s1.stack_reserved);   /* touched pages only */
    grt_chan_close(block_ch);
    for (int i = 0; i < 1000 && get().goroutines > 1; i++)
        grt_sleep(10000000); /* they exit one by one; slow under the sanitizers */
    CHECK_EQ(get().goroutines, 1);

    /* steals: a burst on this P, the other one takes some.  The burst is
     * small enough to stay in the local ring even in the 4-slot randomised
     * build; a bigger one spills to the global queue, which the idle P
     * drains without stealing.  Retried because the other P may simply not
     * wake before this one has run the burst itself. */
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    grt_stats s2 = s1;
    for (int attempt = 0; attempt < 50 && s2.steals == s1.steals; attempt++) {
        grt_waitgroup_add(&wg, 4);
        for (int i = 0; i < 4; i++)
            CHECK_EQ(grt_go(busy, &wg), 0);
        grt_waitgroup_wait(&wg);
        s2 = get();
    }
    CHECK_GT(s2.steals, s1.steals);

    /* preemptions: hogs on both Ps and more goroutines than Ps */
    grt_stats s3 = s2;
    for (int attempt = 0; attempt < 5 && s3.preemptions == s2.preemptions; attempt++) {
        grt_waitgroup_add(&wg, 3);
        for (int i = 0; i < 3; i++)
            CHECK_EQ(grt_go(hog, &wg), 0);
        grt_waitgroup_wait(&wg);
        s3 = get();
    }
    CHECK_GT(s3.preemptions, s2.preemptions);

    /* handoffs: a goroutine 60 ms in a syscall while others want its P.
     * sysmon must run during those 60 ms; on a machine loaded enough to
     * starve a thread that long, try again (a few times at most). */
    grt_stats s4 = s3;
    for (int attempt = 0; attempt < 5 && s4.handoffs == s3.handoffs; attempt++) {
        grt_waitgroup_add(&wg, 4);
        CHECK_EQ(grt_go(in_syscall, &wg), 0);
        for (int i = 0; i < 3; i++)
            CHECK_EQ(grt_go(hog, &wg), 0);
        grt_waitgroup_wait(&wg);
        s4 = get();
    }
    CHECK_GT(s4.handoffs, s3.handoffs);

    /* netpoll_ready: a reader parked on a pipe, woken by the poller */
    CHECK_EQ(pipe2(pfd, O_CLOEXEC), 0);
    grt_waitgroup_add(&wg, 1);
    CHECK_EQ(grt_go(reader, &wg), 0);
    grt_sleep(20000000);
    CHECK_EQ(write(pfd[1], "x", 1), 1);
    grt_waitgroup_wait(&wg);
    grt_stats s5 = get();
    CHECK_GT(s5.netpoll_ready, s4.netpoll_ready);
    close(pfd[0]);
    close(pfd[1]);

    /* threads: at least one per P that ran, plus the one in the syscall */
    CHECK_GE(s5.threads, 2);
    printf("procs=2: goroutines %lld threads %lld (idle %lld) spawned %lld switches %lld "
           "steals %lld preemptions %lld handoffs %lld netpoll_ready %lld stack %lld/%lld KiB\n",
           (long long)s5.goroutines, (long long)s5.threads, (long long)s5.idle_threads,
           (long long)s5.spawned, (long long)s5.switches, (long long)s5.steals,
           (long long)s5.preemptions, (long long)s5.handoffs, (long long)s5.netpoll_ready,
           (long long)s5.stack_resident / 1024, (long long)s5.stack_reserved / 1024);
}

int main(void)
{
    grt_stats s;
    CHECK_EQ(grt_stats_get(&s), -ESRCH);
    CHECK_EQ(grt_stats_get(NULL), -EINVAL);
    test_run(1, main1, NULL);
    test_run(2, main2, NULL);
    CHECK_EQ(grt_stats_get(&s), -ESRCH);
    return 0;
}
