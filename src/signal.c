/*
 * signal.c - per-M signal stacks.
 *
 * Every M runs its signal handlers on a stack of its own (sigaltstack), so
 * a handler never runs on a goroutine's stack: that stack may be nearly
 * full (a stack overflow is exactly a fault with no room left) and belongs
 * to the goroutine, not the thread.
 */
#include "runtime.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>

#define SIGSTACK_SIZE (64u * 1024u)

void grt__signal_m_init(struct m *mp)
{
    void *ss = mmap(NULL, SIGSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ss == MAP_FAILED)
        return; /* handlers then run on the interrupted stack */
    stack_t st = {.ss_sp = ss, .ss_size = SIGSTACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&st, &mp->old_sigstack) != 0) {
        munmap(ss, SIGSTACK_SIZE);
        return;
    }
    mp->sigstack = ss;
}

void grt__signal_m_fini(struct m *mp)
{
    if (mp->sigstack == NULL)
        return;
    /* Put back what the thread had (m0 returns to the program). */
    if (mp->old_sigstack.ss_sp && !(mp->old_sigstack.ss_flags & SS_DISABLE)) {
        sigaltstack(&mp->old_sigstack, NULL);
    } else {
        stack_t st = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
        sigaltstack(&st, NULL);
    }
    munmap(mp->sigstack, SIGSTACK_SIZE);
    mp->sigstack = NULL;
}
