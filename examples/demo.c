/*
 * demo: a million goroutines in a C program.
 *
 *   ./demo [goroutines] [procs]      (defaults: 1000000, all CPUs)
 *
 * The main goroutine spawns the goroutines as fast as it can.  Each one does
 * a little arithmetic and notes which OS thread ran it (every thread gets a
 * small index the first time one of our goroutines runs on it).  Main waits
 * for all of them, then shows how the work spread over the threads, how
 * long it took, and the runtime's own counters (grt_stats_get).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grt.h"

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

static void demo_main(void *arg)
{
    (void)arg;
    int procs = grt_procs(0);
    printf("grt demo: %" PRId64 " goroutines on %d P%s (GOMAXPROCS)\n\n", n_goroutines, procs,
           procs == 1 ? "" : "s");

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
    int rc = grt_run(&cfg, demo_main, NULL);
    if (rc != 0) {
        fprintf(stderr, "grt_run: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}
