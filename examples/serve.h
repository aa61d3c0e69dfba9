/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * serve.h - the skeleton the example servers share: a command line of
 * "PORT [SECONDS]", a listener on 127.0.0.1:PORT, and one goroutine per
 * accepted connection running conn((void *)(intptr_t)fd).
 *
 *   int main(int argc, char **argv) { return serve_main(argc, argv, "echo", echo_conn); }
 *
 * PORT 0 picks a free port (printed).  With SECONDS the server stops after
 * that long (returning from the main goroutine ends grt_run, and with it
 * every connection goroutine); without, it serves until killed.
 */
#ifndef GRT_EXAMPLES_SERVE_H
#define GRT_EXAMPLES_SERVE_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "grt.h"

struct serve {
    const char *name;  /* for messages */
    grt_fn      conn;  /* runs in its own goroutine per connection */
    int         lfd;
    int         port;
    int64_t     run_ns; /* 0: forever */
    int         status; /* the process's exit status */
};

/* The accept loop, a goroutine; it returns when the listener is closed. */
static inline void serve_acceptor(void *arg)
{
    struct serve *s = arg;
    for (;;) {
        int fd = grt_accept(s->lfd, NULL, NULL);
        if (fd >= 0) {
            if (grt_go(s->conn, (void *)(intptr_t)fd) < 0)
                grt_close(fd); /* out of memory: drop this client */
            continue;
        }
        if (fd == -ECANCELED || fd == -EBADF)
            return; /* the listener was closed */
        /* Out of descriptors or memory: the connection stays queued until
         * some client leaves; back off instead of spinning. */
        if (fd != -EMFILE && fd != -ENFILE && fd != -ENOBUFS && fd != -ENOMEM)
            fprintf(stderr, "%s: accept: %s\n", s->name, strerror(-fd));
        grt_sleep(10 * 1000000);
    }
}

/* Listen on 127.0.0.1:s->port (0: any) and learn the port; -errno. */
static inline int serve_listen(struct serve *s)
{
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", s->port);
    s->lfd = grt_listen("tcp4", addr);
    if (s->lfd < 0)
        return s->lfd;
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    if (getsockname(s->lfd, (struct sockaddr *)&sin, &len) == 0)
        s->port = ntohs(sin.sin_port);
    return 0;
}

static inline void serve_run(void *arg)
{
    struct serve *s = arg;
    int rc = serve_listen(s);
    if (rc < 0) {
        fprintf(stderr, "%s: listen 127.0.0.1:%d: %s\n", s->name, s->port, strerror(-rc));
        s->status = 1;
        return;
    }
    printf("%s: listening on 127.0.0.1:%d (procs=%d)\n", s->name, s->port, grt_procs(0));
    fflush(stdout);
    if (s->run_ns == 0) {
        serve_acceptor(s); /* forever */
        return;
    }
    if (grt_go(serve_acceptor, s) < 0) {
        s->status = 1;
        return;
    }
    grt_sleep(s->run_ns);
    grt_close(s->lfd);
    printf("%s: %g s are up, exiting\n", s->name, (double)s->run_ns / 1e9);
}

static inline int serve_main(int argc, char **argv, const char *name, grt_fn conn)
{
    struct serve s = {.name = name, .conn = conn};
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PORT [SECONDS]\n", argv[0]);
        return 2;
    }
    char *end;
    long p = strtol(argv[1], &end, 10);
    if (*end || p < 0 || p > 65535) {
        fprintf(stderr, "%s: bad port '%s'\n", name, argv[1]);
        return 2;
    }
    s.port = (int)p;
    if (argc == 3) {
        double secs = strtod(argv[2], &end);
        if (*end || !(secs > 0) || secs > 1e6) {
            fprintf(stderr, "%s: bad SECONDS '%s'\n", name, argv[2]);
            return 2;
        }
        s.run_ns = (int64_t)(secs * 1e9);
    }
    int rc = grt_run(NULL, serve_run, &s);
    if (rc < 0) {
        fprintf(stderr, "%s: grt_run: %s\n", name, strerror(-rc));
        return 1;
    }
    return s.status;
}

#endif
