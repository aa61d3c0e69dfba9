/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_chan_basic: the channel contract other than close.
 *
 *  - bad inputs: NULL channel (-EINVAL everywhere, len/cap 0), oversized
 *    elements and overflowing buffers (NULL + EINVAL), a send of NULL with
 *    a non-zero element size (-EINVAL) -- and a failed call changes nothing;
 *  - FIFO order and capacity of buffered channels, len/cap;
 *  - an unbuffered send completes only when a receiver takes the value,
 *    and a buffered one blocks exactly when the buffer is full;
 *  - element sizes 0 (signals), 1, 64 KiB and 1 MiB (the limit) through the
 *    buffer and through direct hand-off;
 *  - recv with a NULL element discards;
 *  - blocking calls outside a goroutine return -EPERM; the non-blocking
 *    ones work even before grt_run;
 *  - a goroutine parked on a channel keeps it alive after the last user
 *    reference is released (ASan catches a use after free).
 */
#include "grt_test.h"

#include <pthread.h>
#include <stdatomic.h>

static void check_errors(void)
{
    int v = 7;
    CHECK_EQ(grt_chan_send(NULL, &v), -EINVAL);
    CHECK_EQ(grt_chan_recv(NULL, &v), -EINVAL);
    CHECK_EQ(grt_chan_trysend(NULL, &v), -EINVAL);
    CHECK_EQ(grt_chan_tryrecv(NULL, &v), -EINVAL);
    CHECK_EQ(grt_chan_close(NULL), -EINVAL);
    CHECK_EQ(grt_chan_len(NULL), 0);
    CHECK_EQ(grt_chan_cap(NULL), 0);
    CHECK(grt_chan_retain(NULL) == NULL);
    grt_chan_release(NULL);
    CHECK_EQ(v, 7);

    errno = 0;
    CHECK(grt_chan_make(((size_t)1 << 20) + 1, 1) == NULL);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(grt_chan_make(16, SIZE_MAX / 8) == NULL);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(grt_chan_make(1, SIZE_MAX - 8) == NULL);
    CHECK_EQ(errno, EINVAL);

    /* signals: any capacity, no buffer memory */
    grt_chan *s = grt_chan_make(0, SIZE_MAX / 2);
    CHECK(s != NULL);
    CHECK_EQ(grt_chan_cap(s), SIZE_MAX / 2);
    for (int i = 0; i < 1000; i++)
        CHECK_EQ(grt_chan_trysend(s, NULL), 0);
    CHECK_EQ(grt_chan_len(s), 1000);
    for (int i = 0; i < 1000; i++)
        CHECK_EQ(grt_chan_recv(s, NULL), 0);
    CHECK_EQ(grt_chan_tryrecv(s, NULL), -EAGAIN);
    grt_chan_release(s);

    /* NULL element with a non-zero size: rejected, nothing queued */
    grt_chan *c = grt_chan_make(sizeof(int), 4);
    CHECK_EQ(grt_chan_send(c, NULL), -EINVAL);
    CHECK_EQ(grt_chan_trysend(c, NULL), -EINVAL);
    CHECK_EQ(grt_chan_len(c), 0);
    /* ... but a receive may discard */
    v = 5;
    CHECK_EQ(grt_chan_send(c, &v), 0);
    CHECK_EQ(grt_chan_recv(c, NULL), 0);
    CHECK_EQ(grt_chan_len(c), 0);
    grt_chan_release(c);
}

static void check_fifo(void)
{
    enum { CAP = 100 };
    grt_chan *c = grt_chan_make(sizeof(int), CAP);
    CHECK_EQ(grt_chan_cap(c), CAP);
    for (int i = 0; i < CAP; i++) {
        CHECK_EQ(grt_chan_len(c), i);
        CHECK_EQ(grt_chan_send(c, &i), 0);
    }
    /* full: a failed send leaves everything as it was */
    int extra = 12345;
    CHECK_EQ(grt_chan_trysend(c, &extra), -EAGAIN);
    CHECK_EQ(grt_chan_len(c), CAP);
    for (int i = 0; i < CAP; i++) {
        int v = -1;
        CHECK_EQ(grt_chan_recv(c, &v), 0);
        CHECK_EQ(v, i);
    }
    int v = 99;
    CHECK_EQ(grt_chan_tryrecv(c, &v), -EAGAIN);
    CHECK_EQ(v, 99); /* untouched */
    /* wrap around the ring many times, at varying fill levels */
    int expect = 0;
    for (int i = 0; i < 10 * CAP; i++) {
        CHECK_EQ(grt_chan_trysend(c, &i), 0);
        if (grt_chan_len(c) > 60 || i % 7 == 0) {
            CHECK_EQ(grt_chan_tryrecv(c, &v), 0);
            CHECK_EQ(v, expect++);
        }
    }
    while (grt_chan_tryrecv(c, &v) == 0)
        CHECK_EQ(v, expect++);
    CHECK_EQ(expect, 10 * CAP);
    grt_chan_release(c);
}

/* --- unbuffered rendezvous and buffered capacity ---------------------- */

static atomic_int sends_done;

struct sender {
    grt_chan *c;
    int       n;
    grt_chan *done;
};

static void sender_fn(void *arg)
{
    struct sender *s = arg;
    for (int i = 0; i < s->n; i++) {
        CHECK_EQ(grt_chan_send(s->c, &i), 0);
        atomic_fetch_add(&sends_done, 1);
    }
    CHECK_EQ(grt_chan_send(s->done, NULL), 0);
}

static void check_rendezvous(size_t cap)
{
    grt_chan *c = grt_chan_make(sizeof(int), cap);
    grt_chan *done = grt_chan_make(0, 1);
    atomic_store(&sends_done, 0);
    struct sender s = {c, (int)cap + 3, done};
    CHECK_EQ(grt_go(sender_fn, &s), 0);
    for (int k = 0; k < 3; k++) {
        /* The sender may complete exactly cap sends plus the k that have
         * been received: wait until it has, then give it every chance to
         * run further ahead, and check that it did not. */
        int64_t until = grt_now() + 10LL * 1000 * 1000 * 1000;
        while (atomic_load(&sends_done) < (int)cap + k && grt_now() < until)
            grt_sleep(100 * 1000);
        for (int i = 0; i < 20; i++)
            grt_yield();
        grt_sleep(10 * 1000 * 1000);
        CHECK_EQ(atomic_load(&sends_done), (int)cap + k);
        CHECK_EQ(grt_chan_len(c), cap);
        int v = -1;
        CHECK_EQ(grt_chan_recv(c, &v), 0);
        CHECK_EQ(v, k);
    }
    for (int k = 3; k < (int)cap + 3; k++) {
        int v = -1;
        CHECK_EQ(grt_chan_recv(c, &v), 0);
        CHECK_EQ(v, k);
    }
    CHECK_EQ(grt_chan_recv(done, NULL), 0);
    CHECK_EQ(atomic_load(&sends_done), (int)cap + 3);
    CHECK_EQ(grt_chan_tryrecv(c, NULL), -EAGAIN);
    grt_chan_release(c);
    grt_chan_release(done);
}

/* An unbuffered trysend succeeds only into a parked receiver. */
static void receiver_fn(void *arg)
{
    grt_chan **cs = arg;
    int v = 0;
    CHECK_EQ(grt_chan_recv(cs[0], &v), 0);
    CHECK_EQ(grt_chan_send(cs[1], &v), 0);
}

static void check_unbuffered_try(void)
{
    grt_chan *c = grt_chan_make(sizeof(int), 0);
    grt_chan *back = grt_chan_make(sizeof(int), 1);
    int v = 42;
    CHECK_EQ(grt_chan_trysend(c, &v), -EAGAIN);
    CHECK_EQ(grt_chan_tryrecv(c, &v), -EAGAIN);
    grt_chan *cs[2] = {c, back};
    CHECK_EQ(grt_go(receiver_fn, cs), 0);
    int rc;
    int64_t until = grt_now() + 10LL * 1000 * 1000 * 1000;
    while ((rc = grt_chan_trysend(c, &v)) == -EAGAIN && grt_now() < until)
        grt_yield();
    CHECK_EQ(rc, 0);
    int got = 0;
    CHECK_EQ(grt_chan_recv(back, &got), 0);
    CHECK_EQ(got, 42);
    grt_chan_release(c);
    grt_chan_release(back);
}

/* --- element sizes ----------------------------------------------------- */

struct big_args {
    grt_chan *c;
    size_t    size;
    int       n;
    grt_chan *done;
};

static void fill(unsigned char *p, size_t n, int seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 31 + (size_t)seed * 7 + 1);
}

static void big_sender(void *arg)
{
    struct big_args *a = arg;
    unsigned char *buf = malloc(a->size ? a->size : 1);
    for (int k = 0; k < a->n; k++) {
        fill(buf, a->size, k);
        CHECK_EQ(grt_chan_send(a->c, buf), 0);
    }
    free(buf);
    CHECK_EQ(grt_chan_send(a->done, NULL), 0); /* last use of *a */
}

static void check_size(size_t size, size_t cap)
{
    grt_chan *c = grt_chan_make(size, cap);
    CHECK(c != NULL);
    struct big_args a = {c, size, 6, grt_chan_make(0, 1)};
    CHECK_EQ(grt_go(big_sender, &a), 0);
    unsigned char *got = malloc(size ? size : 1), *want = malloc(size ? size : 1);
    for (int k = 0; k < a.n; k++) {
        if (k % 2)
            grt_sleep(1000 * 1000); /* let the sender park: direct hand-off */
        memset(got, 0xEE, size);
        CHECK_EQ(grt_chan_recv(c, got), 0);
        fill(want, size, k);
        if (size && memcmp(got, want, size) != 0)
            TEST_FAIL("element %d of size %zu (cap %zu) corrupted", k, size, cap);
    }
    CHECK_EQ(grt_chan_recv(a.done, NULL), 0);
    free(got);
    free(want);
    grt_chan_release(a.done);
    grt_chan_release(c);
}

/* --- outside goroutines -------------------------------------------------- */

static void *foreign_blocking(void *arg)
{
    grt_chan *c = arg;
    int v = 1;
    CHECK_EQ(grt_chan_send(c, &v), -EPERM);
    CHECK_EQ(grt_chan_recv(c, &v), -EPERM);
    CHECK_EQ(grt_chan_len(c), 0); /* the refused send queued nothing */
    CHECK_EQ(grt_chan_trysend(c, &v), 0);
    CHECK_EQ(grt_chan_tryrecv(c, &v), 0);
    return NULL;
}

static void check_foreign_eperm(void)
{
    grt_chan *c = grt_chan_make(sizeof(int), 1);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, foreign_blocking, c), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    grt_chan_release(c);
}

/* --- lifetime ------------------------------------------------------------ */

static void parked_select(void *arg)
{
    grt_chan *c = arg;
    int v = 0;
    grt_case cs[1] = {{c, GRT_RECV, &v, 0}};
    /* Times out long after main dropped its reference. */
    CHECK_EQ(grt_select(cs, 1, grt_now() + 50 * 1000 * 1000), -ETIMEDOUT);
}

static void parked_recv(void *arg)
{
    grt_chan *c = arg;
    int v = 0;
    CHECK_EQ(grt_chan_recv(c, &v), 0);
    CHECK_EQ(v, 77);
    grt_chan_release(c); /* the reference main handed over */
}

static void check_lifetime(void)
{
    grt_chan *c = grt_chan_make(sizeof(int), 0);
    CHECK(grt_chan_retain(c) == c);
    grt_chan_release(c);
    CHECK_EQ(grt_go(parked_select, c), 0);
    grt_sleep(5 * 1000 * 1000);
    grt_chan_release(c); /* the parked select still holds the channel */
    grt_sleep(100 * 1000 * 1000);

    grt_chan *d = grt_chan_make(sizeof(int), 0);
    grt_chan *d2 = grt_chan_retain(d);
    CHECK_EQ(grt_go(parked_recv, d2), 0);
    grt_sleep(5 * 1000 * 1000);
    int v = 77;
    CHECK_EQ(grt_chan_send(d, &v), 0);
    grt_chan_release(d);
    grt_sleep(5 * 1000 * 1000);
}

static void main_fn(void *arg)
{
    (void)arg;
    check_errors();
    check_fifo();
    check_rendezvous(0);
    check_rendezvous(1);
    check_rendezvous(5);
    check_unbuffered_try();
    check_size(0, 0);
    check_size(0, 4);
    check_size(1, 0);
    check_size(1, 3);
    check_size(64 * 1024, 0);
    check_size(64 * 1024, 2);
    check_size((size_t)1 << 20, 0);
    check_size((size_t)1 << 20, 1);
    check_foreign_eperm();
    check_lifetime();
}

int main(void)
{
    /* Non-blocking forms work with no runtime at all; blocking ones say
     * -EPERM. */
    grt_chan *c = grt_chan_make(sizeof(int), 2);
    int v = 3;
    CHECK_EQ(grt_chan_send(c, &v), -EPERM);
    CHECK_EQ(grt_chan_trysend(c, &v), 0);
    CHECK_EQ(grt_chan_tryrecv(c, &v), 0);
    CHECK_EQ(v, 3);
    CHECK_EQ(grt_chan_recv(c, &v), -EPERM);
    grt_chan_release(c);

    test_run(1, main_fn, NULL);
    test_run(2, main_fn, NULL);
    printf("ok\n");
    return 0;
}
