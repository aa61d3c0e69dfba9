/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_preempt_syscall.c - system calls stay correct under the preemption
 * signal.
 *
 * SIGURG is installed with SA_RESTART and grt retries EINTR itself, and
 * the signal is sent only to threads running user code (DESIGN.md section
 * 7; golang/go#38290).  Here, with preemption requested every 50 us
 * (GRT_DEBUG=preemptstress) and two spinning goroutines to make it bite:
 *   - a goroutine reads 4 MiB from a pipe through grt_read, written in
 *     uneven pieces by another goroutine through grt_write, and checks
 *     every byte and the byte count;
 *   - a goroutine does plain blocking read(2) calls inside
 *     grt_syscall_enter/exit on a second pipe fed slowly by a thread grt
 *     did not create, and must never see EINTR or a short count it did
 *     not expect.
 */
#include "grt_test.h"

#include <fcntl.h>
#include <pthread.h>

#define TOTAL (4 << 20)

static int p1[2], p2[2];
static int stop_spin;

static uint8_t byte_at(size_t i) { return (uint8_t)(i * 7 + (i >> 12)); }

static void writer(void *arg)
{
    grt_waitgroup *wg = arg;
    static uint8_t buf[65536];
    size_t off = 0;
    uint32_t x = 12345;
    while (off < TOTAL) {
        x = x * 1103515245u + 12345u;
        size_t n = 1 + (x >> 8) % sizeof buf;
        if (n > TOTAL - off)
            n = TOTAL - off;
        for (size_t i = 0; i < n; i++)
            buf[i] = byte_at(off + i);
        ssize_t w = grt_write(p1[1], buf, n);
        CHECK_EQ(w, (ssize_t)n);
        off += n;
    }
    CHECK_EQ(grt_close(p1[1]), 0);
    grt_waitgroup_done(wg);
}

static void reader(void *arg)
{
    grt_waitgroup *wg = arg;
    static uint8_t buf[70000];
    size_t off = 0;
    for (;;) {
        ssize_t r = grt_read(p1[0], buf, (off % 3) ? sizeof buf : 100);
        if (r == 0)
            break;
        if (r < 0)
            TEST_FAIL("grt_read: %zd (%s)", r, strerror((int)-r));
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] != byte_at(off + (size_t)i))
                TEST_FAIL("byte %zu: got %u want %u", off + (size_t)i, buf[i], byte_at(off + (size_t)i));
        off += (size_t)r;
    }
    CHECK_EQ(off, TOTAL);
    CHECK_EQ(grt_close(p1[0]), 0);
    grt_waitgroup_done(wg);
}

/* A thread grt did not create writes 200 numbered words, 200 us apart. */
static void *slow_feeder(void *arg)
{
    (void)arg;
    for (uint32_t i = 0; i < 200; i++) {
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
        ssize_t w = write(p2[1], &i, sizeof i);
        if (w != (ssize_t)sizeof i)
            TEST_FAIL("feeder write: %zd", w);
    }
    close(p2[1]);
    return NULL;
}

static void blocking_reader(void *arg)
{
    grt_waitgroup *wg = arg;
    uint32_t want = 0;
    for (;;) {
        uint32_t v;
        grt_syscall_enter();
        ssize_t r = read(p2[0], &v, sizeof v);
        int e = errno;
        grt_syscall_exit();
        if (r == 0)
            break;
        if (r < 0)
            TEST_FAIL("read in grt_syscall_enter/exit: %s", strerror(e));
        CHECK_EQ(r, (ssize_t)sizeof v);
        CHECK_EQ(v, want);
        want++;
    }
    CHECK_EQ(want, 200);
    grt_waitgroup_done(wg);
}

static void spin(void *arg)
{
    grt_waitgroup *wg = arg;
    while (!__atomic_load_n(&stop_spin, __ATOMIC_RELAXED)) {
    }
    grt_waitgroup_done(wg);
}

static void main_g(void *arg)
{
    (void)arg;
    CHECK_EQ(pipe2(p1, O_CLOEXEC), 0);
    CHECK_EQ(pipe2(p2, O_CLOEXEC), 0);
    stop_spin = 0;
    grt_waitgroup io = GRT_WAITGROUP_INIT, sp = GRT_WAITGROUP_INIT;
    grt_waitgroup_add(&io, 3);
    grt_waitgroup_add(&sp, 2);
    CHECK_EQ(grt_go(spin, &sp), 0);
    CHECK_EQ(grt_go(spin, &sp), 0);
    CHECK_EQ(grt_go(reader, &io), 0);
    CHECK_EQ(grt_go(writer, &io), 0);
    CHECK_EQ(grt_go(blocking_reader, &io), 0);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, slow_feeder, NULL), 0);
    grt_waitgroup_wait(&io);
    __atomic_store_n(&stop_spin, 1, __ATOMIC_RELAXED);
    grt_waitgroup_wait(&sp);
    grt_syscall_enter();
    pthread_join(th, NULL);
    grt_syscall_exit();
    close(p2[0]);
    grt_stats st;
    CHECK_EQ(grt_stats_get(&st), 0);
    printf("procs=%lld: 4 MiB through grt_read/grt_write and 200 blocking reads intact, "
           "%lld preemptions\n", (long long)st.procs, (long long)st.preemptions);
    CHECK_GE(st.preemptions, 10);
}

int main(void)
{
#ifdef GRT_TSAN
    /* TSan defers asynchronous signals until the thread enters one of its
     * interceptors, so the spinners are never preempted and, with one P,
     * the readers would never run. */
    TEST_SKIP("signal-based preemption cannot be observed under TSan");
#endif
    setenv("GRT_DEBUG", "preemptstress=50", 1);
    test_run(1, main_g, NULL);
    test_run(2, main_g, NULL);
    return 0;
}
