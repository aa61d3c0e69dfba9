/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_trace.c - the execution trace (GRT_TRACE, grt_trace_start/stop) is
 * Chrome trace-event JSON with the events DESIGN.md section 9 promises.
 *
 * A workload with two Ps makes every kind of event happen: spawns, channel
 * ping-pong (block with a reason, unblock), sleeps, system calls through
 * grt_syscall_enter/exit, a goroutine hogging its P with only cooperative
 * preemption points (preempt: no signal needed, so this works under TSan
 * too), and a burst of spawns on one P that the other P must steal from.
 * The file is then checked by python3's json module (skipped, 77, when
 * there is no python3): it parses; it has a slice per goroutine run on a
 * track per P whose slices never overlap; every event kind is there; the
 * number of create events is the number of goroutines spawned; counters
 * and track names are present; no spill file is left beside it.  Run once with GRT_TRACE in a subprocess,
 * once with grt_trace_start/stop in process (with their error cases).
 */
#include "grt_test.h"

#include <fcntl.h>

#define NPING   200
#define NBURST  400
#define NSMALL  20000 /* enough events to fill several 16,384-event chunks */

static int64_t spawned; /* by the workload, main excluded */

static void ponger(void *arg)
{
    grt_chan **ch = arg;
    int v;
    while (grt_chan_recv(ch[0], &v) == 0)
        grt_chan_send(ch[1], &v);
}

static void sleeper(void *arg)
{
    grt_waitgroup *wg = arg;
    for (int i = 0; i < 5; i++)
        grt_sleep(200000);
    grt_waitgroup_done(wg);
}

static void syscaller(void *arg)
{
    grt_waitgroup *wg = arg;
    for (int i = 0; i < 5; i++) {
        grt_syscall_enter();
        usleep(2000);
        grt_syscall_exit();
    }
    grt_waitgroup_done(wg);
}

/* Busy for 60 ms, with a cooperative preemption point (mutex lock) in
 * the loop: sysmon's request after 10 ms is honoured there. */
static void hog(void *arg)
{
    grt_waitgroup *wg = arg;
    static grt_mutex mu = GRT_MUTEX_INIT;
    int64_t end = grt_now() + 60000000;
    while (grt_now() < end) {
        grt_mutex_lock(&mu);
        grt_mutex_unlock(&mu);
    }
    grt_waitgroup_done(wg);
}

static void burst_one(void *arg)
{
    grt_waitgroup *wg = arg;
    volatile uint64_t x = 0;
    for (int i = 0; i < 20000; i++)
        x += (uint64_t)i;
    (void)x; /* volatile: the loop is the point (clang: set but not used) */
    grt_waitgroup_done(wg);
}

static void small_one(void *arg)
{
    grt_waitgroup_done(arg);
}

static void workload(void)
{
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    grt_chan *ch[2] = {grt_chan_make(sizeof(int), 0), grt_chan_make(sizeof(int), 0)};
    CHECK(ch[0] && ch[1]);
    CHECK_EQ(grt_go(ponger, ch), 0);
    grt_waitgroup_add(&wg, 4);
    CHECK_EQ(grt_go(sleeper, &wg), 0);
    CHECK_EQ(grt_go(syscaller, &wg), 0);
    CHECK_EQ(grt_go(hog, &wg), 0);
    CHECK_EQ(grt_go(hog, &wg), 0);
    spawned += 5;
    for (int i = 0; i < NPING; i++) {
        CHECK_EQ(grt_chan_send(ch[0], &i), 0);
        int v;
        CHECK_EQ(grt_chan_recv(ch[1], &v), 0);
        CHECK_EQ(v, i);
    }
    grt_waitgroup_add(&wg, NBURST);
    for (int i = 0; i < NBURST; i++)
        CHECK_EQ(grt_go(burst_one, &wg), 0);
    spawned += NBURST;
    grt_waitgroup_wait(&wg);
    /* Runs that start in one chunk and end in the next: the file pairs
     * them all (every goroutine's exit slice is counted below). */
    grt_waitgroup_add(&wg, NSMALL);
    for (int i = 0; i < NSMALL; i++)
        CHECK_EQ(grt_go(small_one, &wg), 0);
    spawned += NSMALL;
    grt_waitgroup_wait(&wg);
    grt_chan_close(ch[0]);
    grt_sleep(1000000); /* ponger leaves */
    grt_chan_release(ch[0]);
    grt_chan_release(ch[1]);
}

static const char checker[] =
    "import json, sys\n"
    "path, want_creates = sys.argv[1], int(sys.argv[2])\n"
    "with open(path) as f:\n"
    "    doc = json.load(f)\n"
    "ev = doc['traceEvents']\n"
    "names = {}\n"
    "for e in ev:\n"
    "    names[e['name']] = names.get(e['name'], 0) + 1\n"
    "runs = [e for e in ev if e.get('ph') == 'X']\n"
    "assert runs, 'no run slices'\n"
    "tids = sorted({e['tid'] for e in runs})\n"
    "assert tids and all(0 <= t < 2 for t in tids), tids\n"
    "for t in tids:\n"
    "    s = sorted((e['ts'], e['dur']) for e in runs if e['tid'] == t)\n"
    "    for (a, d), (b, _) in zip(s, s[1:]):\n"
    "        assert d >= 0 and a + d <= b + 0.002, ('overlap on P', t, a, d, b)\n"
    "for e in runs:\n"
    "    assert e['name'] == 'G%d' % e['args']['g'] and e['args']['end'] in ('block','yield','preempt','exit','handoff'), e\n"
    "for n in ('create', 'block', 'unblock', 'syscall enter', 'syscall exit', 'steal', 'preempt', 'global runq', 'thread_name', 'process_name'):\n"
    "    assert names.get(n, 0) > 0, 'missing event ' + n\n"
    "assert any(n.startswith('runq P') for n in names), 'no runq counter'\n"
    "reasons = {e['args']['reason'] for e in ev if e['name'] == 'block'}\n"
    "for r in ('chan receive', 'sleep'):\n"
    "    assert r in reasons, ('missing block reason', r, reasons)\n"
    "assert names['create'] == want_creates, ('creates', names['create'], want_creates)\n"
    "exits = sum(1 for e in runs if e['args']['end'] == 'exit')\n"
    "assert exits >= want_creates - 1, ('exits', exits)\n"
    "print('trace ok: %d events, %d runs, %d creates, %d steals, %d preempts, P tracks %s' % (len(ev), len(runs), names['create'], names['steal'], names['preempt'], tids))\n";

static void check_file(const char *path, int64_t creates)
{
    char script[] = "/tmp/grt_trace_check_XXXXXX";
    int fd = mkstemp(script);
    CHECK_GE(fd, 0);
    CHECK_EQ(write(fd, checker, sizeof checker - 1), (ssize_t)(sizeof checker - 1));
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "python3 %s %s %lld", script, path, (long long)creates);
    fflush(stdout);
    int st = system(cmd);
    unlink(script);
    if (st != 0)
        TEST_FAIL("trace check failed for %s (status %#x)", path, st);
    /* The raw events were spilled to an anonymous file beside the trace:
     * nothing of it may remain. */
    snprintf(cmd, sizeof cmd, "ls %s.spill* >/dev/null 2>&1", path);
    CHECK(system(cmd) != 0);
}

static void env_main(void *arg)
{
    (void)arg;
    workload();
}

static char path2[256];

static void api_main(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_trace_stop(), -EINVAL);
    CHECK_EQ(grt_trace_start(NULL), -EINVAL);
    CHECK_EQ(grt_trace_start(""), -EINVAL);
    CHECK_EQ(grt_trace_start("/nonexistent-dir/x.json"), -ENOENT);
    workload(); /* not traced */
    spawned = 0;
    CHECK_EQ(grt_trace_start(path2), 0);
    CHECK_EQ(grt_trace_start(path2), -EBUSY);
    workload();
    CHECK_EQ(grt_trace_stop(), 0);
    CHECK_EQ(grt_trace_stop(), -EINVAL);
    workload(); /* not traced either */
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "env")) {
        test_run(2, env_main, NULL);
        return 0;
    }
    if (system("python3 -c 'import json' >/dev/null 2>&1") != 0)
        TEST_SKIP("python3 is needed to check the trace file");
    CHECK_EQ(grt_trace_start("/tmp/x.json"), -ESRCH);
    CHECK_EQ(grt_trace_stop(), -ESRCH);

    /* 1. GRT_TRACE, the whole run, written when grt_run returns. */
    char path1[256];
    snprintf(path1, sizeof path1, "/tmp/grt_trace_env_%d.json", (int)getpid());
    char envv[300];
    snprintf(envv, sizeof envv, "GRT_TRACE=%s", path1);
    char *env[] = {envv, NULL};
    static char buf[4096];
    int st = test_subprocess("env", buf, sizeof buf, 60, env);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        TEST_FAIL("GRT_TRACE child: status %#x, stderr:\n%s", st, buf);
    check_file(path1, 5 + NBURST + NSMALL);
    unlink(path1);

    /* 2. grt_trace_start/stop around part of a run. */
    snprintf(path2, sizeof path2, "/tmp/grt_trace_api_%d.json", (int)getpid());
    test_run(2, api_main, NULL);
    check_file(path2, 5 + NBURST + NSMALL);
    unlink(path2);
    return 0;
}
