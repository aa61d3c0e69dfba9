/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lock_futex.c - runtime locks and notes on Linux futexes.
 *
 * Lock word (grt__mutex.key):
 *   0  unlocked
 *   1  locked, nobody sleeping
 *   2  locked, and somebody may be sleeping in futex_wait: unlock must wake
 *
 * Acquisition tries a CAS, spins briefly (the critical sections these locks
 * guard are a few dozen instructions, so the holder is usually about to
 * release), then sleeps.  A sleeper always sets the word to 2, so an unlock
 * that sees 1 knows it can skip the futex_wake system call.
 *
 * Holding a runtime lock counts in m->locks, which keeps the signal-based
 * preemption (and any other code that checks it) away from the M.
 *
 * Note word (grt__note.key): 0 clear, 1 woken.  Exactly one sleeper.
 */
#include "runtime.h"
#include "arch.h"
#include "deadline.h"
#include "misc.h"
#include "sched.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { MUTEX_UNLOCKED = 0, MUTEX_LOCKED = 1, MUTEX_SLEEPING = 2 };
enum { ACTIVE_SPIN = 4, ACTIVE_SPIN_CNT = 30, PASSIVE_SPIN = 1 };

/* A goroutine takes runtime locks on its own stack (grt_mutex_unlock
 * readying a waiter takes the semaphore root's lock), and a FUTEX_WAIT that
 * finds the word changed fails with EAGAIN: errno is the goroutine's, so
 * the call leaves it as it was (test_preempt_errno saw "errno 11 after
 * grt_mutex_unlock" in about 1 run in 15). */
static long futex(uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
    int saved = errno;
    long r = syscall(SYS_futex, addr, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, 0);
    errno = saved;
    return r;
}

static void futex_sleep(uint32_t *addr, uint32_t val, int64_t ns)
{
    struct timespec ts, *tsp = NULL;
    if (ns >= 0) {
        ts.tv_sec = ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        tsp = &ts;
    }
    /* EAGAIN (word changed), EINTR and ETIMEDOUT all send the caller back
     * to re-check the word, which is the only source of truth. */
    futex(addr, FUTEX_WAIT, val, tsp);
}

static void futex_wake(uint32_t *addr, int n)
{
    futex(addr, FUTEX_WAKE, (uint32_t)n, NULL);
}

static inline void locks_inc(void)
{
    struct g *gp = getg();
    if (gp && gp->m)
        gp->m->locks++;
}

static inline void locks_dec(void)
{
    struct g *gp = getg();
    if (gp && gp->m)
        gp->m->locks--;
}

static void lock_slow(grt__mutex *l)
{
    /* Once we have slept, we must leave the word at 2 when we take the
     * lock: other sleepers may remain. */
    uint32_t wait = xchg_acqrel(&l->key, MUTEX_LOCKED);
    if (wait == MUTEX_UNLOCKED)
        return;
    int spin = grt__ncpu > 1 ? ACTIVE_SPIN : 0;
    for (;;) {
        for (int i = 0; i < spin; i++) {
            while (ld_relaxed(&l->key) == MUTEX_UNLOCKED)
                if (cas_acquire(&l->key, MUTEX_UNLOCKED, wait))
                    return;
            for (int k = 0; k < ACTIVE_SPIN_CNT; k++)
                grt__cpu_relax();
        }
        for (int i = 0; i < PASSIVE_SPIN; i++) {
            while (ld_relaxed(&l->key) == MUTEX_UNLOCKED)
                if (cas_acquire(&l->key, MUTEX_UNLOCKED, wait))
                    return;
            sched_yield();
        }
        /* Sleep, announcing ourselves with 2. */
        if (xchg_acqrel(&l->key, MUTEX_SLEEPING) == MUTEX_UNLOCKED)
            return;
        wait = MUTEX_SLEEPING;
        futex_sleep(&l->key, MUTEX_SLEEPING, -1);
    }
}

void grt__lock(grt__mutex *l)
{
    locks_inc();
    /* acquire: pairs with the release in grt__unlock */
    if (likely(cas_acquire(&l->key, MUTEX_UNLOCKED, MUTEX_LOCKED)))
        return;
    lock_slow(l);
}

void grt__unlock(grt__mutex *l)
{
    /* release: publishes the critical section to the next holder */
    uint32_t v = xchg_acqrel(&l->key, MUTEX_UNLOCKED);
    if (unlikely(v == MUTEX_SLEEPING))
        futex_wake(&l->key, 1);
    else if (unlikely(v == MUTEX_UNLOCKED))
        grt__fatal("unlock of unlocked runtime lock");
    locks_dec();
}

void grt__note_clear(grt__note *n)
{
    st_relaxed(&n->key, 0);
}

void grt__note_wakeup(grt__note *n)
{
    /* release: what the waker did before is visible to the sleeper */
    uint32_t old = xchg_acqrel(&n->key, 1);
    if (old != 0)
        grt__fatal("notewakeup: double wakeup (%u)", old);
    futex_wake(&n->key, 1);
}

void grt__note_sleep(grt__note *n)
{
    while (ld_acquire(&n->key) == 0)
        futex_sleep(&n->key, 0, -1);
}

bool grt__note_tsleep(grt__note *n, int64_t ns)
{
    if (ns < 0) {
        grt__note_sleep(n);
        return true;
    }
    int64_t deadline = grt__time_add(grt__nanotime(), ns);
    while (ld_acquire(&n->key) == 0) {
        int64_t left = deadline - grt__nanotime();
        if (left <= 0)
            return false;
        futex_sleep(&n->key, 0, left);
    }
    return true;
}
