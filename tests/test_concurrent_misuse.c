/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_concurrent_misuse: calls that race each other on one object, looped
 * long enough to hit the windows (bounded by time), and misuse Go reports.
 *
 *  - grt_timer_free against grt_timer_reset / grt_timer_stop of the same
 *    timer from another thread (a foreign pthread and a goroutine on
 *    another P): free used to skip the timer's lock, so a reset in progress
 *    could queue a timer that free had just released.  Now the call that
 *    loses returns -EINVAL and nothing fires into freed memory (the ASan
 *    build checks the memory side);
 *  - grt_dump from a foreign thread while goroutines with names and stacks
 *    of their own spawn and exit: it used to read them on the fly (a name
 *    just freed, a stack just unmapped); it now has a goroutine read them
 *    with the world stopped;
 *  - a WaitGroup reused (Add) before a previous Wait has returned is a
 *    fatal error, as Go's panic ("WaitGroup is reused before previous Wait
 *    has returned"), checked in a child process.
 */
#include "grt_test.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define MS (1000LL * 1000)

static int64_t budget(int64_t ms)
{
    return (TEST_SANITIZED ? 2 : 1) * ms * MS;
}

/* --- timer free vs reset/stop -------------------------------------- */

/* A racer (a foreign thread, or a goroutine on the other P) resets and
 * stops whatever timer is current, in a loop, while main replaces it with
 * a new one and frees the old.  A call on a timer that free got first
 * returns -EINVAL; one on a record already reused acts on that new timer
 * (a freed record is never given back to malloc).  Nothing may crash, and
 * nothing may fire into freed memory. */
struct race {
    grt_timer *_Atomic t;
    atomic_int         quit, exited;
    atomic_long        results[4]; /* 0, 1, -EINVAL, other */
};

static void racer(struct race *r)
{
    long n = 0;
    while (!atomic_load(&r->quit)) {
        grt_timer *t = atomic_load(&r->t);
        int rc = n++ % 3 == 0 ? grt_timer_stop(t) : grt_timer_reset(t, 1 * MS);
        int k = rc == 0 ? 0 : rc == 1 ? 1 : rc == -EINVAL ? 2 : 3;
        atomic_fetch_add(&r->results[k], 1);
    }
    atomic_store(&r->exited, 1);
}

static void *racer_thread(void *arg)
{
    racer(arg);
    return NULL;
}

static void racer_goroutine(void *arg)
{
    racer(arg);
}

static void fired(void *arg)
{
    (void)arg;
}

static grt_timer *race_timer(int k)
{
    grt_timer *t = k % 2 ? grt_timer_new(1 * MS, k % 4 == 1 ? 1 * MS : 0)
                         : grt_timer_func(1 * MS, fired, NULL);
    CHECK(t != NULL);
    return t;
}

static void check_timer_free_races(bool foreign)
{
    static struct race r;
    memset(&r, 0, sizeof r);
    atomic_store(&r.t, race_timer(0));
    pthread_t th;
    if (foreign)
        CHECK_EQ(pthread_create(&th, NULL, racer_thread, &r), 0);
    else
        CHECK_EQ(grt_go(racer_goroutine, &r), 0);
    int64_t t0 = grt_now();
    int k = 0;
    while (grt_now() - t0 < budget(300) && k < 200000) {
        k++;
        grt_timer *old = atomic_exchange(&r.t, race_timer(k));
        grt_timer_free(old);
        if (k % 256 == 0)
            grt_yield(); /* a racer goroutine on our P gets a turn too */
    }
    atomic_store(&r.quit, 1);
    if (foreign) {
        CHECK_EQ(pthread_join(th, NULL), 0);
    } else {
        while (!atomic_load(&r.exited))
            grt_yield();
    }
    grt_timer_free(atomic_load(&r.t));
    CHECK_EQ(atomic_load(&r.results[3]), 0);
    printf("timer free vs reset/stop (%s): %d frees; racer calls: %ld returned 0, %ld 1, "
           "%ld -EINVAL\n",
           foreign ? "foreign thread" : "goroutine", k, atomic_load(&r.results[0]),
           atomic_load(&r.results[1]), atomic_load(&r.results[2]));
    /* A double free is harmless, and a freed timer cannot be used. */
    grt_timer *t = grt_timer_new(INT64_MAX, 0);
    CHECK(t != NULL);
    grt_timer_free(t);
    CHECK_EQ(grt_timer_stop(t), -EINVAL);
    CHECK_EQ(grt_timer_reset(t, 1), -EINVAL);
    CHECK(grt_timer_chan(t) == NULL);
    grt_timer_free(t);
    grt_sleep(5 * MS); /* any stray firing would come now */
}

/* --- grt_dump from a foreign thread -------------------------------- */

static atomic_int churn_stop;
static atomic_long churned;

static void short_lived(void *arg)
{
    (void)arg;
    atomic_fetch_add(&churned, 1);
}

static void churner(void *arg)
{
    static const char *const names[] = {"churn-a", "churn-bb", "churn-ccc"};
    long i = (long)(intptr_t)arg;
    while (!atomic_load(&churn_stop)) {
        grt_attr a = {.stack_size = (i % 2) ? 64 * 1024 : 0, .name = names[i % 3]};
        if (grt_go_attr(short_lived, NULL, &a) != 0)
            grt_sleep(1 * MS);
        if (++i % 64 == 0)
            grt_yield();
    }
}

static void *dumper(void *arg)
{
    int fd = *(int *)arg;
    int64_t t0 = test_now_ns();
    int n = 0;
    while (test_now_ns() - t0 < budget(400)) {
        CHECK_EQ(grt_dump(fd), 0);
        n++;
    }
    printf("grt_dump from a foreign thread: %d dumps\n", n);
    CHECK_GT(n, 0);
    return NULL;
}

static void check_foreign_dump(void)
{
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    atomic_store(&churn_stop, 0);
    for (long i = 0; i < 3; i++)
        CHECK_EQ(grt_go(churner, (void *)(intptr_t)i), 0);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, dumper, &fd), 0);
    /* Park with a timer pending while the thread dumps. */
    int64_t t0 = grt_now();
    while (grt_now() - t0 < budget(400) + 5000 * MS) {
        if (pthread_tryjoin_np(th, NULL) == 0)
            break;
        grt_sleep(5 * MS);
    }
    atomic_store(&churn_stop, 1);
    CHECK_GT(atomic_load(&churned), 0);
    close(fd);
}

struct pipe_dump {
    int wfd;
    int rc;
};

static void *dump_once(void *arg)
{
    struct pipe_dump *d = arg;
    d->rc = grt_dump(d->wfd);
    close(d->wfd);
    return NULL;
}

static void check_foreign_dump_text(void)
{
    int p[2];
    CHECK_EQ(pipe(p), 0);
    struct pipe_dump d = {p[1], 1};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, dump_once, &d), 0);
    /* The dump is small: the pipe's buffer holds it, so it is read only
     * once the thread is done (parked in between: the dump needs a P). */
    int64_t t0 = grt_now();
    while (pthread_tryjoin_np(th, NULL) != 0) {
        CHECK_LT(grt_now() - t0, 10000 * MS);
        grt_sleep(1 * MS);
    }
    static char text[1 << 16];
    size_t len = 0;
    ssize_t k;
    while ((k = read(p[0], text + len, sizeof text - 1 - len)) > 0)
        len += (size_t)k;
    text[len] = 0;
    close(p[0]);
    CHECK_EQ(d.rc, 0);
    CHECK_STR_CONTAINS(text, "goroutine 1 [");
    CHECK_STR_CONTAINS(text, "main goroutine");
}

/* --- waitgroup reuse (child) ---------------------------------------- */

static grt_waitgroup wg;

static void wg_waiter(void *arg)
{
    (void)arg;
    grt_waitgroup_wait(&wg);
    TEST_FAIL("Wait returned although the group was reused before it did");
}

static void wg_reuse_main(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_waitgroup_add(&wg, 1), 0);
    CHECK_EQ(grt_go(wg_waiter, NULL), 0);
    grt_sleep(20 * MS); /* the waiter parks */
    /* With one P the woken waiter cannot run before we park again: Done
     * releases it, and Add starts a new round before its Wait returned. */
    CHECK_EQ(grt_waitgroup_done(&wg), 0);
    CHECK_EQ(grt_waitgroup_add(&wg, 1), 0);
    grt_sleep(1000 * MS);
    TEST_FAIL("the reuse went unnoticed");
}

static void main_fn(void *arg)
{
    (void)arg;
    check_timer_free_races(true);
    check_timer_free_races(false);
    check_foreign_dump();
    check_foreign_dump_text();
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "wg_reuse") == 0) {
        test_run(1, wg_reuse_main, NULL);
        return 0;
    }
    test_run(2, main_fn, NULL);
    test_expect_fatal("wg_reuse", "WaitGroup is reused before previous Wait has returned");
    printf("waitgroup reuse: fatal error, exit 2\n");
    printf("test_concurrent_misuse: ok\n");
    return 0;
}
