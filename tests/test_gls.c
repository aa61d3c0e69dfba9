/*
 * test_gls.c - goroutine-local storage: values per goroutine under
 * migration at procs=2 with destructor counts, destructors through
 * grt_exit and in the main goroutine, pthread's repeat rule, delete with
 * values set (no destructor) and reuse of the slot (no stale value),
 * abandoned goroutines (no destructor, storage freed: ASan checks), bad
 * input, keys running out, and a second grt_run with the same keys.
 */
#include "grt_test.h"

#include <stdbool.h>

#define NG 200

static grt_key k_a, k_b, k_again;
static int64_t dtor_a, dtor_b, dtor_again, dtor_wrong;

struct val {
    uint64_t goid;
    int      key;
};

static void dtor_check(void *v, int key, int64_t *count)
{
    struct val *x = v;
    /* In the goroutine that owned it, with its own value already NULL. */
    if (x->goid != grt_id() || x->key != key || grt_getspecific(key == 0 ? k_a : k_b) != NULL)
        __atomic_add_fetch(&dtor_wrong, 1, __ATOMIC_RELAXED);
    free(x);
    __atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
}

static void dtor_a_fn(void *v) { dtor_check(v, 0, &dtor_a); }
static void dtor_b_fn(void *v) { dtor_check(v, 1, &dtor_b); }

/* Sets its value again each time: called GRT_KEYS_DESTRUCTOR_ITERATIONS times. */
static void dtor_again_fn(void *v)
{
    __atomic_add_fetch(&dtor_again, 1, __ATOMIC_RELAXED);
    CHECK_EQ(grt_setspecific(k_again, v), 0);
}

static struct val *val_new(int key)
{
    struct val *x = malloc(sizeof *x);
    CHECK(x != NULL);
    x->goid = grt_id();
    x->key = key;
    return x;
}

static grt_waitgroup wg;

static void worker(void *arg)
{
    int mode = (int)(intptr_t)arg;
    struct val *a = val_new(0), *b = val_new(1);
    CHECK(grt_getspecific(k_a) == NULL);
    CHECK_EQ(grt_setspecific(k_a, a), 0);
    CHECK_EQ(grt_setspecific(k_b, b), 0);
    int64_t end = grt_now() + 200 * 1000000LL;
    for (int i = 0; i < 200 && grt_now() < end; i++) {
        if (i % 16 == 0)
            grt_sleep(100 * 1000); /* parks: may come back on another thread */
        else
            grt_yield();
        CHECK(grt_getspecific(k_a) == a);
        CHECK(grt_getspecific(k_b) == b);
    }
    grt_waitgroup_done(&wg);
    if (mode == 1)
        grt_exit(); /* destructors run through grt_exit too */
}

static int64_t load(int64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

/* Wait (bounded) until *p reaches want: destructors run after done(). */
static void wait_count(int64_t *p, int64_t want)
{
    int64_t end = grt_now() + 10 * 1000000000LL;
    while (load(p) < want && grt_now() < end)
        grt_sleep(1000000);
    CHECK_EQ(load(p), want);
}

static void again_worker(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_setspecific(k_again, &dtor_again), 0);
    grt_waitgroup_done(&wg);
}

static grt_chan *hold;
/* Values no destructor may see (a call would free() them: a crash). */
static struct val orphans[3];

static void delete_worker(void *arg)
{
    grt_key *k = arg;
    CHECK_EQ(grt_setspecific(*k, &orphans[0]), 0);
    grt_chan_recv(hold, NULL); /* main deletes the key meanwhile */
    /* The key is gone: its value is not seen through a new key in the
     * same slot, and no destructor runs for it at exit. */
    grt_key fresh;
    CHECK_EQ(grt_key_create(&fresh, dtor_a_fn), 0);
    CHECK(grt_getspecific(fresh) == NULL);
    CHECK(grt_getspecific(*k) == NULL);
    CHECK_EQ(grt_setspecific(*k, &wg), -EINVAL);
    CHECK_EQ(grt_key_delete(fresh), 0);
    grt_waitgroup_done(&wg);
}

static void abandoned(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_setspecific(k_a, &orphans[1]), 0);
    CHECK_EQ(grt_setspecific(k_b, &orphans[2]), 0);
    grt_chan_recv(hold, NULL); /* for ever */
}

static void main_fn(void *arg)
{
    int run = (int)(intptr_t)arg;
    hold = grt_chan_make(0, 0);

    /* Bad input inside a goroutine. */
    CHECK_EQ(grt_setspecific(0, &wg), -EINVAL);
    CHECK_EQ(grt_setspecific(~0u, &wg), -EINVAL);
    CHECK(grt_getspecific(0) == NULL);
    CHECK(grt_getspecific(12345) == NULL);
    CHECK_EQ(grt_setspecific(k_a, NULL), 0); /* NULL on a fresh goroutine */
    CHECK(grt_getspecific(k_a) == NULL);

    /* Migration at procs=2, destructor counts; half leave by grt_exit. */
    int64_t a0 = load(&dtor_a), b0 = load(&dtor_b);
    grt_waitgroup_add(&wg, NG);
    for (int i = 0; i < NG; i++)
        CHECK_EQ(grt_go(worker, (void *)(intptr_t)(i & 1)), 0);
    grt_waitgroup_wait(&wg);
    wait_count(&dtor_a, a0 + NG);
    wait_count(&dtor_b, b0 + NG);
    CHECK_EQ(load(&dtor_wrong), 0);

    /* The repeat rule. */
    int64_t g0 = load(&dtor_again);
    grt_waitgroup_add(&wg, 1);
    CHECK_EQ(grt_go(again_worker, NULL), 0);
    grt_waitgroup_wait(&wg);
    wait_count(&dtor_again, g0 + GRT_KEYS_DESTRUCTOR_ITERATIONS);
    grt_sleep(10 * 1000000);
    CHECK_EQ(load(&dtor_again), g0 + GRT_KEYS_DESTRUCTOR_ITERATIONS);

    /* Delete with a value set: no destructor; reuse sees nothing stale. */
    grt_key k;
    CHECK_EQ(grt_key_create(&k, dtor_b_fn), 0);
    int64_t b1 = load(&dtor_b);
    grt_waitgroup_add(&wg, 1);
    CHECK_EQ(grt_go(delete_worker, &k), 0);
    grt_sleep(5 * 1000000);
    CHECK_EQ(grt_key_delete(k), 0);
    CHECK_EQ(grt_key_delete(k), -EINVAL);
    CHECK_EQ(grt_chan_send(hold, NULL), 0);
    grt_waitgroup_wait(&wg);
    grt_sleep(20 * 1000000);
    CHECK_EQ(load(&dtor_b), b1);

    /* Keys run out at GRT_KEYS_MAX (three of ours exist). */
    grt_key many[GRT_KEYS_MAX];
    int n = 0;
    while (n < GRT_KEYS_MAX && grt_key_create(&many[n], NULL) == 0)
        n++;
    CHECK_EQ(n, GRT_KEYS_MAX - 3);
    grt_key extra;
    CHECK_EQ(grt_key_create(&extra, NULL), -EAGAIN);
    for (int i = 0; i < n; i++)
        CHECK_EQ(grt_key_delete(many[i]), 0);

    /* Left for the end of the run: one abandoned goroutine (no
     * destructor) and the main goroutine's own values (destructors run
     * when main_fn returns). */
    CHECK_EQ(grt_go(abandoned, NULL), 0);
    grt_sleep(5 * 1000000);
    CHECK_EQ(grt_setspecific(k_a, val_new(0)), 0);
    CHECK_EQ(grt_setspecific(k_b, val_new(1)), 0);
    (void)run;
}

int main(void)
{
    CHECK_EQ(grt_key_create(NULL, NULL), -EINVAL);
    CHECK_EQ(grt_key_create(&k_a, dtor_a_fn), 0);
    CHECK_EQ(grt_key_create(&k_b, dtor_b_fn), 0);
    CHECK_EQ(grt_key_create(&k_again, dtor_again_fn), 0);
    CHECK_NE(k_a, 0);
    CHECK_EQ(grt_setspecific(k_a, &wg), -EPERM); /* not a goroutine */
    CHECK(grt_getspecific(k_a) == NULL);
    CHECK_EQ(grt_key_delete(0), -EINVAL);
    for (int run = 0; run < 2; run++) {
        int64_t a0 = load(&dtor_a), b0 = load(&dtor_b);
        test_run(2, main_fn, (void *)(intptr_t)run);
        /* NG workers and main's own; the abandoned goroutine's are not. */
        CHECK_EQ(load(&dtor_a), a0 + NG + 1);
        CHECK_EQ(load(&dtor_b), b0 + NG + 1);
        CHECK_EQ(load(&dtor_wrong), 0);
        grt_chan_release(hold);
    }
    CHECK_EQ(grt_key_delete(k_a), 0);
    CHECK_EQ(grt_key_delete(k_b), 0);
    CHECK_EQ(grt_key_delete(k_again), 0);
    CHECK_EQ(grt_key_delete(k_a), -EINVAL);
    printf("ok\n");
    return 0;
}
