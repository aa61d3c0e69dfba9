/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sem: grt_sem, x/sync/semaphore's weighted semaphore.
 *
 *  - FIFO: waiters are granted in arrival order; a large request at the
 *    head holds back a smaller one behind it even when the small one fits;
 *    tryacquire fails while others wait;
 *  - deadlines: a request times out with -ETIMEDOUT and leaves the queue,
 *    and the waiters behind it (blocked by it) are served;
 *  - many goroutines hammering a small semaphore never hold more than its
 *    capacity at once, and every unit comes back;
 *  - bad input: NULL, n < 0, n > capacity, release of more than is held,
 *    a negative capacity; outside goroutines a call that would wait is
 *    -EPERM and one that need not works.
 */
#include "grt_test.h"

#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#define MS GRT_MILLISECOND

static grt_sem s;
static grt_chan *order;

struct req {
    int64_t n, deadline;
    int     id;
    int64_t done_at; /* when grt_sem_acquire returned */
};

static void requester(void *p)
{
    struct req *r = p;
    int rc = grt_sem_acquire(&s, r->n, r->deadline);
    r->done_at = grt_now(); /* read after the message: the channel orders it */
    int msg = rc == 0 ? r->id : -r->id;
    CHECK_EQ(grt_chan_send(order, &msg), 0);
}

/* Wait until the goroutine called name is parked in the semaphore: the
 * FIFO checks depend on the order the requests queued in, which sleeping
 * cannot guarantee on a loaded machine. */
static void wait_queued(const char *name)
{
    char want[64];
    snprintf(want, sizeof want, "\"%s\" [semacquire", name);
    static char buf[1 << 16];
    int64_t end = grt_now() + 10 * GRT_SECOND;
    for (;;) {
        int fd = memfd_create("dump", MFD_CLOEXEC);
        CHECK(fd >= 0);
        CHECK_EQ(grt_dump(fd), 0);
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        close(fd);
        CHECK_GE(n, 0);
        buf[n] = 0;
        if (strstr(buf, want))
            return;
        if (grt_now() > end)
            TEST_FAIL("%s never queued", name);
        grt_sleep(MS);
    }
}

static void start(struct req *r, const char *name)
{
    grt_attr a = {.name = name};
    CHECK_EQ(grt_go_attr(requester, r, &a), 0);
    wait_queued(name);
}

static int next_msg(void)
{
    int v = 0;
    CHECK_EQ(grt_chan_recv(order, &v), 0);
    return v;
}

static void none_yet(void)
{
    grt_sleep(20 * MS);
    CHECK_EQ(grt_chan_len(order), 0u);
}

static void check_fifo(void)
{
    order = grt_chan_make(sizeof(int), 16);
    CHECK_EQ(grt_sem_init(&s, 10), 0);
    CHECK_EQ(grt_sem_acquire(&s, 10, GRT_FOREVER), 0);
    struct req big = {.n = 6, .deadline = GRT_FOREVER, .id = 1};
    struct req small = {.n = 1, .deadline = GRT_FOREVER, .id = 2};
    struct req mid = {.n = 3, .deadline = GRT_FOREVER, .id = 3};
    start(&big, "big");
    start(&small, "small");
    start(&mid, "mid");
    CHECK_EQ(grt_sem_release(&s, 5), 0); /* 5 free: the head wants 6 */
    none_yet();                          /* small fits but waits behind big */
    CHECK_EQ(grt_sem_tryacquire(&s, 1), -EAGAIN); /* others wait */
    CHECK_EQ(grt_sem_release(&s, 1), 0);  /* 6 free: big, then small does not fit */
    CHECK_EQ(next_msg(), 1);
    none_yet();
    CHECK_EQ(grt_sem_release(&s, 1), 0);  /* 1 free: small */
    CHECK_EQ(next_msg(), 2);
    none_yet();
    CHECK_EQ(grt_sem_release(&s, 3), 0);  /* 3 free: mid */
    CHECK_EQ(next_msg(), 3);
    CHECK_EQ(grt_sem_tryacquire(&s, 1), -EAGAIN); /* 10 held */
    CHECK_EQ(grt_sem_release(&s, 10), 0);
    CHECK_EQ(grt_sem_tryacquire(&s, 10), 0);
    CHECK_EQ(grt_sem_release(&s, 10), 0);
    CHECK_EQ(grt_sem_release(&s, 1), -EINVAL); /* nothing held */
    grt_chan_release(order);
}

static void check_deadline(void)
{
    order = grt_chan_make(sizeof(int), 16);
    CHECK_EQ(grt_sem_init(&s, 2), 0);
    CHECK_EQ(grt_sem_acquire(&s, 1, GRT_FOREVER), 0);
    /* a deadline in the past: no wait */
    CHECK_EQ(grt_sem_acquire(&s, 2, 0), -ETIMEDOUT);
    CHECK_EQ(grt_sem_acquire(&s, 2, grt_now() - 1), -ETIMEDOUT);
    int64_t t0 = grt_now();
    CHECK_EQ(grt_sem_acquire(&s, 2, t0 + 30 * MS), -ETIMEDOUT);
    CHECK_GE(grt_now(), t0 + 30 * MS);
    /* big (2) at the head with a deadline blocks small (1) until it gives up */
    /* (A deadline long enough for both to be seen queued on a loaded
     * machine: small must queue behind big, not find the unit free.) */
    struct req big = {.n = 2, .deadline = grt_now() + GRT_SECOND, .id = 1};
    struct req small = {.n = 1, .deadline = GRT_FOREVER, .id = 2};
    start(&big, "big");
    start(&small, "small");
    /* big timed out, and small got the free unit, but only then.  The
     * two messages may come in either order: big, giving up, hands the
     * unit to small before it sends its own. */
    int a = next_msg(), b = next_msg();
    CHECK((a == -1 && b == 2) || (a == 2 && b == -1));
    CHECK_GE(big.done_at, big.deadline);
    CHECK_GE(small.done_at, big.deadline);
    CHECK_EQ(grt_sem_release(&s, 2), 0);
    CHECK_EQ(grt_sem_tryacquire(&s, 2), 0);
    CHECK_EQ(grt_sem_release(&s, 2), 0);
    grt_chan_release(order);
}

static atomic_int held, max_held;
static grt_waitgroup hw;

static void hammer(void *arg)
{
    int64_t n = (int64_t)(intptr_t)arg;
    int64_t end = grt_now() + 300 * MS;
    for (int i = 0; i < 200 && grt_now() < end; i++) {
        CHECK_EQ(grt_sem_acquire(&s, n, GRT_FOREVER), 0);
        int h = atomic_fetch_add(&held, (int)n) + (int)n;
        int m = atomic_load(&max_held);
        while (h > m && !atomic_compare_exchange_weak(&max_held, &m, h)) {
        }
        if (i % 3 == 0)
            grt_yield();
        atomic_fetch_sub(&held, (int)n);
        CHECK_EQ(grt_sem_release(&s, n), 0);
    }
    CHECK_EQ(grt_waitgroup_done(&hw), 0);
}

static void check_hammer(void)
{
    CHECK_EQ(grt_sem_init(&s, 4), 0);
    atomic_store(&max_held, 0);
    for (int i = 0; i < 32; i++) {
        CHECK_EQ(grt_waitgroup_add(&hw, 1), 0);
        CHECK_EQ(grt_go(hammer, (void *)(intptr_t)(1 + i % 4)), 0);
    }
    CHECK_EQ(grt_waitgroup_wait(&hw), 0);
    CHECK_LE(atomic_load(&max_held), 4);
    CHECK_GE(atomic_load(&max_held), 1);
    CHECK_EQ(grt_sem_tryacquire(&s, 4), 0); /* every unit came back */
    CHECK_EQ(grt_sem_release(&s, 4), 0);
}

static void check_bad_input(void)
{
    CHECK_EQ(grt_sem_init(NULL, 1), -EINVAL);
    CHECK_EQ(grt_sem_init(&s, -1), -EINVAL);
    CHECK_EQ(grt_sem_init(&s, 3), 0);
    CHECK_EQ(grt_sem_acquire(NULL, 1, GRT_FOREVER), -EINVAL);
    CHECK_EQ(grt_sem_acquire(&s, -1, GRT_FOREVER), -EINVAL);
    CHECK_EQ(grt_sem_acquire(&s, 4, GRT_FOREVER), -EINVAL); /* > capacity */
    CHECK_EQ(grt_sem_tryacquire(NULL, 1), -EINVAL);
    CHECK_EQ(grt_sem_tryacquire(&s, -1), -EINVAL);
    CHECK_EQ(grt_sem_tryacquire(&s, 4), -EINVAL);
    CHECK_EQ(grt_sem_release(NULL, 1), -EINVAL);
    CHECK_EQ(grt_sem_release(&s, -1), -EINVAL);
    CHECK_EQ(grt_sem_acquire(&s, 2, GRT_FOREVER), 0);
    CHECK_EQ(grt_sem_release(&s, 3), -EINVAL); /* more than held: nothing lost */
    CHECK_EQ(grt_sem_tryacquire(&s, 2), -EAGAIN);
    CHECK_EQ(grt_sem_tryacquire(&s, 1), 0);
    CHECK_EQ(grt_sem_release(&s, 3), 0);
    CHECK_EQ(grt_sem_acquire(&s, 0, GRT_FOREVER), 0); /* zero is always there */
    grt_sem z = GRT_SEM_INIT(0), zero;
    memset(&zero, 0, sizeof zero);
    CHECK_EQ(grt_sem_acquire(&z, 1, GRT_FOREVER), -EINVAL);
    CHECK_EQ(grt_sem_tryacquire(&zero, 0), 0);
    CHECK_EQ(grt_sem_tryacquire(&zero, 1), -EINVAL);
}

static void main_fn(void *arg)
{
    (void)arg;
    check_fifo();
    check_deadline();
    check_hammer();
    check_bad_input();
}

int main(void)
{
    static grt_sem st = GRT_SEM_INIT(2);
    CHECK_EQ(grt_sem_acquire(&st, 2, GRT_FOREVER), 0); /* no wait needed */
    CHECK_EQ(grt_sem_acquire(&st, 1, GRT_FOREVER), -EPERM); /* would wait */
    CHECK_EQ(grt_sem_acquire(&st, 1, 0), -ETIMEDOUT);
    CHECK_EQ(grt_sem_tryacquire(&st, 1), -EAGAIN);
    CHECK_EQ(grt_sem_release(&st, 2), 0);
    test_run(1, main_fn, NULL);
    test_run(2, main_fn, NULL);
    printf("ok\n");
    return 0;
}
