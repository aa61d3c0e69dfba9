/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_chan_close: close semantics.
 *
 *  - close wakes every blocked receiver (-EPIPE, element zero-filled) and
 *    every blocked sender (-EPIPE), unbuffered and buffered;
 *  - receives after close drain the buffer in order, then return -EPIPE
 *    with a zeroed element, blocking and non-blocking alike;
 *  - sends after close (blocking or not) return -EPIPE and change nothing;
 *  - a second close returns -EPIPE;
 *  - close racing with a stream of sends and receives loses nothing: every
 *    value a sender was told was sent is received exactly once.
 */
#include "grt_test.h"

#include <stdatomic.h>
#include <stdbool.h>

enum { NWAITERS = 100 };

struct waiter {
    grt_chan  *c;
    grt_chan  *done;
    atomic_int *epipe;
};

static void blocked_receiver(void *arg)
{
    struct waiter *w = arg;
    int64_t v[4] = {-1, -1, -1, -1};
    int rc = grt_chan_recv(w->c, v);
    if (rc == -EPIPE) {
        for (int i = 0; i < 4; i++)
            CHECK_EQ(v[i], 0);
        atomic_fetch_add(w->epipe, 1);
    } else {
        TEST_FAIL("blocked receiver: rc %d", rc);
    }
    CHECK_EQ(grt_chan_send(w->done, NULL), 0);
}

static void blocked_sender(void *arg)
{
    struct waiter *w = arg;
    int64_t v[4] = {1, 2, 3, 4};
    int rc = grt_chan_send(w->c, v);
    if (rc == -EPIPE)
        atomic_fetch_add(w->epipe, 1);
    else if (rc != 0)
        TEST_FAIL("blocked sender: rc %d", rc);
    CHECK_EQ(grt_chan_send(w->done, NULL), 0);
}

static void wait_parked(void)
{
    /* Every waiter was started by this goroutine and the others are asleep:
     * a few sleeps are enough for all of them to reach their park.  The
     * checks hold even if some have not (they then find the channel closed). */
    for (int i = 0; i < 5; i++)
        grt_sleep(2 * 1000 * 1000);
}

static void check_close_wakes(size_t cap, bool senders)
{
    grt_chan *c = grt_chan_make(4 * sizeof(int64_t), cap);
    grt_chan *done = grt_chan_make(0, NWAITERS);
    atomic_int epipe = 0;
    struct waiter w = {c, done, &epipe};
    if (senders) {
        /* fill the buffer first so that the senders block */
        int64_t v[4] = {9, 9, 9, 9};
        for (size_t i = 0; i < cap; i++)
            CHECK_EQ(grt_chan_send(c, v), 0);
    }
    for (int i = 0; i < NWAITERS; i++)
        CHECK_EQ(grt_go(senders ? blocked_sender : blocked_receiver, &w), 0);
    wait_parked();
    CHECK_EQ(atomic_load(&epipe), 0);
    CHECK_EQ(grt_chan_close(c), 0);
    for (int i = 0; i < NWAITERS; i++)
        CHECK_EQ(grt_chan_recv(done, NULL), 0);
    CHECK_EQ(atomic_load(&epipe), NWAITERS);
    if (senders) {
        /* the buffered values survive the close */
        CHECK_EQ(grt_chan_len(c), cap);
        int64_t v[4];
        for (size_t i = 0; i < cap; i++) {
            CHECK_EQ(grt_chan_recv(c, v), 0);
            CHECK_EQ(v[0], 9);
        }
        CHECK_EQ(grt_chan_recv(c, v), -EPIPE);
    }
    CHECK_EQ(grt_chan_close(c), -EPIPE);
    grt_chan_release(c);
    grt_chan_release(done);
}

static void check_drain(void)
{
    grt_chan *c = grt_chan_make(sizeof(int), 8);
    for (int i = 1; i <= 5; i++)
        CHECK_EQ(grt_chan_send(c, &i), 0);
    CHECK_EQ(grt_chan_close(c), 0);
    CHECK_EQ(grt_chan_close(c), -EPIPE);
    int v = 100;
    CHECK_EQ(grt_chan_send(c, &v), -EPIPE);
    CHECK_EQ(grt_chan_trysend(c, &v), -EPIPE);
    CHECK_EQ(grt_chan_len(c), 5);
    for (int i = 1; i <= 5; i++) {
        v = -1;
        CHECK_EQ(i % 2 ? grt_chan_recv(c, &v) : grt_chan_tryrecv(c, &v), 0);
        CHECK_EQ(v, i);
    }
    CHECK_EQ(grt_chan_len(c), 0);
    for (int k = 0; k < 3; k++) {
        v = 55;
        CHECK_EQ(grt_chan_recv(c, &v), -EPIPE);
        CHECK_EQ(v, 0);
        v = 55;
        CHECK_EQ(grt_chan_tryrecv(c, &v), -EPIPE);
        CHECK_EQ(v, 0);
        CHECK_EQ(grt_chan_recv(c, NULL), -EPIPE);
    }
    grt_chan_release(c);

    /* unbuffered and signal channels */
    grt_chan *u = grt_chan_make(sizeof(int), 0);
    CHECK_EQ(grt_chan_close(u), 0);
    v = 9;
    CHECK_EQ(grt_chan_tryrecv(u, &v), -EPIPE);
    CHECK_EQ(v, 0);
    CHECK_EQ(grt_chan_send(u, &v), -EPIPE);
    grt_chan_release(u);
    grt_chan *s = grt_chan_make(0, 0);
    CHECK_EQ(grt_chan_close(s), 0);
    CHECK_EQ(grt_chan_recv(s, NULL), -EPIPE);
    CHECK_EQ(grt_chan_trysend(s, NULL), -EPIPE);
    grt_chan_release(s);
}

/* --- close racing with traffic ----------------------------------------- */

enum { RACE_SENDERS = 4, RACE_RECEIVERS = 4 };

struct race {
    grt_chan   *c;
    grt_chan   *done;
    atomic_llong sent_sum, sent_n, recv_sum, recv_n;
    int64_t     per_sender;
};

static struct race race;

static void race_sender(void *arg)
{
    int64_t id = (int64_t)(intptr_t)arg;
    for (int64_t i = 0; i < race.per_sender; i++) {
        int64_t v = id * race.per_sender + i + 1;
        int rc = (i & 1) ? grt_chan_send(race.c, &v) : grt_chan_trysend(race.c, &v);
        if (rc == 0) {
            atomic_fetch_add(&race.sent_sum, v);
            atomic_fetch_add(&race.sent_n, 1);
        } else if (rc == -EPIPE) {
            break;
        } else if (rc != -EAGAIN) {
            TEST_FAIL("race sender: rc %d", rc);
        }
    }
    CHECK_EQ(grt_chan_send(race.done, NULL), 0);
}

static void race_receiver(void *arg)
{
    (void)arg;
    for (;;) {
        int64_t v = -1;
        int rc = grt_chan_recv(race.c, &v);
        if (rc == -EPIPE) {
            CHECK_EQ(v, 0);
            break;
        }
        CHECK_EQ(rc, 0);
        CHECK_GT(v, 0);
        atomic_fetch_add(&race.recv_sum, v);
        atomic_fetch_add(&race.recv_n, 1);
    }
    CHECK_EQ(grt_chan_send(race.done, NULL), 0);
}

static void check_close_race(size_t cap, int64_t close_after_ns)
{
    race.c = grt_chan_make(sizeof(int64_t), cap);
    race.done = grt_chan_make(0, RACE_SENDERS + RACE_RECEIVERS);
    race.per_sender = test_scale(200000);
    atomic_store(&race.sent_sum, 0);
    atomic_store(&race.sent_n, 0);
    atomic_store(&race.recv_sum, 0);
    atomic_store(&race.recv_n, 0);
    for (intptr_t i = 0; i < RACE_SENDERS; i++)
        CHECK_EQ(grt_go(race_sender, (void *)i), 0);
    for (int i = 0; i < RACE_RECEIVERS; i++)
        CHECK_EQ(grt_go(race_receiver, NULL), 0);
    grt_sleep(close_after_ns);
    CHECK_EQ(grt_chan_close(race.c), 0);
    for (int i = 0; i < RACE_SENDERS + RACE_RECEIVERS; i++)
        CHECK_EQ(grt_chan_recv(race.done, NULL), 0);
    CHECK_EQ(atomic_load(&race.recv_n), atomic_load(&race.sent_n));
    CHECK_EQ(atomic_load(&race.recv_sum), atomic_load(&race.sent_sum));
    CHECK_EQ(grt_chan_len(race.c), 0);
    grt_chan_release(race.c);
    grt_chan_release(race.done);
}

static void main_fn(void *arg)
{
    (void)arg;
    check_drain();
    check_close_wakes(0, false);
    check_close_wakes(0, true);
    check_close_wakes(3, false);
    check_close_wakes(3, true);
    for (int i = 0; i < 4; i++) {
        check_close_race(0, i * 1000 * 1000);
        check_close_race(16, i * 1000 * 1000);
    }
}

int main(void)
{
    test_run(1, main_fn, NULL);
    test_run(2, main_fn, NULL);
    test_run(4, main_fn, NULL);
    printf("ok\n");
    return 0;
}
