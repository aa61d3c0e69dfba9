/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * serve.h - the skeleton the example servers share: a command line of
 * "PORT [SECONDS]", a listener on 127.0.0.1:PORT, one goroutine per
 * accepted connection running conn((void *)(intptr_t)fd), and a graceful
 * shutdown on SIGINT or SIGTERM.
 *
 *   int main(int argc, char **argv) { return serve_main(argc, argv, "echo", echo_conn); }
 *
 * conn serves its connection and returns; the skeleton closes the fd.
 * PORT 0 picks a free port (printed).  The server runs until SIGINT or
 * SIGTERM (grt_signal_notify), or for SECONDS if given, and then shuts
 * down gracefully (serve_shutdown): the listener closes, each connection
 * is shut down for reading so that its goroutine finishes the reply it is
 * writing, sees end-of-file and returns, and the main goroutine waits for
 * them, at most a grace period, before it returns (which ends grt_run and
 * abandons whatever is left).  A second signal cuts the grace short.
 */
#ifndef GRT_EXAMPLES_SERVE_H
#define GRT_EXAMPLES_SERVE_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "grt.h"

#define SERVE_GRACE_NS (5 * 1000000000LL)

struct serve_conn {
    struct serve      *s;
    int                fd;
    struct serve_conn *prev, *next;
};

struct serve {
    const char *name;  /* for messages */
    grt_fn      conn;  /* runs in its own goroutine per connection */
    int         lfd;
    int         port;
    int64_t     run_ns; /* 0: until a signal */
    int         status; /* the process's exit status */
    /* open connections, for the shutdown */
    grt_mutex          mu;
    struct serve_conn *conns;
    bool               stopping;
    grt_waitgroup      wg;      /* connection goroutines */
    grt_chan          *drained; /* closed when wg reaches 0 (shutdown) */
};

static inline void serve_conn_unlink(struct serve *s, struct serve_conn *c)
{
    grt_mutex_lock(&s->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    grt_mutex_unlock(&s->mu);
}

/* One connection's goroutine: conn, then the bookkeeping and the close. */
static inline void serve_conn_run(void *arg)
{
    struct serve_conn *c = arg;
    struct serve *s = c->s;
    s->conn((void *)(intptr_t)c->fd);
    serve_conn_unlink(s, c);
    grt_close(c->fd); /* unlinked first: the shutdown never sees a reused number */
    free(c);
    grt_waitgroup_done(&s->wg);
}

/* Track fd and start its goroutine; 0, or -errno (the caller closes fd). */
static inline int serve_conn_start(struct serve *s, int fd)
{
    struct serve_conn *c = calloc(1, sizeof *c);
    if (c == NULL)
        return -ENOMEM;
    c->s = s;
    c->fd = fd;
    grt_mutex_lock(&s->mu);
    c->next = s->conns;
    if (c->next)
        c->next->prev = c;
    s->conns = c;
    if (s->stopping) /* accepted as the shutdown began */
        shutdown(fd, SHUT_RD);
    grt_waitgroup_add(&s->wg, 1);
    grt_mutex_unlock(&s->mu);
    int rc = grt_go(serve_conn_run, c);
    if (rc < 0) {
        serve_conn_unlink(s, c);
        grt_waitgroup_done(&s->wg);
        free(c);
    }
    return rc;
}

/* The accept loop, a goroutine; it returns when the listener is closed. */
static inline void serve_acceptor(void *arg)
{
    struct serve *s = arg;
    for (;;) {
        int fd = grt_accept(s->lfd, NULL, NULL);
        if (fd >= 0) {
            if (serve_conn_start(s, fd) < 0)
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

static inline void serve_drained(void *arg)
{
    struct serve *s = arg;
    grt_waitgroup_wait(&s->wg);
    grt_chan_close(s->drained);
    grt_chan_release(s->drained); /* the reference serve_shutdown gave us */
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

/* The graceful shutdown: close the listener, shut every connection down
 * for reading (its goroutine finishes its reply, reads end-of-file and
 * returns), and wait for them until grace_ns have passed or a signal
 * arrives on sig (may be NULL).  Returns the connections left. */
static inline int serve_shutdown(struct serve *s, int64_t grace_ns, grt_chan *sig)
{
    grt_close(s->lfd); /* the acceptor wakes with -ECANCELED and returns */
    int open = 0;
    grt_mutex_lock(&s->mu);
    s->stopping = true;
    for (struct serve_conn *c = s->conns; c; c = c->next, open++)
        shutdown(c->fd, SHUT_RD);
    grt_mutex_unlock(&s->mu);
    grt_chan *drained = grt_chan_make(0, 0);
    if (drained == NULL)
        return open;
    s->drained = grt_chan_retain(drained);
    if (grt_go(serve_drained, s) < 0) {
        grt_chan_release(drained);
        grt_chan_release(drained);
        return open;
    }
    grt_case cs[2] = {{.chan = drained, .op = GRT_RECV}, {.chan = sig, .op = GRT_RECV}};
    int r = grt_select(cs, 2, grt_now() + grace_ns);
    grt_chan_release(drained);
    if (r == 0)
        return 0;
    open = 0;
    grt_mutex_lock(&s->mu);
    for (struct serve_conn *c = s->conns; c; c = c->next)
        open++;
    grt_mutex_unlock(&s->mu);
    return open; /* abandoned when the main goroutine returns */
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
    /* SIGINT and SIGTERM arrive on sig (buffered: a signal that finds it
     * full is dropped, and one is all we need). */
    grt_chan *sig = grt_chan_make(sizeof(int), 1);
    if (sig == NULL || grt_signal_notify(sig, SIGINT) != 0 || grt_signal_notify(sig, SIGTERM) != 0 ||
        grt_go(serve_acceptor, s) < 0) {
        fprintf(stderr, "%s: cannot start\n", s->name);
        s->status = 1;
        return;
    }
    printf("%s: listening on 127.0.0.1:%d (procs=%d)\n", s->name, s->port, grt_procs(0));
    fflush(stdout);
    int signo = 0;
    grt_case c = {.chan = sig, .op = GRT_RECV, .elem = &signo};
    int r = grt_select(&c, 1, s->run_ns ? grt_now() + s->run_ns : GRT_FOREVER);
    if (r == 0)
        printf("%s: %s, shutting down\n", s->name, strsignal(signo));
    else
        printf("%s: %g s are up, shutting down\n", s->name, (double)s->run_ns / 1e9);
    fflush(stdout);
    int left = serve_shutdown(s, SERVE_GRACE_NS, sig);
    if (left > 0)
        printf("%s: %d connections still open, abandoned\n", s->name, left);
    else
        printf("%s: every connection closed, exiting\n", s->name);
    grt_signal_stop(sig); /* SIGINT and SIGTERM are the defaults again */
    grt_chan_release(sig);
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
