/*
 * test_signal_notify.c - grt_signal_notify / grt_signal_stop: delivery
 * from kill, raise in a goroutine and a foreign thread; several channels
 * per signal and signals per channel; drop when full; stop; the program's
 * dispositions put back after stop and after grt_run; refused signals and
 * bad input; no deadlock report while a signal may still come (and one
 * once nothing is registered any more); a second grt_run.
 */
#include "grt_test.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

static int prog_hits; /* atomic: a handler on any thread */
static void prog_handler(int signo)
{
    (void)signo;
    __atomic_add_fetch(&prog_hits, 1, __ATOMIC_RELAXED);
}
static int hits(void) { return __atomic_load_n(&prog_hits, __ATOMIC_RELAXED); }

static void install_prog_handler(int signo)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = prog_handler;
    sigemptyset(&sa.sa_mask);
    CHECK_EQ(sigaction(signo, &sa, NULL), 0);
}

static bool has_prog_handler(int signo)
{
    struct sigaction sa;
    CHECK_EQ(sigaction(signo, NULL, &sa), 0);
    return !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == prog_handler;
}

/* Receive one int from c within 5 s (a loaded machine); -ETIMEDOUT else. */
static int recv_sig(grt_chan *c, int *v)
{
    grt_case cs = {.chan = c, .op = GRT_RECV, .elem = v};
    int r = grt_select(&cs, 1, grt_now() + 5 * 1000000000LL);
    return r == 0 ? cs.err : r;
}

static void *killer_thread(void *arg)
{
    int signo = *(int *)arg;
    usleep(300 * 1000); /* long enough for a deadlock check to have run */
    raise(signo);       /* to this thread, which grt did not create */
    return NULL;
}

static void raiser(void *arg)
{
    raise(*(int *)arg); /* to the thread running this goroutine */
    /* TSan runs a handler late, at the thread's next intercepted call;
     * give it one (elsewhere the handler has run already). */
    usleep(1000);
}

static void bad_input(void)
{
    grt_chan *c = grt_chan_make(sizeof(int), 1);
    grt_chan *wide = grt_chan_make(sizeof(int64_t), 1);
    grt_chan *none = grt_chan_make(0, 1);
    CHECK_EQ(grt_signal_notify(NULL, SIGUSR1), -EINVAL);
    CHECK_EQ(grt_signal_notify(wide, SIGUSR1), -EINVAL);
    CHECK_EQ(grt_signal_notify(none, SIGUSR1), -EINVAL);
    const int refused[] = {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGURG,
                           0, -1, _NSIG, 1000, 32, 33};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        CHECK_EQ(grt_signal_notify(c, refused[i]), -EINVAL);
    CHECK_EQ(grt_signal_stop(NULL), -EINVAL);
    CHECK_EQ(grt_signal_stop(c), 0); /* never registered: a no-op */
    /* Nothing refused changed a disposition or kept a reference. */
    CHECK(has_prog_handler(SIGUSR1));
    CHECK(has_prog_handler(SIGUSR2));
    grt_chan_release(c);
    grt_chan_release(wide);
    grt_chan_release(none);
}

static void main_delivery(void *arg)
{
    (void)arg;
    bad_input();
    int v = 0;

    /* kill to the process, two channels, two signals on one channel. */
    grt_chan *a = grt_chan_make(sizeof(int), 4);
    grt_chan *b = grt_chan_make(sizeof(int), 4);
    CHECK_EQ(grt_signal_notify(a, SIGUSR1), 0);
    CHECK_EQ(grt_signal_notify(a, SIGUSR1), 0); /* again: no-op */
    CHECK_EQ(grt_signal_notify(a, SIGUSR2), 0);
    CHECK_EQ(grt_signal_notify(b, SIGUSR1), 0);
    CHECK(!has_prog_handler(SIGUSR1));
    CHECK_EQ(grt_goroutines(), 1); /* no hidden goroutine */
    test_send_signal(SIGUSR1);
    CHECK_EQ(recv_sig(a, &v), 0);
    CHECK_EQ(v, SIGUSR1);
    CHECK_EQ(recv_sig(b, &v), 0);
    CHECK_EQ(v, SIGUSR1);
    test_send_signal(SIGUSR2);
    CHECK_EQ(recv_sig(a, &v), 0);
    CHECK_EQ(v, SIGUSR2);
    CHECK_EQ(grt_chan_len(b), 0); /* b does not want SIGUSR2 */

    /* raise in a goroutine (its own thread gets it). */
    int s1 = SIGUSR1;
    CHECK_EQ(grt_go(raiser, &s1), 0);
    CHECK_EQ(recv_sig(b, &v), 0);
    CHECK_EQ(v, SIGUSR1);
    CHECK_EQ(recv_sig(a, &v), 0);

    /* Drop when full: a has one free slot of... make it full first. */
    grt_chan *full = grt_chan_make(sizeof(int), 1);
    CHECK_EQ(grt_signal_notify(full, SIGUSR1), 0);
    for (int i = 0; i < 3; i++) {
        test_send_signal(SIGUSR1);
        CHECK_EQ(recv_sig(b, &v), 0); /* delivered everywhere each time */
        CHECK_EQ(recv_sig(a, &v), 0);
    }
    CHECK_EQ(grt_chan_len(full), 1); /* two dropped, the first kept */
    CHECK_EQ(grt_chan_tryrecv(full, &v), 0);
    CHECK_EQ(v, SIGUSR1);

    /* Stop: no more sends; the program's handler is back once nobody
     * wants the signal. */
    CHECK_EQ(grt_signal_stop(full), 0);
    CHECK_EQ(grt_signal_stop(b), 0);
    CHECK(!has_prog_handler(SIGUSR1)); /* a still wants it */
    CHECK_EQ(grt_signal_stop(a), 0);
    CHECK(has_prog_handler(SIGUSR1));
    CHECK(has_prog_handler(SIGUSR2));
    int h0 = hits();
    test_send_signal(SIGUSR1);
    for (int i = 0; i < 5000 && hits() == h0; i++)
        grt_sleep(1000000);
    CHECK_EQ(hits(), h0 + 1);
    grt_sleep(20 * 1000000);
    CHECK_EQ(grt_chan_len(a), 0);
    CHECK_EQ(grt_chan_len(b), 0);
    CHECK_EQ(grt_chan_len(full), 0);
    grt_chan_release(a);
    grt_chan_release(b);
    grt_chan_release(full);

    /* Only waiting, no other goroutine: not a deadlock while registered;
     * a thread grt did not create raises the signal. */
    grt_chan *w = grt_chan_make(sizeof(int), 1);
    CHECK_EQ(grt_signal_notify(w, SIGUSR2), 0);
    pthread_t t;
    int s2 = SIGUSR2;
    CHECK_EQ(pthread_create(&t, NULL, killer_thread, &s2), 0);
    CHECK_EQ(grt_chan_recv(w, &v), 0);
    CHECK_EQ(v, SIGUSR2);
    pthread_join(t, NULL);
    /* Left registered: grt_run's end puts the program's handler back. */
    grt_chan_release(w);
}

/* Subprocess: registered, then stopped, then everything waits: the
 * deadlock is reported (the poller's extra waiter went with the last
 * registration).  The stop comes from a goroutine that keeps running
 * while main waits, so an idle M sits in the poller, with nothing else to
 * wake it, when the registration goes. */
static void stopper(void *arg)
{
    int64_t end = grt_now() + 50 * 1000000LL;
    while (grt_now() < end)
        grt_yield();
    CHECK_EQ(grt_signal_stop(arg), 0);
}

static void main_deadlock_after_stop(void *arg)
{
    (void)arg;
    grt_chan *c = grt_chan_make(sizeof(int), 1);
    CHECK_EQ(grt_signal_notify(c, SIGUSR1), 0);
    CHECK_EQ(grt_go(stopper, c), 0);
    grt_chan_recv(c, NULL); /* nobody will ever send */
}

/* Subprocess: SIGQUIT registered and then left: the runtime's own SIGQUIT
 * dump is replaced while registered, and the default is back after. */
static void main_sigquit(void *arg)
{
    (void)arg;
    grt_chan *c = grt_chan_make(sizeof(int), 1);
    CHECK_EQ(grt_signal_notify(c, SIGQUIT), 0);
    test_send_signal(SIGQUIT);
    int v = 0;
    CHECK_EQ(recv_sig(c, &v), 0);
    CHECK_EQ(v, SIGQUIT);
    grt_chan_release(c);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "deadlock")) {
        test_run(2, main_deadlock_after_stop, NULL);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "sigquit")) {
        test_run(2, main_sigquit, NULL);
        struct sigaction sa;
        CHECK_EQ(sigaction(SIGQUIT, NULL, &sa), 0);
        CHECK(!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL);
        return 0;
    }
    grt_chan *c = grt_chan_make(sizeof(int), 1);
    CHECK_EQ(grt_signal_notify(c, SIGUSR1), -ESRCH); /* no runtime */
    CHECK_EQ(grt_signal_stop(c), 0);
    grt_chan_release(c);

    install_prog_handler(SIGUSR1);
    install_prog_handler(SIGUSR2);
    for (int run = 0; run < 2; run++) {
        test_run(run == 0 ? 2 : 1, main_delivery, NULL);
        CHECK(has_prog_handler(SIGUSR1));
        CHECK(has_prog_handler(SIGUSR2));
    }

    char buf[8192];
    int st = test_subprocess("deadlock", buf, sizeof buf, 30, NULL);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 2);
    CHECK_STR_CONTAINS(buf, "all goroutines are asleep - deadlock!");
    st = test_subprocess("sigquit", buf, sizeof buf, 30, NULL);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        TEST_FAIL("sigquit subprocess: status %d, stderr:\n%s", st, buf);
    printf("ok\n");
    return 0;
}
