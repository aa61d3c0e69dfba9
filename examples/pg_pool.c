/* SPDX-License-Identifier: BSD-3-Clause */
/* pg-pool: a pool of libpq connections shared by many goroutines through a
 * channel, unmodified libpq parking goroutines through libgrt_hook.
 *
 *   ./pg-pool "CONNINFO" [CONNECTIONS] [GOROUTINES] [QUERIES]
 *   (scripts/pg-tmp.sh starts a throwaway cluster: host=DIR port=PORT user=postgres)
 */
#include <grt.h>
#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static const char *conninfo;
static int nconn = 8, ngor = 100, nq = 20;
static grt_chan *pool; /* PGconn * elements: the idle connections */
static atomic_long ok, failed;
static grt_waitgroup wg = GRT_WAITGROUP_INIT;

static void worker(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < nq; i++) {
        PGconn *c;
        grt_chan_recv(pool, &c); /* take a connection (parks while all are busy) */
        char q[64];
        snprintf(q, sizeof q, "SELECT %ld + %d", id, i);
        PGresult *r = PQexec(c, q);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && atol(PQgetvalue(r, 0, 0)) == id + i)
            atomic_fetch_add(&ok, 1);
        else
            atomic_fetch_add(&failed, 1);
        PQclear(r);
        grt_chan_send(pool, &c); /* give it back */
    }
    grt_waitgroup_done(&wg);
}

static void main_fn(void *arg)
{
    (void)arg;
    pool = grt_chan_make(sizeof(PGconn *), (size_t)nconn);
    for (int i = 0; i < nconn; i++) {
        PGconn *c = PQconnectdb(conninfo);
        if (PQstatus(c) != CONNECTION_OK) {
            fprintf(stderr, "pg-pool: %s", PQerrorMessage(c));
            atomic_fetch_add(&failed, 1);
            PQfinish(c);
            return;
        }
        grt_chan_send(pool, &c);
    }
    int64_t t0 = grt_now();
    grt_waitgroup_add(&wg, ngor);
    for (long i = 0; i < ngor; i++)
        grt_go(worker, (void *)i);
    grt_waitgroup_wait(&wg);
    double s = (double)(grt_now() - t0) / 1e9;
    printf("%d goroutines x %d queries over %d connections: %ld ok, %ld failed in %.3f s (%.0f q/s)\n",
           ngor, nq, nconn, atomic_load(&ok), atomic_load(&failed), s, (double)atomic_load(&ok) / s);
    for (int i = 0; i < nconn; i++) {
        PGconn *c;
        grt_chan_recv(pool, &c);
        PQfinish(c);
    }
    grt_chan_release(pool);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CONNINFO [CONNECTIONS] [GOROUTINES] [QUERIES]\n", argv[0]);
        return 2;
    }
    conninfo = argv[1];
    if (argc > 2)
        nconn = atoi(argv[2]);
    if (argc > 3)
        ngor = atoi(argv[3]);
    if (argc > 4)
        nq = atoi(argv[4]);
    if (nconn < 1)
        nconn = 1;
    if (!grt_hook_active())
        fprintf(stderr, "pg-pool: libgrt_hook is not active: every query blocks a thread\n");
    int rc = grt_run(NULL, main_fn, NULL);
    return rc == 0 && atomic_load(&failed) == 0 ? 0 : 1;
}
