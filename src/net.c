/*
 * net.c - grt_listen and grt_dial: Go's net.Listen, net.ListenPacket and
 * net.Dial for "tcp", "tcp4", "tcp6", "unix" (streams) and "udp", "udp4",
 * "udp6", "unixgram" (datagrams: listen binds, dial connects).
 *
 * Addresses are "host:port" ("[v6addr]:port" for IPv6 literals, ":port"
 * for every address).  Names are resolved with getaddrinfo between
 * grt_syscall_enter and grt_syscall_exit: a DNS lookup can block the thread
 * for seconds, and the P should keep running goroutines meanwhile.
 */
#include "grt.h"

#include <errno.h>
#include <stdbool.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
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

/* Split "host:port" / "[host]:port" into its parts (host may be empty). */
static int split_host_port(const char *addr, char *host, size_t hostsz, char *port, size_t portsz)
{
    const char *colon;
    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (end == NULL || end[1] != ':')
            return -EINVAL;
        size_t hl = (size_t)(end - addr - 1);
        if (hl >= hostsz)
            return -EINVAL;
        memcpy(host, addr + 1, hl);
        host[hl] = 0;
        colon = end + 1;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL)
            return -EINVAL;
        size_t hl = (size_t)(colon - addr);
        if (hl >= hostsz || memchr(addr, ':', hl)) /* bare IPv6 needs brackets */
            return -EINVAL;
        memcpy(host, addr, hl);
        host[hl] = 0;
    }
    const char *p = colon + 1;
    size_t pl = strlen(p);
    if (pl == 0 || pl >= portsz)
        return -EINVAL;
    for (size_t i = 0; i < pl; i++)
        if (p[i] < '0' || p[i] > '9')
            return -EINVAL;
    memcpy(port, p, pl + 1);
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

static int resolve(int kind, const char *address, bool passive, struct addrinfo **res)
{
    char host[256], port[16];
    int rc = split_host_port(address, host, sizeof host, port, sizeof port);
    if (rc != 0)
        return rc;
    struct addrinfo hints = {0};
    hints.ai_family = net_family(kind);
    hints.ai_socktype = net_socktype(kind);
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    grt_syscall_enter();
    int g = getaddrinfo(host[0] ? host : NULL, port, &hints, res);
    /* errno belongs to this thread, and grt_syscall_exit may resume the
     * goroutine on another one: read it before. */
    int sys = errno;
    grt_syscall_exit();
    return g == 0 ? 0 : gai_errno(g, sys);
}

static int unix_addr(const char *path, struct sockaddr_un *sun, socklen_t *len)
{
    size_t pl = strlen(path);
    if (pl == 0 || pl >= sizeof sun->sun_path)
        return -EINVAL;
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path, pl);
    if (path[0] == '@') /* Linux abstract namespace, as Go spells it */
        sun->sun_path[0] = 0;
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + pl + (path[0] == '@' ? 0 : 1));
    return 0;
}

/* A registered socket for fd's first use (grt_read etc. register lazily,
 * but registering here reports failures where the socket is made). */
static int sock_new(int family, int type)
{
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    return fd < 0 ? -errno : fd;
}

/* A bound socket starts listening only if it is a stream. */
static int sock_listen(int fd, int type)
{
    return type == SOCK_STREAM ? listen(fd, SOMAXCONN) : 0;
}

/* A unixgram socket that dials gets an address of its own (autobind: a
 * unique abstract name), so that the peer's replies can come back. */
static int sock_autobind(int fd, int kind)
{
    if (kind != NET_UNIXGRAM)
        return 0;
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    return bind(fd, (struct sockaddr *)&sun, sizeof(sa_family_t)) == 0 ? 0 : -errno;
}

int grt_listen(const char *network, const char *address)
{
    int kind = net_kind(network);
    if (kind < 0 || address == NULL)
        return -EINVAL;
    int type = net_socktype(kind);
    if (net_is_unix(kind)) {
        struct sockaddr_un sun;
        socklen_t len;
        int rc = unix_addr(address, &sun, &len);
        if (rc != 0)
            return rc;
        int fd = sock_new(AF_UNIX, type);
        if (fd < 0)
            return fd;
        if (bind(fd, (struct sockaddr *)&sun, len) != 0 || sock_listen(fd, type) != 0) {
            rc = -errno;
            close(fd);
            return rc;
        }
        return fd;
    }
    struct addrinfo *res;
    int rc = resolve(kind, address, true, &res);
    if (rc != 0)
        return rc;
    rc = -EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = sock_new(ai->ai_family, type);
        if (fd < 0) {
            rc = fd;
            continue;
        }
        int one = 1;
        if (type == SOCK_STREAM)
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && sock_listen(fd, type) == 0) {
            freeaddrinfo(res);
            return fd;
        }
        rc = -errno;
        close(fd);
    }
    freeaddrinfo(res);
    return rc;
}

int grt_dial(const char *network, const char *address, int64_t deadline)
{
    int kind = net_kind(network);
    if (kind < 0 || address == NULL)
        return -EINVAL;
    int type = net_socktype(kind);
    if (net_is_unix(kind)) {
        struct sockaddr_un sun;
        socklen_t len;
        int rc = unix_addr(address, &sun, &len);
        if (rc != 0)
            return rc;
        int fd = sock_new(AF_UNIX, type);
        if (fd < 0)
            return fd;
        rc = sock_autobind(fd, kind);
        if (rc == 0)
            rc = grt_connect(fd, (struct sockaddr *)&sun, len, deadline);
        if (rc != 0) {
            grt_close(fd);
            return rc;
        }
        return fd;
    }
    struct addrinfo *res;
    int rc = resolve(kind, address, false, &res);
    if (rc != 0)
        return rc;
    rc = -EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = sock_new(ai->ai_family, type);
        if (fd < 0) {
            rc = fd;
            continue;
        }
        rc = grt_connect(fd, ai->ai_addr, ai->ai_addrlen, deadline);
        if (rc == 0) {
            int one = 1; /* Go's default for TCP connections */
            if (type == SOCK_STREAM)
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            freeaddrinfo(res);
            return fd;
        }
        grt_close(fd);
        if (rc == -ETIMEDOUT || rc == -ECANCELED)
            break;
    }
    freeaddrinfo(res);
    return rc;
}
