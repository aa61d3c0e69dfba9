/* http: HTTP/1.1 keep-alive hello server on 127.0.0.1:<port>, procs=1, one
 * goroutine per connection.  Each request (read up to "\r\n\r\n") gets the
 * fixed response below.  run.sh loads it with wrk and reports requests/s;
 * the server itself prints one "ready" line and then serves until killed.
 *
 * usage: bench_http PORT [procs] */
#define BENCH_NAME "http"
#include "bench.h"

static const char RESPONSE[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Length: 13\r\n"
                               "Content-Type: text/plain\r\n"
                               "\r\n"
                               "Hello, World!";
#define RESPONSE_LEN (sizeof RESPONSE - 1)

#define BUF_SIZE 8192
#define MAX_BATCH 32 /* responses per write when requests are pipelined */

static char address[64];
static int procs;

static void serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[BUF_SIZE];
    char out[MAX_BATCH * RESPONSE_LEN];
    size_t have = 0;

    for (;;) {
        ssize_t r = grt_read(fd, buf + have, sizeof buf - have);
        if (r <= 0) break;
        have += (size_t)r;

        /* answer every complete request in the buffer */
        size_t start = 0, nout = 0;
        for (;;) {
            char *end = memmem(buf + start, have - start, "\r\n\r\n", 4);
            if (!end) break;
            start = (size_t)(end - buf) + 4;
            memcpy(out + nout * RESPONSE_LEN, RESPONSE, RESPONSE_LEN);
            if (++nout == MAX_BATCH) {
                if (grt_write(fd, out, nout * RESPONSE_LEN) < 0) goto done;
                nout = 0;
            }
        }
        if (nout && grt_write(fd, out, nout * RESPONSE_LEN) < 0) goto done;
        if (start) {
            memmove(buf, buf + start, have - start);
            have -= start;
        } else if (have == sizeof buf) {
            break; /* a header larger than the buffer: not our client */
        }
    }
done:
    grt_close(fd);
}

static void bench_main(void *arg)
{
    (void)arg;
    int lfd = grt_listen("tcp", address);
    BENCH_CHECK(lfd, "grt_listen");
    printf("http procs=%d listening=%s\n", procs, address);
    fflush(stdout);
    for (;;) {
        int fd = grt_accept(lfd, NULL, NULL);
        if (fd == -ENOSYS) bench_unsupported("grt_accept");
        if (fd < 0) {
            if (fd == -EINTR || fd == -ECONNABORTED || fd == -EMFILE || fd == -ENFILE)
                continue;
            bench_fail("grt_accept", fd);
        }
        BENCH_CHECK(grt_go(serve, (void *)(intptr_t)fd), "grt_go");
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [procs]\n", argv[0]);
        return 2;
    }
    snprintf(address, sizeof address, "127.0.0.1:%d", atoi(argv[1]));
    procs = bench_procs(argc, argv, 2, 1);
    bench_run(procs, bench_main, NULL);
    return 0;
}
