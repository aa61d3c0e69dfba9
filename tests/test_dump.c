/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dump.c - grt_dump and the SIGQUIT dump list every goroutine with its
 * state and, for the parked ones, a symbolized stack trace.
 *
 * Goroutines are left in every state a dump must describe: blocked on a
 * channel (named), a mutex, a sleep, an empty select, a blocking system
 * call inside grt_syscall_enter/exit, not started yet, and a crowd of 100
 * parked on a WaitGroup.  The dump must have exactly one header per live
 * goroutine, each id spawned, the wait reasons, the creator, frames through
 * the runtime into the test's own functions (found in the executable's
 * .symtab, as the test is not linked with -rdynamic), and the dumping
 * goroutine's own trace.  In subprocesses: SIGQUIT dumps and exits 2,
 * unless the program has a SIGQUIT handler of its own, which then runs.
 */
#include "grt_test.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>

#define CROWD 100

static grt_chan     *never;
static grt_mutex     mu = GRT_MUTEX_INIT;
static grt_waitgroup gate = GRT_WAITGROUP_INIT;
static int           sys_pipe[2];
static uint64_t      ids[CROWD + 8];
static int           nids;
static grt_waitgroup started = GRT_WAITGROUP_INIT;

/* After each blocking call: no tail call, so the test function's own
 * frame is the caller of the runtime's and shows in the trace. */
#define NO_TAIL_CALL() __asm__ volatile("" ::: "memory")

static void note_id(void)
{
    ids[__atomic_fetch_add(&nids, 1, __ATOMIC_RELAXED)] = grt_id();
    grt_waitgroup_done(&started);
}

__attribute__((noinline)) static void recv_fn(void *arg)
{
    (void)arg;
    note_id();
    grt_chan_recv(never, NULL);
    NO_TAIL_CALL();
}

__attribute__((noinline)) static void mutex_fn(void *arg)
{
    (void)arg;
    note_id();
    grt_mutex_lock(&mu);
    grt_mutex_unlock(&mu);
}

__attribute__((noinline)) static void sleep_fn(void *arg)
{
    (void)arg;
    note_id();
    grt_sleep(3600LL * 1000000000);
    NO_TAIL_CALL();
}

__attribute__((noinline)) static void select_fn(void *arg)
{
    (void)arg;
    note_id();
    grt_select(NULL, 0, GRT_FOREVER);
    NO_TAIL_CALL();
}

__attribute__((noinline)) static void syscall_fn(void *arg)
{
    (void)arg;
    note_id();
    char c;
    grt_syscall_enter();
    ssize_t r = read(sys_pipe[0], &c, 1);
    grt_syscall_exit();
    (void)r;
}

__attribute__((noinline)) static void crowd_fn(void *arg)
{
    (void)arg;
    note_id();
    grt_waitgroup_wait(&gate);
    NO_TAIL_CALL();
}

__attribute__((noinline)) static void late_fn(void *arg)
{
    (void)arg;
}

static int count_headers(const char *s)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, "goroutine ")) != NULL; p++)
        if ((p == s || p[-1] == '\n') && strchr(p, '['))
            n++;
    return n;
}

/* The block of the dump about goroutine id (up to the blank line). */
static char *section(const char *dump, uint64_t id, char *out, size_t n)
{
    char key[64];
    snprintf(key, sizeof key, "goroutine %llu ", (unsigned long long)id);
    const char *p = dump;
    while ((p = strstr(p, key)) != NULL && p != dump && p[-1] != '\n')
        p++;
    if (p == NULL)
        TEST_FAIL("goroutine %llu missing from the dump:\n%s", (unsigned long long)id, dump);
    const char *e = strstr(p, "\n\n");
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len >= n)
        len = n - 1;
    memcpy(out, p, len);
    out[len] = 0;
    return out;
}

static int drain_pipe[2];
static int64_t drained_bytes;
static grt_waitgroup drained = GRT_WAITGROUP_INIT;

static void drain_fn(void *arg)
{
    (void)arg;
    char buf[4096];
    ssize_t r;
    while ((r = grt_read(drain_pipe[0], buf, sizeof buf)) > 0)
        drained_bytes += r;
    grt_close(drain_pipe[0]);
    grt_waitgroup_done(&drained);
}

static void setup(void)
{
    never = grt_chan_make(0, 0);
    CHECK(never != NULL);
    CHECK_EQ(pipe(sys_pipe), 0);
    grt_mutex_lock(&mu);
    grt_waitgroup_add(&gate, 1);
    grt_waitgroup_add(&started, 5 + CROWD);
    grt_attr named = {.stack_size = 0, .name = "receiver"};
    CHECK_EQ(grt_go_attr(recv_fn, NULL, &named), 0);
    CHECK_EQ(grt_go(mutex_fn, NULL), 0);
    CHECK_EQ(grt_go(sleep_fn, NULL), 0);
    CHECK_EQ(grt_go(select_fn, NULL), 0);
    CHECK_EQ(grt_go(syscall_fn, NULL), 0);
    for (int i = 0; i < CROWD; i++)
        CHECK_EQ(grt_go(crowd_fn, NULL), 0);
    grt_waitgroup_wait(&started);
    grt_sleep(30 * 1000000); /* let them all park */
}

static void main_g(void *arg)
{
    (void)arg;
    setup();
    CHECK_EQ(grt_go(late_fn, NULL), 0); /* runnable, not started (one P) */

    int fd = memfd_create("dump", 0);
    CHECK_GE(fd, 0);
    int64_t live = grt_goroutines();
    CHECK_EQ(grt_dump(fd), 0);
    off_t len = lseek(fd, 0, SEEK_CUR);
    CHECK_GT(len, 0);
    char *dump = calloc(1, (size_t)len + 1);
    CHECK_EQ(pread(fd, dump, (size_t)len, 0), len);
    close(fd);

    CHECK_EQ(count_headers(dump), live);
    static char sec[16384];
    for (int i = 0; i < nids; i++)
        section(dump, ids[i], sec, sizeof sec);
    CHECK_STR_CONTAINS(section(dump, 1, sec, sizeof sec), "[running, M");
    CHECK_STR_CONTAINS(sec, "grt_dump+");
    CHECK_STR_CONTAINS(sec, "main goroutine");
    /* ids: recv 2, mutex 3, sleep 4, select 5, syscall 6 (spawn order). */
    CHECK_STR_CONTAINS(section(dump, 2, sec, sizeof sec), "\"receiver\" [chan receive, ");
    /* The receive path's frame: which of grt_chan_recv and its helpers
     * keep a frame of their own is the compiler's choice (inlining, tail
     * calls), so only the name stem is checked; the user frame below it
     * shows the walk went through them. */
    CHECK_STR_CONTAINS(sec, "chan_recv");
    CHECK_STR_CONTAINS(sec, "recv_fn+");
    CHECK_STR_CONTAINS(sec, "created by goroutine 1");
    CHECK_STR_CONTAINS(section(dump, 3, sec, sizeof sec), "[sync.Mutex.Lock, ");
    CHECK_STR_CONTAINS(sec, "grt_mutex_lock+");
    CHECK_STR_CONTAINS(sec, "mutex_fn+");
    CHECK_STR_CONTAINS(section(dump, 4, sec, sizeof sec), "[sleep, ");
    CHECK_STR_CONTAINS(sec, "sleep_fn+");
    CHECK_STR_CONTAINS(section(dump, 5, sec, sizeof sec), "[select (no cases), ");
    CHECK_STR_CONTAINS(sec, "select_fn+");
    CHECK_STR_CONTAINS(section(dump, 6, sec, sizeof sec), "[syscall, ");
    CHECK_STR_CONTAINS(section(dump, ids[nids - 1], sec, sizeof sec), "[sync.WaitGroup.Wait, ");
    CHECK_STR_CONTAINS(sec, "crowd_fn+");
    CHECK_STR_CONTAINS(dump, "not started: late_fn+0");
    printf("dump: %lld goroutines, %lld bytes; goroutine 2:\n%s\n", (long long)live, (long long)len,
           section(dump, 2, sec, sizeof sec));
    free(dump);

    /* Into a pipe that a goroutine drains: far more than a pipe holds
     * (the dump is written after the world runs again, and each write
     * leaves the P to the reader). */
    CHECK_EQ(pipe(drain_pipe), 0);
    grt_waitgroup_add(&drained, 1);
    CHECK_EQ(grt_go(drain_fn, NULL), 0);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(grt_dump(drain_pipe[1]), 0);
    close(drain_pipe[1]);
    grt_waitgroup_wait(&drained);
    CHECK_GT(drained_bytes, 8 * (int64_t)len - 8 * 4096); /* every dump, give or take */
    printf("8 dumps through a pipe: %lld bytes\n", (long long)drained_bytes);

    /* A descriptor that cannot be written: its errno, and nothing lost. */
    int bad = open("/dev/null", O_RDONLY);
    CHECK_GE(bad, 0);
    CHECK_EQ(grt_dump(bad), -EBADF);
    close(bad);
    CHECK_EQ(grt_dump(-1), -EBADF);

    /* Let everybody finish so the run ends cleanly. */
    CHECK_EQ(write(sys_pipe[1], "x", 1), 1);
    grt_mutex_unlock(&mu);
    grt_waitgroup_done(&gate);
}

static volatile sig_atomic_t own_quit;
static void own_quit_handler(int sig)
{
    (void)sig;
    own_quit = 1;
}

static void quit_main(void *arg)
{
    setup();
    kill(getpid(), SIGQUIT);
    grt_sleep(2LL * 1000000000);
    if (arg == NULL) {
        fprintf(stderr, "still alive after SIGQUIT\n");
        exit(0);
    }
    fprintf(stderr, own_quit ? "own handler ran\n" : "own handler did not run\n");
    exit(own_quit ? 0 : 1);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (!strcmp(argv[1], "own"))
            signal(SIGQUIT, own_quit_handler);
        test_run(1, quit_main, !strcmp(argv[1], "own") ? (void *)1 : NULL);
        return 0;
    }
    test_run(1, main_g, NULL);

#ifdef GRT_TSAN
    /* TSan holds asynchronous signals back until the receiving thread
     * enters one of its interceptors, and a thread parked in the runtime
     * may not for a long time: the SIGQUIT timing is not testable there. */
    printf("SIGQUIT: not checked under TSan\n");
    return 0;
#endif
    static char buf[1 << 18];
    int st = test_subprocess("quit", buf, sizeof buf, 30, NULL);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 2)
        TEST_FAIL("SIGQUIT: want exit 2, got %#x; stderr:\n%s", st, buf);
    CHECK_STR_CONTAINS(buf, "SIGQUIT: quit");
    CHECK_EQ(count_headers(buf), 6 + CROWD);
    CHECK_STR_CONTAINS(buf, "\"receiver\" [chan receive, ");
    printf("SIGQUIT: exit 2 with a dump of %d goroutines\n", count_headers(buf));

    st = test_subprocess("own", buf, sizeof buf, 30, NULL);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        TEST_FAIL("own SIGQUIT handler: got %#x; stderr:\n%s", st, buf);
    CHECK_STR_CONTAINS(buf, "own handler ran");
    printf("SIGQUIT with the program's own handler: left alone\n");
    return 0;
}
