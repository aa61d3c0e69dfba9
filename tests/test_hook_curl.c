/* SPDX-License-Identifier: BSD-3-Clause */
/* Unmodified libcurl (the easy API) on goroutines through libgrt_hook,
 * against a grt HTTP server in the same process on 127.0.0.1: each
 * request is answered after a 400 ms pause, and 10 transfers from 10
 * goroutines on procs=1 finish in about 0.4 s, not 4 s, while a heartbeat
 * goroutine keeps ticking.  curl_easy_perform's connect, poll, send and
 * recv all park the goroutine; the server shares the one P with them. */
#include "grt_test.h"

#include <stdatomic.h>
#include <stdbool.h>

#ifndef GRT_HAVE_LIBCURL
int main(void)
{
    TEST_SKIP("libcurl4-openssl-dev is not installed (scripts/deps.sh test installs it)");
}
#else
#include <curl/curl.h>

enum { NXFER = 10, PAUSE_MS = 400 };

static const char RESPONSE[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Length: 13\r\n"
                               "Content-Type: text/plain\r\n"
                               "Connection: close\r\n"
                               "\r\n"
                               "Hello, World!";

static char            url[64];
static atomic_int      served, fetched;
static grt_waitgroup   wg = GRT_WAITGROUP_INIT;
static test_heartbeat  hb;
static int64_t         elapsed;
static int             ticks;

/* One connection: read the request's head, pause, answer, close. */
static void serve_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[4096];
    size_t have = 0;
    while (have < sizeof buf - 1) {
        ssize_t r = grt_read(fd, buf + have, sizeof buf - 1 - have);
        if (r <= 0)
            break;
        have += (size_t)r;
        buf[have] = 0;
        if (strstr(buf, "\r\n\r\n")) {
            grt_sleep(PAUSE_MS * GRT_MILLISECOND);
            CHECK_EQ(grt_write(fd, RESPONSE, sizeof RESPONSE - 1), (ssize_t)(sizeof RESPONSE - 1));
            atomic_fetch_add(&served, 1);
            break;
        }
    }
    grt_close(fd);
}

static void acceptor(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = grt_accept(lfd, NULL, NULL);
        if (fd < 0)
            return; /* the listener was closed */
        CHECK_EQ(grt_go(serve_conn, (void *)(intptr_t)fd), 0);
    }
}

struct body {
    char   data[64];
    size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    size_t k = size * n;
    if (b->len + k >= sizeof b->data)
        return 0; /* more than the server sends: fail the transfer */
    memcpy(b->data + b->len, p, k);
    b->len += k;
    return k;
}

static void client(void *arg)
{
    (void)arg;
    CURL *c = curl_easy_init();
    CHECK(c != NULL);
    struct body b = {{0}, 0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  /* no SIGALRM for timeouts */
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");  /* whatever http_proxy says */
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        TEST_FAIL("curl_easy_perform: %s", curl_easy_strerror(rc));
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    CHECK_EQ(code, 200);
    CHECK(b.len == 13 && !memcmp(b.data, "Hello, World!", 13));
    curl_easy_cleanup(c);
    atomic_fetch_add(&fetched, 1);
    grt_waitgroup_done(&wg);
}

static void main_fn(void *arg)
{
    (void)arg;
    char addr[48];
    int lfd = test_listen_loopback(addr, sizeof addr);
    snprintf(url, sizeof url, "http://%s/hello", addr);
    CHECK_EQ(grt_go(acceptor, (void *)(intptr_t)lfd), 0);
    test_heartbeat_start(&hb, 10 * GRT_MILLISECOND);
    int64_t t0 = grt_now();
    grt_waitgroup_add(&wg, NXFER);
    for (int i = 0; i < NXFER; i++)
        CHECK_EQ(grt_go(client, NULL), 0);
    grt_waitgroup_wait(&wg);
    elapsed = grt_now() - t0;
    ticks = atomic_load(&hb.ticks);
    test_heartbeat_stop(&hb);
    CHECK_EQ(grt_close(lfd), 0);
    grt_sleep(20 * GRT_MILLISECOND); /* the acceptor leaves */
}

int main(void)
{
    CHECK_EQ(grt_hook_active(), 1);
    CHECK_EQ(curl_global_init(CURL_GLOBAL_DEFAULT), 0); /* once, on a plain thread */
    test_run(1, main_fn, NULL);
    curl_global_cleanup();
    printf("%d curl transfers (%d ms each) on procs=1: %.3f s, heartbeat ticks %d\n", NXFER,
           PAUSE_MS, (double)elapsed / 1e9, ticks);
    CHECK_EQ(atomic_load(&fetched), NXFER);
    CHECK_EQ(atomic_load(&served), NXFER);
    CHECK_GE(elapsed, (PAUSE_MS - 20) * GRT_MILLISECOND);
    CHECK_LT(elapsed, 3 * GRT_SECOND); /* one at a time: 4 s */
    CHECK_GE(ticks, 10);
    puts("ok");
    return 0;
}
#endif
