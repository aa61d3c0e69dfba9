/*
 * preempt_arch.c (aarch64) - asynchronous preemption is not implemented on
 * this architecture yet: sysmon's request stays cooperative (honoured at
 * the goroutine's next scheduling point).  Redirecting the interrupted
 * context needs a trampoline that saves x0-x30, NZCV, FPSR/FPCR and the 32
 * vector registers and returns through a register other than lr; until it
 * is written, grt__arch_preempt_supported says no and the SIGURG handler is
 * not installed.
 */
#include "runtime.h"
#include "arch.h"
#include "preempt.h"

#include <signal.h>
#include <ucontext.h>

bool grt__arch_preempt_supported(void)
{
    return false;
}

void grt__arch_preempt_init(void)
{
}

uintptr_t grt__arch_uc_pc(void *ucp)
{
    ucontext_t *uc = ucp;
    return (uintptr_t)uc->uc_mcontext.pc;
}

uintptr_t grt__arch_uc_sp(void *ucp)
{
    ucontext_t *uc = ucp;
    return (uintptr_t)uc->uc_mcontext.sp;
}

uintptr_t grt__arch_uc_fp(void *ucp)
{
    ucontext_t *uc = ucp;
    return (uintptr_t)uc->uc_mcontext.regs[29];
}

size_t grt__arch_preempt_stack_need(void)
{
    return 0;
}

void grt__arch_preempt_inject(void *ucp)
{
    (void)ucp;
}
