/* SPDX-License-Identifier: BSD-3-Clause */
/* http: HTTP/1.1 keep-alive hello server on 127.0.0.1:<port>, procs=1, one
 * goroutine per connection.  Each request (read up to "\r\n\r\n") gets a
 * fixed response; the connection handler is examples/http_hello.h, shared
 * with the http-hello example.  run.sh loads it with wrk and reports
 * requests/s; the server itself prints one "ready" line and then serves
 * until killed.
 *
 * usage: bench_http PORT [procs] */
#define BENCH_NAME "http"
#include "bench.h"

#include "http_hello.h" /* examples/: the connection handler, shared */

static char address[64];
static int procs;

static void bench_main(void *arg)
{
    (void)arg;
    int lfd = grt_listen("tcp", address);
    BENCH_CHECK(lfd, "grt_listen");
    printf("http procs=%d listening=%s\n", procs, address);
    fflush(stdout);
    for (;;) {
        int fd = grt_accept(lfd, NULL, NULL);
        if (fd == -ENOSYS) bench_unsupported("grt_accept");
        if (fd < 0) {
            if (fd == -EMFILE || fd == -ENFILE) {
                /* the pending connection stays queued: back off, retry */
                grt_sleep(1000000);
                continue;
            }
            if (fd == -EINTR || fd == -ECONNABORTED)
                continue;
            bench_fail("grt_accept", fd);
        }
        BENCH_CHECK(grt_go(http_hello_conn, (void *)(intptr_t)fd), "grt_go");
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [procs]\n", argv[0]);
        return 2;
    }
    snprintf(address, sizeof address, "127.0.0.1:%d", atoi(argv[1]));
    procs = bench_procs(argc, argv, 2, 1);
    bench_run(procs, bench_main, NULL);
    return 0;
}
