/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_signal_ctx.c - grt_signal_ctx, os/signal.NotifyContext.
 *
 *   - a goroutine parked under the context (a sleep, a channel receive) is
 *     woken with -ECANCELED when one of the signals arrives, and the done
 *     channel closes; a signal not in the list does nothing to it;
 *   - while the context holds its signals, the handler is installed and
 *     main waiting on done alone is not a deadlock; releasing the last
 *     reference puts the previous action back;
 *   - a parent's cancel reaches it; a second signal context on the same
 *     signal is independent;
 *   - bad input: NULL or empty signal lists, refused signals; outside the
 *     runtime ESRCH, and nothing is left installed.
 */
#include "grt_test.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

static bool handler_is_default(int signo)
{
    struct sigaction sa;
    CHECK_EQ(sigaction(signo, NULL, &sa), 0);
    return !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL;
}

typedef struct {
    grt_ctx   *ctx;
    int        rc;
    grt_chan  *out;
} sleeper_t;

static void sleeper(void *arg)
{
    sleeper_t *s = arg;
    grt_ctx_swap(s->ctx);
    int rc = grt_sleep(60 * GRT_SECOND);
    grt_ctx_swap(grt_ctx_background());
    CHECK_EQ(grt_chan_send(s->out, &rc), 0);
}

static void receiver(void *arg)
{
    sleeper_t *s = arg;
    grt_chan *never = grt_chan_make(sizeof(int), 0);
    CHECK(never != NULL);
    grt_ctx_swap(s->ctx);
    int v, rc = grt_chan_recv(never, &v);
    grt_ctx_swap(grt_ctx_background());
    grt_chan_release(never);
    CHECK_EQ(grt_chan_send(s->out, &rc), 0);
}

static void cancelled_by_signal(void)
{
    int sigs[] = {SIGUSR1, SIGUSR2};
    CHECK(handler_is_default(SIGUSR1));
    grt_ctx *c = grt_signal_ctx(NULL, sigs, 2);
    CHECK(c != NULL);
    CHECK_EQ(grt_ctx_err(c), 0);
    CHECK(!handler_is_default(SIGUSR1));
    CHECK(!handler_is_default(SIGUSR2));

    grt_chan *out = grt_chan_make(sizeof(int), 2);
    sleeper_t a = {.ctx = c, .out = out}, b = {.ctx = c, .out = out};
    CHECK_EQ(grt_go(sleeper, &a), 0);
    CHECK_EQ(grt_go(receiver, &b), 0);
    grt_sleep(20 * GRT_MILLISECOND);
    CHECK_EQ(grt_ctx_err(c), 0);
    test_send_signal(SIGUSR2);

    int rc1, rc2;
    grt_case cs = {.chan = out, .op = GRT_RECV, .elem = &rc1};
    CHECK_EQ(grt_select(&cs, 1, grt_now() + 20 * GRT_SECOND), 0);
    cs.elem = &rc2;
    CHECK_EQ(grt_select(&cs, 1, grt_now() + 20 * GRT_SECOND), 0);
    CHECK_EQ(rc1, -ECANCELED);
    CHECK_EQ(rc2, -ECANCELED);
    CHECK_EQ(grt_ctx_err(c), -ECANCELED);
    int d;
    CHECK_EQ(grt_chan_recv(grt_ctx_done(c), &d), -EPIPE); /* closed */

    /* Cancelled, but still holding its signals until released: a second
     * SIGUSR1 goes to our handler, not to the default (which would kill). */
    test_send_signal(SIGUSR1);
    grt_sleep(5 * GRT_MILLISECOND);
    CHECK(!handler_is_default(SIGUSR1));
    grt_ctx_release(c);
    CHECK(handler_is_default(SIGUSR1));
    CHECK(handler_is_default(SIGUSR2));
    grt_chan_release(out);
}

/* Main waits on nothing but the done channel: with the signal wanted this
 * is not a deadlock, and the signal ends the wait. */
static void *late_kill(void *arg)
{
    (void)arg;
    usleep(50 * 1000);
    /* From this thread, which grt did not create; test_send_signal also
     * knows TSan's way of running handlers only at intercepted calls. */
    test_send_signal(SIGUSR1);
    return NULL;
}

static void only_done_waits(void)
{
    int sig = SIGUSR1;
    grt_ctx *c = grt_signal_ctx(NULL, &sig, 1);
    CHECK(c != NULL);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, late_kill, NULL), 0);
    int d;
    CHECK_EQ(grt_chan_recv(grt_ctx_done(c), &d), -EPIPE);
    CHECK_EQ(grt_ctx_err(c), -ECANCELED);
    CHECK_EQ(pthread_join(t, NULL), 0);
    grt_ctx_release(c);
    CHECK(handler_is_default(SIGUSR1));
}

static void other_signal_and_parent(void)
{
    int s1 = SIGUSR1, s2 = SIGUSR2;
    grt_ctx *parent = grt_ctx_with_cancel(NULL);
    CHECK(parent != NULL);
    grt_ctx *a = grt_signal_ctx(parent, &s1, 1);
    grt_ctx *b = grt_signal_ctx(parent, &s2, 1);
    grt_ctx *a2 = grt_signal_ctx(NULL, &s1, 1);
    CHECK(a != NULL && b != NULL && a2 != NULL);
    test_send_signal(SIGUSR2); /* only b's */
    int64_t end = grt_now() + 20 * GRT_SECOND;
    while (grt_ctx_err(b) == 0 && grt_now() < end)
        grt_sleep(GRT_MILLISECOND);
    CHECK_EQ(grt_ctx_err(b), -ECANCELED);
    CHECK_EQ(grt_ctx_err(a), 0);
    CHECK_EQ(grt_ctx_err(a2), 0);
    /* a parent's cancel reaches a, not the independent a2 */
    CHECK_EQ(grt_ctx_cancel(parent), 0);
    CHECK_EQ(grt_ctx_err(a), -ECANCELED);
    CHECK_EQ(grt_ctx_err(a2), 0);
    /* a is released while a2 still wants SIGUSR1: the handler stays */
    grt_ctx_release(a);
    CHECK(!handler_is_default(SIGUSR1));
    test_send_signal(SIGUSR1);
    end = grt_now() + 20 * GRT_SECOND;
    while (grt_ctx_err(a2) == 0 && grt_now() < end)
        grt_sleep(GRT_MILLISECOND);
    CHECK_EQ(grt_ctx_err(a2), -ECANCELED);
    grt_ctx_release(a2);
    grt_ctx_release(b);
    grt_ctx_release(parent);
    CHECK(handler_is_default(SIGUSR1));
    CHECK(handler_is_default(SIGUSR2));
}

static void bad_input(void)
{
    int ok = SIGUSR1, bad[] = {SIGUSR1, SIGKILL}, urg = SIGURG, range = 9999;
    errno = 0;
    CHECK(grt_signal_ctx(NULL, NULL, 1) == NULL);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(grt_signal_ctx(NULL, &ok, 0) == NULL);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(grt_signal_ctx(NULL, bad, 2) == NULL);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(grt_signal_ctx(NULL, &urg, 1) == NULL);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(grt_signal_ctx(NULL, &range, 1) == NULL);
    CHECK_EQ(errno, EINVAL);
    /* nothing was left wanting SIGUSR1 by the refused calls */
    CHECK(handler_is_default(SIGUSR1));
}

static grt_ctx *held; /* released by main after grt_run */

static void main_fn(void *arg)
{
    (void)arg;
    bad_input();
    cancelled_by_signal();
    only_done_waits();
    other_signal_and_parent();
    /* a signal context still held when grt_run returns: its signals end
     * with the run (checked after grt_run) */
    int sig = SIGUSR2;
    held = grt_signal_ctx(NULL, &sig, 1);
    CHECK(held != NULL);
    CHECK(!handler_is_default(SIGUSR2));
}

int main(void)
{
    int sig = SIGUSR1;
    errno = 0;
    CHECK(grt_signal_ctx(NULL, &sig, 1) == NULL);
    CHECK_EQ(errno, ESRCH);
    CHECK(handler_is_default(SIGUSR1));
    for (int run = 0; run < 2; run++) {
        CHECK_EQ(grt_run(NULL, main_fn, NULL), 0);
        CHECK(handler_is_default(SIGUSR1));
        CHECK(handler_is_default(SIGUSR2));
        /* its signals ended with the run; the program still owns it */
        CHECK_EQ(grt_ctx_err(held), 0);
        grt_ctx_release(held);
        CHECK(handler_is_default(SIGUSR2));
    }
    printf("test_signal_ctx: ok\n");
    return 0;
}
