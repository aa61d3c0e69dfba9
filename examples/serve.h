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
 * PORT 0 picks a free port (printed).
 *
 * How it stops, in Go's vocabulary.  The run context is a signal context
 * (grt_signal_ctx: SIGINT and SIGTERM end it), with a deadline when
 * SECONDS is given.  The acceptor is the one member of a group under that
 * context, so a signal makes its grt_accept return -ECANCELED and the
 * main goroutine's grt_group_wait return.  The connections are members of
 * a second group, under a context of their own that the signal does not
 * touch: the shutdown (serve_shutdown) closes the listener, shuts every
 * connection down for reading, so that its goroutine finishes the reply
 * it is writing, reads end-of-file and returns, and waits for that group
 * at most a grace period.  When the grace period is over, or a second
 * signal comes, it cancels the connections' context: every blocking call
 * they make returns -ECANCELED, and they return too.
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

#define SERVE_GRACE_NS  (5 * GRT_SECOND)
#define SERVE_CUTOFF_NS (1 * GRT_SECOND) /* after the cancel, for handlers to return */

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
    grt_group  *accepting; /* the acceptor, under the run context */
    grt_ctx    *conn_ctx;  /* the connections' context: cancelled to cut them off */
    grt_group  *serving;   /* one member per connection, under conn_ctx */
    /* open connections, for the shutdown */
    grt_mutex          mu;
    struct serve_conn *conns;
    bool               stopping;
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

/* One connection's goroutine (a member of s->serving): conn, then the
 * bookkeeping and the close. */
static inline int serve_conn_run(void *arg)
{
    struct serve_conn *c = arg;
    struct serve *s = c->s;
    s->conn((void *)(intptr_t)c->fd);
    serve_conn_unlink(s, c);
    grt_close(c->fd); /* unlinked first: the shutdown never sees a reused number */
    free(c);
    return 0;
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
    grt_mutex_unlock(&s->mu);
    int rc = grt_group_go(s->serving, serve_conn_run, c);
    if (rc < 0) { /* out of memory, or the connections were cut off */
        serve_conn_unlink(s, c);
        free(c);
    }
    return rc;
}

/* The accept loop, the member of s->accepting: it returns 0 when the run
 * context ends or the listener is closed, and -errno if accepting fails
 * for good. */
static inline int serve_acceptor(void *arg)
{
    struct serve *s = arg;
    for (;;) {
        int fd = grt_accept(s->lfd, NULL, NULL);
        if (fd >= 0) {
            if (serve_conn_start(s, fd) < 0)
                grt_close(fd); /* dropped: out of memory or shutting down */
            continue;
        }
        if (fd == -ECANCELED || fd == -ETIMEDOUT || fd == -EBADF)
            return 0; /* the run context ended, or the listener was closed */
        /* Out of descriptors or memory: the connection stays queued until
         * some client leaves; back off instead of spinning. */
        if (fd != -EMFILE && fd != -ENFILE && fd != -ENOBUFS && fd != -ENOMEM) {
            fprintf(stderr, "%s: accept: %s\n", s->name, strerror(-fd));
            return fd;
        }
        if (grt_sleep(10 * GRT_MILLISECOND) < 0)
            return 0; /* the run context ended while backing off */
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

/* After serve_listen: the two groups and the acceptor, which serves until
 * run ends (NULL: the caller's context) or serve_shutdown; 0 or -errno. */
static inline int serve_start(struct serve *s, grt_ctx *run)
{
    s->conn_ctx = grt_ctx_with_cancel(grt_ctx_background());
    s->serving = s->conn_ctx ? grt_group_new(s->conn_ctx) : NULL;
    s->accepting = s->serving ? grt_group_new(run) : NULL;
    if (s->accepting == NULL || grt_group_go(s->accepting, serve_acceptor, s) != 0) {
        if (s->accepting)
            grt_group_free(s->accepting);
        if (s->serving)
            grt_group_free(s->serving);
        if (s->conn_ctx)
            grt_ctx_release(s->conn_ctx);
        s->accepting = s->serving = NULL;
        s->conn_ctx = NULL;
        return -ENOMEM;
    }
    return 0;
}

struct serve_drain {
    grt_group *serving;
    grt_chan  *done; /* closed when every connection goroutine has returned */
};

/* Waits for the connections' group; owns its argument, since a shutdown
 * that gives up on them returns without it. */
static inline void serve_drained(void *arg)
{
    struct serve_drain *d = arg;
    grt_group_wait(d->serving);
    grt_chan_close(d->done);
    grt_chan_release(d->done);
    free(d);
}

static inline int serve_open_conns(struct serve *s)
{
    int open = 0;
    grt_mutex_lock(&s->mu);
    for (struct serve_conn *c = s->conns; c; c = c->next)
        open++;
    grt_mutex_unlock(&s->mu);
    return open;
}

/* The graceful shutdown, after serve_start: close the listener and wait
 * for the acceptor; shut every connection down for reading (its goroutine
 * finishes its reply, reads end-of-file and returns) and wait for them
 * until grace_ns have passed or `cut` is ready (a second signal's done
 * channel, say; NULL: none); then cancel the connections' context and
 * wait SERVE_CUTOFF_NS more.  Returns the connections still open, left
 * running (they end with grt_run), or 0 once everything is freed. */
static inline int serve_shutdown(struct serve *s, int64_t grace_ns, grt_chan *cut)
{
    grt_close(s->lfd); /* the acceptor wakes from grt_accept and returns */
    grt_group_wait(s->accepting);
    grt_group_free(s->accepting);
    s->accepting = NULL;
    grt_mutex_lock(&s->mu);
    s->stopping = true;
    for (struct serve_conn *c = s->conns; c; c = c->next)
        shutdown(c->fd, SHUT_RD);
    grt_mutex_unlock(&s->mu);

    struct serve_drain *d = malloc(sizeof *d);
    grt_chan *drained = grt_chan_make(0, 0);
    if (d == NULL || drained == NULL) {
        free(d);
        grt_chan_release(drained);
        grt_ctx_cancel(s->conn_ctx);
        return serve_open_conns(s);
    }
    d->serving = s->serving;
    d->done = grt_chan_retain(drained);
    if (grt_go(serve_drained, d) < 0) {
        grt_chan_release(drained);
        grt_chan_release(drained);
        free(d);
        grt_ctx_cancel(s->conn_ctx);
        return serve_open_conns(s);
    }
    grt_case cs[2] = {{.chan = drained, .op = GRT_RECV}, {.chan = cut, .op = GRT_RECV}};
    int r = grt_select(cs, 2, grt_now() + grace_ns);
    if (r != 0) {
        /* Out of patience: cut them off; whatever they wait for returns
         * -ECANCELED, and well-behaved handlers return at once. */
        grt_ctx_cancel(s->conn_ctx);
        r = grt_select(cs, 1, grt_now() + SERVE_CUTOFF_NS);
    }
    grt_chan_release(drained);
    if (r != 0)
        return serve_open_conns(s);
    grt_group_free(s->serving);
    grt_ctx_release(s->conn_ctx);
    s->serving = NULL;
    s->conn_ctx = NULL;
    return 0;
}

static inline void serve_run(void *arg)
{
    static const int sigs[] = {SIGINT, SIGTERM};
    struct serve *s = arg;
    int rc = serve_listen(s);
    if (rc < 0) {
        fprintf(stderr, "%s: listen 127.0.0.1:%d: %s\n", s->name, s->port, strerror(-rc));
        s->status = 1;
        return;
    }
    /* stop ends on SIGINT or SIGTERM; run also when SECONDS are up. */
    grt_ctx *stop = grt_signal_ctx(NULL, sigs, 2);
    grt_ctx *run = stop == NULL ? NULL
                   : s->run_ns  ? grt_ctx_with_deadline(stop, grt_now() + s->run_ns)
                                : grt_ctx_retain(stop);
    if (run == NULL || serve_start(s, run) != 0) {
        fprintf(stderr, "%s: cannot start\n", s->name);
        s->status = 1;
        grt_close(s->lfd);
        grt_ctx_release(run);
        grt_ctx_release(stop);
        return;
    }
    printf("%s: listening on 127.0.0.1:%d (procs=%d)\n", s->name, s->port, grt_procs(0));
    fflush(stdout);
    /* The acceptor's group context ends with run, or when the acceptor
     * fails for good. */
    grt_case c = {.chan = grt_ctx_done(grt_group_ctx(s->accepting)), .op = GRT_RECV};
    grt_select(&c, 1, GRT_FOREVER);
    /* A second signal cuts the grace period short (and does not kill the
     * process: the signal stays caught until `again` is released). */
    grt_ctx *again = grt_signal_ctx(NULL, sigs, 2);
    if (grt_ctx_err(stop) != 0) {
        printf("%s: SIGINT or SIGTERM, shutting down\n", s->name);
    } else if (grt_ctx_err(run) != 0) {
        printf("%s: %g s are up, shutting down\n", s->name, (double)s->run_ns / 1e9);
    } else {
        printf("%s: cannot accept connections, shutting down\n", s->name);
        s->status = 1;
    }
    fflush(stdout);
    int left = serve_shutdown(s, SERVE_GRACE_NS, again ? grt_ctx_done(again) : NULL);
    if (left > 0)
        printf("%s: %d connections still open, abandoned\n", s->name, left);
    else
        printf("%s: every connection closed, exiting\n", s->name);
    grt_ctx_release(again);
    grt_ctx_release(run);
    grt_ctx_release(stop); /* SIGINT and SIGTERM are the defaults again */
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
