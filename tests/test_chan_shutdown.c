/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_chan_shutdown: goroutines still blocked when grt_run returns.
 *
 * They are abandoned (API.md), but what they were blocked on may outlive
 * the run: a channel the program still holds must come out of it clean (no
 * phantom waiter: an unbuffered trysend says -EAGAIN, a tryrecv too) and be
 * freed by the program's last release (LeakSanitizer checks in the ASan
 * build); the semaphore table must not keep the abandoned waiters, so a
 * second run can use mutexes and waitgroups as before.  Run three times.
 */
#include "grt_test.h"

static grt_chan *kept;     /* survives the run */
static grt_mutex held;     /* locked for ever in the run */
static grt_chan *dropped;  /* released by the program while waiters park */
static atomic_int started; /* goroutines about to block */

static void blocked_recv(void *arg)
{
    (void)arg;
    int v;
    atomic_fetch_add(&started, 1);
    grt_chan_recv(kept, &v);
}

static void blocked_send(void *arg)
{
    grt_chan *c = arg;
    int v = 1;
    atomic_fetch_add(&started, 1);
    grt_chan_send(c, &v);
}

static void blocked_select(void *arg)
{
    (void)arg;
    int v = 2;
    grt_case cs[3] = {{kept, GRT_RECV, &v, 0}, {kept, GRT_SEND, &v, 0}, {dropped, GRT_RECV, &v, 0}};
    atomic_fetch_add(&started, 1);
    grt_select(cs, 3, GRT_FOREVER);
}

static void blocked_lock(void *arg)
{
    (void)arg;
    atomic_fetch_add(&started, 1);
    grt_mutex_lock(&held);
}

static void main_fn(void *arg)
{
    (void)arg;
    atomic_store(&started, 0);
    dropped = grt_chan_make(sizeof(int), 0);
    /* before the lockers exist: they must all block, not this goroutine */
    CHECK_EQ(grt_mutex_lock(&held), 0);
    for (int i = 0; i < 10; i++) {
        CHECK_EQ(grt_go(blocked_recv, NULL), 0);
        CHECK_EQ(grt_go(blocked_select, NULL), 0);
        CHECK_EQ(grt_go(blocked_send, dropped), 0);
        CHECK_EQ(grt_go(blocked_lock, NULL), 0);
    }
    /* Everybody parks: only a goroutine parked on dropped holds it (its
     * sudog's reference); one that had not got that far would use it
     * after the release below.  A slow build (TSan) can take more than a
     * fixed sleep to start forty goroutines, so wait for all of them to
     * be on their way, then give them time to park. */
    while (atomic_load(&started) < 40)
        grt_sleep(1000 * 1000);
    grt_sleep(20 * 1000 * 1000);
    grt_chan_release(dropped);   /* the parked goroutines keep it alive */

    /* mutexes and waitgroups in this run work, whatever the previous run
     * left in the semaphore table */
    grt_mutex m = GRT_MUTEX_INIT;
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    CHECK_EQ(grt_mutex_lock(&m), 0);
    CHECK_EQ(grt_mutex_unlock(&m), 0);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
}

int main(void)
{
    for (int run = 0; run < 3; run++) {
        kept = grt_chan_make(sizeof(int), 0);
        memset(&held, 0, sizeof held);
        test_run(2, main_fn, NULL);
        int v = 5;
        CHECK_EQ(grt_chan_trysend(kept, &v), -EAGAIN); /* no receiver left */
        CHECK_EQ(grt_chan_tryrecv(kept, &v), -EAGAIN); /* no sender left */
        CHECK_EQ(grt_chan_close(kept), 0);
        CHECK_EQ(grt_chan_tryrecv(kept, &v), -EPIPE);
        grt_chan_release(kept);
    }
    printf("ok\n");
    return 0;
}
