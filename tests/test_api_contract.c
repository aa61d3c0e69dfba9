/* SPDX-License-Identifier: BSD-3-Clause */
/* test_api_contract: the public contract of API.md, checked by the compiler.
 *
 * Programs outside the project are compiled against exactly the names,
 * types and meanings API.md gives.  Every function's type is compared with
 * the prototype API.md prints, every documented constant, initialiser and
 * struct field is used, so a rename, a changed parameter type or a lost
 * field breaks this build before it breaks a user's.  The program then runs
 * the few calls whose values API.md fixes. */
#include "grt_test.h"

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#define SIG(fn, type)                                                               \
    _Static_assert(__builtin_types_compatible_p(__typeof__(&fn), type),             \
                   #fn " does not have the type API.md gives it")

static void signatures(void)
{
    SIG(grt_run, int (*)(const grt_config *, grt_fn, void *));
    SIG(grt_go, int (*)(grt_fn, void *));
    SIG(grt_go_attr, int (*)(grt_fn, void *, const grt_attr *));
    SIG(grt_yield, void (*)(void));
    SIG(grt_exit, void (*)(void));
    SIG(grt_id, uint64_t (*)(void));
    SIG(grt_procs, int (*)(int));
    SIG(grt_goroutines, int64_t (*)(void));
    SIG(grt_lock_thread, int (*)(void));
    SIG(grt_unlock_thread, int (*)(void));
    SIG(grt_syscall_enter, void (*)(void));
    SIG(grt_syscall_exit, void (*)(void));
    SIG(grt_now, int64_t (*)(void));
    SIG(grt_sleep, int (*)(int64_t));
    SIG(grt_timer_new, grt_timer * (*)(int64_t, int64_t));
    SIG(grt_timer_func, grt_timer * (*)(int64_t, grt_fn, void *));
    SIG(grt_timer_chan, struct grt_chan * (*)(grt_timer *));
    SIG(grt_timer_stop, int (*)(grt_timer *));
    SIG(grt_timer_reset, int (*)(grt_timer *, int64_t));
    SIG(grt_timer_free, void (*)(grt_timer *));
    SIG(grt_chan_make, grt_chan * (*)(size_t, size_t));
    SIG(grt_chan_retain, grt_chan * (*)(grt_chan *));
    SIG(grt_chan_release, void (*)(grt_chan *));
    SIG(grt_chan_send, int (*)(grt_chan *, const void *));
    SIG(grt_chan_recv, int (*)(grt_chan *, void *));
    SIG(grt_chan_trysend, int (*)(grt_chan *, const void *));
    SIG(grt_chan_tryrecv, int (*)(grt_chan *, void *));
    SIG(grt_chan_close, int (*)(grt_chan *));
    SIG(grt_chan_len, size_t (*)(const grt_chan *));
    SIG(grt_chan_cap, size_t (*)(const grt_chan *));
    SIG(grt_select, int (*)(grt_case *, size_t, int64_t));
    SIG(grt_mutex_lock, int (*)(grt_mutex *));
    SIG(grt_mutex_trylock, int (*)(grt_mutex *));
    SIG(grt_mutex_unlock, int (*)(grt_mutex *));
    SIG(grt_rwmutex_rlock, int (*)(grt_rwmutex *));
    SIG(grt_rwmutex_runlock, int (*)(grt_rwmutex *));
    SIG(grt_rwmutex_lock, int (*)(grt_rwmutex *));
    SIG(grt_rwmutex_unlock, int (*)(grt_rwmutex *));
    SIG(grt_waitgroup_add, int (*)(grt_waitgroup *, int64_t));
    SIG(grt_waitgroup_done, int (*)(grt_waitgroup *));
    SIG(grt_waitgroup_wait, int (*)(grt_waitgroup *));
    SIG(grt_once_do, int (*)(grt_once *, grt_fn, void *));
    SIG(grt_cond_wait, int (*)(grt_cond *, grt_mutex *));
    SIG(grt_cond_signal, int (*)(grt_cond *));
    SIG(grt_cond_broadcast, int (*)(grt_cond *));
    SIG(grt_listen, int (*)(const char *, const char *));
    SIG(grt_dial, int (*)(const char *, const char *, int64_t));
    SIG(grt_accept, int (*)(int, struct sockaddr *, socklen_t *));
    SIG(grt_connect, int (*)(int, const struct sockaddr *, socklen_t, int64_t));
    SIG(grt_read, ssize_t (*)(int, void *, size_t));
    SIG(grt_write, ssize_t (*)(int, const void *, size_t));
    SIG(grt_wait_fd, int (*)(int, int, int64_t));
    SIG(grt_set_deadline, int (*)(int, int64_t, int64_t));
    SIG(grt_close, int (*)(int));
    SIG(grt_stats_get, int (*)(grt_stats *));
    SIG(grt_dump, int (*)(int));
    SIG(grt_trace_start, int (*)(const char *));
    SIG(grt_trace_stop, int (*)(void));
    SIG(grt_offload, int (*)(grt_fn, void *));
    SIG(grt_hook_active, int (*)(void));
    SIG(grt_ctx_background, grt_ctx  * (*)(void));
    SIG(grt_ctx_with_cancel, grt_ctx  * (*)(grt_ctx *));
    SIG(grt_ctx_with_deadline, grt_ctx  * (*)(grt_ctx *, int64_t));
    SIG(grt_ctx_cancel, int (*)(grt_ctx *));
    SIG(grt_ctx_err, int (*)(const grt_ctx *));
    SIG(grt_ctx_deadline, int64_t (*)(const grt_ctx *));
    SIG(grt_ctx_done, grt_chan * (*)(grt_ctx *));
    SIG(grt_ctx_retain, grt_ctx  * (*)(grt_ctx *));
    SIG(grt_ctx_release, void (*)(grt_ctx *));
    SIG(grt_go_ctx, int (*)(grt_ctx *, grt_fn, void *));
    SIG(grt_ctx_current, grt_ctx  * (*)(void));
    SIG(grt_ctx_swap, grt_ctx  * (*)(grt_ctx *));
    SIG(grt_group_new, grt_group * (*)(grt_ctx *));
    SIG(grt_group_ctx, grt_ctx   * (*)(grt_group *));
    SIG(grt_group_limit, int (*)(grt_group *, int));
    SIG(grt_group_go, int (*)(grt_group *, grt_task_fn, void *));
    SIG(grt_group_wait, int (*)(grt_group *));
    SIG(grt_group_free, void (*)(grt_group *));
    SIG(grt_sem_init, int (*)(grt_sem *, int64_t));
    SIG(grt_sem_acquire, int (*)(grt_sem *, int64_t, int64_t));
    SIG(grt_sem_tryacquire, int (*)(grt_sem *, int64_t));
    SIG(grt_sem_release, int (*)(grt_sem *, int64_t));
    SIG(grt_signal_notify, int (*)(grt_chan *, int));
    SIG(grt_signal_stop, int (*)(grt_chan *));
    SIG(grt_signal_ctx, grt_ctx * (*)(grt_ctx *, const int *, size_t));
    SIG(grt_key_create, int (*)(grt_key *, void (*)(void *value)));
    SIG(grt_key_delete, int (*)(grt_key));
    SIG(grt_getspecific, void * (*)(grt_key));
    SIG(grt_setspecific, int (*)(grt_key, const void *));
    SIG(grt_recvfrom, ssize_t (*)(int, void *, size_t, struct sockaddr *, socklen_t *));
    SIG(grt_sendto, ssize_t (*)(int, const void *, size_t, const struct sockaddr *, socklen_t));
}

/* Constants, initialisers and struct fields, by name and type. */
#define FIELD(type, field, ftype)                                                   \
    _Static_assert(__builtin_types_compatible_p(__typeof__(((type *)0)->field), ftype), \
                   #type "." #field " has changed type")

FIELD(grt_config, procs, int);
FIELD(grt_config, stack_size, size_t);
FIELD(grt_attr, stack_size, size_t);
FIELD(grt_attr, name, const char *);
FIELD(grt_case, chan, grt_chan *);
FIELD(grt_case, op, int);
FIELD(grt_case, elem, void *);
FIELD(grt_case, err, int);
FIELD(grt_stats, goroutines, int64_t);
FIELD(grt_stats, threads, int64_t);
FIELD(grt_stats, idle_threads, int64_t);
FIELD(grt_stats, spinning_threads, int64_t);
FIELD(grt_stats, procs, int64_t);
FIELD(grt_stats, idle_procs, int64_t);
FIELD(grt_stats, global_runq, int64_t);
FIELD(grt_stats, local_runq, int64_t);
FIELD(grt_stats, spawned, int64_t);
FIELD(grt_stats, switches, int64_t);
FIELD(grt_stats, steals, int64_t);
FIELD(grt_stats, preemptions, int64_t);
FIELD(grt_stats, handoffs, int64_t);
FIELD(grt_stats, netpoll_ready, int64_t);
FIELD(grt_stats, stack_reserved, int64_t);
FIELD(grt_stats, stack_resident, int64_t);
_Static_assert(__builtin_types_compatible_p(grt_fn, void (*)(void *)), "grt_fn");
_Static_assert(__builtin_types_compatible_p(grt_task_fn, int (*)(void *)), "grt_task_fn");
_Static_assert(__builtin_types_compatible_p(grt_key, unsigned), "grt_key");

static grt_mutex mu = GRT_MUTEX_INIT;
static grt_rwmutex rw = GRT_RWMUTEX_INIT;
static grt_waitgroup wg = GRT_WAITGROUP_INIT;
static grt_once once = GRT_ONCE_INIT;
static grt_cond cond = GRT_COND_INIT;
static grt_sem sem = GRT_SEM_INIT(3);

static int ran;
static void once_fn(void *arg) { (void)arg; ran++; }

static void main_fn(void *arg)
{
    (void)arg;
    /* the values API.md fixes */
    CHECK_EQ(GRT_FOREVER, (int64_t)-1);
    CHECK_EQ(GRT_MICROSECOND, (int64_t)1000);
    CHECK_EQ(GRT_MILLISECOND, (int64_t)1000000);
    CHECK_EQ(GRT_SECOND, (int64_t)1000000000);
    CHECK(GRT_SEND != GRT_RECV);
    CHECK_EQ(GRT_SEND, 1);
    CHECK_EQ(GRT_RECV, 2);
    CHECK_EQ(GRT_READ, 1);
    CHECK_EQ(GRT_WRITE, 2);
    CHECK_EQ(grt_goroutines(), 1);

    /* the static initialisers are usable as they are */
    CHECK_EQ(grt_mutex_lock(&mu), 0);
    CHECK_EQ(grt_mutex_unlock(&mu), 0);
    CHECK_EQ(grt_rwmutex_rlock(&rw), 0);
    CHECK_EQ(grt_rwmutex_runlock(&rw), 0);
    CHECK_EQ(grt_waitgroup_add(&wg, 1), 0);
    CHECK_EQ(grt_waitgroup_done(&wg), 0);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    CHECK_EQ(grt_once_do(&once, once_fn, NULL), 0);
    CHECK_EQ(grt_once_do(&once, once_fn, NULL), 0);
    CHECK_EQ(ran, 1);
    CHECK_EQ(grt_cond_signal(&cond), 0);
    CHECK_EQ(grt_sem_tryacquire(&sem, 3), 0);
    CHECK_EQ(grt_sem_tryacquire(&sem, 1), -EAGAIN);
    CHECK_EQ(grt_sem_release(&sem, 3), 0);

    /* contexts: the background context's settled details */
    grt_ctx *bg = grt_ctx_background();
    CHECK(bg != NULL);
    CHECK_EQ(grt_ctx_err(bg), 0);
    CHECK_EQ(grt_ctx_deadline(bg), GRT_FOREVER);
    CHECK(grt_ctx_done(bg) == NULL);
    CHECK(grt_ctx_current() == bg);
}

int main(void)
{
    signatures();
    CHECK(grt_ctx_current() == grt_ctx_background()); /* outside goroutines */
    CHECK_EQ(grt_run(NULL, main_fn, NULL), 0);
    printf("test_api_contract: ok\n");
    return 0;
}
