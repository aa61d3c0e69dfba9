/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * demo: a tour of grt in one program.
 *
 *   ./demo [goroutines] [procs]      (defaults: 1000000, all CPUs)
 *
 *  1. A million goroutines: main spawns them as fast as it can; each does a
 *     little arithmetic and notes which OS thread ran it.  We show how the
 *     work spread over the threads and how long it took.
 *  2. skynet: a tree of 1,000,000 goroutines talking over channels.
 *  3. A channel pipeline: generator -> squarer -> summer.
 *  4. The echo server (as examples/echo) on 127.0.0.1, and a burst of
 *     client goroutines, each checking its echoes.
 *  5. A goroutine spinning in a loop with no calls at all, on one P: the
 *     runtime preempts it (SIGURG) so that another goroutine still runs.
 *  6. Unmodified hiredis on one P (libgrt_hook): 20 goroutines each wait
 *     0.5 s in a BLPOP through hiredis's blocking API, all at once, while a
 *     heartbeat keeps ticking.  Needs libhiredis-dev and redis-server
 *     (scripts/deps.sh test); skipped with a message without them.
 *  7. The runtime's counters (grt_stats_get).
 *  8. An execution trace of part 3 and 4 (grt_trace_start/stop), written to
 *     demo-trace.json, which ui.perfetto.dev opens.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grt.h"
#include "serve.h"

#ifdef GRT_DEMO_HIREDIS
#include <hiredis/hiredis.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#define MAX_THREADS 64

/* Per-thread tallies, one cache line each (only goroutines running on that
 * thread write to it, one at a time). */
struct tally {
    atomic_llong goroutines;
    atomic_ullong checksum;
    pthread_t thread;
    char pad[64 - 2 * sizeof(long long) - sizeof(pthread_t)];
};

static struct tally tallies[MAX_THREADS];
static atomic_int nthreads;
static atomic_llong done;

/* This thread's index into tallies (-1: not assigned yet).  A goroutine can
 * move between threads, but it reads this once, without yielding, so it
 * gets the thread it is running on right now. */
static __thread int thread_index = -1;

static int my_thread(void)
{
    if (thread_index < 0) {
        int i = atomic_fetch_add(&nthreads, 1);
        if (i >= MAX_THREADS)
            i = MAX_THREADS - 1; /* lump any extra threads together */
        else
            tallies[i].thread = pthread_self();
        thread_index = i;
    }
    return thread_index;
}

static void work(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg;
    for (int i = 0; i < 50; i++) /* a little work: 50 rounds of a mixer */
        x = (x ^ (x >> 31)) * 0x9e3779b97f4a7c15ULL + 1;
    struct tally *t = &tallies[my_thread()];
    atomic_fetch_add_explicit(&t->goroutines, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->checksum, x, memory_order_relaxed);
    atomic_fetch_add_explicit(&done, 1, memory_order_release);
}

static int64_t n_goroutines = 1000000;
static pthread_t run_thread; /* the thread that called grt_run */

static double ms(int64_t ns)
{
    return (double)ns / 1e6;
}

static void print_stats(void)
{
    grt_stats s;
    if (grt_stats_get(&s) != 0)
        return;
    printf("\nRuntime counters (grt_stats_get):\n");
    printf("  goroutines now   %10" PRId64 "    spawned        %12" PRId64 "\n", s.goroutines,
           s.spawned);
    printf("  procs (Ps)       %10" PRId64 "    idle Ps        %12" PRId64 "\n", s.procs,
           s.idle_procs);
    printf("  threads (Ms)     %10" PRId64 "    idle threads   %12" PRId64 "\n", s.threads,
           s.idle_threads);
    printf("  spinning threads %10" PRId64 "    context switches %10" PRId64 "\n",
           s.spinning_threads, s.switches);
    printf("  global run queue %10" PRId64 "    local run queues %10" PRId64 "\n", s.global_runq,
           s.local_runq);
    printf("  steals           %10" PRId64 "    preemptions    %12" PRId64 "\n", s.steals,
           s.preemptions);
    printf("  syscall handoffs %10" PRId64 "    netpoll wake-ups %10" PRId64 "\n", s.handoffs,
           s.netpoll_ready);
    printf("  stack reserved   %7.1f MiB    stack resident %9.1f MiB\n",
           (double)s.stack_reserved / (1 << 20), (double)s.stack_resident / (1 << 20));
}

/* --- 2. skynet ----------------------------------------------------------- */

struct sky {
    int64_t   num, size;
    grt_chan *out;
};

static void skynet(void *arg)
{
    struct sky *me = arg;
    int64_t sum = 0;
    if (me->size == 1) {
        sum = me->num;
    } else {
        grt_chan *c = grt_chan_make(sizeof(int64_t), 0);
        int64_t sub = me->size / 10;
        struct sky kids[10];
        for (int i = 0; i < 10; i++) {
            kids[i] = (struct sky){me->num + i * sub, sub, c};
            if (grt_go(skynet, &kids[i]) != 0)
                abort();
        }
        for (int i = 0; i < 10; i++) {
            int64_t v;
            grt_chan_recv(c, &v);
            sum += v;
        }
        grt_chan_release(c);
    }
    grt_chan_send(me->out, &sum);
}

static void tour_skynet(void)
{
    grt_chan *out = grt_chan_make(sizeof(int64_t), 0);
    struct sky root = {0, 1000000, out};
    int64_t t0 = grt_now(), sum;
    grt_go(skynet, &root);
    grt_chan_recv(out, &sum);
    grt_chan_release(out);
    printf("\n2. skynet: 1,111,111 goroutines in a tree of channels, sum %" PRId64
           " (want 499999500000) in %.1f ms\n",
           sum, ms(grt_now() - t0));
}

/* --- 3. a pipeline ---------------------------------------------------------- */

#define PIPE_N 200000

static void generator(void *arg)
{
    grt_chan *out = arg;
    for (int64_t i = 1; i <= PIPE_N; i++)
        grt_chan_send(out, &i);
    grt_chan_close(out);
}

struct stage {
    grt_chan *in, *out;
};

static void squarer(void *arg)
{
    struct stage *st = arg;
    int64_t v;
    while (grt_chan_recv(st->in, &v) == 0) {
        v *= v;
        grt_chan_send(st->out, &v);
    }
    grt_chan_close(st->out);
}

static void tour_pipeline(void)
{
    grt_chan *a = grt_chan_make(sizeof(int64_t), 64), *b = grt_chan_make(sizeof(int64_t), 64);
    struct stage st = {a, b};
    int64_t t0 = grt_now(), sum = 0, v;
    grt_go(generator, a);
    grt_go(squarer, &st);
    while (grt_chan_recv(b, &v) == 0) /* -EPIPE once closed and drained */
        sum += v;
    int64_t want = (int64_t)PIPE_N * (PIPE_N + 1) * (2 * PIPE_N + 1) / 6;
    printf("\n3. pipeline generator -> squarer -> summer: %d values, sum of squares %" PRId64
           " (%s) in %.1f ms\n",
           PIPE_N, sum, sum == want ? "right" : "WRONG", ms(grt_now() - t0));
    grt_chan_release(a);
    grt_chan_release(b);
}

/* --- 4. the echo server and a burst of clients ---------------------------- */

#define CLIENTS 1000
#define MESSAGES 20

static grt_waitgroup clients_done;
static atomic_llong echo_ok, echo_bad;
static int echo_port;

static void echo_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[4096];
    ssize_t r;
    while ((r = grt_read(fd, buf, sizeof buf)) > 0)
        if (grt_write(fd, buf, (size_t)r) != r)
            break;
    /* serve.h's connection goroutine closes fd */
}

/* The server skeleton of examples/serve.h, as in examples/echo. */
static struct serve echo_server = {.name = "demo echo", .conn = echo_conn};

static void echo_client(void *arg)
{
    int id = (int)(intptr_t)arg;
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", echo_port);
    int fd = grt_dial("tcp", addr, grt_now() + 10000000000LL);
    if (fd < 0) {
        atomic_fetch_add(&echo_bad, 1);
        grt_waitgroup_done(&clients_done);
        return;
    }
    for (int m = 0; m < MESSAGES; m++) {
        char msg[64], back[64];
        int len = snprintf(msg, sizeof msg, "client %d message %d", id, m);
        ssize_t got = 0;
        if (grt_write(fd, msg, (size_t)len) != len)
            break;
        while (got < len) {
            ssize_t r = grt_read(fd, back + got, (size_t)(len - got));
            if (r <= 0)
                break;
            got += r;
        }
        if (got == len && memcmp(msg, back, (size_t)len) == 0)
            atomic_fetch_add(&echo_ok, 1);
        else
            atomic_fetch_add(&echo_bad, 1);
    }
    grt_close(fd);
    grt_waitgroup_done(&clients_done);
}

static void tour_echo(void)
{
    int rc = serve_listen(&echo_server); /* port 0: any free one */
    if (rc < 0) {
        printf("\n4. echo server: grt_listen: %s (skipped)\n", strerror(-rc));
        return;
    }
    echo_port = echo_server.port;
    if (serve_start(&echo_server, NULL) != 0) {
        printf("\n4. echo server: cannot start (skipped)\n");
        grt_close(echo_server.lfd);
        return;
    }
    int64_t t0 = grt_now();
    grt_waitgroup_add(&clients_done, CLIENTS);
    for (int i = 0; i < CLIENTS; i++)
        grt_go(echo_client, (void *)(intptr_t)i);
    grt_waitgroup_wait(&clients_done);
    printf("\n4. echo server on 127.0.0.1:%d: %d client goroutines x %d messages: %lld echoed "
           "right, %lld wrong, in %.1f ms\n   (every connection is a goroutine doing plain "
           "blocking-style reads; no thread waits on the network)\n",
           echo_port, CLIENTS, MESSAGES, (long long)atomic_load(&echo_ok),
           (long long)atomic_load(&echo_bad), ms(grt_now() - t0));
    /* Graceful, as on SIGTERM in examples/echo: the listener closes (the
     * acceptor wakes and returns), open connections are drained, and after
     * the grace period their context would be cancelled. */
    serve_shutdown(&echo_server, 5 * GRT_SECOND, NULL);
}

/* --- 5. preemption ---------------------------------------------------------- */

static atomic_int stop_spinning;
static atomic_llong spins;

static void spinner(void *arg)
{
    (void)arg;
    /* No call, no yield: only a signal can take the P away from this. */
    while (!atomic_load_explicit(&stop_spinning, memory_order_relaxed))
        atomic_fetch_add_explicit(&spins, 1, memory_order_relaxed);
}

static void tour_preempt(void)
{
    int prev = grt_procs(1);
    grt_stats s0, s1;
    grt_stats_get(&s0);
    atomic_store(&stop_spinning, 0);
    grt_go(spinner, NULL);
    grt_yield(); /* let it start: now it holds the only P */
    int64_t t0 = grt_now();
    grt_sleep(50 * 1000000); /* needs the P back to return */
    int64_t slept = grt_now() - t0;
    atomic_store(&stop_spinning, 1);
    grt_stats_get(&s1);
    printf("\n5. preemption: one P, a goroutine spinning with no calls (%lld spins); main's 50 ms "
           "sleep returned after %.1f ms, %lld preemptions\n",
           (long long)atomic_load(&spins), ms(slept), (long long)(s1.preemptions - s0.preemptions));
    grt_yield(); /* let the spinner see the flag and exit */
    grt_procs(prev);
}

/* --- 6. unmodified hiredis on one P --------------------------------- */

static const char *redis_skip = "built without hiredis (scripts/deps.sh test installs libhiredis-dev)";
#ifdef GRT_DEMO_HIREDIS
enum { BLPOPS = 20 };
static int redis_port;
static pid_t redis_pid;
static atomic_int blpops_answered, beats;
static atomic_bool beat_stop;
static grt_waitgroup blpops_done;

/* A throwaway redis-server on a free 127.0.0.1 port, persistence off; it
 * dies with the demo (PR_SET_PDEATHSIG).  Started before grt_run, on a
 * plain thread: fork and exec need nothing from the hook. */
static void redis_start(void)
{
    redis_skip = NULL;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof sin) != 0 ||
        getsockname(s, (struct sockaddr *)&sin, &len) != 0) {
        redis_skip = "no free port";
        if (s >= 0)
            close(s);
        return;
    }
    close(s);
    char port[16];
    snprintf(port, sizeof port, "%d", ntohs(sin.sin_port));
    redis_pid = fork();
    if (redis_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", "/tmp", "--logfile", "/dev/null", "--daemonize", "no",
               (char *)NULL);
        _exit(127);
    }
    if (redis_pid < 0) {
        redis_skip = "fork failed";
        return;
    }
    for (int i = 0; i < 100; i++) { /* up to 5 s */
        redisContext *c = redisConnect("127.0.0.1", ntohs(sin.sin_port));
        bool up = c && !c->err;
        redisFree(c);
        if (up) {
            redis_port = ntohs(sin.sin_port);
            return;
        }
        if (waitpid(redis_pid, NULL, WNOHANG) == redis_pid) {
            redis_pid = 0;
            redis_skip = "redis-server could not be started (scripts/deps.sh test installs it)";
            return;
        }
        usleep(50000);
    }
    redis_skip = "redis-server did not answer within 5 s";
}

static void redis_stop(void)
{
    if (redis_pid > 0) {
        kill(redis_pid, SIGKILL);
        waitpid(redis_pid, NULL, 0);
    }
}

static void blpoper(void *arg)
{
    redisContext *c = redisConnect("127.0.0.1", redis_port);
    if (c && !c->err) {
        redisReply *r = redisCommand(c, "BLPOP grt:demo:empty:%d 0.5", (int)(intptr_t)arg);
        if (r && r->type != REDIS_REPLY_ERROR)
            atomic_fetch_add(&blpops_answered, 1);
        freeReplyObject(r);
    }
    redisFree(c);
    grt_waitgroup_done(&blpops_done);
}

static void beat(void *arg)
{
    (void)arg;
    while (!atomic_load(&beat_stop)) {
        atomic_fetch_add(&beats, 1);
        grt_sleep(10 * 1000000);
    }
}
#endif

static void tour_hiredis(void)
{
    printf("\n6. unmodified hiredis on one P (libgrt_hook): ");
    if (redis_skip == NULL && !grt_hook_active())
        redis_skip = "libgrt_hook is off (GRT_HOOK=0)";
    if (redis_skip) {
        printf("skipped: %s\n", redis_skip);
        return;
    }
#ifdef GRT_DEMO_HIREDIS
    int prev = grt_procs(1);
    grt_go(beat, NULL);
    int64_t t0 = grt_now();
    grt_waitgroup_add(&blpops_done, BLPOPS);
    for (int i = 0; i < BLPOPS; i++)
        if (grt_go(blpoper, (void *)(intptr_t)i) != 0)
            grt_waitgroup_done(&blpops_done);
    grt_waitgroup_wait(&blpops_done);
    int64_t el = grt_now() - t0;
    int ticks = atomic_load(&beats);
    atomic_store(&beat_stop, true);
    printf("%d goroutines each sent a BLPOP with a 0.5 s server-side\n"
           "   timeout through hiredis's blocking API (redisCommand, not modified): %d answered,\n"
           "   all in %.0f ms on one thread (one after another: %d s); a heartbeat goroutine\n"
           "   ticked %d times meanwhile\n",
           BLPOPS, atomic_load(&blpops_answered), ms(el), BLPOPS / 2, ticks);
    grt_sleep(20 * 1000000); /* the heartbeat leaves */
    grt_procs(prev);
#endif
}

static void demo_main(void *arg)
{
    (void)arg;
    int procs = grt_procs(0);
    printf("grt demo: a tour of goroutines in C, on %d P%s (GOMAXPROCS)\n\n", procs,
           procs == 1 ? "" : "s");
    printf("1. %" PRId64 " goroutines\n", n_goroutines);

    int64_t t0 = grt_now();
    int64_t failed = 0;
    for (int64_t i = 0; i < n_goroutines; i++)
        if (grt_go(work, (void *)(uintptr_t)i) != 0)
            failed++;
    int64_t t1 = grt_now();
    int64_t live = grt_goroutines();
    int64_t want = n_goroutines - failed;

    /* Wait for all of them, letting them run on this P too. */
    while (atomic_load_explicit(&done, memory_order_acquire) < want)
        grt_yield();
    int64_t t2 = grt_now();
    while (grt_goroutines() > 1) /* the last ones are still on their way out */
        grt_yield();

    printf("Spawned  %" PRId64 " goroutines in %8.1f ms  (%5.0f ns each)%s\n", n_goroutines,
           ms(t1 - t0), (double)(t1 - t0) / (double)n_goroutines,
           failed ? "  <- some failed!" : "");
    printf("Finished %" PRId64 " goroutines in %8.1f ms  (%5.0f ns per goroutine, spawn to "
           "last exit)\n",
           (int64_t)atomic_load(&done), ms(t2 - t0), (double)(t2 - t0) / (double)want);
    printf("Alive at the end of spawning: %" PRId64 " (main included)\n\n", live);

    int nt = atomic_load(&nthreads);
    if (nt > MAX_THREADS)
        nt = MAX_THREADS;
    printf("Where they ran:\n");
    printf("  thread     goroutines   share\n");
    uint64_t checksum = 0;
    int64_t total = 0;
    for (int i = 0; i < nt; i++) {
        int64_t c = atomic_load(&tallies[i].goroutines);
        double share = 100.0 * (double)c / (double)(want ? want : 1);
        char bar[41];
        int w = (int)(share * 40.0 / 100.0 + 0.5);
        memset(bar, '#', (size_t)w);
        bar[w] = 0;
        printf("  #%-2d %15" PRId64 "  %5.1f%%  %s%s\n", i, c, share, bar,
               pthread_equal(tallies[i].thread, run_thread) ? "  (the thread that called grt_run)" : "");
        checksum += atomic_load(&tallies[i].checksum);
        total += c;
    }
    printf("  total %13" PRId64 "   on %d thread%s, checksum %016" PRIx64 "\n", total, nt,
           nt == 1 ? "" : "s", checksum);
    if (total != want)
        printf("  MISMATCH: %" PRId64 " counted, %" PRId64 " expected\n", total, want);
    if (procs > 1)
        printf("  (main spends its time spawning on one P; the other Ps take the goroutines\n"
               "   from its run queue and the global queue, so they run most of them)\n");

    tour_skynet();
    int tr = grt_trace_start("demo-trace.json");
    tour_pipeline();
    tour_echo();
    if (tr == 0 && grt_trace_stop() == 0)
        printf("\n   parts 3 and 4 were traced to demo-trace.json: open https://ui.perfetto.dev and "
               "drop the file on it\n   (a track per P, a slice per goroutine run, instants for "
               "create/block/unblock/steal/preempt)\n");
    tour_preempt();
    tour_hiredis();
    printf("\n7.");
    print_stats();
}

int main(int argc, char **argv)
{
    grt_config cfg = {.procs = 0, .stack_size = 0};
    if (argc > 1)
        n_goroutines = atoll(argv[1]);
    if (argc > 2)
        cfg.procs = atoi(argv[2]);
    if (n_goroutines < 1 || cfg.procs < 0) {
        fprintf(stderr, "usage: %s [goroutines] [procs]\n", argv[0]);
        return 2;
    }
    run_thread = pthread_self();
#ifdef GRT_DEMO_HIREDIS
    redis_start();
#endif
    int rc = grt_run(&cfg, demo_main, NULL);
#ifdef GRT_DEMO_HIREDIS
    redis_stop();
#endif
    if (rc != 0) {
        fprintf(stderr, "grt_run: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}
