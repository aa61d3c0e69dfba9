/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sync_rwmutex: grt_rwmutex.
 *
 *  - Go's HammerRWMutex: readers add 1 to an activity counter and check no
 *    writer is in (activity < WRITER), writers add WRITER and check they
 *    are alone (activity == WRITER);
 *  - readers share: many readers hold it at once;
 *  - writer preference: while a writer waits for a reader to leave, a new
 *    reader queues behind the writer;
 *  - runlock/unlock without the lock: -EPERM, and nothing changes;
 *  - rlock/lock outside a goroutine: -EPERM; runlock/unlock work anywhere.
 */
#include "grt_test.h"

#include <stdbool.h>

#include <pthread.h>
#include <stdatomic.h>

#define MS (1000LL * 1000)
#define WRITER 10000

static grt_rwmutex   rw = GRT_RWMUTEX_INIT;
static atomic_int    activity;
static grt_waitgroup wg;
static int64_t       iters;

static void reader(void *arg)
{
    (void)arg;
    for (int64_t i = 0; i < iters; i++) {
        CHECK_EQ(grt_rwmutex_rlock(&rw), 0);
        int n = atomic_fetch_add(&activity, 1) + 1;
        if (n < 1 || n >= WRITER)
            TEST_FAIL("reader saw activity %d", n);
        for (int k = 0; k < 50; k++)
            __asm__ __volatile__("" ::: "memory");
        atomic_fetch_sub(&activity, 1);
        CHECK_EQ(grt_rwmutex_runlock(&rw), 0);
    }
    grt_waitgroup_done(&wg);
}

static void writer(void *arg)
{
    (void)arg;
    for (int64_t i = 0; i < iters; i++) {
        CHECK_EQ(grt_rwmutex_lock(&rw), 0);
        int n = atomic_fetch_add(&activity, WRITER) + WRITER;
        if (n != WRITER)
            TEST_FAIL("writer saw activity %d", n);
        for (int k = 0; k < 50; k++)
            __asm__ __volatile__("" ::: "memory");
        atomic_fetch_sub(&activity, WRITER);
        CHECK_EQ(grt_rwmutex_unlock(&rw), 0);
    }
    grt_waitgroup_done(&wg);
}

static void hammer(int nreaders, int nwriters)
{
    iters = test_scale(20000);
    CHECK_EQ(grt_waitgroup_add(&wg, nreaders + nwriters), 0);
    for (int i = 0; i < nreaders || i < nwriters; i++) {
        if (i < nwriters)
            CHECK_EQ(grt_go(writer, NULL), 0);
        if (i < nreaders)
            CHECK_EQ(grt_go(reader, NULL), 0);
    }
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    CHECK_EQ(atomic_load(&activity), 0);
}

/* --- sharing and preference ----------------------------------------------- */

static atomic_int holders;
static grt_chan  *events; /* ints: who entered, in order */

static void shared_reader(void *arg)
{
    grt_chan *release = arg;
    CHECK_EQ(grt_rwmutex_rlock(&rw), 0);
    atomic_fetch_add(&holders, 1);
    CHECK_EQ(grt_chan_recv(release, NULL), 0); /* hold it until told */
    atomic_fetch_sub(&holders, 1);
    CHECK_EQ(grt_rwmutex_runlock(&rw), 0);
    grt_waitgroup_done(&wg);
}

static void check_sharing(void)
{
    enum { R = 20 };
    grt_chan *release = grt_chan_make(0, R);
    CHECK_EQ(grt_waitgroup_add(&wg, R), 0);
    for (int i = 0; i < R; i++)
        CHECK_EQ(grt_go(shared_reader, release), 0);
    int64_t until = grt_now() + 10000 * MS;
    while (atomic_load(&holders) < R && grt_now() < until)
        grt_sleep(MS);
    CHECK_EQ(atomic_load(&holders), R); /* all inside at once */
    for (int i = 0; i < R; i++)
        CHECK_EQ(grt_chan_send(release, NULL), 0);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    grt_chan_release(release);
}

static void pref_writer(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_rwmutex_lock(&rw), 0);
    int who = 2;
    CHECK_EQ(grt_chan_send(events, &who), 0);
    grt_sleep(5 * MS);
    CHECK_EQ(grt_rwmutex_unlock(&rw), 0);
    grt_waitgroup_done(&wg);
}

static void pref_reader(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_rwmutex_rlock(&rw), 0);
    int who = 3;
    CHECK_EQ(grt_chan_send(events, &who), 0);
    CHECK_EQ(grt_rwmutex_runlock(&rw), 0);
    grt_waitgroup_done(&wg);
}

static void check_writer_preference(void)
{
    events = grt_chan_make(sizeof(int), 8);
    CHECK_EQ(grt_rwmutex_rlock(&rw), 0); /* reader 1: main */
    CHECK_EQ(grt_waitgroup_add(&wg, 2), 0);
    CHECK_EQ(grt_go(pref_writer, NULL), 0);
    /* Until the writer waits for us: it announces itself by making the
     * reader count negative (a fixed 10 ms was not always enough for it
     * to get there under TSan on a loaded machine). */
    int64_t until = grt_now() + 10000 * MS;
    while (__atomic_load_n(&rw.reader_count_, __ATOMIC_ACQUIRE) >= 0 && grt_now() < until)
        grt_sleep(MS);
    CHECK_LT(__atomic_load_n(&rw.reader_count_, __ATOMIC_ACQUIRE), 0);
    CHECK_EQ(grt_go(pref_reader, NULL), 0);
    grt_sleep(10 * MS); /* the new reader must queue behind the writer */
    CHECK_EQ(grt_chan_len(events), 0);
    CHECK_EQ(grt_rwmutex_runlock(&rw), 0);
    int a = 0, b = 0;
    CHECK_EQ(grt_chan_recv(events, &a), 0);
    CHECK_EQ(grt_chan_recv(events, &b), 0);
    CHECK_EQ(a, 2); /* writer first */
    CHECK_EQ(b, 3);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    grt_chan_release(events);
}

/* --- errors ------------------------------------------------------------------ */

static void *foreign(void *arg)
{
    grt_rwmutex *m = arg;
    CHECK_EQ(grt_rwmutex_rlock(m), -EPERM);
    CHECK_EQ(grt_rwmutex_lock(m), -EPERM);
    CHECK_EQ(grt_rwmutex_runlock(m), 0); /* main's read lock, released here */
    CHECK_EQ(grt_rwmutex_runlock(m), -EPERM);
    return NULL;
}

static void check_errors(void)
{
    grt_rwmutex m;
    memset(&m, 0, sizeof m);
    CHECK_EQ(grt_rwmutex_rlock(NULL), -EINVAL);
    CHECK_EQ(grt_rwmutex_runlock(NULL), -EINVAL);
    CHECK_EQ(grt_rwmutex_lock(NULL), -EINVAL);
    CHECK_EQ(grt_rwmutex_unlock(NULL), -EINVAL);
    CHECK_EQ(grt_rwmutex_runlock(&m), -EPERM);
    CHECK_EQ(grt_rwmutex_unlock(&m), -EPERM);
    CHECK_EQ(grt_rwmutex_rlock(&m), 0);
    CHECK_EQ(grt_rwmutex_unlock(&m), -EPERM); /* read-locked, not write-locked */
    CHECK_EQ(grt_rwmutex_runlock(&m), 0);
    CHECK_EQ(grt_rwmutex_runlock(&m), -EPERM);
    CHECK_EQ(grt_rwmutex_lock(&m), 0);
    CHECK_EQ(grt_rwmutex_runlock(&m), -EPERM); /* write-locked, no reader */
    CHECK_EQ(grt_rwmutex_unlock(&m), 0);
    CHECK_EQ(grt_rwmutex_unlock(&m), -EPERM);
    /* after all those refusals it still works both ways */
    CHECK_EQ(grt_rwmutex_lock(&m), 0);
    CHECK_EQ(grt_rwmutex_unlock(&m), 0);
    CHECK_EQ(grt_rwmutex_rlock(&m), 0);
    CHECK_EQ(grt_rwmutex_rlock(&m), 0);
    CHECK_EQ(grt_rwmutex_runlock(&m), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, foreign, &m), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_EQ(grt_rwmutex_lock(&m), 0);
    CHECK_EQ(grt_rwmutex_unlock(&m), 0);
}

static void main_fn(void *arg)
{
    (void)arg;
    check_errors();
    check_sharing();
    check_writer_preference();
    hammer(1, 1);
    hammer(4, 1);
    hammer(10, 3);
}

int main(void)
{
    test_run(1, main_fn, NULL);
    test_run(2, main_fn, NULL);
    test_run(4, main_fn, NULL);
    printf("ok\n");
    return 0;
}
