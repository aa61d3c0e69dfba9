/*
 * http-hello: the HTTP/1.1 keep-alive "hello" server of BENCH.md's http
 * row, one goroutine per connection.
 *
 *   ./http-hello PORT [SECONDS]
 *
 * Listens on 127.0.0.1:PORT (0: any free port, printed) and answers every
 * request with "Hello, World!".  With SECONDS it stops after that long
 * (returning from the main goroutine ends grt_run, and with it every
 * connection goroutine); without, it serves until killed.  GRT_MAXPROCS
 * sets the number of Ps (the benchmark row uses 1).  Try:
 *
 *   ./http-hello 8080 10 &  curl -s http://127.0.0.1:8080/
 *   wrk -t1 -c50 -d5s http://127.0.0.1:8080/
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "grt.h"
#include "http_hello.h"

static int     port;
static int64_t run_ns; /* 0: forever */

static void acceptor(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = grt_accept(lfd, NULL, NULL);
        if (fd >= 0) {
            if (grt_go(http_hello_conn, (void *)(intptr_t)fd) < 0)
                grt_close(fd); /* out of memory: drop this client */
            continue;
        }
        if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM) {
            /* Out of descriptors or memory: the connection stays queued
             * until some client leaves; back off instead of spinning. */
            grt_sleep(10 * 1000000);
            continue;
        }
        if (fd == -ECANCELED || fd == -EBADF)
            return; /* the listener was closed */
        fprintf(stderr, "http-hello: accept: %s\n", strerror(-fd));
        grt_sleep(10 * 1000000);
    }
}

static void main_fn(void *arg)
{
    int *status = arg;
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    int lfd = grt_listen("tcp4", addr);
    if (lfd < 0) {
        fprintf(stderr, "http-hello: listen %s: %s\n", addr, strerror(-lfd));
        *status = 1;
        return;
    }
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    if (getsockname(lfd, (struct sockaddr *)&sin, &len) == 0)
        port = ntohs(sin.sin_port);
    printf("http-hello: listening on 127.0.0.1:%d (procs=%d)\n", port, grt_procs(0));
    fflush(stdout);
    if (run_ns == 0) {
        acceptor((void *)(intptr_t)lfd); /* forever */
        return;
    }
    if (grt_go(acceptor, (void *)(intptr_t)lfd) < 0) {
        *status = 1;
        return;
    }
    grt_sleep(run_ns);
    grt_close(lfd);
    printf("http-hello: %g s are up, exiting\n", (double)run_ns / 1e9);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PORT [SECONDS]\n", argv[0]);
        return 2;
    }
    char *end;
    long p = strtol(argv[1], &end, 10);
    if (*end || p < 0 || p > 65535) {
        fprintf(stderr, "http-hello: bad port '%s'\n", argv[1]);
        return 2;
    }
    port = (int)p;
    if (argc == 3) {
        double s = strtod(argv[2], &end);
        if (*end || !(s > 0) || s > 1e6) {
            fprintf(stderr, "http-hello: bad SECONDS '%s'\n", argv[2]);
            return 2;
        }
        run_ns = (int64_t)(s * 1e9);
    }
    int status = 0;
    int rc = grt_run(NULL, main_fn, &status);
    if (rc < 0) {
        fprintf(stderr, "http-hello: grt_run: %s\n", strerror(-rc));
        return 1;
    }
    return status;
}
