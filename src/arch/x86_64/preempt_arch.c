/* SPDX-License-Identifier: BSD-3-Clause */
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
uint8_t  grt__avx_ok; /* the OS keeps AVX state: the trampoline may vzeroupper */

bool grt__arch_preempt_supported(void)
{
    return true; /* (TSan builds: preempt.c keeps preemption cooperative) */
}

void grt__arch_preempt_init(void)
{
    unsigned a, b, c, d;
    grt__xsave_ok = 0;
    grt__avx_ok = 0;
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
    uint32_t xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    (void)xcr0_hi;
    grt__avx_ok = (xcr0_lo & 6u) == 6u; /* SSE and AVX state enabled */
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

bool grt__arch_uc_holds(void *ucp, uintptr_t v)
{
    ucontext_t *uc = ucp;
    static const int regs[] = {REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI, REG_RBP,
                               REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14,
                               REG_R15};
    for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++)
        if ((uintptr_t)uc->uc_mcontext.gregs[regs[i]] == v)
            return true;
    return false;
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

/* A signal frame is found by its FP state, which the kernel stores
 * 64-byte aligned in the frame, with the xsave layout's software area
 * (bytes 464-511 of the legacy region) starting with FP_XSTATE_MAGIC1 and
 * giving the area's size, and FP_XSTATE_MAGIC2 stored right after the
 * area.  Both magics at the right distance do not occur by chance.  (A
 * kernel on a CPU without xsave, older than 2008, writes no magic: its
 * frames are not recognised.) */
#define FP_XSTATE_MAGIC1_ 0x46505853u
#define FP_XSTATE_MAGIC2_ 0x46505845u
#define SW_BYTES          464 /* struct _fpx_sw_bytes in the fxsave area */

__attribute__((no_sanitize_address)) bool grt__arch_sigframe_in(uintptr_t lo, uintptr_t hi)
{
    for (uintptr_t a = (lo + 63) & ~(uintptr_t)63; a + 512 <= hi; a += 64) {
        const volatile uint32_t *sw = (const volatile uint32_t *)(a + SW_BYTES);
        if (sw[0] != FP_XSTATE_MAGIC1_)
            continue;
        uint32_t size = sw[4], extended = sw[1]; /* xstate_size, extended_size */
        if (size < 512 + 64 || extended != size + 4 || size > hi - a - 4)
            continue;
        if (*(const volatile uint32_t *)(a + size) == FP_XSTATE_MAGIC2_)
            return true;
    }
    return false;
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
