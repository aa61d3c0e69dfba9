/* postgres: client procs=1; 32 goroutines, each with its own connection to
 * a PostgreSQL server, each running 2,000 x `SELECT $1::int + 1` with
 * PQexecParams.  The client library is Debian's libpq, unmodified and
 * blocking: linked with libgrt_hook, its socket calls and poll() park the
 * goroutine instead of the thread.  Metric: queries per second, and the
 * client's CPU µs per query.  Usage: bench_postgres CONNINFO [procs] */
#define BENCH_NAME "postgres"
#include "bench.h"

#include <stdbool.h>

#include <libpq-fe.h>

#define CLIENTS 32

static const char *conninfo;
static int procs;
static int64_t rounds;
static PGconn *conns[CLIENTS];
static int64_t bad;
static grt_mutex bad_mu = GRT_MUTEX_INIT;
static grt_waitgroup wg = GRT_WAITGROUP_INIT;

static bool query_once(PGconn *c, int64_t want)
{
    char arg[32];
    snprintf(arg, sizeof arg, "%lld", (long long)want);
    const char *params[1] = {arg};
    PGresult *res = PQexecParams(c, "SELECT $1::int + 1", 1, NULL, params, NULL, NULL, 0);
    bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
              strtoll(PQgetvalue(res, 0, 0), NULL, 10) == want + 1;
    PQclear(res);
    return ok;
}

static void client(void *arg)
{
    int id = (int)(intptr_t)arg;
    int64_t nbad = 0;
    for (int64_t r = 0; r < rounds; r++)
        if (!query_once(conns[id], (int64_t)id * 100000 + r))
            nbad++;
    grt_mutex_lock(&bad_mu);
    bad += nbad;
    grt_mutex_unlock(&bad_mu);
    grt_waitgroup_done(&wg);
}

static void bench_main(void *arg)
{
    (void)arg;
    if (!grt_hook_active())
        bench_unsupported("libgrt_hook (not loaded: libpq would block the thread)");
    for (int i = 0; i < CLIENTS; i++) {
        conns[i] = PQconnectdb(conninfo);
        if (PQstatus(conns[i]) != CONNECTION_OK) {
            fprintf(stderr, "postgres: connect: %s", PQerrorMessage(conns[i]));
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
        PQfinish(conns[i]);
    double q = (double)CLIENTS * (double)rounds;
    printf("postgres procs=%d n=%.0f metric=%.0f queries/s cpu_us=%.2f check=%lld\n", procs, q,
           q * 1e9 / (double)dt, cpu * 1e6 / q, (long long)bad);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_postgres CONNINFO [procs]\n");
        return 2;
    }
    conninfo = argv[1];
    procs = bench_procs(argc, argv, 2, 1);
    rounds = bench_n(2000, 20);
    bench_run(procs, bench_main, NULL);
    return 0;
}
