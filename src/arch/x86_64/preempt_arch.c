/*
 * preempt_arch.c (x86-64) - the architecture half of asynchronous
 * preemption: reading the interrupted context and redirecting it into
 * grt__async_preempt (switch.S), and sizing the register save area.
 */
#include "arch.h"
#include "preempt.h"

#include <cpuid.h>
#include <signal.h>
#include <ucontext.h>

/* Read by switch.S. */
uint64_t grt__xsave_size = 512;
uint8_t  grt__xsave_ok;

bool grt__arch_preempt_supported(void)
{
    return true; /* (TSan builds: preempt.c keeps preemption cooperative) */
}

void grt__arch_preempt_init(void)
{
    unsigned a, b, c, d;
    grt__xsave_ok = 0;
    grt__xsave_size = 512 + 64;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    bool xsave = (c & (1u << 26)) && (c & (1u << 27)); /* XSAVE and OSXSAVE */
    if (!xsave || __get_cpuid_max(0, NULL) < 0xd)
        return;
    __cpuid_count(0xd, 0, a, b, c, d);
    /* ebx: bytes needed for the features enabled in XCR0 right now. */
    grt__xsave_size = (uint64_t)b + 64;
    grt__xsave_ok = 1;
}

uintptr_t grt__arch_uc_pc(void *ucp)
{
    ucontext_t *uc = ucp;
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
}

uintptr_t grt__arch_uc_sp(void *ucp)
{
    ucontext_t *uc = ucp;
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
}

uintptr_t grt__arch_uc_fp(void *ucp)
{
    ucontext_t *uc = ucp;
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
}

/* The instructions of PLT code (preempt.c, in_call_stub), from the
 * layouts binutils and lld emit: endbr64; jmp *GOT(%rip), with or without
 * the bnd prefix (.plt.sec, .plt.got, non-lazy .plt); push $n and
 * jmp rel32, with or without bnd (lazy .plt entries); push *GOT+8(%rip)
 * (.plt0).  Ordinary code uses some of these too (a long jmp, an endbr64 at
 * every function entry under -fcf-protection); refusing there only puts
 * the preemption off to sysmon's next request, 10 ms later. */
bool grt__arch_insn_in_stub(uintptr_t pc)
{
    const uint8_t *b = (const uint8_t *)pc;
    if (b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa)
        return true; /* endbr64 */
    if (b[0] == 0xf2)
        b++; /* bnd */
    if (b[0] == 0xff && (b[1] == 0x25 || b[1] == 0x35))
        return true; /* jmp *disp(%rip), push *disp(%rip) */
    return b[0] == 0x68 || b[0] == 0xe9; /* push imm32, jmp rel32 */
}

/* Bytes of goroutine stack the trampoline needs below the interrupted sp:
 * red zone, return address, rbp, flags and 14 registers, the save area
 * and alignment, and the scheduler call it makes (mcall saves on this
 * stack too). */
size_t grt__arch_preempt_stack_need(void)
{
    return 128 + 8 + 8 + 15 * 8 + (size_t)grt__xsave_size + 64 + 1024;
}

/* Make the interrupted code call grt__async_preempt: push its pc below the
 * red zone, as if it had executed a call there. */
bool grt__arch_preempt_inject(void *ucp)
{
    ucontext_t *uc = ucp;
    greg_t *r = uc->uc_mcontext.gregs;
    uintptr_t sp = (uintptr_t)r[REG_RSP] - 128 - 8;
    *(uintptr_t *)sp = (uintptr_t)r[REG_RIP];
    r[REG_RSP] = (greg_t)sp;
    r[REG_RIP] = (greg_t)(uintptr_t)grt__async_preempt;
    return true;
}

/* The trampoline returns by itself (ret $128): no signal of its own. */
bool grt__arch_preempt_resume(void *ucp)
{
    (void)ucp;
    return false;
}
