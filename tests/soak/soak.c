/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * soak.c - a bounded soak of the runtime: `soak [SECONDS]` (default 600).
 *
 * For SECONDS it runs, all at once:
 *   - echo servers on loopback TCP and on an abstract unix socket, and
 *     clients that each send a pseudo-random stream (its own seed) and check
 *     every byte that comes back against the same stream;
 *   - channel pipelines: a source, stages that forward through selects with
 *     deadlines, a sink that checks order and sum;
 *   - timers, tickers and AfterFuncs created, reset, stopped and freed at
 *     random;
 * with faults injected on purpose: peers that reset the connection (close
 * with SO_LINGER 0, on either side), a low RLIMIT_NOFILE so that dial and
 * accept meet EMFILE, slow readers (small reads with sleeps, on either
 * side), and deadlines that expire in the middle of a transfer.
 *
 * Checks: a connection without an injected fault gets back exactly the bytes
 * it sent; one with a fault gets back a prefix of them (never a wrong byte);
 * every pipeline delivers every value in order; timers fire only when armed;
 * and when the clients stop, every goroutine ends (grt_goroutines() == 1).
 * It prints one line of counts.  Any failure prints what went wrong and exits
 * 1.  There are no timing assertions: a watchdog only fails the run when
 * connections, pipelines or timers make no progress for 120 s (it prints
 * the goroutines; with SOAK_HOLD set it then waits for a debugger).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "grt.h"

#define MS (1000LL * 1000)
#define SEC (1000LL * MS)
#define NOFILE_LIMIT 40  /* low on purpose: dial and accept meet EMFILE */
#define CLIENTS 20       /* concurrent client goroutines (one descriptor each) */
#define PIPELINES 3
#define TIMER_GOROUTINES 2
#define WATCHDOG_NS (120 * SEC)

enum fault { F_NONE, F_CLIENT_RESET, F_SERVER_RESET, F_SLOW_CLIENT, F_SLOW_SERVER, F_DEADLINE };

static struct {
    int64_t conns, clean, bytes_sent, bytes_back, timeouts, resets, emfile, slow, dial_err;
    int64_t pipe_values, pipe_timeouts, timer_fires, ticks, funcs, emfile_accept;
    /* Bumped by every finished connection, pipeline round and timer wait;
     * the watchdog wants each to move. */
    int64_t progress[3];
} cnt;

enum { P_CONN, P_PIPE, P_TIMER };
static const char *const progress_name[] = {"connections", "pipelines", "timers"};

static volatile int stopping; /* set once by main when time is up */
static char tcp_addr[64], unix_addr[64];
static grt_waitgroup clients_wg, servers_wg, others_wg;

static void add(int64_t *p, int64_t d) { __atomic_fetch_add(p, d, __ATOMIC_RELAXED); }
static int64_t get(int64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static bool stop_requested(void) { return __atomic_load_n(&stopping, __ATOMIC_ACQUIRE); }

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("soak: FAIL: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    _exit(1);
}

/* xorshift64*: the byte stream of a connection and every random choice. */
static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t rnd_below(uint64_t *s, uint64_t n) { return rnd(s) % n; }

static void stream_fill(uint64_t *s, uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(rnd(s) >> 56);
}

static uint64_t seed_counter = 0x9E3779B97F4A7C15ULL;
static uint64_t new_seed(void)
{
    uint64_t s = __atomic_add_fetch(&seed_counter, 0x9E3779B97F4A7C15ULL, __ATOMIC_RELAXED);
    return s ? s : 1;
}

static void set_linger0(int fd)
{
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

static bool is_reset(ssize_t r) { return r == -ECONNRESET || r == -EPIPE; }

/* ------------------------------------------------------------------ */
/* Echo servers                                                        */
/* ------------------------------------------------------------------ */

/* The client's first 8 bytes: fault (1 byte), pad, bytes after which a
 * resetting server resets (u32). */
struct hdr {
    uint8_t  fault;
    uint8_t  pad[3];
    uint32_t reset_after;
};

static bool read_full(int fd, void *buf, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = grt_read(fd, (char *)buf + got, n - got);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static void serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    uint8_t buf[16384];
    struct hdr h;
    uint64_t s = new_seed();
    int64_t echoed = 0;
    if (read_full(fd, &h, sizeof h)) {
        for (;;) {
            size_t want = sizeof buf;
            if (h.fault == F_SLOW_SERVER) {
                want = 1 + rnd_below(&s, 64);
                grt_sleep((int64_t)rnd_below(&s, 200) * 1000);
            }
            ssize_t r = grt_read(fd, buf, want);
            if (r <= 0) {
                if (is_reset(r))
                    add(&cnt.resets, 1);
                break;
            }
            if (h.fault == F_SERVER_RESET && echoed + r >= (int64_t)h.reset_after) {
                set_linger0(fd); /* the client sees ECONNRESET or an early EOF */
                break;
            }
            ssize_t w = grt_write(fd, buf, (size_t)r);
            if (w != r)
                break;
            echoed += r;
        }
    }
    int r = grt_close(fd);
    if (r != 0)
        fail("server grt_close(%d): %d", fd, r);
    grt_waitgroup_done(&servers_wg);
}

static void acceptor(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = grt_accept(lfd, NULL, NULL);
        if (fd >= 0) {
            grt_waitgroup_add(&servers_wg, 1);
            if (grt_go(serve, (void *)(intptr_t)fd) != 0)
                fail("grt_go(serve)");
            continue;
        }
        if (fd == -EMFILE || fd == -ENFILE) {
            add(&cnt.emfile_accept, 1);
            grt_sleep(MS); /* back off until a descriptor is free */
            continue;
        }
        if (fd == -ECANCELED || fd == -EBADF)
            break; /* main closed the listener */
        if (fd == -ECONNABORTED || fd == -EINTR)
            continue;
        fail("grt_accept: %d", fd);
    }
    grt_waitgroup_done(&servers_wg);
}

/* ------------------------------------------------------------------ */
/* Clients                                                             */
/* ------------------------------------------------------------------ */

struct conn {
    int fd;
    uint64_t seed;   /* of the byte stream */
    int64_t total;   /* bytes to send */
    int64_t sent;    /* bytes the writer got written */
    int fault;
    grt_chan *done;  /* the writer reports here */
};

static void writer(void *arg)
{
    struct conn *c = arg;
    uint8_t buf[8192];
    uint64_t s = c->seed, r = c->seed ^ 0x5555;
    struct hdr h = {.fault = (uint8_t)c->fault,
                    .reset_after = (uint32_t)rnd_below(&r, (uint64_t)c->total + 1)};
    if (grt_write(c->fd, &h, sizeof h) == (ssize_t)sizeof h) {
        while (c->sent < c->total) {
            size_t n = 1 + rnd_below(&r, sizeof buf);
            if ((int64_t)n > c->total - c->sent)
                n = (size_t)(c->total - c->sent);
            stream_fill(&s, buf, n);
            ssize_t w = grt_write(c->fd, buf, n);
            if (w > 0)
                c->sent += w;
            if (w != (ssize_t)n)
                break;
        }
        if (c->sent == c->total)
            shutdown(c->fd, SHUT_WR); /* the server echoes the rest, then closes */
    }
    if (grt_chan_send(c->done, NULL) != 0)
        fail("writer: send");
}

/* One connection: dial, send and check the echo, close. */
static void client_conn(uint64_t *rs)
{
    bool unix_net = rnd_below(rs, 2);
    int64_t dl = GRT_FOREVER;
    int fault = F_NONE;
    uint64_t dice = rnd_below(rs, 100);
    if (dice >= 55)
        fault = 1 + (int)((dice - 55) / 9); /* F_CLIENT_RESET .. F_DEADLINE */
    int fd = grt_dial(unix_net ? "unix" : "tcp", unix_net ? unix_addr : tcp_addr, GRT_FOREVER);
    if (fd == -EMFILE || fd == -ENFILE) {
        add(&cnt.emfile, 1); /* dial */
        grt_sleep(MS);
        return;
    }
    if (fd < 0) {
        /* A full backlog (the server is out of descriptors) may refuse a
         * unix connection: EAGAIN; anything else is a failure. */
        if (fd == -EAGAIN || fd == -ECONNREFUSED) {
            add(&cnt.dial_err, 1);
            grt_sleep(MS);
            return;
        }
        fail("grt_dial: %d", fd);
    }
    struct conn c = {.fd = fd, .seed = new_seed(), .fault = fault};
    c.total = 1 + (int64_t)rnd_below(rs, rnd_below(rs, 4) == 0 ? 1 << 20 : 1 << 14);
    c.done = grt_chan_make(0, 1);
    if (c.done == NULL)
        fail("grt_chan_make");
    if (fault == F_DEADLINE) {
        dl = grt_now() + (int64_t)(1 + rnd_below(rs, 30)) * MS;
        if (grt_set_deadline(fd, dl, dl) != 0)
            fail("grt_set_deadline");
    }
    add(&cnt.conns, 1);
    if (grt_go(writer, &c) != 0)
        fail("grt_go(writer)");

    uint8_t buf[8192], want[8192];
    uint64_t s = c.seed;
    int64_t back = 0, abort_at = fault == F_CLIENT_RESET ? (int64_t)rnd_below(rs, (uint64_t)c.total) : -1;
    ssize_t r;
    for (;;) {
        size_t n = sizeof buf;
        if (fault == F_SLOW_CLIENT) {
            n = 1 + rnd_below(rs, 100);
            grt_sleep((int64_t)rnd_below(rs, 300) * 1000);
        }
        if (abort_at >= 0 && back >= abort_at) {
            r = -ECONNRESET; /* ours: abort below */
            break;
        }
        r = grt_read(fd, buf, n);
        if (r <= 0)
            break;
        if (back + r > c.total)
            fail("connection got %lld bytes back, sent at most %lld", (long long)(back + r),
                 (long long)c.total);
        stream_fill(&s, want, (size_t)r);
        if (memcmp(buf, want, (size_t)r) != 0)
            fail("connection (fault %d): wrong bytes at offset %lld", fault, (long long)back);
        back += r;
    }
    if (r == -ETIMEDOUT)
        add(&cnt.timeouts, 1);
    else if (r < 0 && r != -ECONNRESET && r != -EPIPE)
        fail("client grt_read: %zd (fault %d)", r, fault);
    else if (r < 0 && fault != F_CLIENT_RESET)
        add(&cnt.resets, 1);
    if (r != 0 || back != c.total) {
        /* Stop the writer (it may be blocked on a full socket). */
        int64_t now = grt_now();
        if (grt_set_deadline(fd, now, now) != 0)
            fail("grt_set_deadline(now)");
    }
    if (grt_chan_recv(c.done, NULL) != 0)
        fail("recv done");
    grt_chan_release(c.done);
    if (fault == F_CLIENT_RESET && r != 0) {
        set_linger0(fd);
        add(&cnt.resets, 1);
    }
    if (fault == F_SLOW_CLIENT || fault == F_SLOW_SERVER)
        add(&cnt.slow, 1);
    add(&cnt.bytes_sent, c.sent);
    add(&cnt.bytes_back, back);
    bool clean = fault == F_NONE || fault == F_SLOW_CLIENT || fault == F_SLOW_SERVER;
    if (clean && (r != 0 || back != c.total || c.sent != c.total))
        fail("connection without a fault (%d): sent %lld of %lld, got %lld back, last read %zd",
             fault, (long long)c.sent, (long long)c.total, (long long)back, r);
    if (clean)
        add(&cnt.clean, 1);
    int cr = grt_close(fd);
    if (cr != 0)
        fail("client grt_close: %d", cr);
    add(&cnt.progress[P_CONN], 1);
}

static void client(void *arg)
{
    uint64_t rs = (uint64_t)(uintptr_t)arg;
    while (!stop_requested())
        client_conn(&rs);
    grt_waitgroup_done(&clients_wg);
}

/* ------------------------------------------------------------------ */
/* Channel pipelines                                                   */
/* ------------------------------------------------------------------ */

struct stage {
    grt_chan *in, *out;
    uint64_t seed;
    grt_waitgroup *round; /* the pipeline releases the channels after it */
};

static void stage_run(void *arg)
{
    struct stage *st = arg;
    uint64_t v, rs = st->seed;
    for (;;) {
        grt_case cs = {.chan = st->in, .op = GRT_RECV, .elem = &v};
        /* Mostly a deadline a little ahead; now and then "do not block"
         * (not often: on an empty channel that is a busy loop). */
        int64_t dl = rnd_below(&rs, 16) == 0 ? 0 : grt_now() + (int64_t)(1 + rnd_below(&rs, 2000)) * 1000;
        int r = grt_select(&cs, 1, dl);
        if (r == -ETIMEDOUT) {
            add(&cnt.pipe_timeouts, 1);
            continue;
        }
        if (r != 0)
            fail("stage select: %d", r);
        if (cs.err == -EPIPE)
            break;
        if (grt_chan_send(st->out, &v) != 0)
            fail("stage send");
        if (rnd_below(&rs, 8) == 0)
            grt_yield();
    }
    grt_chan_close(st->out);
    grt_waitgroup *round = st->round;
    free(st);
    grt_waitgroup_done(round);
}

static void pipeline(void *arg)
{
    uint64_t rs = (uint64_t)(uintptr_t)arg;
    while (!stop_requested()) {
        grt_waitgroup round = GRT_WAITGROUP_INIT;
        grt_chan *chans[8];
        int nstages = 1 + (int)rnd_below(&rs, 6);
        chans[0] = grt_chan_make(sizeof(uint64_t), rnd_below(&rs, 4));
        if (!chans[0])
            fail("grt_chan_make");
        for (int k = 0; k < nstages; k++) {
            struct stage *st = malloc(sizeof *st);
            chans[k + 1] = grt_chan_make(sizeof(uint64_t), rnd_below(&rs, 4));
            if (!st || !chans[k + 1])
                fail("out of memory");
            *st = (struct stage){.in = chans[k], .out = chans[k + 1], .seed = new_seed(), .round = &round};
            grt_waitgroup_add(&round, 1);
            if (grt_go(stage_run, st) != 0)
                fail("grt_go(stage)");
        }
        /* This goroutine is both the source and the sink. */
        grt_chan *first = chans[0], *last = chans[nstages];
        int64_t n = 1 + (int64_t)rnd_below(&rs, 2000), sent = 0, next = 1, sum = 0;
        while (sent < n || next <= n) {
            uint64_t out = (uint64_t)sent + 1, got = 0;
            grt_case cs[2] = {{.chan = sent < n ? first : NULL, .op = GRT_SEND, .elem = &out},
                              {.chan = last, .op = GRT_RECV, .elem = &got}};
            int r = grt_select(cs, 2, GRT_FOREVER);
            if (r == 0) {
                sent++;
            } else if (r == 1) {
                if (cs[1].err != 0 || got != (uint64_t)next)
                    fail("pipeline: got %llu (err %d), expected %lld", (unsigned long long)got,
                         cs[1].err, (long long)next);
                sum += (int64_t)got;
                next++;
            } else {
                fail("pipeline select: %d", r);
            }
        }
        if (sum != n * (n + 1) / 2)
            fail("pipeline sum %lld", (long long)sum);
        grt_chan_close(first);
        if (grt_chan_recv(last, NULL) != -EPIPE) /* the close travels to the end */
            fail("pipeline: a value after the last");
        grt_waitgroup_wait(&round);
        for (int k = 0; k <= nstages; k++)
            grt_chan_release(chans[k]);
        add(&cnt.pipe_values, n);
        add(&cnt.progress[P_PIPE], 1);
    }
    grt_waitgroup_done(&others_wg);
}

/* ------------------------------------------------------------------ */
/* Timers                                                              */
/* ------------------------------------------------------------------ */

static void func_fired(void *arg)
{
    (void)arg;
    add(&cnt.funcs, 1);
}

static void timers(void *arg)
{
    uint64_t rs = (uint64_t)(uintptr_t)arg;
    grt_timer *t[4] = {0};
    bool ticker[4] = {0};
    while (!stop_requested()) {
        int k = (int)rnd_below(&rs, 4);
        int64_t d = (int64_t)rnd_below(&rs, 3000) * 1000;
        switch (rnd_below(&rs, 6)) {
        case 0:
            if (!t[k]) {
                ticker[k] = rnd_below(&rs, 3) == 0;
                t[k] = rnd_below(&rs, 3) == 0 ? grt_timer_func(d, func_fired, NULL)
                                               : grt_timer_new(d, ticker[k] ? d + 100000 : 0);
                if (!t[k])
                    fail("grt_timer_new: %s", strerror(errno));
            }
            break;
        case 1:
            if (t[k] && grt_timer_reset(t[k], d) < 0)
                fail("grt_timer_reset");
            break;
        case 2:
            if (t[k]) {
                int r = grt_timer_stop(t[k]);
                if (r < 0 || grt_timer_stop(t[k]) != 0)
                    fail("grt_timer_stop: %d, then not 0", r);
            }
            break;
        case 3:
            grt_timer_free(t[k]);
            t[k] = NULL;
            break;
        default: {
            grt_chan *c = t[k] ? grt_timer_chan(t[k]) : NULL;
            int64_t when = 0;
            grt_case cs = {.chan = c, .op = GRT_RECV, .elem = &when};
            int r = grt_select(&cs, 1, grt_now() + d);
            if (r == 0) {
                if (when <= 0 || when > grt_now())
                    fail("timer value %lld", (long long)when);
                add(ticker[k] ? &cnt.ticks : &cnt.timer_fires, 1);
            } else if (r != -ETIMEDOUT) {
                fail("timer select: %d", r);
            }
            add(&cnt.progress[P_TIMER], 1);
            break;
        }
        }
    }
    for (int k = 0; k < 4; k++)
        grt_timer_free(t[k]);
    grt_waitgroup_done(&others_wg);
}

/* ------------------------------------------------------------------ */
/* Main                                                                */
/* ------------------------------------------------------------------ */

static int64_t soak_ns;
static volatile int finished;

/* A thread of its own: fails the run when one kind of work makes no
 * progress for WATCHDOG_NS while it runs, or when the ending (every
 * goroutine winding down) takes longer than that. */
static void *watchdog(void *arg)
{
    (void)arg;
    int64_t last[3] = {-1, -1, -1}, still[3] = {0, 0, 0}, ending = 0;
    while (!__atomic_load_n(&finished, __ATOMIC_ACQUIRE)) {
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
        const char *what = NULL;
        if (stop_requested()) {
            if ((ending += SEC) >= WATCHDOG_NS)
                what = "the ending (goroutines winding down)";
        } else {
            for (int k = 0; k < 3; k++) {
                int64_t p = get(&cnt.progress[k]);
                still[k] = p == last[k] ? still[k] + SEC : 0;
                last[k] = p;
                if (still[k] >= WATCHDOG_NS)
                    what = progress_name[k];
            }
        }
        if (what) {
            fprintf(stderr, "soak: FAIL: no progress of %s for %lld s; goroutines:\n", what,
                    (long long)(WATCHDOG_NS / SEC));
            grt_dump(2);
            if (getenv("SOAK_HOLD")) { /* keep the process for a debugger */
                fprintf(stderr, "soak: holding (SOAK_HOLD): pid %d\n", (int)getpid());
                for (;;)
                    pause();
            }
            _exit(1);
        }
    }
    return NULL;
}

static void soak_main(void *arg)
{
    (void)arg;
    int tl = grt_listen("tcp4", "127.0.0.1:0");
    if (tl < 0)
        fail("grt_listen tcp: %d", tl);
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    if (getsockname(tl, (struct sockaddr *)&sin, &len) != 0)
        fail("getsockname");
    snprintf(tcp_addr, sizeof tcp_addr, "127.0.0.1:%d", ntohs(sin.sin_port));
    snprintf(unix_addr, sizeof unix_addr, "@grt-soak-%d", (int)getpid());
    int ul = grt_listen("unix", unix_addr);
    if (ul < 0)
        fail("grt_listen unix: %d", ul);

    grt_waitgroup_add(&servers_wg, 2);
    grt_go(acceptor, (void *)(intptr_t)tl);
    grt_go(acceptor, (void *)(intptr_t)ul);
    grt_waitgroup_add(&clients_wg, CLIENTS);
    for (int k = 0; k < CLIENTS; k++)
        if (grt_go(client, (void *)(uintptr_t)new_seed()) != 0)
            fail("grt_go(client)");
    grt_waitgroup_add(&others_wg, PIPELINES + TIMER_GOROUTINES);
    for (int k = 0; k < PIPELINES; k++)
        grt_go(pipeline, (void *)(uintptr_t)new_seed());
    for (int k = 0; k < TIMER_GOROUTINES; k++)
        grt_go(timers, (void *)(uintptr_t)new_seed());

    int64_t end = grt_now() + soak_ns;
    while (grt_now() < end)
        grt_sleep(100 * MS);
    __atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);

    grt_waitgroup_wait(&clients_wg);
    grt_waitgroup_wait(&others_wg);
    if (grt_close(tl) != 0 || grt_close(ul) != 0)
        fail("closing the listeners");
    grt_waitgroup_wait(&servers_wg);
    /* AfterFunc goroutines may still be finishing. */
    for (int k = 0; grt_goroutines() != 1; k++) {
        if (k == 3000)
            fail("%lld goroutines left at the end", (long long)grt_goroutines());
        grt_sleep(10 * MS);
    }
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 600;
    if (secs <= 0)
        fail("usage: soak [SECONDS]");
    soak_ns = (int64_t)(secs * 1e9);
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > NOFILE_LIMIT) {
        rl.rlim_cur = NOFILE_LIMIT;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            fail("setrlimit: %s", strerror(errno));
    }
    pthread_t wd;
    if (pthread_create(&wd, NULL, watchdog, NULL) != 0)
        fail("pthread_create");
    grt_config cfg = {.procs = 0, .stack_size = 0};
    int r = grt_run(&cfg, soak_main, NULL);
    __atomic_store_n(&finished, 1, __ATOMIC_RELEASE);
    pthread_join(wd, NULL);
    if (r != 0)
        fail("grt_run: %d", r);
    if (get(&cnt.clean) == 0 || get(&cnt.pipe_values) == 0)
        fail("nothing was done: %lld clean connections, %lld pipeline values",
             (long long)get(&cnt.clean), (long long)get(&cnt.pipe_values));
    printf("soak: %.0f s: connections %" PRId64 " (clean %" PRId64 "), bytes sent %" PRId64
           ", echoed %" PRId64 ", timeouts %" PRId64 ", resets %" PRId64 ", EMFILE %" PRId64
           " (dial) %" PRId64 " (accept), slow %" PRId64 ", dial errors %" PRId64 ", pipeline values %" PRId64
           " (select timeouts %" PRId64 "), timer firings %" PRId64 ", ticks %" PRId64
           ", AfterFuncs %" PRId64 "\n",
           secs, cnt.conns, cnt.clean, cnt.bytes_sent, cnt.bytes_back, cnt.timeouts, cnt.resets,
           cnt.emfile, cnt.emfile_accept, cnt.slow, cnt.dial_err, cnt.pipe_values, cnt.pipe_timeouts,
           cnt.timer_fires, cnt.ticks, cnt.funcs);
    return 0;
}
