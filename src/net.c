/*
 * net.c - grt_listen and grt_dial: Go's net.Listen and net.Dial for
 * "tcp", "tcp4", "tcp6" and "unix".
 *
 * Addresses are "host:port" ("[v6addr]:port" for IPv6 literals, ":port"
 * for every address).  Names are resolved with getaddrinfo between
 * grt_syscall_enter and grt_syscall_exit: a DNS lookup can block the thread
 * for seconds, and the P should keep running goroutines meanwhile.
 */
#include "runtime.h"
#include "sys.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { NET_TCP, NET_TCP4, NET_TCP6, NET_UNIX };

static int net_kind(const char *network)
{
    if (network == NULL)
        return -1;
    if (!strcmp(network, "tcp"))
        return NET_TCP;
    if (!strcmp(network, "tcp4"))
        return NET_TCP4;
    if (!strcmp(network, "tcp6"))
        return NET_TCP6;
    if (!strcmp(network, "unix"))
        return NET_UNIX;
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
    hints.ai_family = kind == NET_TCP4 ? AF_INET : kind == NET_TCP6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
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
static int sock_new(int family)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    return fd < 0 ? -errno : fd;
}

int grt_listen(const char *network, const char *address)
{
    int kind = net_kind(network);
    if (kind < 0 || address == NULL)
        return -EINVAL;
    if (kind == NET_UNIX) {
        struct sockaddr_un sun;
        socklen_t len;
        int rc = unix_addr(address, &sun, &len);
        if (rc != 0)
            return rc;
        int fd = sock_new(AF_UNIX);
        if (fd < 0)
            return fd;
        if (bind(fd, (struct sockaddr *)&sun, len) != 0 || listen(fd, SOMAXCONN) != 0) {
            rc = -errno;
            grt__sys_close(fd);
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
        int fd = sock_new(ai->ai_family);
        if (fd < 0) {
            rc = fd;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
            freeaddrinfo(res);
            return fd;
        }
        rc = -errno;
        grt__sys_close(fd);
    }
    freeaddrinfo(res);
    return rc;
}

int grt_dial(const char *network, const char *address, int64_t deadline)
{
    int kind = net_kind(network);
    if (kind < 0 || address == NULL)
        return -EINVAL;
    if (kind == NET_UNIX) {
        struct sockaddr_un sun;
        socklen_t len;
        int rc = unix_addr(address, &sun, &len);
        if (rc != 0)
            return rc;
        int fd = sock_new(AF_UNIX);
        if (fd < 0)
            return fd;
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
        int fd = sock_new(ai->ai_family);
        if (fd < 0) {
            rc = fd;
            continue;
        }
        rc = grt_connect(fd, ai->ai_addr, ai->ai_addrlen, deadline);
        if (rc == 0) {
            int one = 1; /* Go's default for TCP connections */
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
