/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_foreign_wake: a thread grt did not create that has called anything
 * able to make a goroutine runnable keeps deadlock detection quiet for the
 * rest of the run (API.md): it may do so again at any time, as a cgo
 * callback may in Go.
 *
 * For each such call: a foreign pthread makes one call of that kind (which
 * wakes nobody yet), then the main goroutine parks on something only that
 * thread will release, with nothing else runnable and no timer pending
 * (so checkdead runs as the last M goes idle); 100 ms later the thread
 * wakes it with a call of the same family.  The process must not die with
 * "all goroutines are asleep"; each case is a run of its own, since the
 * first foreign call silences the detector for the rest of a run.  The
 * last case checks that a run with no foreign call still reports the
 * deadlock (in a child process).
 */
#include "grt_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define MS (1000LL * 1000)
#define WAKE_LIMIT (10000 * MS) /* a foreign waker gives up after this */

static grt_chan     *c, *c2;
static grt_timer    *tm;
static grt_mutex     mu;
static grt_cond      cv;
static grt_rwmutex   rw, rw2;
static grt_waitgroup wg;
static atomic_int    first_done, woken, cond_flag;

struct wcase {
    const char *name;
    void (*setup)(void);
    void (*first)(void);
    void (*wait)(void); /* the main goroutine parks in here */
    bool (*wake)(void); /* foreign: true once it has woken the waiter */
};

static void setup_chans(void)
{
    c = grt_chan_make(sizeof(int), 0);
    c2 = grt_chan_make(sizeof(int), 0);
    CHECK(c != NULL && c2 != NULL);
}

/* --- channels ------------------------------------------------------ */

static void first_trysend(void)
{
    int v = 1;
    CHECK_EQ(grt_chan_trysend(c, &v), -EAGAIN); /* nobody receives yet */
}
static void wait_recv(void)
{
    int v;
    CHECK_EQ(grt_chan_recv(c, &v), 0);
}
static bool wake_trysend(void)
{
    int v = 2;
    return grt_chan_trysend(c, &v) == 0;
}

static void first_tryrecv(void)
{
    int v;
    CHECK_EQ(grt_chan_tryrecv(c, &v), -EAGAIN);
}
static void wait_send(void)
{
    int v = 3;
    CHECK_EQ(grt_chan_send(c, &v), 0);
}
static bool wake_tryrecv(void)
{
    int v;
    return grt_chan_tryrecv(c, &v) == 0;
}

static void first_close(void)
{
    CHECK_EQ(grt_chan_close(c2), 0);
}
static void wait_recv_closed(void)
{
    int v;
    CHECK_EQ(grt_chan_recv(c, &v), -EPIPE);
}
static bool wake_close(void)
{
    return grt_chan_close(c) == 0;
}

static void first_select(void)
{
    int v = 4;
    grt_case cs[1] = {{c, GRT_SEND, &v, 0}};
    CHECK_EQ(grt_select(cs, 1, 0), -ETIMEDOUT);
}
static bool wake_select(void)
{
    int v = 5;
    grt_case cs[1] = {{c, GRT_SEND, &v, 0}};
    return grt_select(cs, 1, 0) == 0;
}

/* --- timers -------------------------------------------------------- */

static void setup_timer(void)
{
    tm = grt_timer_new(1000 * MS, 0);
    CHECK(tm != NULL);
    CHECK_EQ(grt_timer_stop(tm), 1); /* nothing pending: no timer silences checkdead */
}
static void first_timer_stop(void)
{
    CHECK_EQ(grt_timer_stop(tm), 0);
}
static void wait_timer(void)
{
    int64_t v;
    CHECK_EQ(grt_chan_recv(grt_timer_chan(tm), &v), 0);
    grt_timer_free(tm);
}
static bool wake_timer_reset(void)
{
    CHECK_EQ(grt_timer_reset(tm, 1 * MS), 0);
    return true;
}

/* --- mutex, rwmutex, cond, waitgroup ------------------------------- */

static void first_trylock(void)
{
    CHECK_EQ(grt_mutex_trylock(&mu), 0); /* the foreign thread holds mu */
}
static void wait_lock(void)
{
    CHECK_EQ(grt_mutex_lock(&mu), 0);
    CHECK_EQ(grt_mutex_unlock(&mu), 0);
}
static bool wake_unlock(void)
{
    CHECK_EQ(grt_mutex_unlock(&mu), 0);
    return true;
}

static void first_signal(void)
{
    CHECK_EQ(grt_cond_signal(&cv), 0); /* no waiter: lost, as in Go */
}
static void first_broadcast(void)
{
    CHECK_EQ(grt_cond_broadcast(&cv), 0);
}
static void wait_cond(void)
{
    CHECK_EQ(grt_mutex_lock(&mu), 0);
    while (!atomic_load(&cond_flag))
        CHECK_EQ(grt_cond_wait(&cv, &mu), 0);
    CHECK_EQ(grt_mutex_unlock(&mu), 0);
}
static bool wake_signal(void)
{
    atomic_store(&cond_flag, 1);
    CHECK_EQ(grt_cond_signal(&cv), 0);
    return atomic_load(&woken) != 0; /* signal until the waiter is out */
}
static bool wake_broadcast(void)
{
    atomic_store(&cond_flag, 1);
    CHECK_EQ(grt_cond_broadcast(&cv), 0);
    return atomic_load(&woken) != 0;
}

static void first_wg_add(void)
{
    CHECK_EQ(grt_waitgroup_add(&wg, 1), 0);
}
static void wait_wg(void)
{
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
}
static bool wake_wg_done(void)
{
    CHECK_EQ(grt_waitgroup_done(&wg), 0);
    return true;
}

/* The main goroutine read-locks rw and hands the read lock to the foreign
 * thread (an RWMutex is not tied to a goroutine, in Go either), then waits
 * to write-lock it. */
static void setup_rlocked(void)
{
    CHECK_EQ(grt_rwmutex_rlock(&rw), 0);
}
static void first_runlock_other(void)
{
    CHECK_EQ(grt_rwmutex_runlock(&rw2), -EPERM); /* not locked: a call all the same */
}
static void wait_wlock(void)
{
    CHECK_EQ(grt_rwmutex_lock(&rw), 0);
    CHECK_EQ(grt_rwmutex_unlock(&rw), 0);
}
static bool wake_runlock(void)
{
    CHECK_EQ(grt_rwmutex_runlock(&rw), 0);
    return true;
}

/* A reader goroutine waits behind main's write lock; main waits for it;
 * the foreign thread unlocks the write lock. */
static void reader_fn(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_rwmutex_rlock(&rw), 0);
    CHECK_EQ(grt_rwmutex_runlock(&rw), 0);
    CHECK_EQ(grt_waitgroup_done(&wg), 0);
}
static void setup_wlocked(void)
{
    CHECK_EQ(grt_rwmutex_lock(&rw), 0);
    CHECK_EQ(grt_waitgroup_add(&wg, 1), 0);
    CHECK_EQ(grt_go(reader_fn, NULL), 0);
}
static void first_unlock_other(void)
{
    CHECK_EQ(grt_rwmutex_unlock(&rw2), -EPERM);
}
static bool wake_wunlock(void)
{
    CHECK_EQ(grt_rwmutex_unlock(&rw), 0);
    return true;
}

static const struct wcase cases[] = {
    {"chan_trysend", setup_chans, first_trysend, wait_recv, wake_trysend},
    {"chan_tryrecv", setup_chans, first_tryrecv, wait_send, wake_tryrecv},
    {"chan_close", setup_chans, first_close, wait_recv_closed, wake_close},
    {"select_default", setup_chans, first_select, wait_recv, wake_select},
    {"timer_stop_reset", setup_timer, first_timer_stop, wait_timer, wake_timer_reset},
    {"mutex_trylock_unlock", NULL, first_trylock, wait_lock, wake_unlock},
    {"cond_signal", NULL, first_signal, wait_cond, wake_signal},
    {"cond_broadcast", NULL, first_broadcast, wait_cond, wake_broadcast},
    {"waitgroup_add_done", NULL, first_wg_add, wait_wg, wake_wg_done},
    {"rwmutex_runlock", setup_rlocked, first_runlock_other, wait_wlock, wake_runlock},
    {"rwmutex_unlock", setup_wlocked, first_unlock_other, wait_wg, wake_wunlock},
};

static void *foreign_main(void *arg)
{
    const struct wcase *k = arg;
    k->first();
    atomic_store(&first_done, 1);
    /* Long enough for main to park and every M to go idle (checkdead). */
    struct timespec ts = {0, 100 * MS};
    nanosleep(&ts, NULL);
    int64_t t0 = test_now_ns();
    while (!k->wake()) {
        if (test_now_ns() - t0 > WAKE_LIMIT)
            TEST_FAIL("%s: the waiter never woke", k->name);
        struct timespec tick = {0, 1 * MS};
        nanosleep(&tick, NULL);
    }
    return NULL;
}

static void main_fn(void *arg)
{
    const struct wcase *k = arg;
    memset(&mu, 0, sizeof mu);
    memset(&cv, 0, sizeof cv);
    memset(&rw, 0, sizeof rw);
    memset(&wg, 0, sizeof wg);
    atomic_store(&first_done, 0);
    atomic_store(&woken, 0);
    atomic_store(&cond_flag, 0);
    if (k->setup)
        k->setup();
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, foreign_main, (void *)k), 0);
    while (!atomic_load(&first_done))
        grt_sleep(1 * MS); /* a timer pending: not a deadlock yet */
    k->wait();
    atomic_store(&woken, 1);
    CHECK_EQ(pthread_join(th, NULL), 0);
    if (c != NULL) {
        grt_chan_release(c);
        grt_chan_release(c2);
        c = c2 = NULL;
    }
}

/* Control: with no foreign call, the same park is a deadlock. */
static void deadlock_main(void *arg)
{
    (void)arg;
    setup_chans();
    wait_recv();
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "deadlock") == 0) {
        test_run(1, deadlock_main, NULL);
        return 0;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        test_run(1, main_fn, (void *)&cases[i]);
        printf("%s: woken by a foreign thread, no false deadlock\n", cases[i].name);
    }
    test_expect_fatal("deadlock", "all goroutines are asleep - deadlock!");
    printf("test_foreign_wake: ok\n");
    return 0;
}
