/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_chan_foreign: channels between goroutines and threads grt did not
 * create.  Such threads may only use the non-blocking forms:
 *
 *  - a foreign pthread trysends N values (retrying on -EAGAIN) to
 *    goroutines blocked in grt_chan_recv: each value arrives exactly once
 *    and in order, and the goroutines are woken from a thread without a P;
 *  - a foreign pthread tryrecvs N values that goroutines send with the
 *    blocking form, waking the blocked senders;
 *  - on an unbuffered channel both directions work (a trysend succeeds only
 *    into a parked receiver);
 *  - the blocking forms return -EPERM and change nothing;
 *  - a foreign close wakes the goroutines.
 * The thread first calls grt_go, which by API.md turns deadlock detection
 * off for the run (the goroutines wait for nothing but this thread).
 */
#include "grt_test.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

static int64_t  nmsgs;
static grt_chan *to_g, *from_g, *done;

static int try_until(int (*op)(grt_chan *, void *), grt_chan *c, void *v)
{
    int64_t until = test_now_ns() + 60LL * 1000 * 1000 * 1000;
    for (unsigned spins = 0;; spins++) {
        int rc = op(c, v);
        if (rc != -EAGAIN)
            return rc;
        if (test_now_ns() > until)
            TEST_FAIL("foreign thread: no progress for 60 s");
        if (spins % 64 == 63)
            sched_yield();
    }
}

static int trysend_v(grt_chan *c, void *v) { return grt_chan_trysend(c, v); }
static int tryrecv_v(grt_chan *c, void *v) { return grt_chan_tryrecv(c, v); }

static atomic_int foreign_started;

static void nothing(void *arg) { (void)arg; }

static void *foreign_thread(void *arg)
{
    (void)arg;
    /* API.md: deadlock detection stays on until a foreign thread has called
     * grt_go; until then goroutines waiting only for this thread would be
     * reported as deadlocked. */
    CHECK_EQ(grt_go(nothing, NULL), 0);
    atomic_store(&foreign_started, 1);
    int64_t v = 0;
    CHECK_EQ(grt_chan_send(to_g, &v), -EPERM);
    CHECK_EQ(grt_chan_recv(from_g, &v), -EPERM);
    CHECK_EQ(grt_chan_len(to_g), 0);
    for (int64_t i = 0; i < nmsgs; i++)
        CHECK_EQ(try_until(trysend_v, to_g, &i), 0);
    for (int64_t i = 0; i < nmsgs; i++) {
        v = -1;
        CHECK_EQ(try_until(tryrecv_v, from_g, &v), 0);
        CHECK_EQ(v, i);
    }
    /* the goroutine waits in recv for the close */
    CHECK_EQ(grt_chan_close(to_g), 0);
    return NULL;
}

static void consumer(void *arg)
{
    (void)arg;
    for (int64_t i = 0; i < nmsgs; i++) {
        int64_t v = -1;
        CHECK_EQ(grt_chan_recv(to_g, &v), 0);
        CHECK_EQ(v, i);
    }
    int64_t v = 5;
    CHECK_EQ(grt_chan_recv(to_g, &v), -EPIPE);
    CHECK_EQ(v, 0);
    CHECK_EQ(grt_chan_send(done, NULL), 0);
}

static void producer(void *arg)
{
    (void)arg;
    for (int64_t i = 0; i < nmsgs; i++)
        CHECK_EQ(grt_chan_send(from_g, &i), 0);
    CHECK_EQ(grt_chan_send(done, NULL), 0);
}

static size_t cur_cap;

static void main_fn(void *arg)
{
    (void)arg;
    to_g = grt_chan_make(sizeof(int64_t), cur_cap);
    from_g = grt_chan_make(sizeof(int64_t), cur_cap);
    done = grt_chan_make(0, 2);
    atomic_store(&foreign_started, 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, foreign_thread, NULL), 0);
    /* Stay runnable (no park) until the thread has disarmed deadlock
     * detection. */
    while (!atomic_load(&foreign_started))
        grt_yield();
    CHECK_EQ(grt_go(consumer, NULL), 0);
    CHECK_EQ(grt_go(producer, NULL), 0);
    CHECK_EQ(grt_chan_recv(done, NULL), 0);
    CHECK_EQ(grt_chan_recv(done, NULL), 0);
    /* joining blocks this thread, but the thread is already finished or
     * about to be: the goroutines it served have both finished */
    CHECK_EQ(pthread_join(t, NULL), 0);
    grt_chan_release(to_g);
    grt_chan_release(from_g);
    grt_chan_release(done);
}

int main(void)
{
    static const size_t caps[] = {0, 1, 64};
    for (int procs = 1; procs <= 2; procs++) {
        for (size_t k = 0; k < sizeof caps / sizeof *caps; k++) {
            cur_cap = caps[k];
            /* Without a buffer every message costs a thread wake-up (the
             * goroutine side goes idle between messages): fewer of them. */
            nmsgs = test_scale(cur_cap >= 64 ? 200000 : 20000);
            int64_t t0 = test_now_ns();
            test_run(procs, main_fn, NULL);
            printf("procs=%d cap=%zu: %.0f ms\n", procs, cur_cap, (test_now_ns() - t0) / 1e6);
        }
    }
    printf("ok\n");
    return 0;
}
