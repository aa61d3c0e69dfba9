/*
 * hook_dns.c - getaddrinfo, getnameinfo, gethostbyname, gethostbyname2,
 * gethostbyname_r on a goroutine run in grt_offload's pool: the lookup
 * blocks a pool thread, never a P.  h_errno is thread-local, so the
 * gethostbyname family carries it back from the pool thread.
 */
#include "hook.h"

#include <errno.h>

struct gai_call {
    const char             *node, *service;
    const struct addrinfo  *hints;
    struct addrinfo       **res;
    int                     rc, err;
};

static void gai_run(void *arg)
{
    struct gai_call *c = arg;
    c->rc = REAL(getaddrinfo)(c->node, c->service, c->hints, c->res);
    c->err = errno;
}

/* Run fn in the pool; the call's errno (and h_errno) are set by the
 * caller from what fn saw. */
static bool offload(grt_fn fn, void *arg)
{
    return grt_offload(fn, arg) == 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    if (!hook_on_g())
        return REAL(getaddrinfo)(node, service, hints, res);
    int saved = hook_errno_get();
    struct gai_call c = {node, service, hints, res, 0, 0};
    if (!offload(gai_run, &c))
        return REAL(getaddrinfo)(node, service, hints, res);
    hook_errno_set(c.rc == EAI_SYSTEM ? c.err : saved);
    return c.rc;
}

struct gni_call {
    const struct sockaddr *sa;
    socklen_t              salen;
    char                  *host, *serv;
    socklen_t              hostlen, servlen;
    int                    flags, rc, err;
};

static void gni_run(void *arg)
{
    struct gni_call *c = arg;
    c->rc = REAL(getnameinfo)(c->sa, c->salen, c->host, c->hostlen, c->serv, c->servlen, c->flags);
    c->err = errno;
}

int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags)
{
    if (!hook_on_g())
        return REAL(getnameinfo)(sa, salen, host, hostlen, serv, servlen, flags);
    int saved = hook_errno_get();
    struct gni_call c = {sa, salen, host, serv, hostlen, servlen, flags, 0, 0};
    if (!offload(gni_run, &c))
        return REAL(getnameinfo)(sa, salen, host, hostlen, serv, servlen, flags);
    hook_errno_set(c.rc == EAI_SYSTEM ? c.err : saved);
    return c.rc;
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
    if (!offload(ghbn_run, &c))
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
    if (!offload(ghbnr_run, &c))
        return REAL(gethostbyname_r)(name, ret, buf, buflen, result, herr);
    return c.rc; /* the error is the result; errno untouched on success */
}
