/*
 * test_signal_watch.c - the runtime-internal signal watchers that
 * grt_signal_ctx is built on (src/signotify.h): calls per signal, a
 * watcher that unwatches itself from inside its own call (as a context
 * that a signal ends does), drop exactly once and only after the last
 * call, refused signals, the disposition back after the last unwatch, and
 * a watcher left at grt_run's end and unwatched after it.
 */
#include "grt_test.h"

#include <signal.h>
#include <stdbool.h>

/* Internal (src/signotify.h); linked from the static library. */
int  grt__signal_watch(const int *sigs, size_t n, void (*fn)(void *arg, int signo),
                       void (*drop)(void *arg), void *arg, void **handle);
void grt__signal_unwatch(void *handle);

struct watcher {
    void   *handle;
    bool    self_unwatch; /* unwatch from inside fn */
    int     calls[2];     /* SIGUSR1, SIGUSR2 (atomic) */
    int     drops;        /* atomic */
    int     calls_after_drop;
};

static int ld(int *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

static void on_signal(void *arg, int signo)
{
    struct watcher *w = arg;
    if (ld(&w->drops))
        __atomic_add_fetch(&w->calls_after_drop, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&w->calls[signo == SIGUSR1 ? 0 : 1], 1, __ATOMIC_RELEASE);
    if (w->self_unwatch && signo == SIGUSR1)
        grt__signal_unwatch(w->handle);
}

static void on_drop(void *arg)
{
    struct watcher *w = arg;
    __atomic_add_fetch(&w->drops, 1, __ATOMIC_RELEASE);
}

static void wait_for(int *p, int want)
{
    int64_t end = grt_now() + 5 * 1000000000LL;
    while (ld(p) < want && grt_now() < end)
        grt_sleep(1000000);
    CHECK_EQ(ld(p), want);
}

static bool default_action(int signo)
{
    struct sigaction sa;
    CHECK_EQ(sigaction(signo, NULL, &sa), 0);
    return !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL;
}

static struct watcher plain, selfish, left;

static void main_fn(void *arg)
{
    (void)arg;
    const int both[] = {SIGUSR1, SIGUSR2};
    const int bad[] = {SIGUSR1, SIGKILL};
    void *h = NULL;
    CHECK_EQ(grt__signal_watch(bad, 2, on_signal, on_drop, &plain, &h), -EINVAL);
    CHECK_EQ(grt__signal_watch(both, 2, NULL, on_drop, &plain, &h), -EINVAL);
    CHECK(default_action(SIGUSR1)); /* nothing installed by the refusals */

    CHECK_EQ(grt__signal_watch(both, 2, on_signal, on_drop, &plain, &plain.handle), 0);
    selfish.self_unwatch = true;
    CHECK_EQ(grt__signal_watch(both, 1, on_signal, on_drop, &selfish, &selfish.handle), 0);
    CHECK(!default_action(SIGUSR1));
    CHECK_EQ(grt_goroutines(), 1);

    test_send_signal(SIGUSR2);
    wait_for(&plain.calls[1], 1);
    CHECK_EQ(ld(&selfish.calls[1]), 0); /* it wants SIGUSR1 only */

    test_send_signal(SIGUSR1); /* selfish unwatches itself inside the call */
    wait_for(&plain.calls[0], 1);
    wait_for(&selfish.calls[0], 1);
    wait_for(&selfish.drops, 1);
    test_send_signal(SIGUSR1);
    wait_for(&plain.calls[0], 2);
    CHECK_EQ(ld(&selfish.calls[0]), 1);
    CHECK_EQ(ld(&selfish.drops), 1);
    CHECK_EQ(ld(&selfish.calls_after_drop), 0);

    grt__signal_unwatch(plain.handle);
    CHECK_EQ(ld(&plain.drops), 1);
    CHECK(default_action(SIGUSR1));
    CHECK(default_action(SIGUSR2));

    /* Left watching when main returns: grt_run's end stops its signals. */
    CHECK_EQ(grt__signal_watch(both, 2, on_signal, on_drop, &left, &left.handle), 0);
}

int main(void)
{
    const int one[] = {SIGUSR1};
    void *h;
    CHECK_EQ(grt__signal_watch(one, 1, on_signal, on_drop, &plain, &h), -ESRCH);
    test_run(2, main_fn, NULL);
    CHECK(default_action(SIGUSR1));
    CHECK(default_action(SIGUSR2));
    CHECK_EQ(left.drops, 0);
    grt__signal_unwatch(left.handle); /* its owner lets go after the run */
    CHECK_EQ(left.drops, 1);
    CHECK_EQ(plain.calls_after_drop + left.calls_after_drop, 0);
    printf("ok\n");
    return 0;
}
