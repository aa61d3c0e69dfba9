/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * http_hello.h - one keep-alive connection of the "hello" HTTP/1.1 server
 * (BENCH.md's http row), shared by examples/http_hello.c and the benchmark
 * bench/c/http.c so that the program measured is the program shown.
 *
 * Every request, read up to its blank line ("\r\n\r\n"), gets the same
 * fixed response.  Requests pipelined into one read are answered with one
 * write.  The server does not parse methods, bodies or headers: this is
 * the benchmark's contract, not a general HTTP server.
 */
#ifndef GRT_EXAMPLES_HTTP_HELLO_H
#define GRT_EXAMPLES_HTTP_HELLO_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <stdint.h>
#include <string.h>

#include "grt.h"

static const char HTTP_HELLO_RESPONSE[] = "HTTP/1.1 200 OK\r\n"
                                          "Content-Length: 13\r\n"
                                          "Content-Type: text/plain\r\n"
                                          "\r\n"
                                          "Hello, World!";
#define HTTP_HELLO_RESPONSE_LEN (sizeof HTTP_HELLO_RESPONSE - 1)
#define HTTP_HELLO_BUF 8192
#define HTTP_HELLO_MAX_BATCH 32 /* responses per write when pipelined */

/* Serve fd until the client closes it (or sends a header larger than the
 * buffer, or an I/O error); the caller closes it (examples/serve.h). */
static inline void http_hello_serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[HTTP_HELLO_BUF];
    char out[HTTP_HELLO_MAX_BATCH * HTTP_HELLO_RESPONSE_LEN];
    size_t have = 0;

    for (;;) {
        ssize_t r = grt_read(fd, buf + have, sizeof buf - have);
        if (r <= 0)
            break;
        have += (size_t)r;

        /* answer every complete request in the buffer */
        size_t start = 0, nout = 0;
        for (;;) {
            char *end = memmem(buf + start, have - start, "\r\n\r\n", 4);
            if (!end)
                break;
            start = (size_t)(end - buf) + 4;
            memcpy(out + nout * HTTP_HELLO_RESPONSE_LEN, HTTP_HELLO_RESPONSE,
                   HTTP_HELLO_RESPONSE_LEN);
            if (++nout == HTTP_HELLO_MAX_BATCH) {
                if (grt_write(fd, out, nout * HTTP_HELLO_RESPONSE_LEN) < 0)
                    goto done;
                nout = 0;
            }
        }
        if (nout && grt_write(fd, out, nout * HTTP_HELLO_RESPONSE_LEN) < 0)
            goto done;
        if (start) {
            memmove(buf, buf + start, have - start);
            have -= start;
        } else if (have == sizeof buf) {
            break; /* a header larger than the buffer: not our client */
        }
    }
done:
    return;
}

/* http_hello_serve, then close fd: the body of a goroutine per accepted
 * connection, grt_go(http_hello_conn, (void *)(intptr_t)fd). */
static inline void http_hello_conn(void *arg)
{
    http_hello_serve(arg);
    grt_close((int)(intptr_t)arg);
}

#endif
