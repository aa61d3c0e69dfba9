/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_bad_input: every non-descriptor public call with bad input, in each
 * of three places: outside grt_run, in a goroutine, and on a thread grt did
 * not create while the runtime runs.  Table-driven: one row per call and
 * input, with the result expected in each place (grt.h's documented error,
 * or the Go-like one grt.h now states).  After each table: no goroutine
 * left behind, no descriptor left open, the runtime still schedules (and
 * the ASan build checks that no memory is left behind).
 *
 * Covered: time and timers (negative and INT64 edges of periods, NULL
 * timers and functions, calls with no runtime), channels (NULL, NULL
 * element, absurd sizes, closed channels, blocking forms off goroutines)
 * and select (NULL cases, too many, bad ops, deadlines at the edges), the
 * sync objects (NULL, unlock of what is not locked, waitgroup deltas out
 * of range, waits off goroutines, cond_wait without the mutex), stats,
 * dump and trace, and procs and thread locking from foreign threads.  The
 * runtime and goroutine calls outside grt_run are in test_errors.
 */
#include "grt_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#define SKIP_ROW INT64_MIN /* not called in this place */
/* The sanitizers' allocators abort on an absurd size instead of failing. */
#define NOMEM (TEST_SANITIZED ? SKIP_ROW : -ENOMEM)

enum { OUTSIDE, INSIDE, FOREIGN, NPLACES };
static const char *const place_names[NPLACES] = {"outside grt_run", "in a goroutine",
                                                 "on a foreign thread"};

static grt_chan     *ch;     /* unbuffered, int elements, open */
static grt_chan     *closed; /* closed, drained */
static grt_mutex     mu;
static grt_rwmutex   rw;
static grt_waitgroup wg;
static grt_once      once;
static grt_cond      cv;
static int           v = 42;
static atomic_int    never_ran;

static void never(void *arg)
{
    (void)arg;
    atomic_fetch_add(&never_ran, 1);
}

/* A constructor's result as a value: 0 (and the object freed) or -errno. */
static int64_t timer_result(grt_timer *t)
{
    if (t == NULL)
        return -errno;
    grt_timer_free(t);
    return 0;
}

static int64_t chan_result(grt_chan *c)
{
    if (c == NULL)
        return -errno;
    grt_chan_release(c);
    return 0;
}

static int64_t select1(int op, void *elem, size_t n, int64_t deadline)
{
    grt_case cs[1] = {{ch, op, elem, 0}};
    return grt_select(cs, n, deadline);
}

static int64_t select_null_chan(int64_t deadline)
{
    grt_case cs[1] = {{NULL, GRT_RECV, NULL, 0}};
    return grt_select(cs, 1, deadline);
}

static int64_t go_huge_stack(void)
{
    grt_attr a = {.stack_size = SIZE_MAX, .name = "huge"};
    return grt_go_attr(never, NULL, &a);
}

/* X(name, expression, outside, inside, foreign) */
#define ROWS(X)                                                                        \
    /* time and timers */                                                              \
    X(sleep_neg, grt_sleep(-1), 0, 0, 0)                                               \
    X(sleep_min, grt_sleep(INT64_MIN), 0, 0, 0)                                        \
    X(timer_neg_period, timer_result(grt_timer_new(1, -1)), -EINVAL, -EINVAL, -EINVAL) \
    X(timer_min_period, timer_result(grt_timer_new(1, INT64_MIN)), -EINVAL, -EINVAL,   \
      -EINVAL)                                                                         \
    X(timer_no_runtime, timer_result(grt_timer_new(1, 0)), -ESRCH, 0, 0)               \
    X(timer_edges, timer_result(grt_timer_new(INT64_MIN, INT64_MAX)), -ESRCH, 0, 0)    \
    X(timer_func_null, timer_result(grt_timer_func(1, NULL, NULL)), -EINVAL, -EINVAL,  \
      -EINVAL)                                                                         \
    X(timer_func_no_runtime, timer_result(grt_timer_func(INT64_MAX, never, NULL)),     \
      -ESRCH, 0, 0)                                                                    \
    X(timer_stop_null, grt_timer_stop(NULL), -EINVAL, -EINVAL, -EINVAL)                \
    X(timer_reset_null, grt_timer_reset(NULL, 1), -EINVAL, -EINVAL, -EINVAL)           \
    X(timer_chan_null, grt_timer_chan(NULL) == NULL ? 0 : -1, 0, 0, 0)                 \
    X(timer_free_null, (grt_timer_free(NULL), 0), 0, 0, 0)                             \
    /* channels */                                                                     \
    X(make_huge_elem, chan_result(grt_chan_make(SIZE_MAX, 1)), -EINVAL, -EINVAL,       \
      -EINVAL)                                                                         \
    X(make_huge_cap, chan_result(grt_chan_make(8, SIZE_MAX)), -EINVAL, -EINVAL,        \
      -EINVAL)                                                                         \
    X(make_no_memory, chan_result(grt_chan_make(1, SIZE_MAX / 2)), NOMEM, NOMEM, NOMEM)  \
    X(retain_null, grt_chan_retain(NULL) == NULL ? 0 : -1, 0, 0, 0)                    \
    X(release_null, (grt_chan_release(NULL), 0), 0, 0, 0)                              \
    X(send_null_chan, grt_chan_send(NULL, &v), -EINVAL, -EINVAL, -EINVAL)              \
    X(send_null_elem, grt_chan_send(ch, NULL), -EINVAL, -EINVAL, -EINVAL)              \
    X(send_off_goroutine, grt_chan_send(ch, &v), -EPERM, SKIP_ROW, -EPERM)             \
    X(send_closed, grt_chan_send(closed, &v), -EPERM, -EPIPE, -EPERM)                  \
    X(recv_null_chan, grt_chan_recv(NULL, &v), -EINVAL, -EINVAL, -EINVAL)              \
    X(recv_off_goroutine, grt_chan_recv(ch, &v), -EPERM, SKIP_ROW, -EPERM)             \
    X(recv_closed, grt_chan_recv(closed, NULL), -EPERM, -EPIPE, -EPERM)                \
    X(trysend_null_chan, grt_chan_trysend(NULL, &v), -EINVAL, -EINVAL, -EINVAL)        \
    X(trysend_null_elem, grt_chan_trysend(ch, NULL), -EINVAL, -EINVAL, -EINVAL)        \
    X(trysend_no_receiver, grt_chan_trysend(ch, &v), -EAGAIN, -EAGAIN, -EAGAIN)        \
    X(trysend_closed, grt_chan_trysend(closed, &v), -EPIPE, -EPIPE, -EPIPE)            \
    X(tryrecv_null_chan, grt_chan_tryrecv(NULL, &v), -EINVAL, -EINVAL, -EINVAL)        \
    X(tryrecv_empty, grt_chan_tryrecv(ch, NULL), -EAGAIN, -EAGAIN, -EAGAIN)            \
    X(tryrecv_closed, grt_chan_tryrecv(closed, &v), -EPIPE, -EPIPE, -EPIPE)            \
    X(close_null, grt_chan_close(NULL), -EINVAL, -EINVAL, -EINVAL)                     \
    X(close_twice, grt_chan_close(closed), -EPIPE, -EPIPE, -EPIPE)                     \
    X(len_null, (int64_t)grt_chan_len(NULL), 0, 0, 0)                                  \
    X(cap_null, (int64_t)grt_chan_cap(NULL), 0, 0, 0)                                  \
    /* select */                                                                       \
    X(select_null_cases, grt_select(NULL, 1, 0), -EINVAL, -EINVAL, -EINVAL)            \
    X(select_too_many, select1(GRT_RECV, NULL, SIZE_MAX, 0), -EINVAL, -EINVAL,         \
      -EINVAL)                                                                         \
    X(select_op_zero, select1(0, &v, 1, 0), -EINVAL, -EINVAL, -EINVAL)                 \
    X(select_op_bad, select1(GRT_SEND | GRT_RECV, &v, 1, 0), -EINVAL, -EINVAL,         \
      -EINVAL)                                                                         \
    X(select_send_null_elem, select1(GRT_SEND, NULL, 1, 0), -EINVAL, -EINVAL, -EINVAL) \
    X(select_default, select1(GRT_RECV, &v, 1, 0), -ETIMEDOUT, -ETIMEDOUT,             \
      -ETIMEDOUT)                                                                      \
    X(select_min_deadline, select1(GRT_SEND, &v, 1, INT64_MIN), -ETIMEDOUT,            \
      -ETIMEDOUT, -ETIMEDOUT)                                                          \
    X(select_none_default, grt_select(NULL, 0, 0), -ETIMEDOUT, -ETIMEDOUT, -ETIMEDOUT) \
    X(select_nil_chan_default, select_null_chan(0), -ETIMEDOUT, -ETIMEDOUT,            \
      -ETIMEDOUT)                                                                      \
    X(select_forever_off_goroutine, grt_select(NULL, 0, GRT_FOREVER), -EPERM,          \
      SKIP_ROW, -EPERM)                                                                \
    X(select_max_off_goroutine, select1(GRT_RECV, &v, 1, INT64_MAX), -EPERM, SKIP_ROW, \
      -EPERM)                                                                          \
    /* mutex, rwmutex */                                                               \
    X(lock_null, grt_mutex_lock(NULL), -EINVAL, -EINVAL, -EINVAL)                      \
    X(lock_off_goroutine, grt_mutex_lock(&mu), -EPERM, SKIP_ROW, -EPERM)               \
    X(trylock_null, grt_mutex_trylock(NULL), -EINVAL, -EINVAL, -EINVAL)                \
    X(unlock_null, grt_mutex_unlock(NULL), -EINVAL, -EINVAL, -EINVAL)                  \
    X(unlock_unlocked, grt_mutex_unlock(&mu), -EPERM, -EPERM, -EPERM)                  \
    X(rlock_null, grt_rwmutex_rlock(NULL), -EINVAL, -EINVAL, -EINVAL)                  \
    X(rlock_off_goroutine, grt_rwmutex_rlock(&rw), -EPERM, SKIP_ROW, -EPERM)           \
    X(runlock_null, grt_rwmutex_runlock(NULL), -EINVAL, -EINVAL, -EINVAL)              \
    X(runlock_unlocked, grt_rwmutex_runlock(&rw), -EPERM, -EPERM, -EPERM)              \
    X(wlock_null, grt_rwmutex_lock(NULL), -EINVAL, -EINVAL, -EINVAL)                   \
    X(wlock_off_goroutine, grt_rwmutex_lock(&rw), -EPERM, SKIP_ROW, -EPERM)            \
    X(wunlock_null, grt_rwmutex_unlock(NULL), -EINVAL, -EINVAL, -EINVAL)               \
    X(wunlock_unlocked, grt_rwmutex_unlock(&rw), -EPERM, -EPERM, -EPERM)               \
    /* waitgroup, once, cond */                                                        \
    X(wg_add_null, grt_waitgroup_add(NULL, 1), -EINVAL, -EINVAL, -EINVAL)              \
    X(wg_add_negative, grt_waitgroup_add(&wg, -1), -EINVAL, -EINVAL, -EINVAL)          \
    X(wg_add_max, grt_waitgroup_add(&wg, INT64_MAX), -EINVAL, -EINVAL, -EINVAL)        \
    X(wg_add_min, grt_waitgroup_add(&wg, INT64_MIN), -EINVAL, -EINVAL, -EINVAL)        \
    X(wg_add_over_32, grt_waitgroup_add(&wg, (int64_t)INT32_MAX + 1), -EINVAL,         \
      -EINVAL, -EINVAL)                                                                \
    X(wg_add_zero, grt_waitgroup_add(&wg, 0), 0, 0, 0)                                 \
    X(wg_done_null, grt_waitgroup_done(NULL), -EINVAL, -EINVAL, -EINVAL)               \
    X(wg_done_below_zero, grt_waitgroup_done(&wg), -EINVAL, -EINVAL, -EINVAL)          \
    X(wg_wait_null, grt_waitgroup_wait(NULL), -EINVAL, -EINVAL, -EINVAL)               \
    X(wg_wait_off_goroutine, grt_waitgroup_wait(&wg), -EPERM, 0, -EPERM)               \
    X(once_null, grt_once_do(NULL, never, NULL), -EINVAL, -EINVAL, -EINVAL)            \
    X(once_null_fn, grt_once_do(&once, NULL, NULL), -EINVAL, -EINVAL, -EINVAL)         \
    X(once_off_goroutine, grt_once_do(&once, never, NULL), -EPERM, SKIP_ROW, -EPERM)   \
    X(cond_wait_null, grt_cond_wait(NULL, &mu), -EINVAL, -EINVAL, -EINVAL)             \
    X(cond_wait_null_mutex, grt_cond_wait(&cv, NULL), -EINVAL, -EINVAL, -EINVAL)       \
    X(cond_wait_unlocked, grt_cond_wait(&cv, &mu), -EPERM, -EPERM, -EPERM)             \
    X(cond_signal_null, grt_cond_signal(NULL), -EINVAL, -EINVAL, -EINVAL)              \
    X(cond_broadcast_null, grt_cond_broadcast(NULL), -EINVAL, -EINVAL, -EINVAL)        \
    X(cond_signal_nobody, grt_cond_signal(&cv), 0, 0, 0)                               \
    /* runtime calls from elsewhere */                                                 \
    X(procs_negative, grt_procs(-1), -EINVAL, -EINVAL, -EINVAL)                        \
    X(procs_min, grt_procs(INT_MIN), -EINVAL, -EINVAL, -EINVAL)                        \
    X(procs_set_foreign, grt_procs(1), -ESRCH, SKIP_ROW, -EPERM)                       \
    X(lock_thread_foreign, grt_lock_thread(), -EPERM, SKIP_ROW, -EPERM)                \
    X(unlock_thread_unlocked, grt_unlock_thread(), -EPERM, -EPERM, -EPERM)             \
    X(go_null, grt_go(NULL, NULL), -EINVAL, -EINVAL, -EINVAL)                          \
    X(go_huge_stack, go_huge_stack(), -ESRCH, -EINVAL, -EINVAL)                        \
    X(id_off_goroutine, (int64_t)grt_id(), 0, SKIP_ROW, 0)                             \
    /* stats, dump, trace */                                                           \
    X(stats_null, grt_stats_get(NULL), -EINVAL, -EINVAL, -EINVAL)                      \
    X(dump_negative, grt_dump(-1), -EBADF, -EBADF, -EBADF)                             \
    X(dump_min, grt_dump(INT_MIN), -EBADF, -EBADF, -EBADF)                             \
    X(dump_not_open, grt_dump(INT_MAX), -ESRCH, -EBADF, -EBADF)                        \
    X(trace_null, grt_trace_start(NULL), -EINVAL, -EINVAL, -EINVAL)                    \
    X(trace_empty, grt_trace_start(""), -EINVAL, -EINVAL, -EINVAL)                     \
    X(trace_bad_dir, grt_trace_start("/nonexistent-grt-dir/t.json"), -ESRCH, -ENOENT,  \
      -EPERM)                                                                          \
    X(trace_stop_none, grt_trace_stop(), -ESRCH, -EINVAL, -EPERM)

#define X_FN(name, expr, o, i, f)                                                      \
    static int64_t row_##name(void) { return (int64_t)(expr); }
ROWS(X_FN)

struct row {
    const char *name;
    int64_t (*call)(void);
    int64_t     expect[NPLACES];
};
#define X_ROW(name, expr, o, i, f) {#name, row_##name, {o, i, f}},
static const struct row rows[] = {ROWS(X_ROW)};
#define NROWS (sizeof rows / sizeof rows[0])

static void fd_list(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char path[300], target[256];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = 0;
        fprintf(stderr, "  fd %s -> %s\n", e->d_name, target);
    }
    if (d)
        closedir(d);
}


static void setup_objects(void)
{
    ch = grt_chan_make(sizeof(int), 0);
    closed = grt_chan_make(sizeof(int), 0);
    CHECK(ch != NULL && closed != NULL);
    CHECK_EQ(grt_chan_close(closed), 0);
}

static void release_objects(void)
{
    grt_chan_release(ch);
    grt_chan_release(closed);
    ch = closed = NULL;
}

static void run_table(int place)
{
    int fds = test_fd_count();
    int64_t gs = grt_goroutines();
    int ran = 0;
    for (size_t i = 0; i < NROWS; i++) {
        int64_t want = rows[i].expect[place];
        if (want == SKIP_ROW)
            continue;
        int64_t got = rows[i].call();
        if (got != want)
            TEST_FAIL("%s %s: got %" PRId64 " (%s), want %" PRId64 " (%s)", rows[i].name,
                      place_names[place], got, got < 0 ? strerror((int)-got) : "-", want,
                      want < 0 ? strerror((int)-want) : "-");
        ran++;
    }
    /* Nothing left behind: no descriptor, no goroutine, objects unchanged. */
    if (test_fd_count() != fds) {
        fd_list();
        TEST_FAIL("%s: %d descriptors open, %d before", place_names[place], test_fd_count(), fds);
    }
    CHECK_EQ(grt_goroutines(), gs);
    CHECK_EQ(grt_chan_len(ch), 0);
    CHECK_EQ(grt_mutex_trylock(&mu), 0);
    CHECK_EQ(grt_mutex_unlock(&mu), 0);
    CHECK_EQ(atomic_load(&never_ran), 0);
    printf("%-20s %d calls, each with its documented result\n", place_names[place], ran);
}

static void *foreign_main(void *arg)
{
    (void)arg;
    run_table(FOREIGN);
    return NULL;
}

static void alive(void *arg)
{
    atomic_fetch_add((atomic_int *)arg, 1);
}

static void main_fn(void *arg)
{
    (void)arg;
    setup_objects();
    run_table(INSIDE);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, foreign_main, NULL), 0);
    /* Park (with a timer) while the thread runs its table. */
    while (pthread_tryjoin_np(th, NULL) != 0)
        grt_sleep(1000 * 1000);
    /* Still schedules. */
    atomic_int n = 0;
    for (int i = 0; i < 10; i++)
        CHECK_EQ(grt_go(alive, &n), 0);
    while (atomic_load(&n) < 10)
        grt_yield();
    release_objects();
}

int main(void)
{
    setup_objects();
    run_table(OUTSIDE);
    release_objects();
    test_run(2, main_fn, NULL);
    setup_objects();
    run_table(OUTSIDE); /* and after a run */
    release_objects();
    printf("test_bad_input: ok\n");
    return 0;
}
