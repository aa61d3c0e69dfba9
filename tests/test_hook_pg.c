/* SPDX-License-Identifier: BSD-3-Clause */
/* Unmodified libpq on goroutines through libgrt_hook, against a throwaway
 * PostgreSQL cluster made here in a temp directory (initdb and postgres as
 * the `postgres` user when root; unix socket in the directory only, trust
 * authentication, fsync off).  The postmaster dies with this process
 * (PR_SET_PDEATHSIG).  10 `SELECT pg_sleep(0.5)` from 10 goroutines on
 * procs=1 overlap (about 0.5 s, not 5 s) while a heartbeat keeps ticking. */
#include "grt_test.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#ifndef GRT_HAVE_LIBPQ
int main(void)
{
    TEST_SKIP("libpq-dev is not installed (scripts/deps.sh test installs it)");
}
#else
#include <libpq-fe.h>

static char  dir[] = "/tmp/grt-pg-XXXXXX";
static char  bindir[256];
static pid_t postmaster;
static int   port;
static struct passwd *pg_user; /* when root */

static void find_bindir(void)
{
    FILE *f = popen("ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1", "r");
    if (f == NULL || fgets(bindir, sizeof bindir, f) == NULL)
        TEST_SKIP("postgresql is not installed (scripts/deps.sh test installs it)");
    pclose(f);
    bindir[strcspn(bindir, "\n")] = 0;
}

/* In a child: become the postgres user when root, then exec. */
static void drop_root(void)
{
    if (pg_user) {
        if (setgid(pg_user->pw_gid) != 0 || setuid(pg_user->pw_uid) != 0)
            _exit(126);
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* after setuid, which clears it */
}

static int run_initdb(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        drop_root();
        char exe[512], data[300];
        snprintf(exe, sizeof exe, "%s/initdb", bindir);
        snprintf(data, sizeof data, "%s/data", dir);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(exe, exe, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void server_start(void)
{
    find_bindir();
    CHECK(mkdtemp(dir) != NULL);
    if (geteuid() == 0) {
        pg_user = getpwnam("postgres");
        if (pg_user == NULL)
            TEST_SKIP("no postgres user to run the server as");
        CHECK_EQ(chown(dir, pg_user->pw_uid, pg_user->pw_gid), 0);
    }
    int rc = run_initdb();
    if (rc != 0)
        TEST_FAIL("initdb failed: %d", rc);
    port = test_free_port();
    postmaster = fork();
    CHECK_GE(postmaster, 0);
    if (postmaster == 0) {
        drop_root();
        char exe[512], data[300], sockdir[300], ps[16];
        snprintf(exe, sizeof exe, "%s/postgres", bindir);
        snprintf(data, sizeof data, "%s/data", dir);
        snprintf(sockdir, sizeof sockdir, "unix_socket_directories=%s", dir);
        snprintf(ps, sizeof ps, "port=%d", port);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(exe, exe, "-D", data, "-c", "listen_addresses=", "-c", sockdir, "-c", ps, "-c",
              "fsync=off", (char *)NULL);
        _exit(127);
    }
    char conn[512];
    snprintf(conn, sizeof conn, "host=%s port=%d dbname=postgres user=postgres", dir, port);
    for (int i = 0; i < 300; i++) { /* up to 15 s */
        PGconn *c = PQconnectdb(conn);
        bool ok = PQstatus(c) == CONNECTION_OK;
        PQfinish(c);
        if (ok)
            return;
        usleep(50000);
    }
    kill(postmaster, SIGKILL);
    TEST_FAIL("postgres did not start in %s", dir);
}

static void server_stop(void)
{
    kill(postmaster, SIGQUIT); /* immediate shutdown */
    int st;
    waitpid(postmaster, &st, 0);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ(system(cmd), 0);
}

static atomic_int done;

static void sleeper(void *arg)
{
    int i = (int)(intptr_t)arg;
    char conn[512];
    snprintf(conn, sizeof conn, "host=%s port=%d dbname=postgres user=postgres", dir, port);
    PGconn *c = PQconnectdb(conn);
    if (PQstatus(c) != CONNECTION_OK)
        TEST_FAIL("connect: %s", PQerrorMessage(c));
    PGresult *r = PQexec(c, "SELECT pg_sleep(0.5)");
    CHECK_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    char q[64];
    snprintf(q, sizeof q, "SELECT %d + 1", i);
    r = PQexec(c, q);
    CHECK_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
    CHECK_EQ(atoi(PQgetvalue(r, 0, 0)), i + 1);
    PQclear(r);
    PQfinish(c);
    atomic_fetch_add(&done, 1);
}

int main(void)
{
    CHECK_EQ(grt_hook_active(), 1);
    server_start();
    int ticks;
    int64_t elapsed = test_overlap(sleeper, 10, &ticks);
    server_stop();
    printf("10 pg_sleep(0.5) on procs=1: %.3f s, heartbeat ticks %d\n", (double)elapsed / 1e9, ticks);
    CHECK_EQ(atomic_load(&done), 10);
    CHECK_GE(elapsed, 450 * 1000000LL);
    CHECK_LT(elapsed, 4 * 1000000000LL); /* one at a time: 5 s and more */
    CHECK_GE(ticks, 10);
    puts("ok");
    return 0;
}
#endif
