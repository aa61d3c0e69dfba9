/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_net_echo: an echo server and 1,000 client goroutines over loopback.
 *
 * The server listens on 127.0.0.1 port 0 (the port is found with
 * getsockname), accepts in one goroutine and serves each connection in a
 * goroutine of its own that writes back whatever it reads.  Each client
 * dials, sends 1,000 messages and reads every echo back, verifying it byte
 * by byte, so that anything lost, duplicated, reordered or mixed up with
 * another connection fails.  Messages are of varying length (an 8-byte
 * header with client, sequence number and length, then a payload derived
 * from them); a client sends them in bursts of 1-16 messages per write and
 * reads with random buffer sizes, so partial reads and writes are the
 * rule, not the exception, and the readers have to reassemble.
 *
 * At the end every server goroutine must have seen EOF and echoed exactly
 * the bytes its client sent.  Runs with procs=2, then a smaller round with
 * procs=1.  Under the sanitizers (or GRT_TEST_SCALE) the counts shrink.
 */
#include "grt_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define MS (1000LL * 1000)
#define MAX_PAYLOAD 200
#define HDR 8
#define MAX_BURST 16

static int          nclients, nmsgs;
static char         address[64];
static atomic_long  server_bytes, server_conns_done, client_bytes;

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* --- server ------------------------------------------------------------- */

static void echo_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[4096];
    long total = 0;
    for (;;) {
        ssize_t r = grt_read(fd, buf, sizeof buf);
        if (r == 0)
            break;
        if (r < 0)
            TEST_FAIL("server read: %s", strerror((int)-r));
        ssize_t w = grt_write(fd, buf, (size_t)r);
        if (w != r)
            TEST_FAIL("server write: %zd of %zd", w, r);
        total += r;
    }
    CHECK_EQ(grt_close(fd), 0);
    atomic_fetch_add(&server_bytes, total);
    atomic_fetch_add(&server_conns_done, 1);
}

static void acceptor(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = grt_accept(lfd, NULL, NULL);
        if (fd == -ECANCELED || fd == -EBADF)
            return; /* the listener was closed (during or before this call): the test is over */
        if (fd < 0)
            TEST_FAIL("accept: %s", strerror(-fd));
        CHECK_EQ(grt_go(echo_conn, (void *)(intptr_t)fd), 0);
    }
}

/* --- client ------------------------------------------------------------- */

static size_t msg_len(int client, int seq)
{
    return HDR + ((unsigned)client * 31u + (unsigned)seq * 17u) % (MAX_PAYLOAD + 1);
}

static void msg_fill(unsigned char *p, int client, int seq)
{
    size_t n = msg_len(client, seq);
    p[0] = (unsigned char)client;
    p[1] = (unsigned char)(client >> 8);
    p[2] = (unsigned char)seq;
    p[3] = (unsigned char)(seq >> 8);
    p[4] = (unsigned char)(seq >> 16);
    p[5] = (unsigned char)n;
    p[6] = (unsigned char)(n >> 8);
    p[7] = 0xA5;
    for (size_t i = HDR; i < n; i++)
        p[i] = (unsigned char)(client * 7 + seq * 13 + (int)i);
}

typedef struct {
    int            id;
    grt_waitgroup *wg;
} client_arg;

static void client(void *arg)
{
    client_arg *a = arg;
    uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(a->id + 1);
    int fd = grt_dial("tcp", address, grt_now() + 60000 * MS);
    if (fd < 0)
        TEST_FAIL("client %d: dial: %s", a->id, strerror(-fd));
    unsigned char out[MAX_BURST * (HDR + MAX_PAYLOAD)];
    unsigned char want[MAX_BURST * (HDR + MAX_PAYLOAD)];
    unsigned char in[MAX_BURST * (HDR + MAX_PAYLOAD)];
    long sent = 0;
    for (int seq = 0; seq < nmsgs;) {
        int burst = 1 + (int)(rnd(&seed) % MAX_BURST);
        if (burst > nmsgs - seq)
            burst = nmsgs - seq;
        size_t n = 0;
        for (int k = 0; k < burst; k++) {
            msg_fill(out + n, a->id, seq + k);
            n += msg_len(a->id, seq + k);
        }
        memcpy(want, out, n);
        ssize_t w = grt_write(fd, out, n);
        if (w != (ssize_t)n)
            TEST_FAIL("client %d: write: %zd of %zu", a->id, w, n);
        /* read the echo back in pieces of random size */
        size_t got = 0;
        while (got < n) {
            size_t ask = 1 + (size_t)(rnd(&seed) % (n - got));
            if (rnd(&seed) % 2)
                ask = n - got;
            ssize_t r = grt_read(fd, in + got, ask);
            if (r <= 0)
                TEST_FAIL("client %d: read at seq %d: %zd", a->id, seq, r);
            got += (size_t)r;
        }
        if (memcmp(in, want, n) != 0) {
            /* name the first message that differs */
            size_t off = 0;
            for (int k = 0; k < burst; k++) {
                size_t l = msg_len(a->id, seq + k);
                if (memcmp(in + off, want + off, l) != 0)
                    TEST_FAIL("client %d: echo of message %d differs (got header %02x%02x "
                              "seq %d)",
                              a->id, seq + k, in[off + 1], in[off],
                              in[off + 2] | in[off + 3] << 8 | in[off + 4] << 16);
                off += l;
            }
        }
        sent += (long)n;
        seq += burst;
    }
    /* Nothing extra may follow: half-close, and the server's EOF ends the
     * stream with no byte after our last message. */
    CHECK_EQ(shutdown(fd, SHUT_WR), 0);
    char extra;
    ssize_t r = grt_read(fd, &extra, 1);
    CHECK_EQ(r, 0);
    CHECK_EQ(grt_close(fd), 0);
    atomic_fetch_add(&client_bytes, sent);
    grt_waitgroup_done(a->wg);
}

static void main_fn(void *arg)
{
    (void)arg;
    int lfd = test_listen_loopback(address, sizeof address);

    atomic_store(&server_bytes, 0);
    atomic_store(&server_conns_done, 0);
    atomic_store(&client_bytes, 0);
    CHECK_EQ(grt_go(acceptor, (void *)(intptr_t)lfd), 0);

    client_arg *ca = calloc((size_t)nclients, sizeof *ca);
    CHECK(ca != NULL);
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    CHECK_EQ(grt_waitgroup_add(&wg, nclients), 0);
    int64_t t0 = grt_now();
    for (int i = 0; i < nclients; i++) {
        ca[i] = (client_arg){i, &wg};
        CHECK_EQ(grt_go(client, &ca[i]), 0);
    }
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    int64_t t1 = grt_now();

    /* every server goroutine saw EOF and echoed all it got */
    while (atomic_load(&server_conns_done) < nclients) {
        CHECK_LT(grt_now() - t1, 60000 * MS);
        grt_sleep(1 * MS);
    }
    long expect = 0;
    for (int c = 0; c < nclients; c++)
        for (int s = 0; s < nmsgs; s++)
            expect += (long)msg_len(c, s);
    CHECK_EQ(atomic_load(&client_bytes), expect);
    CHECK_EQ(atomic_load(&server_bytes), expect);
    CHECK_EQ(atomic_load(&server_conns_done), nclients);

    /* closing the listener ends the acceptor's grt_accept (-ECANCELED) */
    CHECK_EQ(grt_close(lfd), 0);
    grt_stats st;
    CHECK_EQ(grt_stats_get(&st), 0);
    printf("echo: procs=%d clients=%d msgs=%d bytes=%ld in %.2f s (netpoll_ready=%" PRId64 ")\n",
           grt_procs(0), nclients, nmsgs, expect, (double)(t1 - t0) / 1e9, st.netpoll_ready);
    fflush(stdout);
    free(ca);
}

int main(void)
{
    /* Under the sanitizers test_scale takes a tenth: 500 clients (many
     * connections at once is the point) with 100 messages each. */
    nclients = (int)test_scale(TEST_SANITIZED ? 5000 : 1000);
    nmsgs = (int)test_scale(1000);
    /* two fds per connection (client and server end) live in this process */
    struct rlimit rl;
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rlim_t need = (rlim_t)(2 * nclients + 64);
    if (rl.rlim_cur < need) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
            TEST_SKIP("RLIMIT_NOFILE hard limit %lu < %lu", (unsigned long)rl.rlim_max,
                      (unsigned long)need);
        rl.rlim_cur = need;
        CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
    }
    test_run(2, main_fn, NULL);
    nclients = (int)test_scale(200);
    nmsgs = (int)test_scale(200);
    test_run(1, main_fn, NULL);
    printf("test_net_echo: ok\n");
    return 0;
}
