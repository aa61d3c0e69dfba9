/* SPDX-License-Identifier: BSD-3-Clause */
/* grt_offload: blocking calls overlap on one P while a heartbeat keeps
 * ticking; bad input; off-goroutine direct call; the pool's limit, FIFO
 * order, retirement and release at grt_run's end; stats and dump; a
 * goroutine waiting for an offload is not a deadlock; an abandoned wait
 * (the deadline form grt_dial uses) never touches the waiter's memory;
 * a goroutine's context ends the wait (fn still runs, once). */
#include "grt_test.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>

/* libgrt internals (linked statically): the deadline form of the wait. */
typedef struct grt__offload grt__offload;
grt__offload *grt__offload_new(grt_fn fn, void *arg, grt_fn abandoned);
int grt__offload_wait(grt__offload *o, int64_t deadline);

static void block_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int count_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    CHECK(d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* --- overlap on one P ---------------------------------------------- */

enum { NCALLS = 16, CALL_MS = 200 };
static atomic_int hb_ticks, done_calls;
static atomic_bool hb_stop;
static grt_waitgroup wg = GRT_WAITGROUP_INIT;

static void slow_call(void *arg)
{
    CHECK_EQ(grt_id(), 0); /* a pool thread, not a goroutine */
    block_ms(CALL_MS);
    atomic_fetch_add((atomic_int *)arg, 1);
}

static void caller(void *arg)
{
    (void)arg;
    atomic_int ran = 0;
    CHECK_EQ(grt_offload(slow_call, &ran), 0);
    CHECK_EQ(atomic_load(&ran), 1); /* fn has returned when it returns */
    atomic_fetch_add(&done_calls, 1);
    grt_waitgroup_done(&wg);
}

static void heartbeat(void *arg)
{
    (void)arg;
    while (!atomic_load(&hb_stop)) {
        atomic_fetch_add(&hb_ticks, 1);
        grt_sleep(10 * GRT_MILLISECOND);
    }
}

static void overlap_main(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_offload(NULL, NULL), -EINVAL);
    grt_go(heartbeat, NULL);
    int64_t t0 = grt_now();
    grt_waitgroup_add(&wg, NCALLS);
    for (int i = 0; i < NCALLS; i++)
        CHECK_EQ(grt_go(caller, NULL), 0);
    int64_t peak_threads = 0;
    while (atomic_load(&done_calls) < NCALLS) {
        grt_stats st;
        CHECK_EQ(grt_stats_get(&st), 0);
        if (st.offload_threads > peak_threads)
            peak_threads = st.offload_threads;
        grt_sleep(5 * GRT_MILLISECOND);
    }
    grt_waitgroup_wait(&wg);
    int64_t el = grt_now() - t0;
    int ticks_during = atomic_load(&hb_ticks);
    atomic_store(&hb_stop, true);
    /* serially 16 x 200 ms = 3.2 s; overlapped about 0.2 s */
    CHECK_LT(el, 2 * GRT_SECOND);
    CHECK_GE(ticks_during, 5); /* the P kept running goroutines */
    CHECK_GE(peak_threads, 2);
    grt_stats st;
    CHECK_EQ(grt_stats_get(&st), 0);
    CHECK_EQ(st.offloads, NCALLS);
    CHECK_EQ(st.offload_queued, 0);
    grt_sleep(20 * GRT_MILLISECOND);
}

/* --- limit, FIFO, retirement, dump ---------------------------------- */

static atomic_int order_next;
static int order_seen[6];

static void ordered_call(void *arg)
{
    int i = (int)(intptr_t)arg;
    order_seen[atomic_fetch_add(&order_next, 1)] = i;
    block_ms(60);
}

static void ordered_caller(void *arg)
{
    CHECK_EQ(grt_offload(ordered_call, arg), 0);
    grt_waitgroup_done(&wg);
}

static void dump_fn(void *arg)
{
    (void)arg;
    block_ms(300);
}

static void dump_waiter(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_offload(dump_fn, NULL), 0);
    grt_waitgroup_done(&wg);
}

static void limit_main(void *arg)
{
    (void)arg;
    /* GRT_OFFLOAD_THREADS=1: calls run one at a time, in the order queued. */
    grt_waitgroup_add(&wg, 6);
    for (int i = 0; i < 6; i++) {
        CHECK_EQ(grt_go(ordered_caller, (void *)(intptr_t)i), 0);
        /* queue them in a known order: the next one starts once this one
         * is queued (a fixed pause was not enough under TSan beside other
         * tests: caller 2 queued before caller 1 once) */
        grt_stats st;
        int64_t t0 = grt_now();
        do {
            grt_sleep(GRT_MILLISECOND);
            CHECK_EQ(grt_stats_get(&st), 0);
        } while (st.offloads <= i && grt_now() - t0 < 5 * GRT_SECOND);
        CHECK_EQ(st.offloads, i + 1);
    }
    int64_t max_queued = 0;
    for (int k = 0; k < 100 && atomic_load(&order_next) < 6; k++) {
        grt_stats st;
        CHECK_EQ(grt_stats_get(&st), 0);
        CHECK_LE(st.offload_threads, 1);
        if (st.offload_queued > max_queued)
            max_queued = st.offload_queued;
        grt_sleep(5 * GRT_MILLISECOND);
    }
    grt_waitgroup_wait(&wg);
    CHECK_GE(max_queued, 1);
    for (int i = 0; i < 6; i++)
        CHECK_EQ(order_seen[i], i);

    /* The dump names the wait and the pool. */
    grt_waitgroup_add(&wg, 1);
    grt_go(dump_waiter, NULL);
    grt_sleep(50 * GRT_MILLISECOND);
    int p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(grt_dump(p[1]), 0);
    close(p[1]);
    static char buf[1 << 16];
    ssize_t n = 0, r;
    while ((r = read(p[0], buf + n, sizeof buf - 1 - (size_t)n)) > 0)
        n += r;
    buf[n] = 0;
    close(p[0]);
    CHECK_STR_CONTAINS(buf, "[offload, ");
    CHECK_STR_CONTAINS(buf, "offload pool: 1 threads");
    grt_waitgroup_wait(&wg);

    /* offloadidle=100: the idle thread retires. */
    int64_t t0 = grt_now();
    grt_stats st;
    do {
        grt_sleep(20 * GRT_MILLISECOND);
        CHECK_EQ(grt_stats_get(&st), 0);
    } while (st.offload_threads > 0 && grt_now() - t0 < 5 * GRT_SECOND);
    CHECK_EQ(st.offload_threads, 0);
}

/* --- deadlock detection --------------------------------------------- */

static void lonely_main(void *arg)
{
    (void)arg;
    /* The only goroutine parks for 300 ms with no timer and no fd: the
     * checker must see the offload in flight, not a deadlock. */
    atomic_int ran = 0;
    CHECK_EQ(grt_offload(slow_call, &ran), 0);
    CHECK_EQ(atomic_load(&ran), 1);
}

/* --- abandoned waits -------------------------------------------------- */

struct slow_req {
    int64_t    ms;
    atomic_int *discarded;
    char       payload[64];
};

static void slow_req_run(void *arg)
{
    struct slow_req *r = arg;
    block_ms(r->ms);
    memset(r->payload, 0x5a, sizeof r->payload); /* ASan: must be live */
}

static void slow_req_discard(void *arg)
{
    struct slow_req *r = arg;
    atomic_fetch_add(r->discarded, 1);
    free(r);
}

static atomic_int discarded;
static int discard_before_end;

static void abandon_main(void *arg)
{
    (void)arg;
    /* Deadline first: the wait returns at the deadline, the call finishes
     * in the pool and is discarded there. */
    struct slow_req *r = calloc(1, sizeof *r);
    r->ms = 1500; /* far beyond the deadline, even on a loaded TSan run */
    r->discarded = &discarded;
    grt__offload *o = grt__offload_new(slow_req_run, r, slow_req_discard);
    CHECK(o != NULL);
    int64_t t0 = grt_now();
    CHECK_EQ(grt__offload_wait(o, t0 + 50 * GRT_MILLISECOND), -ETIMEDOUT);
    int64_t el = grt_now() - t0;
    CHECK_GE(el, 50 * GRT_MILLISECOND);
    CHECK_LT(el, 1400 * GRT_MILLISECOND);
    CHECK_EQ(atomic_load(&discarded), 0);
    while (atomic_load(&discarded) == 0 && grt_now() - t0 < 5 * GRT_SECOND)
        grt_sleep(10 * GRT_MILLISECOND);
    CHECK_EQ(atomic_load(&discarded), 1);

    /* A deadline already past: not started, handed to the discard. */
    r = calloc(1, sizeof *r);
    r->discarded = &discarded;
    o = grt__offload_new(slow_req_run, r, slow_req_discard);
    CHECK_EQ(grt__offload_wait(o, grt_now() - 1), -ETIMEDOUT);
    CHECK_EQ(atomic_load(&discarded), 2);

    /* fn first: the waiter keeps the result, nothing is discarded. */
    r = calloc(1, sizeof *r);
    r->ms = 10;
    r->discarded = &discarded;
    o = grt__offload_new(slow_req_run, r, slow_req_discard);
    CHECK_EQ(grt__offload_wait(o, grt_now() + 10 * GRT_SECOND), 0);
    CHECK_EQ((unsigned char)r->payload[0], 0x5a);
    free(r);
    CHECK_EQ(atomic_load(&discarded), 2);

    /* Many racing deadlines against completions: either outcome, each
     * request owned by exactly one side (ASan/TSan see the rest). */
    int expect = 2;
    for (int i = 0; i < 40; i++) {
        r = calloc(1, sizeof *r);
        r->ms = i % 4;
        r->discarded = &discarded;
        o = grt__offload_new(slow_req_run, r, slow_req_discard);
        int rc = grt__offload_wait(o, grt_now() + (i % 3) * GRT_MILLISECOND);
        if (rc == 0)
            free(r);
        else {
            CHECK_EQ(rc, -ETIMEDOUT);
            expect++;
        }
    }
    int64_t t1 = grt_now();
    while (atomic_load(&discarded) < expect && grt_now() - t1 < 5 * GRT_SECOND)
        grt_sleep(5 * GRT_MILLISECOND);
    CHECK_EQ(atomic_load(&discarded), expect);
    discard_before_end = expect;
    /* A call still running when grt_run returns: its request goes with it. */
    r = calloc(1, sizeof *r);
    r->ms = 200;
    r->discarded = &discarded;
    o = grt__offload_new(slow_req_run, r, slow_req_discard);
    CHECK_EQ(grt__offload_wait(o, grt_now() + 20 * GRT_MILLISECOND), -ETIMEDOUT);
}

/* --- dialing by name ---------------------------------------------------- */

static void dial_main(void *arg)
{
    (void)arg;
    char addr[64];
    int lfd = test_listen_loopback(addr, sizeof addr);
    const char *port = strrchr(addr, ':') + 1;
    char name[64];
    snprintf(name, sizeof name, "localhost:%s", port);
    int fd = grt_dial("tcp4", name, grt_now() + 5 * GRT_SECOND);
    CHECK_GE(fd, 0);
    grt_close(fd);
    grt_stats st;
    CHECK_EQ(grt_stats_get(&st), 0);
    CHECK_GE(st.offloads, 1); /* the name went through the pool */
    /* A literal does not. */
    int64_t before = st.offloads;
    fd = grt_dial("tcp4", addr, GRT_FOREVER);
    CHECK_GE(fd, 0);
    grt_close(fd);
    CHECK_EQ(grt_stats_get(&st), 0);
    CHECK_EQ(st.offloads, before);
    /* A deadline already past covers the lookup too. */
    CHECK_EQ(grt_dial("tcp4", name, grt_now() - 1), -ETIMEDOUT);
    CHECK_EQ(grt_dial("tcp", "no-such-host.invalid:80", grt_now() + 5 * GRT_SECOND) < 0, 1);
    grt_close(lfd);
}

/* --- contexts ------------------------------------------------------------ */

struct ctx_call {
    int64_t     ms;
    atomic_int *ran;
};

/* Heap-owned, freed by fn itself: the contract under a context that may end. */
static void ctx_call_run(void *arg)
{
    struct ctx_call *c = arg;
    block_ms(c->ms);
    atomic_fetch_add(c->ran, 1);
    free(c);
}

static atomic_int ctx_ran;

static int offload_heap(int64_t ms)
{
    struct ctx_call *c = malloc(sizeof *c);
    CHECK(c != NULL);
    c->ms = ms;
    c->ran = &ctx_ran;
    return grt_offload(ctx_call_run, c);
}

static void wait_ran(int n)
{
    int64_t t0 = grt_now();
    while (atomic_load(&ctx_ran) < n && grt_now() - t0 < 5 * GRT_SECOND)
        grt_sleep(5 * GRT_MILLISECOND);
    CHECK_EQ(atomic_load(&ctx_ran), n);
}

static void canceller(void *arg)
{
    grt_sleep(50 * GRT_MILLISECOND);
    CHECK_EQ(grt_ctx_cancel(arg), 0);
}

static void ctx_main(void *arg)
{
    (void)arg;
    /* Cancelled while fn runs: the wait ends at once, fn still runs, once. */
    grt_ctx *c = grt_ctx_with_cancel(NULL);
    CHECK(c != NULL);
    CHECK_EQ(grt_go(canceller, c), 0);
    grt_ctx *old = grt_ctx_swap(c);
    int64_t t0 = grt_now();
    CHECK_EQ(offload_heap(1000), -ECANCELED);
    int64_t el = grt_now() - t0;
    CHECK_GE(el, 40 * GRT_MILLISECOND);
    CHECK_LT(el, 900 * GRT_MILLISECOND);
    CHECK_EQ(atomic_load(&ctx_ran), 0);
    /* Already ended: returns at once, and fn runs anyway (the caller may
     * count on it to free arg). */
    t0 = grt_now();
    CHECK_EQ(offload_heap(1), -ECANCELED);
    CHECK_LT(grt_now() - t0, 900 * GRT_MILLISECOND);
    grt_ctx_swap(old);
    wait_ran(2);
    grt_ctx_release(c);

    /* A deadline context: -ETIMEDOUT at about the deadline. */
    c = grt_ctx_with_deadline(NULL, grt_now() + 60 * GRT_MILLISECOND);
    CHECK(c != NULL);
    old = grt_ctx_swap(c);
    t0 = grt_now();
    CHECK_EQ(offload_heap(1000), -ETIMEDOUT);
    el = grt_now() - t0;
    CHECK_GE(el, 40 * GRT_MILLISECOND);
    CHECK_LT(el, 900 * GRT_MILLISECOND);
    /* The internal form with a discard: refused before it starts, and the
     * discard owns arg; fn never runs. */
    struct slow_req *r = calloc(1, sizeof *r);
    r->discarded = &discarded;
    int before = atomic_load(&discarded);
    grt__offload *o = grt__offload_new(slow_req_run, r, slow_req_discard);
    CHECK(o != NULL);
    CHECK_EQ(grt__offload_wait(o, GRT_FOREVER), -ETIMEDOUT);
    CHECK_EQ(atomic_load(&discarded), before + 1);
    /* grt_dial's lookup likewise. */
    CHECK_EQ(grt_dial("tcp4", "localhost:1", GRT_FOREVER), -ETIMEDOUT);
    grt_ctx_swap(old);
    grt_ctx_release(c);
    wait_ran(3);

    /* fn done before the context ends: 0, as usual. */
    c = grt_ctx_with_deadline(NULL, grt_now() + 10 * GRT_SECOND);
    old = grt_ctx_swap(c);
    CHECK_EQ(offload_heap(1), 0);
    CHECK_EQ(atomic_load(&ctx_ran), 4);
    grt_ctx_swap(old);
    grt_ctx_release(c);
}

static void *warm_thread(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "lonely")) {
        test_run(1, lonely_main, NULL);
        return 0;
    }
    /* Off a goroutine: a direct call on this thread. */
    atomic_int ran = 0;
    CHECK_EQ(grt_offload(slow_call, &ran), 0);
    CHECK_EQ(atomic_load(&ran), 1);
    CHECK_EQ(grt_offload(NULL, NULL), -EINVAL);
    grt_stats st;
    CHECK_EQ(grt_stats_get(&st), -ESRCH);

    /* Sanitizer runtimes start a helper thread at the first
     * pthread_create: have it before counting. */
    pthread_t warm;
    CHECK_EQ(pthread_create(&warm, NULL, warm_thread, NULL), 0);
    pthread_join(warm, NULL);
    int base = count_threads();
    test_run(1, overlap_main, NULL);
    /* Pool threads are released (a detached thread may take a moment to
     * be gone from /proc once it has left). */
    for (int k = 0; k < 100 && count_threads() != base; k++)
        block_ms(10);
    CHECK_EQ(count_threads(), base);

    setenv("GRT_OFFLOAD_THREADS", "1", 1);
    setenv("GRT_DEBUG", "offloadidle=100", 1);
    test_run(2, limit_main, NULL);
    unsetenv("GRT_OFFLOAD_THREADS");
    unsetenv("GRT_DEBUG");

    char buf[8192];
    int status = test_subprocess("lonely", buf, sizeof buf, 30, NULL);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        TEST_FAIL("lonely offload: status %d, stderr:\n%s", status, buf);

    test_run(2, abandon_main, NULL);
    /* the call that outlived its run is discarded when it returns */
    int64_t t0 = test_now_ns();
    while (atomic_load(&discarded) <= discard_before_end && test_now_ns() - t0 < 5 * GRT_SECOND)
        block_ms(10);
    CHECK_EQ(atomic_load(&discarded), discard_before_end + 1);

    test_run(1, dial_main, NULL);
    test_run(1, ctx_main, NULL);
    puts("ok");
    return 0;
}
