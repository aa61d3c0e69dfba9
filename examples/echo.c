/*
 * echo: a TCP echo server, one goroutine per connection.
 *
 *   ./echo PORT [SECONDS]
 *
 * Listens on 127.0.0.1:PORT (0: any free port, printed) and writes back
 * whatever each client sends until the client closes its side.  With
 * SECONDS it stops after that long; without, it serves until killed.
 * Each connection is plain sequential code: grt_read parks the goroutine,
 * not the thread, so ten thousand idle clients cost ten thousand small
 * goroutines and no threads.  Try:
 *
 *   ./echo 7000 30 &  nc 127.0.0.1 7000
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

static int     port;
static int64_t run_ns; /* 0: forever */

static void echo_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[16384];
    for (;;) {
        ssize_t r = grt_read(fd, buf, sizeof buf);
        if (r <= 0) /* 0: the client closed its side; < 0: reset or error */
            break;
        if (grt_write(fd, buf, (size_t)r) != r)
            break; /* the client went away mid-reply */
    }
    grt_close(fd);
}

static void acceptor(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = grt_accept(lfd, NULL, NULL);
        if (fd >= 0) {
            if (grt_go(echo_conn, (void *)(intptr_t)fd) < 0)
                grt_close(fd); /* out of memory: drop this client */
            continue;
        }
        if (fd == -ECANCELED || fd == -EBADF)
            return; /* the listener was closed */
        /* EMFILE and friends: the connection stays queued until a client
         * leaves and frees a descriptor; back off instead of spinning. */
        if (fd != -EMFILE && fd != -ENFILE)
            fprintf(stderr, "echo: accept: %s\n", strerror(-fd));
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
        fprintf(stderr, "echo: listen %s: %s\n", addr, strerror(-lfd));
        *status = 1;
        return;
    }
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    if (getsockname(lfd, (struct sockaddr *)&sin, &len) == 0)
        port = ntohs(sin.sin_port);
    printf("echo: listening on 127.0.0.1:%d (procs=%d)\n", port, grt_procs(0));
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
    printf("echo: %g s are up, exiting\n", (double)run_ns / 1e9);
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
        fprintf(stderr, "echo: bad port '%s'\n", argv[1]);
        return 2;
    }
    port = (int)p;
    if (argc == 3) {
        double s = strtod(argv[2], &end);
        if (*end || !(s > 0) || s > 1e6) {
            fprintf(stderr, "echo: bad SECONDS '%s'\n", argv[2]);
            return 2;
        }
        run_ns = (int64_t)(s * 1e9);
    }
    int status = 0;
    int rc = grt_run(NULL, main_fn, &status);
    if (rc < 0) {
        fprintf(stderr, "echo: grt_run: %s\n", strerror(-rc));
        return 1;
    }
    return status;
}
