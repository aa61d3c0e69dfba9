/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * echo: a TCP echo server, one goroutine per connection.
 *
 *   ./echo PORT [SECONDS]
 *
 * Listens on 127.0.0.1:PORT (0: any free port, printed) and writes back
 * whatever each client sends until the client closes its side.  On SIGINT
 * or SIGTERM, or after SECONDS if given, it shuts down gracefully
 * (examples/serve.h): no new connections, each open one ends once what it
 * has read is echoed, and the process exits when they are gone (at most
 * 5 s).
 * Each connection is plain sequential code: grt_read parks the goroutine,
 * not the thread, so ten thousand idle clients cost ten thousand small
 * goroutines and no threads.  Try:
 *
 *   ./echo 7000 30 &  nc 127.0.0.1 7000
 */
#define _GNU_SOURCE
#include <stdint.h>

#include "grt.h"
#include "serve.h"

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
    /* serve.h closes fd */
}

int main(int argc, char **argv)
{
    return serve_main(argc, argv, "echo", echo_conn);
}
