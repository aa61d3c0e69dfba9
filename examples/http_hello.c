/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * http-hello: the HTTP/1.1 keep-alive "hello" server of BENCH.md's http
 * row, one goroutine per connection.
 *
 *   ./http-hello PORT [SECONDS]
 *
 * Listens on 127.0.0.1:PORT (0: any free port, printed) and answers every
 * request with "Hello, World!".  With SECONDS it stops after that long
 * (returning from the main goroutine ends grt_run, and with it every
 * connection goroutine); without, it serves until killed.  GRT_MAXPROCS
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
    return serve_main(argc, argv, "http-hello", http_hello_conn);
}
