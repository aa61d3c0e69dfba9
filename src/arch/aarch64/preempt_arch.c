/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * preempt_arch.c (aarch64) - asynchronous preemption: moving an interrupted
 * goroutine into grt__async_preempt (switch.S) and, when it runs again,
 * putting every register back exactly as it was.
 *
 * Why not do it as on x86-64.  There the trampoline saves everything,
 * restores everything and ends with `ret $128`: the return address comes
 * from memory, so no register is needed to hold it.  AArch64 has no branch
 * through memory: br, blr and ret all jump through a register, and at an
 * arbitrary instruction of C code every one of x0-x30 may be live (x16 and
 * x17 are scratch only across calls, x18 is an ordinary temporary on
 * Linux, lr may hold the only copy of the return address).  Whatever
 * register the final jump goes through is lost.  Go's runtime accepts that
 * and clobbers R27, which its compiler reserves; a C compiler reserves
 * nothing, so a user-space epilogue cannot be both exact and return.
 *
 * What can restore every register and the pc at once is the kernel, in
 * rt_sigreturn.  So both directions go through a signal frame that the
 * kernel built, which also makes them independent of what the frame holds
 * (the set of records grows with every new extension):
 *
 *   1. inject (sysmon's SIGURG, on the M's signal stack): the kernel has
 *      saved the interrupted state in the signal frame: x0-x30, sp, pc,
 *      pstate (NZCV and the other EL0 bits), FPSR, FPCR, q0-q31, and, when
 *      the thread has live SVE state, the whole z0-z31, p0-p15 and FFR.
 *      We copy all of it into a save area on the goroutine's stack just
 *      below its sp (AAPCS64 on Linux has no red zone: nothing below sp is
 *      the interrupted code's) and rewrite the context to resume in
 *      grt__async_preempt with sp at the save area and x29 pointing at the
 *      frame record {interrupted x29, interrupted pc} that the area starts
 *      with, so that frame-pointer walkers (goroutine dumps) go from the
 *      trampoline straight to the interrupted function.
 *   2. The trampoline calls grt__async_preempt_park: the goroutine goes to
 *      the global run queue, and later returns there, perhaps on another
 *      thread.
 *   3. resume: the trampoline sends SIGURG to its own thread (tgkill, sp
 *      still at the save area).  The kernel delivers it on the way out of
 *      the system call, at grt__async_preempt_resume_pc; the handler
 *      recognises it (a per-thread pointer to the save area, set just
 *      before, and the pc and sp) and writes the saved state over the
 *      fresh frame: x0-x30, sp, pc, pstate, and FPSR, FPCR and the vector
 *      registers in the FP/SIMD record (and the SVE record: see below).
 *      The handler returns; rt_sigreturn loads all of it.
 * Between 1 and 3 the thread runs the scheduler and other goroutines with
 * the baseline FPCR and a clear FPSR (src/fpenv.h): inject writes them
 * into the frame it redirects, so nothing of the goroutine's FP
 * environment stays on the thread.  Nothing is
 *      clobbered, not even the flags, and the resumed code finds its
 *      registers, its lr and its stack exactly as they were.
 *
 * The cost is one extra signal delivery per preemption (microseconds;
 * sysmon preempts a goroutine at most every 10 ms).  Things that make it
 * robust:
 *   - the kernel builds the resume frame, so the signal mask, the
 *     alternate signal stack and a shadow stack (GCS) are those of the
 *     thread that resumes, and it is checked as any signal frame;
 *   - if another signal is delivered first and our SIGURG lands inside its
 *     handler (pc not at the resume point), the handler leaves it and the
 *     trampoline asks again when that handler returns;
 *   - if SIGURG is blocked on the resuming thread (the program blocked it
 *     there), the trampoline unblocks it and the handler blocks it again
 *     in the resumed context's signal mask;
 *   - if the signal never comes back to us (the program replaced grt's
 *     SIGURG handler while goroutines ran), it is a fatal error rather than
 *     a hang.
 *
 * SVE.  With SVE, z0-z31 are wider than q0-q31 and p0-p15 and FFR exist
 * too; compilers keep loop state in them.  The kernel includes them in a
 * signal frame when the thread's SVE state is live (qemu-user always), and
 * on rt_sigreturn loads z from the SVE record and then the low 128 bits of
 * each z from the FP/SIMD record (qemu: the other way round).  So:
 *   - inject saves the SVE payload when there is one;
 *   - resume, if the new frame has an SVE payload: writes the saved one of
 *     the same vector length, or, if none was saved, q0-q31 widened with
 *     zeros and zero predicates (what an SVE-idle thread has); both records
 *     then agree, whichever the kernel loads last;
 *   - resume, if the new frame's SVE record is empty (this thread's SVE
 *     state is not live) but one was saved: it replaces the empty record
 *     with a full one (records may come in any order).  That needs room in
 *     the frame's 4 KiB record area, which holds the payload for vector
 *     lengths up to 768 bits (every core shipped so far has 128-512);
 *     inject declines longer ones.
 * Streaming SVE mode and a live ZA array (SME) are left alone: the
 * trampoline's C code cannot run in streaming mode, and ZA would need the
 * SME lazy-save protocol.  A goroutine in either is preempted at its next
 * grt call instead.
 *
 * TPIDR_EL0 (the thread pointer) is never carried: it belongs to the
 * thread, as fs does on x86-64.  FPMR and POR_EL0, where the kernel has
 * them, move with the goroutine, like FPCR.
 */
#include "runtime.h"
#include "arch.h"
#include "fpenv.h"
#include "preempt.h"
#include "sched.h"

#include <asm/hwcap.h>
#include <asm/sigcontext.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

/* Records that older kernel headers may not have (the magics are ABI). */
#define ZT_MAGIC_   0x5a544e01u
#define FPMR_MAGIC_ 0x46504d52u
#define POE_MAGIC_  0x504f4530u
#define PSR_BTYPE_MASK_ 0x0c00u

/* switch.S jumps here with these numbers. */
_Static_assert(SIGURG == 23, "switch.S sends signal 23");
_Static_assert(SYS_tgkill == 131, "switch.S calls tgkill as 131");

extern const char grt__async_preempt_resume_pc[];

/* The save area, at the bottom of which grt__async_preempt runs (sp and
 * x29 point at it).  Offsets used by switch.S are checked below. */
struct area {
    uint64_t fp;        /* frame record: interrupted x29 */
    uint64_t pc;        /*               interrupted pc  */
    uint64_t x[31];     /* x0-x30 */
    uint64_t sp;
    uint64_t pstate;
    uint64_t fpmr;
    uint64_t por;
    uint32_t fpsr;
    uint32_t fpcr;
    uint16_t sve_vl;    /* vector length of the saved SVE payload, 0: none */
    uint8_t  has_fpmr;
    uint8_t  has_por;
    uint8_t  reblock;   /* SIGURG was unblocked to resume: block it again */
    _Alignas(16) unsigned char v[32][16];
    _Alignas(16) unsigned char sve[];
};
_Static_assert(offsetof(struct area, fp) == 0, "switch.S: AREA_FP");
_Static_assert(offsetof(struct area, pc) == 8, "switch.S: AREA_PC");
_Static_assert(offsetof(struct area, x) == 16, "switch.S: AREA_X");
_Static_assert(offsetof(struct area, sp) == 264, "switch.S: AREA_SP");
_Static_assert(sizeof(struct area) % 16 == 0, "the area keeps sp 16-byte aligned");

/* The largest SVE record we can put into a frame's 4 KiB record area next
 * to the FP/SIMD record (528), the terminator (16) and 256 bytes of other
 * records (TPIDR2, ZA header, FPMR, POE, GCS take 96 today): a vector
 * length of 768 bits. */
#define SVE_RECORD_MAX (4096 - 528 - 16 - 256)

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

static bool   have_sve;
static size_t sve_reserve; /* save area bytes for an SVE payload */

/* Set by grt__async_preempt_arm, just before the trampoline's own SIGURG;
 * cleared by the handler that resumes it. */
static __thread struct area *resume_area;
static __thread uint32_t     resume_tries;

bool grt__arch_preempt_supported(void)
{
    return true; /* (TSan builds: preempt.c keeps preemption cooperative) */
}

void grt__arch_preempt_init(void)
{
    have_sve = (getauxval(AT_HWCAP) & HWCAP_SVE) != 0;
    sve_reserve = have_sve ? SVE_RECORD_MAX : 0;
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

bool grt__arch_uc_holds(void *ucp, uintptr_t v)
{
    ucontext_t *uc = ucp;
    for (int i = 0; i < 31; i++)
        if ((uintptr_t)uc->uc_mcontext.regs[i] == v)
            return true;
    return false;
}

uintptr_t grt__arch_uc_fp(void *ucp)
{
    ucontext_t *uc = ucp;
    return (uintptr_t)uc->uc_mcontext.regs[29];
}

/* The instructions of PLT entries and linker veneers (preempt.c,
 * in_call_stub), which work in the intra-procedure-call registers x16 and
 * x17: adrp x16; ldr x17, [x16, #off]; add x16, x16, #off; br x17, the
 * .plt0 header's stp x16, x30, [sp, #-16]!, and bti c where BTI is on.
 * Compilers seldom use x16/x17 this way; when they do, refusing only puts
 * the preemption off to sysmon's next request. */
bool grt__arch_insn_in_stub(uintptr_t pc)
{
    uint32_t i = *(const uint32_t *)pc;
    return (i & 0x9f00001fu) == 0x90000010u || /* adrp x16, page */
           (i & 0xffc003ffu) == 0xf9400211u || /* ldr x17, [x16, #imm] */
           (i & 0xffc003ffu) == 0x91000210u || /* add x16, x16, #imm */
           i == 0xd61f0220u ||                 /* br x17 */
           i == 0xa9bf7bf0u ||                 /* stp x16, x30, [sp, #-16]! */
           i == 0xd503245fu;                   /* bti c */
}

/* The save area with the largest SVE payload we carry, and the scheduler
 * call the trampoline makes (mcall saves 176 bytes on this stack too). */
size_t grt__arch_preempt_stack_need(void)
{
    return sizeof(struct area) + sve_reserve + 16 + 1024;
}

/* Byte copies that neither the sanitizers nor the optimiser turn into a
 * call to memcpy: the goroutine stack below sp may carry stale ASan
 * poison from frames that were left without returning. */
__attribute__((no_sanitize_address, noinline)) static void copy(void *dst, const void *src, size_t n)
{
    volatile unsigned char *d = dst;
    const unsigned char *s = src;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
}

__attribute__((no_sanitize_address, noinline)) static void zero(void *dst, size_t n)
{
    volatile unsigned char *d = dst;
    for (size_t i = 0; i < n; i++)
        d[i] = 0;
}

/* The records of a signal frame (arch/arm64 sigcontext.h): a list in
 * uc_mcontext.__reserved ended by a null header, continued through an
 * extra_context record when 4 KiB were not enough. */
struct recs {
    struct fpsimd_context *fpsimd;
    struct sve_context    *sve;
    struct _aarch64_ctx   *za, *zt, *fpmr, *poe;
    struct extra_context  *extra;
    size_t                 end; /* offset of the terminator in __reserved */
};

static bool parse(mcontext_t *mc, struct recs *r)
{
    memset(r, 0, sizeof *r);
    unsigned char *base = mc->__reserved;
    size_t limit = sizeof mc->__reserved, off = 0;
    bool in_extra = false;
    for (;;) {
        if (limit - off < sizeof(struct _aarch64_ctx))
            return false;
        struct _aarch64_ctx *h = (struct _aarch64_ctx *)(void *)(base + off);
        if (h->magic == 0) {
            if (h->size != 0)
                return false;
            if (in_extra)
                return true;
            r->end = off;
            if (r->extra == NULL)
                return true;
            base = (unsigned char *)(uintptr_t)r->extra->datap;
            limit = r->extra->size;
            off = 0;
            in_extra = true;
            continue;
        }
        if (h->size < sizeof *h || h->size > limit - off || (h->size & 15))
            return false;
        switch (h->magic) {
        case FPSIMD_MAGIC:
            if (in_extra || h->size < sizeof(struct fpsimd_context))
                return false;
            r->fpsimd = (struct fpsimd_context *)h;
            break;
        case SVE_MAGIC:
            if (h->size < sizeof(struct sve_context))
                return false;
            r->sve = (struct sve_context *)h;
            break;
        case EXTRA_MAGIC:
            if (in_extra || h->size < sizeof(struct extra_context))
                return false;
            r->extra = (struct extra_context *)h;
            break;
        case ZA_MAGIC:
            r->za = h;
            break;
        case ZT_MAGIC_:
            r->zt = h;
            break;
        case FPMR_MAGIC_:
            if (h->size >= 16)
                r->fpmr = h;
            break;
        case POE_MAGIC_:
            if (h->size >= 16)
                r->poe = h;
            break;
        default: /* ESR, TPIDR2, GCS, ...: the thread's own */
            break;
        }
        off += h->size;
    }
}

static uint64_t *rec_u64(struct _aarch64_ctx *h) { return (uint64_t *)(void *)(h + 1); }

/* A signal frame is found by its FP/SIMD record, the first record of the
 * frame's mcontext, 16-byte aligned: FPSIMD_MAGIC and the record's size,
 * and the sp saved in the same mcontext pointing above it, where the
 * interrupted code's stack went on.  (qemu-user builds the same frame.) */
__attribute__((no_sanitize_address)) bool grt__arch_sigframe_in(uintptr_t lo, uintptr_t hi)
{
    const uintptr_t rec = offsetof(mcontext_t, __reserved);
    for (uintptr_t a = (lo + rec + 15) & ~(uintptr_t)15; a + 16 <= hi; a += 16) {
        const volatile uint32_t *h = (const volatile uint32_t *)a;
        if (h[0] != FPSIMD_MAGIC || h[1] != sizeof(struct fpsimd_context))
            continue;
        const volatile uint64_t *sp = (const volatile uint64_t *)(a - rec + offsetof(mcontext_t, sp));
        if (*sp > a && *sp <= hi)
            return true;
    }
    return false;
}

/* Make the interrupted goroutine run grt__async_preempt (step 1 above). */
__attribute__((no_sanitize_address)) bool grt__arch_preempt_inject(void *ucp)
{
    ucontext_t *uc = ucp;
    mcontext_t *mc = &uc->uc_mcontext;
    struct recs r;
    if (!parse(mc, &r) || r.fpsimd == NULL)
        return false;
    uint16_t vl = 0;
    size_t sve_bytes = 0;
    if (r.sve != NULL) {
        if (r.sve->flags & SVE_SIG_FLAG_SM)
            return false; /* streaming mode */
        if (r.sve->head.size > sizeof(struct sve_context)) {
            unsigned vq = sve_vq_from_vl(r.sve->vl);
            if (!sve_vl_valid(r.sve->vl) || r.sve->head.size < SVE_SIG_CONTEXT_SIZE(vq) ||
                round16(SVE_SIG_CONTEXT_SIZE(vq)) > SVE_RECORD_MAX)
                return false;
            vl = r.sve->vl;
            sve_bytes = SVE_SIG_REGS_SIZE(vq);
        }
    }
    if ((r.za != NULL && r.za->size > sizeof(struct za_context)) || r.zt != NULL)
        return false; /* ZA live */
    if (sve_bytes > sve_reserve)
        return false; /* not counted in stack_need (SVE not in HWCAP?) */

    uintptr_t sp = (uintptr_t)mc->sp;
    struct area *ar = (struct area *)((sp - sizeof(struct area) - round16(sve_bytes)) & ~(uintptr_t)15);
    ar->fp = mc->regs[29];
    ar->pc = mc->pc;
    copy(ar->x, mc->regs, sizeof ar->x);
    ar->sp = sp;
    ar->pstate = mc->pstate;
    ar->fpsr = r.fpsimd->fpsr;
    ar->fpcr = r.fpsimd->fpcr;
    copy(ar->v, r.fpsimd->vregs, sizeof ar->v);
    ar->sve_vl = vl;
    if (vl)
        copy(ar->sve, (unsigned char *)r.sve + SVE_SIG_REGS_OFFSET, sve_bytes);
    ar->has_fpmr = r.fpmr != NULL;
    ar->fpmr = r.fpmr ? *rec_u64(r.fpmr) : 0;
    ar->has_por = r.poe != NULL;
    ar->por = r.poe ? *rec_u64(r.poe) : 0;
    ar->reblock = 0;

    /* The thread goes on to the scheduler and to other goroutines with the
     * baseline FP environment (src/fpenv.h), not this goroutine's, which
     * resume puts back: rt_sigreturn loads FPCR and FPSR from this frame. */
    r.fpsimd->fpcr = grt__fpenv_base.ctl;
    r.fpsimd->fpsr = 0;

    mc->sp = (uintptr_t)ar;
    mc->regs[29] = (uintptr_t)ar;
    mc->pc = (uintptr_t)grt__async_preempt;
    /* A branch-target check pending for the interrupted pc must not be
     * made on the trampoline's first instruction; the original pstate,
     * restored on resume, still has it. */
    mc->pstate &= ~(uint64_t)PSR_BTYPE_MASK_;
    return true;
}

/* Put the saved SVE state into the resume frame (see the comment at the
 * top).  False if it cannot be carried over. */
__attribute__((no_sanitize_address)) static bool sve_restore(mcontext_t *mc, struct recs *r,
                                                              const struct area *ar)
{
    struct sve_context *sve = r->sve;
    if (sve == NULL)
        return ar->sve_vl == 0;
    if (sve->flags & SVE_SIG_FLAG_SM)
        return false; /* the trampoline never runs in streaming mode */
    if (sve->head.size > sizeof *sve) {
        unsigned vq = sve_vq_from_vl(sve->vl);
        if (sve->head.size < SVE_SIG_CONTEXT_SIZE(vq))
            return false;
        unsigned char *regs = (unsigned char *)sve + SVE_SIG_REGS_OFFSET;
        if (ar->sve_vl == sve->vl) {
            copy(regs, ar->sve, SVE_SIG_REGS_SIZE(vq));
            return true;
        }
        if (ar->sve_vl != 0)
            return false; /* the threads' vector lengths differ */
        zero(regs, SVE_SIG_REGS_SIZE(vq));
        for (int i = 0; i < 32; i++)
            copy((unsigned char *)sve + SVE_SIG_ZREG_OFFSET(vq, i), ar->v[i], 16);
        return true;
    }
    if (ar->sve_vl == 0)
        return true;
    if (ar->sve_vl != sve->vl || r->extra != NULL)
        return false;
    /* Replace the empty SVE record by a full one at the end of the list. */
    unsigned vq = sve_vq_from_vl(ar->sve_vl);
    size_t full = round16(SVE_SIG_CONTEXT_SIZE(vq)), hsz = sve->head.size;
    unsigned char *res = mc->__reserved;
    size_t at = (size_t)((unsigned char *)sve - res), end = r->end;
    if (end - hsz + full + 16 > sizeof mc->__reserved)
        return false;
    memmove(res + at, res + at + hsz, end - at - hsz);
    end -= hsz;
    struct sve_context *n = (struct sve_context *)(void *)(res + end);
    zero(n, full + 16); /* the record and the terminator after it */
    n->head.magic = SVE_MAGIC;
    n->head.size = (uint32_t)full;
    n->vl = ar->sve_vl;
    copy((unsigned char *)n + SVE_SIG_REGS_OFFSET, ar->sve, SVE_SIG_REGS_SIZE(vq));
    return true;
}

/* Step 3 above: the handler's half. */
__attribute__((no_sanitize_address)) bool grt__arch_preempt_resume(void *ucp)
{
    struct area *ar = resume_area;
    if (ar == NULL)
        return false;
    ucontext_t *uc = ucp;
    mcontext_t *mc = &uc->uc_mcontext;
    if (mc->pc != (uintptr_t)grt__async_preempt_resume_pc || mc->sp != (uintptr_t)ar)
        return true; /* landed inside another handler: asked again later */
    struct recs r;
    if (!parse(mc, &r) || r.fpsimd == NULL)
        grt__fatal("asynchronous preemption: unexpected signal frame on resume");
    if (!sve_restore(mc, &r, ar))
        grt__fatal("asynchronous preemption: cannot restore the SVE state of a goroutine "
                   "(vector length %u) on this thread",
                   (unsigned)ar->sve_vl * 8);
    if (!parse(mc, &r) || r.fpsimd == NULL) /* sve_restore may have moved records */
        grt__fatal("asynchronous preemption: bad signal frame after the SVE record");
    copy(mc->regs, ar->x, sizeof ar->x);
    mc->sp = ar->sp;
    mc->pc = ar->pc;
    mc->pstate = ar->pstate;
    r.fpsimd->fpsr = ar->fpsr;
    r.fpsimd->fpcr = ar->fpcr;
    copy(r.fpsimd->vregs, ar->v, sizeof ar->v);
    if (r.fpmr != NULL && ar->has_fpmr)
        *rec_u64(r.fpmr) = ar->fpmr;
    if (r.poe != NULL && ar->has_por)
        *rec_u64(r.poe) = ar->por;
    if (ar->reblock)
        sigaddset(&uc->uc_sigmask, SIGURG);
    resume_area = NULL;
    resume_tries = 0;
    return true;
}

/* Called by the trampoline, back from the scheduler, just before it sends
 * itself SIGURG: returns tgkill's first two arguments in x0 and x1. */
struct grt__resume_ids {
    long pid, tid;
};
struct grt__resume_ids grt__async_preempt_arm(struct area *ar);
struct grt__resume_ids grt__async_preempt_arm(struct area *ar)
{
    resume_area = ar;
    struct m *mp = getg()->m;
    return (struct grt__resume_ids){(long)getpid(), mp->tid ? (long)mp->tid : (long)syscall(SYS_gettid)};
}

/* The signal did not resume us at the resume point.  Usually another
 * signal's handler ran first and ours landed inside it; the trampoline
 * just asks again.  If SIGURG is blocked here, unblock it for the resume
 * and have the handler block it again in the resumed context. */
void grt__async_preempt_retry(struct area *ar);
void grt__async_preempt_retry(struct area *ar)
{
    if (++resume_tries > 1000)
        grt__fatal("asynchronous preemption: the SIGURG that resumes a goroutine does not "
                   "reach grt's handler (was SIGURG's action changed while grt runs?)");
    sigset_t cur, urg;
    sigemptyset(&urg);
    sigaddset(&urg, SIGURG);
    if (pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0 && sigismember(&cur, SIGURG)) {
        ar->reblock = 1;
        pthread_sigmask(SIG_UNBLOCK, &urg, NULL);
    }
}
