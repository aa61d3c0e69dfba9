/* SPDX-License-Identifier: BSD-3-Clause */
/* Unmodified hiredis on goroutines through libgrt_hook, against a real
 * redis-server started here (127.0.0.1, a free port, persistence off; it
 * dies with this process: PR_SET_PDEATHSIG, so neither a failure nor the
 * CTest watchdog leaves it behind).  20 BLPOPs with a 0.5 s server-side
 * timeout from 20 goroutines on procs=1 finish in about 0.5 s, not 10 s,
 * while a heartbeat goroutine keeps ticking; plus SET/GET round trips.
 * Then at procs=2, 16 goroutines make 300 round trips each, and the test
 * reports how often a goroutine parked in a hooked call resumed on the
 * thread it parked on (grt_stats.hook_resumed_home/away: the wake-up
 * affinity that keeps a library's cached &errno right). */
#include "grt_test.h"

#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/prctl.h>

#ifndef GRT_HAVE_HIREDIS
int main(void)
{
    TEST_SKIP("libhiredis-dev is not installed (scripts/deps.sh test installs it)");
}
#else
#include <hiredis/hiredis.h>

static pid_t server;
static int   port;

static void server_start(void)
{
    if (access("/usr/bin/redis-server", X_OK) != 0 && system("command -v redis-server >/dev/null") != 0)
        TEST_SKIP("redis-server is not installed (scripts/deps.sh test installs it)");
    port = test_free_port();
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    server = fork();
    CHECK_GE(server, 0);
    if (server == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execlp("redis-server", "redis-server", "--port", ps, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", "/tmp", "--daemonize", "no", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) { /* up to 10 s */
        redisContext *c = redisConnect("127.0.0.1", port);
        if (c && !c->err) {
            redisFree(c);
            return;
        }
        if (c)
            redisFree(c);
        usleep(50000);
    }
    kill(server, SIGKILL);
    TEST_FAIL("redis-server did not start on port %d", port);
}

static void server_stop(void)
{
    kill(server, SIGTERM);
    int st;
    waitpid(server, &st, 0);
}

static atomic_int blpops_done;

static void blpoper(void *arg)
{
    int i = (int)(intptr_t)arg;
    redisContext *c = redisConnect("127.0.0.1", port);
    CHECK(c != NULL && !c->err);
    redisReply *r = redisCommand(c, "BLPOP grt:empty:%d 0.5", i);
    CHECK(r != NULL);
    CHECK(r->type == REDIS_REPLY_NIL || (r->type == REDIS_REPLY_ARRAY && r->elements == 0));
    freeReplyObject(r);
    r = redisCommand(c, "SET grt:k:%d v%d", i, i);
    CHECK(r && r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = redisCommand(c, "GET grt:k:%d", i);
    char want[16];
    snprintf(want, sizeof want, "v%d", i);
    CHECK(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, want));
    freeReplyObject(r);
    redisFree(c);
    atomic_fetch_add(&blpops_done, 1);
}

#define PINGERS 16
#define ROUNDS  300

static atomic_int     pings_ok;
static grt_waitgroup *pings_wg;

static void pinger(void *arg)
{
    int i = (int)(intptr_t)arg;
    redisContext *c = redisConnect("127.0.0.1", port);
    CHECK(c != NULL && !c->err);
    for (int k = 0; k < ROUNDS; k++) {
        redisReply *r = redisCommand(c, "INCR grt:n:%d", i);
        CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == k + 1);
        freeReplyObject(r);
    }
    redisFree(c);
    atomic_fetch_add(&pings_ok, 1);
    grt_waitgroup_done(pings_wg);
}

static void pingers_main(void *arg)
{
    (void)arg;
    grt_waitgroup wg = {0};
    pings_wg = &wg;
    grt_waitgroup_add(&wg, PINGERS);
    for (intptr_t i = 0; i < PINGERS; i++)
        CHECK_EQ(grt_go(pinger, (void *)i), 0);
    grt_waitgroup_wait(&wg);
    grt_stats st;
    CHECK_EQ(grt_stats_get(&st), 0);
    long home = (long)st.hook_resumed_home, away = (long)st.hook_resumed_away;
    printf("procs=2, %d goroutines x %d INCR: %ld hooked parks resumed on their own thread, %ld "
           "on the other (%.1f%% home)\n",
           PINGERS, ROUNDS, home, away, home + away ? 100.0 * (double)home / (double)(home + away) : 0.0);
    CHECK_GE(home + away, PINGERS); /* each waited for a reply at least once */
}

int main(void)
{
    CHECK_EQ(grt_hook_active(), 1);
    server_start();
    int ticks;
    int64_t elapsed = test_overlap(blpoper, 20, &ticks);
    test_run(2, pingers_main, NULL);
    server_stop();
    printf("20 BLPOP 0.5 s on procs=1: %.3f s, heartbeat ticks %d\n", (double)elapsed / 1e9, ticks);
    CHECK_EQ(atomic_load(&blpops_done), 20);
    CHECK_GE(elapsed, 450 * 1000000LL);
    CHECK_LT(elapsed, 5 * 1000000000LL); /* one thread, one at a time: 10 s */
    CHECK_GE(ticks, 10);
    CHECK_EQ(atomic_load(&pings_ok), PINGERS);
    puts("ok");
    return 0;
}
#endif
