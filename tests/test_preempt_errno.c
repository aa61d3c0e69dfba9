/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_preempt_errno.c - errno is part of the goroutine (API.md, "Edge
 * cases, settled"): after a park or an asynchronous preemption a goroutine
 * finds the errno value it had, on whichever thread it resumes, and a new
 * goroutine starts with errno 0.
 *
 * At procs=2 and under GRT_DEBUG=preemptstress (a preemption request every
 * 50 us), 16 goroutines each set a value of their own and check it after
 * grt_yield, grt_sleep, a contended grt_mutex, a channel round trip and a
 * busy loop long enough to be preempted in; they record their thread
 * before and after, and the run goes on until enough checks were made
 * across a change of thread (a busy loop can only change thread by being
 * preempted).  Meanwhile the main goroutine starts short goroutines that
 * check they start with errno 0.
 *
 * errno is read through a function pointer the compiler cannot see
 * through: glibc declares __errno_location const, so the compiler may
 * otherwise keep the old thread's &errno across a park (the hazard the
 * README describes, which grt cannot repair from outside the caller).
 */
#include "grt_test.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>

#define NG          16
#define RUN_NS      1000000000LL
#define MAX_NS      15000000000LL
#define SPIN_NS     200000 /* four preemption requests' worth */
#define MIN_MOVED   5      /* checks made after a change of thread, per kind */

#ifdef GRT_TSAN
#define ASYNC_PREEMPT 0 /* TSan: preemption at grt calls only */
#else
#define ASYNC_PREEMPT 1
#endif

static int *(*volatile errno_at)(void) = __errno_location;

static void set_err(int v)
{
    __asm__ volatile("" ::: "memory");
    *errno_at() = v;
    __asm__ volatile("" ::: "memory");
}

static int get_err(void)
{
    __asm__ volatile("" ::: "memory");
    return *errno_at();
}

static long tid(void) { return syscall(SYS_gettid); }

static atomic_int  stop;
static atomic_long moved_park, moved_spin, checks;
static grt_mutex   mu;
static grt_chan   *ping, *pong;

#define CHECK_ERRNO(want, what)                                                                \
    do {                                                                                       \
        int got_ = get_err();                                                                  \
        if (got_ != (want))                                                                    \
            TEST_FAIL("goroutine %llu: errno %d after %s, it had set %d",                      \
                      (unsigned long long)grt_id(), got_, (what), (want));                    \
    } while (0)

static void after(long before, atomic_long *moved)
{
    if (tid() != before)
        atomic_fetch_add(moved, 1);
    atomic_fetch_add(&checks, 1);
}

static void spin(int64_t ns)
{
    int64_t end = test_now_ns() + ns;
    while (test_now_ns() < end)
        for (volatile int i = 0; i < 1000; i++)
            ;
}

static void worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    int v = 1000000 + id * 10000;
    CHECK_ERRNO(0, "starting");
    for (unsigned k = 0; !atomic_load(&stop); k++) {
        int e = v + (int)(k % 1000) * 8;
        long t;

        set_err(e);
        t = tid();
        grt_yield();
        CHECK_ERRNO(e, "grt_yield");
        after(t, &moved_park);

        set_err(e + 1);
        t = tid();
        grt_sleep(20000);
        CHECK_ERRNO(e + 1, "grt_sleep");
        after(t, &moved_park);

        set_err(e + 2);
        t = tid();
        grt_mutex_lock(&mu);
        CHECK_ERRNO(e + 2, "grt_mutex_lock");
        grt_yield();
        grt_mutex_unlock(&mu);
        CHECK_ERRNO(e + 2, "grt_mutex_unlock");
        after(t, &moved_park);

        set_err(e + 3);
        t = tid();
        spin(SPIN_NS);
        CHECK_ERRNO(e + 3, "a busy loop");
        after(t, &moved_spin);

        if (id == 0) {
            int x = (int)k;
            set_err(e + 4);
            CHECK_EQ(grt_chan_send(ping, &x), 0);
            CHECK_ERRNO(e + 4, "grt_chan_send");
            CHECK_EQ(grt_chan_recv(pong, &x), 0);
            CHECK_ERRNO(e + 4, "grt_chan_recv");
        }
    }
    if (id == 0)
        grt_chan_close(ping); /* the only sender: ends the ponger */
}

/* Answers worker 0's pings: a park on a channel on both sides. */
static void ponger(void *arg)
{
    int x, e = 999;
    for (;;) {
        set_err(e);
        int rc = grt_chan_recv(ping, &x);
        CHECK_ERRNO(e, "grt_chan_recv");
        if (rc != 0)
            break;
        CHECK_EQ(grt_chan_send(pong, &x), 0);
        CHECK_ERRNO(e, "grt_chan_send");
        e++;
    }
    grt_waitgroup_done(arg);
}

static void fresh(void *arg)
{
    CHECK_ERRNO(0, "starting");
    set_err(4242);
    grt_waitgroup_done(arg);
}

struct run {
    int             procs;
    grt_waitgroup   wg;
};

struct wrap {
    struct run *r;
    int         id;
};

static void worker_done(void *arg)
{
    struct wrap *w = arg;
    worker((void *)(intptr_t)w->id);
    grt_waitgroup_done(&w->r->wg);
}

static void main_g(void *arg)
{
    struct run *r = arg;
    CHECK_ERRNO(0, "starting the main goroutine");
    ping = grt_chan_make(sizeof(int), 0);
    pong = grt_chan_make(sizeof(int), 0);
    CHECK(ping != NULL && pong != NULL);
    static struct wrap w[NG];
    grt_waitgroup_add(&r->wg, NG + 1);
    CHECK_EQ(grt_go(ponger, &r->wg), 0);
    for (int i = 0; i < NG; i++) {
        w[i] = (struct wrap){r, i};
        CHECK_EQ(grt_go(worker_done, &w[i]), 0);
    }
    bool want_spin = ASYNC_PREEMPT;
    int64_t start = grt_now();
    grt_waitgroup fw = {0};
    for (;;) {
        int64_t now = grt_now();
        bool enough = atomic_load(&moved_park) >= MIN_MOVED &&
                      (!want_spin || atomic_load(&moved_spin) >= MIN_MOVED);
        if ((now - start >= RUN_NS && enough) || now - start >= MAX_NS)
            break;
        grt_waitgroup_add(&fw, 1);
        CHECK_EQ(grt_go(fresh, &fw), 0);
        set_err(77);
        grt_sleep(1000000);
        CHECK_ERRNO(77, "grt_sleep in the main goroutine");
    }
    atomic_store(&stop, 1);
    grt_waitgroup_wait(&r->wg);
    grt_waitgroup_wait(&fw);
    printf("procs=%d: %ld checks, %ld after a park on another thread, %ld after a busy loop "
           "moved to another thread\n",
           r->procs, (long)atomic_load(&checks), (long)atomic_load(&moved_park),
           (long)atomic_load(&moved_spin));
    CHECK_GE(atomic_load(&moved_park), MIN_MOVED);
    if (want_spin)
        CHECK_GE(atomic_load(&moved_spin), MIN_MOVED);
    grt_chan_release(pong);
    grt_chan_release(ping);
}

int main(void)
{
    setenv("GRT_DEBUG", "preemptstress=50", 1);
    struct run r = {.procs = 2};
    test_run(2, main_g, &r);
    return 0;
}
