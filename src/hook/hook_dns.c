/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hook_dns.c - getaddrinfo, getnameinfo, gethostbyname, gethostbyname2,
 * gethostbyname_r on a goroutine run in grt_offload's pool: the lookup
 * blocks a pool thread, never a P.  h_errno is thread-local, so the
 * gethostbyname family carries it back from the pool thread.  Under an
 * ended context they fail at once (EAI_SYSTEM with errno ECANCELED or
 * ETIMEDOUT for the first two; NULL, or the errno as the result, for the
 * others); getaddrinfo and getnameinfo are also interrupted mid-lookup.
 */
#include "hook.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A lookup the pool runs, heap-owned and shared by the goroutine and the
 * pool thread (two references).  A goroutine whose context ends returns
 * at once; the lookup finishes in the pool, which then frees it and
 * whatever it produced.  Nothing the pool thread touches belongs to the
 * caller: the inputs are copied in, the results copied out. */
struct lookup {
    int   refs;                     /* atomic */
    int   rc, err;                  /* the answer; errno right after the call */
    void (*run)(struct lookup *l);
    void (*drop)(struct lookup *l); /* frees the copies and results nobody took */
};

static void lookup_unref(struct lookup *l)
{
    /* acq_rel: the last one out sees every write of the other side */
    if (__atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        l->drop(l);
        free(l);
    }
}

static void lookup_run(void *arg)
{
    struct lookup *l = arg;
    l->run(l);
    lookup_unref(l);
}

/* Run l in the pool.  0 once it has run: its results are the caller's to
 * take, then lookup_unref.  Else the errno of the goroutine's ended
 * context, and l is no longer the caller's.  When the pool cannot take it,
 * it runs here, blocking the thread as libc would. */
static int lookup_wait(struct lookup *l)
{
    int ce = hook_ctx_errno();
    if (ce != 0) { /* it would park: refused before it starts */
        l->refs = 1;
        lookup_unref(l);
        return ce;
    }
    l->refs = 2;
    int r = hook_park_offload(lookup_run, l);
    if (r == -ECANCELED || r == -ETIMEDOUT) { /* the context: the pool finishes it */
        lookup_unref(l);
        return -r;
    }
    if (r != 0) { /* not queued: fn did not run */
        l->refs = 1;
        l->run(l);
    }
    return 0;
}

/* lookup_wait for getaddrinfo and getnameinfo: true when l ran (take its
 * results, then lookup_done); false when the context ended: *rc is
 * EAI_SYSTEM, errno is set, and l is no longer the caller's. */
static bool lookup_ran(struct lookup *l, int *rc)
{
    int e = lookup_wait(l);
    if (e == 0)
        return true;
    hook_errno_set(e);
    *rc = EAI_SYSTEM;
    return false;
}

/* The answer of a lookup that ran, with errno as libc leaves it; drops
 * the caller's reference. */
static int lookup_done(struct lookup *l, int saved)
{
    int rc = l->rc;
    hook_errno_set(rc == EAI_SYSTEM ? l->err : saved);
    lookup_unref(l);
    return rc;
}

struct gai_lookup {
    struct lookup    l;
    char            *node, *service;
    struct addrinfo  hints;
    bool             hinted;
    struct addrinfo *res;
};

static void gai_run(struct lookup *l)
{
    struct gai_lookup *c = (struct gai_lookup *)l;
    l->rc = REAL(getaddrinfo)(c->node, c->service, c->hinted ? &c->hints : NULL, &c->res);
    l->err = errno;
}

static void gai_drop(struct lookup *l)
{
    struct gai_lookup *c = (struct gai_lookup *)l;
    if (l->rc == 0 && c->res)
        freeaddrinfo(c->res);
    free(c->node);
    free(c->service);
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    if (!hook_on_g())
        return REAL(getaddrinfo)(node, service, hints, res);
    int saved = hook_errno_get();
    struct gai_lookup *c = calloc(1, sizeof *c);
    if (c == NULL)
        return EAI_MEMORY;
    c->l.run = gai_run;
    c->l.drop = gai_drop;
    if ((node && !(c->node = strdup(node))) || (service && !(c->service = strdup(service)))) {
        gai_drop(&c->l);
        free(c);
        return EAI_MEMORY;
    }
    if (hints) {
        c->hints = *hints;
        c->hinted = true;
    }
    int rc;
    if (!lookup_ran(&c->l, &rc))
        return rc;
    if (c->l.rc == 0) {
        *res = c->res;
        c->res = NULL; /* the caller's now */
    }
    return lookup_done(&c->l, saved);
}

struct gni_lookup {
    struct lookup           l;
    struct sockaddr_storage sa;
    socklen_t               salen, hostlen, servlen;
    char                   *host, *serv; /* NULL when the caller's are */
    int                     flags;
};

static void gni_run(struct lookup *l)
{
    struct gni_lookup *c = (struct gni_lookup *)l;
    l->rc = REAL(getnameinfo)((struct sockaddr *)&c->sa, c->salen, c->host, c->hostlen, c->serv,
                              c->servlen, c->flags);
    l->err = errno;
}

static void gni_drop(struct lookup *l)
{
    struct gni_lookup *c = (struct gni_lookup *)l;
    free(c->host);
    free(c->serv);
}

/* A private buffer of n bytes for an output buffer of the caller's. */
static bool gni_buf(char **p, const char *theirs, socklen_t n)
{
    if (theirs == NULL || n == 0)
        return true;
    *p = malloc(n);
    return *p != NULL;
}

int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags)
{
    if (!hook_on_g() || sa == NULL || salen > sizeof(struct sockaddr_storage))
        return REAL(getnameinfo)(sa, salen, host, hostlen, serv, servlen, flags);
    int saved = hook_errno_get();
    struct gni_lookup *c = calloc(1, sizeof *c);
    if (c == NULL)
        return EAI_MEMORY;
    c->l.run = gni_run;
    c->l.drop = gni_drop;
    memcpy(&c->sa, sa, salen);
    c->salen = salen;
    c->flags = flags;
    c->hostlen = host ? hostlen : 0;
    c->servlen = serv ? servlen : 0;
    if (!gni_buf(&c->host, host, hostlen) || !gni_buf(&c->serv, serv, servlen)) {
        gni_drop(&c->l);
        free(c);
        return EAI_MEMORY;
    }
    int rc;
    if (!lookup_ran(&c->l, &rc))
        return rc;
    if (c->l.rc == 0) {
        if (c->host)
            memcpy(host, c->host, strnlen(c->host, hostlen - 1) + 1);
        if (c->serv)
            memcpy(serv, c->serv, strnlen(c->serv, servlen - 1) + 1);
    }
    return lookup_done(&c->l, saved);
}

/* gethostbyname and gethostbyname_r answer in memory that is not theirs
 * to copy (the pool thread's static hostent, the caller's buffer): they
 * are refused under an ended context, but once started they are waited
 * for to the end, under background.  0, the context's errno, or -1 when
 * the pool cannot take the call (the caller then makes it here). */
static int offload_whole(grt_fn fn, void *arg)
{
    int ce = hook_ctx_errno();
    if (ce != 0)
        return ce;
    grt_ctx *c = grt_ctx_swap(grt_ctx_background());
    int r = hook_park_offload(fn, arg);
    grt_ctx_swap(c);
    return r == 0 ? 0 : -1;
}

struct ghbn_call {
    const char     *name;
    int             af;     /* 0: gethostbyname */
    struct hostent *ret;
    int             herr, err;
};

static void ghbn_run(void *arg)
{
    struct ghbn_call *c = arg;
    c->ret = c->af ? REAL(gethostbyname2)(c->name, c->af) : REAL(gethostbyname)(c->name);
    c->herr = h_errno;
    c->err = errno;
}

static struct hostent *ghbn(const char *name, int af)
{
    struct ghbn_call c = {name, af, NULL, 0, 0};
    int saved = hook_errno_get();
    int e = offload_whole(ghbn_run, &c);
    if (e > 0) {
        h_errno = NO_RECOVERY;
        hook_errno_set(e);
        return NULL;
    }
    if (e < 0)
        return af ? REAL(gethostbyname2)(name, af) : REAL(gethostbyname)(name);
    h_errno = c.herr;
    hook_errno_set(c.ret ? saved : c.err);
    return c.ret;
}

struct hostent *gethostbyname(const char *name)
{
    if (!hook_on_g())
        return REAL(gethostbyname)(name);
    return ghbn(name, 0);
}

struct hostent *gethostbyname2(const char *name, int af)
{
    if (!hook_on_g())
        return REAL(gethostbyname2)(name, af);
    return ghbn(name, af);
}

struct ghbnr_call {
    const char      *name;
    struct hostent  *ret;
    char            *buf;
    size_t           buflen;
    struct hostent **result;
    int             *herr;
    int              rc;
};

static void ghbnr_run(void *arg)
{
    struct ghbnr_call *c = arg;
    c->rc = REAL(gethostbyname_r)(c->name, c->ret, c->buf, c->buflen, c->result, c->herr);
}

int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                    struct hostent **result, int *herr)
{
    if (!hook_on_g())
        return REAL(gethostbyname_r)(name, ret, buf, buflen, result, herr);
    struct ghbnr_call c = {name, ret, buf, buflen, result, herr, 0};
    int e = offload_whole(ghbnr_run, &c);
    if (e > 0) {
        *result = NULL;
        *herr = NO_RECOVERY;
        return e;
    }
    if (e < 0)
        return REAL(gethostbyname_r)(name, ret, buf, buflen, result, herr);
    return c.rc; /* the error is the result; errno untouched on success */
}
