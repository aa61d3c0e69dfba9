/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net.c - grt_listen and grt_dial: Go's net.Listen, net.ListenPacket and
 * net.Dial for "tcp", "tcp4", "tcp6", "unix" (streams) and "udp", "udp4",
 * "udp6", "unixgram" (datagrams: listen binds, dial connects).
 *
 * Addresses are "host:port" ("[v6addr]:port" for IPv6 literals, ":port"
 * for every address).  Names are resolved with getaddrinfo in the offload
 * pool (offload.c): a DNS lookup can block a thread for seconds, and
 * neither the P nor the dial's deadline should wait for it.
 */
#include "grt.h"
#include "netpoll.h"
#include "offload.h"

#include <errno.h>
#include <stdbool.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { NET_TCP, NET_TCP4, NET_TCP6, NET_UNIX, NET_UDP, NET_UDP4, NET_UDP6, NET_UNIXGRAM };

static bool net_is_unix(int kind)
{
    return kind == NET_UNIX || kind == NET_UNIXGRAM;
}

static int net_socktype(int kind)
{
    return kind >= NET_UDP ? SOCK_DGRAM : SOCK_STREAM;
}

static int net_family(int kind)
{
    switch (kind) {
    case NET_TCP4: case NET_UDP4:
        return AF_INET;
    case NET_TCP6: case NET_UDP6:
        return AF_INET6;
    default:
        return AF_UNSPEC;
    }
}

static int net_kind(const char *network)
{
    static const char *const names[] = {
        [NET_TCP] = "tcp", [NET_TCP4] = "tcp4", [NET_TCP6] = "tcp6", [NET_UNIX] = "unix",
        [NET_UDP] = "udp", [NET_UDP4] = "udp4", [NET_UDP6] = "udp6", [NET_UNIXGRAM] = "unixgram",
    };
    for (int k = 0; network && k < (int)(sizeof names / sizeof names[0]); k++)
        if (!strcmp(network, names[k]))
            return k;
    return -1;
}

/* A port: decimal digits only, 0-65535 (Go's rule; no sign, no space, no
 * service name). */
static bool port_ok(const char *p)
{
    if (*p == 0)
        return false;
    long v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
        if (v > 65535)
            return false;
    }
    return true;
}

/* Split "host:port" / "[host]:port" into its parts (host may be empty).
 * -EINVAL for a missing or bad port, unbalanced brackets, a bare IPv6
 * address, or a host too long to be one. */
static int split_host_port(const char *addr, char *host, size_t hostsz, char *port, size_t portsz)
{
    const char *colon, *h;
    size_t hl;
    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (end == NULL || end[1] != ':')
            return -EINVAL;
        h = addr + 1;
        hl = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL)
            return -EINVAL;
        h = addr;
        hl = (size_t)(colon - addr);
        if (memchr(addr, ':', hl)) /* bare IPv6 needs brackets */
            return -EINVAL;
    }
    if (hl >= hostsz || memchr(h, '[', hl) || memchr(h, ']', hl))
        return -EINVAL;
    const char *p = colon + 1;
    if (!port_ok(p) || strlen(p) >= portsz)
        return -EINVAL;
    memcpy(host, h, hl);
    host[hl] = 0;
    strcpy(port, p);
    return 0;
}

/* rc from getaddrinfo as a negative errno; sys is errno as it was right
 * after the call (for EAI_SYSTEM). */
static int gai_errno(int rc, int sys)
{
    switch (rc) {
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
        return -ENOENT;
    case EAI_AGAIN:
        return -EAGAIN;
    case EAI_MEMORY:
        return -ENOMEM;
    case EAI_SYSTEM:
        return sys ? -sys : -EIO;
    default:
        return -EINVAL;
    }
}

/* A name lookup in the offload pool.  Heap-owned: when the dial's
 * deadline passes first, the dial returns and the pool thread frees the
 * lookup and its result when getaddrinfo finally returns. */
struct lookup {
    char             host[256], port[16];
    struct addrinfo  hints;
    struct addrinfo *res;
    int              rc;
    int              sys; /* errno right after the call (EAI_SYSTEM) */
};

static void lookup_run(void *arg)
{
    struct lookup *l = arg;
    l->rc = getaddrinfo(l->host[0] ? l->host : NULL, l->port, &l->hints, &l->res);
    l->sys = errno;
}

static void lookup_discard(void *arg)
{
    struct lookup *l = arg;
    if (l->rc == 0 && l->res)
        freeaddrinfo(l->res);
    free(l);
}

/* Resolve host and port (split by split_host_port, so they fit); a name
 * (not a literal, not empty) goes through the offload pool and the
 * deadline covers it. */
static int resolve(int kind, const char *host, const char *port, bool passive, int64_t deadline,
                   struct addrinfo **res)
{
    struct lookup *l = calloc(1, sizeof *l);
    if (l == NULL)
        return -ENOMEM;
    snprintf(l->host, sizeof l->host, "%s", host);
    snprintf(l->port, sizeof l->port, "%s", port);
    int rc;
    l->hints.ai_family = net_family(kind);
    l->hints.ai_socktype = net_socktype(kind);
    l->hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    /* Literal addresses and "every address" never block: no pool. */
    struct addrinfo numeric = l->hints;
    numeric.ai_flags |= AI_NUMERICHOST;
    int g = getaddrinfo(l->host[0] ? l->host : NULL, l->port, &numeric, res);
    if (g == 0 || l->host[0] == 0) {
        rc = g == 0 ? 0 : gai_errno(g, errno);
        free(l);
        return rc;
    }
    grt__offload *o = grt__offload_new(lookup_run, l, lookup_discard);
    if (o == NULL) {
        free(l);
        return -ENOMEM;
    }
    rc = grt__offload_wait(o, deadline);
    if (rc != 0)
        return rc; /* l went to lookup_discard */
    rc = l->rc == 0 ? 0 : gai_errno(l->rc, l->sys);
    *res = l->res;
    free(l);
    return rc;
}

/* "path" or "@abstract" as a sockaddr_un.  A path takes at most 107 bytes
 * (sun_path ends with its NUL); an abstract name, which is not
 * NUL-terminated, may fill all 108 (the '@' becomes the leading NUL), and
 * the address length counts exactly its bytes.  Longer: -EINVAL, as Go's
 * (and bind(2)'s) answer. */
static int unix_addr(const char *path, struct sockaddr_un *sun, socklen_t *len)
{
    size_t pl = strlen(path);
    bool abstract = path[0] == '@';
    if (pl == 0)
        return -EINVAL;
    if (pl > sizeof sun->sun_path - (abstract ? 0 : 1))
        return -EINVAL;
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path, pl);
    if (abstract) /* Linux abstract namespace, as Go spells it */
        sun->sun_path[0] = 0;
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + pl + (abstract ? 0 : 1));
    return 0;
}

/* A registered socket for fd's first use (grt_read etc. register lazily,
 * but registering here reports failures where the socket is made). */
static int sock_new(int family, int type)
{
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    return fd < 0 ? -errno : fd;
}

/* What listen or dial does with one candidate: fd is a fresh socket of
 * sa's family and the network's type; 0 if it is now the caller's, or
 * -errno. */
typedef int (*addr_try_fn)(int fd, int kind, const struct sockaddr *sa, socklen_t len, void *arg);

static int try_addr(int kind, const struct sockaddr *sa, socklen_t len, addr_try_fn try, void *arg)
{
    int fd = sock_new(sa->sa_family, net_socktype(kind));
    if (fd < 0)
        return fd;
    int rc = try(fd, kind, sa, len, arg);
    if (rc == 0)
        return fd;
    grt_close(fd);
    return rc;
}

/* Go listens on every address for "tcp" with an empty or unspecified
 * host: one IPv6 socket with IPV6_V6ONLY off takes IPv4 too.  A machine
 * without IPv6 gets an IPv4 socket instead. */
static bool dual_stack(int kind, const char *host)
{
    return (kind == NET_TCP || kind == NET_UDP) &&
           (!host[0] || !strcmp(host, "0.0.0.0") || !strcmp(host, "::"));
}

static int try_dual(int kind, const char *port, addr_try_fn try, void *arg)
{
    struct sockaddr_in6 any6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
    any6.sin6_port = htons((uint16_t)atoi(port));
    int fd = try_addr(kind, (struct sockaddr *)&any6, sizeof any6, try, arg);
    if (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL || fd == -EPROTONOSUPPORT || fd == -ENOPROTOOPT) {
        struct sockaddr_in any4 = {.sin_family = AF_INET, .sin_addr = {htonl(INADDR_ANY)}};
        any4.sin_port = any6.sin6_port;
        fd = try_addr(kind, (struct sockaddr *)&any4, sizeof any4, try, arg);
    }
    return fd;
}

/* The loop listen and dial share: resolve address for network kind (a
 * unix path is its one candidate; names go through getaddrinfo, passive
 * for a listener, under the deadline) and try each candidate in turn until one works.  Returns
 * its fd, or the last error; a deadline that passed or a close ends the
 * search at once.  A dial needs a host and a runtime (it may park). */
static int net_open(int kind, const char *address, bool passive, int64_t deadline,
                    addr_try_fn try, void *arg)
{
    if (net_is_unix(kind)) {
        struct sockaddr_un sun;
        socklen_t len;
        int rc = unix_addr(address, &sun, &len);
        if (rc != 0)
            return rc;
        if (!passive && !grt__netpoll_inited())
            return -EPERM;
        return try_addr(kind, (struct sockaddr *)&sun, len, try, arg);
    }
    char host[256], port[16];
    int rc = split_host_port(address, host, sizeof host, port, sizeof port);
    if (rc != 0)
        return rc;
    if (!passive && !host[0])
        return -EINVAL; /* nothing to dial (grt.h) */
    if (!passive && !grt__netpoll_inited())
        return -EPERM;
    if (passive && dual_stack(kind, host))
        return try_dual(kind, port, try, arg);
    if ((kind == NET_TCP6 || kind == NET_UDP6) && !host[0])
        strcpy(host, "::");
    struct addrinfo *res;
    rc = resolve(kind, host, port, passive, deadline, &res);
    if (rc != 0)
        return rc;
    rc = -EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        rc = try_addr(kind, ai->ai_addr, ai->ai_addrlen, try, arg);
        if (rc >= 0 || rc == -ETIMEDOUT || rc == -ECANCELED)
            break;
    }
    freeaddrinfo(res);
    return rc;
}

/* A stream socket binds and listens; a datagram socket only binds.
 * "tcp6" and "udp6" are IPv6 only, as in Go; other IPv6 sockets (the
 * dual-stack one) take IPv4 too. */
static int listen_try(int fd, int kind, const struct sockaddr *sa, socklen_t len, void *arg)
{
    (void)arg;
    bool stream = net_socktype(kind) == SOCK_STREAM;
    int v6only = kind == NET_TCP6 || kind == NET_UDP6;
    if (stream && sa->sa_family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    }
    if (sa->sa_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0)
        return -errno;
    if (bind(fd, sa, len) != 0 || (stream && listen(fd, SOMAXCONN) != 0))
        return -errno;
    /* Like Go's UnixListener, grt_close removes the socket file (a path,
     * not an abstract name); outside a run (-EPERM) there is nothing to
     * remember it in. */
    const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
    if (stream && sa->sa_family == AF_UNIX && sun->sun_path[0] != 0)
        grt__fd_unlink_on_close(fd, sun->sun_path);
    return 0;
}

int grt_listen(const char *network, const char *address)
{
    int kind = net_kind(network);
    if (kind < 0 || address == NULL)
        return -EINVAL;
    return net_open(kind, address, true, GRT_FOREVER, listen_try, NULL);
}

static int dial_try(int fd, int kind, const struct sockaddr *sa, socklen_t len, void *arg)
{
    if (kind == NET_UNIXGRAM) {
        /* An address of its own (autobind: a unique abstract name), so
         * that the peer's replies can come back. */
        struct sockaddr_un me = {.sun_family = AF_UNIX};
        if (bind(fd, (struct sockaddr *)&me, sizeof(sa_family_t)) != 0)
            return -errno;
    }
    int rc = grt_connect(fd, sa, len, *(const int64_t *)arg);
    if (rc == 0 && net_socktype(kind) == SOCK_STREAM && sa->sa_family != AF_UNIX) {
        int one = 1; /* Go's default for TCP connections */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return rc;
}

int grt_dial(const char *network, const char *address, int64_t deadline)
{
    int kind = net_kind(network);
    if (kind < 0 || address == NULL)
        return -EINVAL;
    return net_open(kind, address, false, deadline, dial_try, &deadline);
}
