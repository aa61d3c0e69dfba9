/* redis: client procs=1; 200 goroutines, each with its own connection to a
 * redis-server, each doing 2,000 x (SET k v; GET k) with 16-byte values.
 * The client library is Debian's hiredis, unmodified and blocking: linked
 * with libgrt_hook, its connect/read/write park the goroutine instead of
 * the thread.  Metric: commands per second, and the client's CPU µs per
 * command.  Usage: bench_redis HOST:PORT [procs] */
#define BENCH_NAME "redis"
#include "bench.h"

#include <stdbool.h>

#include <hiredis/hiredis.h>

#define CLIENTS 200

static char host[256];
static int port;
static int procs;
static int64_t rounds;
static redisContext *conns[CLIENTS];
static int64_t bad;
static grt_mutex bad_mu = GRT_MUTEX_INIT;
static grt_waitgroup wg = GRT_WAITGROUP_INIT;

static bool reply_is(redisReply *r, int type, const char *str)
{
    bool ok = r != NULL && r->type == type && (str == NULL || strcmp(r->str, str) == 0);
    if (r)
        freeReplyObject(r);
    return ok;
}

static void client(void *arg)
{
    int id = (int)(intptr_t)arg;
    redisContext *c = conns[id];
    char key[32], val[32];
    snprintf(key, sizeof key, "grtbench:%d", id);
    snprintf(val, sizeof val, "%016d", id); /* 16 bytes */
    int64_t nbad = 0;
    for (int64_t r = 0; r < rounds; r++) {
        if (!reply_is(redisCommand(c, "SET %s %s", key, val), REDIS_REPLY_STATUS, "OK")) {
            nbad++;
            continue;
        }
        if (!reply_is(redisCommand(c, "GET %s", key), REDIS_REPLY_STRING, val))
            nbad++;
    }
    grt_mutex_lock(&bad_mu);
    bad += nbad;
    grt_mutex_unlock(&bad_mu);
    grt_waitgroup_done(&wg);
}

static void bench_main(void *arg)
{
    (void)arg;
    if (!grt_hook_active())
        bench_unsupported("libgrt_hook (not loaded: hiredis would block the thread)");
    for (int i = 0; i < CLIENTS; i++) {
        conns[i] = redisConnect(host, port);
        if (conns[i] == NULL || conns[i]->err) {
            fprintf(stderr, "redis: connect %s:%d: %s\n", host, port,
                    conns[i] ? conns[i]->errstr : "out of memory");
            _exit(1);
        }
    }
    BENCH_CHECK(grt_waitgroup_add(&wg, CLIENTS), "grt_waitgroup_add");
    double c0 = bench_cpu_seconds();
    int64_t t0 = bench_now();
    for (int i = 0; i < CLIENTS; i++)
        BENCH_CHECK(grt_go(client, (void *)(intptr_t)i), "grt_go");
    BENCH_CHECK(grt_waitgroup_wait(&wg), "grt_waitgroup_wait");
    int64_t dt = bench_now() - t0;
    double cpu = bench_cpu_seconds() - c0;
    for (int i = 0; i < CLIENTS; i++)
        redisFree(conns[i]);
    double ops = (double)CLIENTS * (double)rounds * 2;
    printf("redis procs=%d n=%.0f metric=%.0f ops/s cpu_us=%.2f check=%lld\n", procs, ops,
           ops * 1e9 / (double)dt, cpu * 1e6 / ops, (long long)bad);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 2 || sscanf(argv[1], "%255[^:]:%d", host, &port) != 2) {
        fprintf(stderr, "usage: bench_redis HOST:PORT [procs]\n");
        return 2;
    }
    procs = bench_procs(argc, argv, 2, 1);
    rounds = bench_n(2000, 20);
    bench_run(procs, bench_main, NULL);
    return 0;
}
