/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * http-hello: the HTTP/1.1 keep-alive "hello" server of BENCH.md's http
 * row, one goroutine per connection.
 *
 *   ./http-hello PORT [SECONDS]
 *
 * Listens on 127.0.0.1:PORT (0: any free port, printed) and answers every
 * request with "Hello, World!".  On SIGINT or SIGTERM, or after SECONDS
 * if given, it shuts down gracefully (examples/serve.h): no new
 * connections, every open one ends after the request it is answering, and
 * the process exits once they are gone (at most 5 s).  GRT_MAXPROCS
 * sets the number of Ps (the benchmark row uses 1).  Try:
 *
 *   ./http-hello 8080 10 &  curl -s http://127.0.0.1:8080/
 *   wrk -t1 -c50 -d5s http://127.0.0.1:8080/
 */
#define _GNU_SOURCE
#include "grt.h"
#include "http_hello.h"
#include "serve.h"

int main(int argc, char **argv)
{
    return serve_main(argc, argv, "http-hello", http_hello_serve);
}
