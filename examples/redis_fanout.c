/* SPDX-License-Identifier: BSD-3-Clause */
/* redis-fanout: 1,000 goroutines, each with its own connection through
 * unmodified hiredis, on a few threads.  libgrt_hook turns hiredis's
 * blocking reads and writes into parks.
 *
 *   ./redis-fanout PORT [GOROUTINES] [REQUESTS]    (a redis-server on 127.0.0.1:PORT;
 *                                                   scripts/redis-tmp.sh starts one)
 */
#include <grt.h>
#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static int port, ngor = 1000, nreq = 20;
static atomic_long ok, failed;
static grt_waitgroup wg = GRT_WAITGROUP_INIT;

static void client(void *arg)
{
    long id = (long)arg;
    redisContext *c = redisConnect("127.0.0.1", port);
    if (c == NULL || c->err) {
        atomic_fetch_add(&failed, nreq);
    } else {
        for (int i = 0; i < nreq; i++) {
            redisReply *r = redisCommand(c, "INCR grt:fanout:%ld", id % 16);
            if (r && r->type == REDIS_REPLY_INTEGER)
                atomic_fetch_add(&ok, 1);
            else
                atomic_fetch_add(&failed, 1);
            freeReplyObject(r);
        }
    }
    if (c)
        redisFree(c);
    grt_waitgroup_done(&wg);
}

static void main_fn(void *arg)
{
    (void)arg;
    int64_t t0 = grt_now();
    grt_waitgroup_add(&wg, ngor);
    for (long i = 0; i < ngor; i++)
        grt_go(client, (void *)i);
    grt_waitgroup_wait(&wg);
    double s = (double)(grt_now() - t0) / 1e9;
    grt_stats st;
    grt_stats_get(&st);
    printf("%d goroutines x %d INCR: %ld ok, %ld failed in %.3f s (%.0f req/s) on %lld threads\n",
           ngor, nreq, atomic_load(&ok), atomic_load(&failed), s, (double)atomic_load(&ok) / s,
           (long long)st.threads);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [GOROUTINES] [REQUESTS]\n", argv[0]);
        return 2;
    }
    port = atoi(argv[1]);
    if (argc > 2)
        ngor = atoi(argv[2]);
    if (argc > 3)
        nreq = atoi(argv[3]);
    if (!grt_hook_active())
        fprintf(stderr, "redis-fanout: libgrt_hook is not active: every call blocks a thread\n");
    int rc = grt_run(NULL, main_fn, NULL);
    return rc == 0 && atomic_load(&failed) == 0 ? 0 : 1;
}
