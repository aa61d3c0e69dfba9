/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_preempt_sigframe.c - aarch64: the signal-frame work of asynchronous
 * preemption (src/arch/aarch64/preempt_arch.c, compiled into this test) in
 * the two SVE cases a run under qemu-user never meets by itself, on real
 * frames: qemu always puts the full SVE state in a signal frame, while
 * Linux leaves it out when the thread's SVE state is not live.
 *
 * A thread loads patterns into z0-z31, p0-p15 and FFR and sends itself
 * SIGUSR1.  The handler plays the resume half of a preemption with a save
 * area of its own making, and rt_sigreturn loads the result; the thread
 * then stores every SVE register and compares.
 *   1. The frame's SVE record is emptied first (what Linux gives a thread
 *      whose SVE state is not live), and the area holds a full SVE
 *      payload: sve_restore must put a full record back in the frame.
 *   2. The frame has a full record and the area none (the goroutine was
 *      not using SVE): z must come back as q0-q31 widened with zeros, and
 *      p0-p15 and FFR as zeros.
 */
#include "grt_test.h"

#if defined(__aarch64__) && !defined(GRT_TSAN)

/* libgrt.a is one relocatable object (grt_text.o), which this test pulls
 * in for grt__fatal and grt__g: the functions compiled in here get names
 * of their own so that they do not clash with the library's. */
#define grt__arch_insn_in_stub       test_arch_insn_in_stub
#define grt__arch_preempt_init       test_arch_preempt_init
#define grt__arch_preempt_inject     test_arch_preempt_inject
#define grt__arch_preempt_resume     test_arch_preempt_resume
#define grt__arch_preempt_stack_need test_arch_preempt_stack_need
#define grt__arch_preempt_supported  test_arch_preempt_supported
#define grt__arch_sigframe_in        test_arch_sigframe_in
#define grt__arch_uc_fp              test_arch_uc_fp
#define grt__arch_uc_holds           test_arch_uc_holds
#define grt__arch_uc_pc              test_arch_uc_pc
#define grt__arch_uc_sp              test_arch_uc_sp
#define grt__async_preempt_arm       test_async_preempt_arm
#define grt__async_preempt_retry     test_async_preempt_retry
#include "../src/arch/aarch64/preempt_arch.c"

#include <sys/prctl.h>

static unsigned vl, vq;                       /* bytes, quadwords */
static int      mode;                         /* 1 or 2, see above */
static _Alignas(16) unsigned char area_buf[sizeof(struct area) + SVE_RECORD_MAX];
static unsigned char *want_z, *want_p, *got_z, *got_p; /* p: 16 preds, FFR in slot 16 */
static unsigned char  want_v[32][16];
static int            handled;

/* Empty the frame's SVE record: header only, the records after it moved up. */
static void empty_sve_record(mcontext_t *mc, struct recs *r)
{
    unsigned char *res = mc->__reserved;
    size_t at = (size_t)((unsigned char *)r->sve - res), old = r->sve->head.size;
    size_t hdr = sizeof(struct sve_context);
    CHECK(r->extra == NULL);
    memmove(res + at + hdr, res + at + old, r->end + 16 - at - old);
    r->sve->head.size = (uint32_t)hdr;
}

static void handler(int sig, siginfo_t *si, void *ucp)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucp;
    mcontext_t *mc = &uc->uc_mcontext;
    struct recs r;
    CHECK(parse(mc, &r));
    CHECK(r.fpsimd != NULL && r.sve != NULL);
    struct area *ar = (struct area *)(void *)area_buf;
    memset(ar, 0, sizeof area_buf);
    memcpy(ar->v, want_v, sizeof ar->v);
    if (mode == 1) {
        if (r.sve->head.size > sizeof(struct sve_context)) {
            empty_sve_record(mc, &r);
            CHECK(parse(mc, &r));
        }
        ar->sve_vl = (uint16_t)vl;
        for (int i = 0; i < 32; i++)
            memcpy(ar->sve + SVE_SIG_ZREG_OFFSET(vq, i) - SVE_SIG_REGS_OFFSET, want_z + (size_t)i * vl, vl);
        for (int i = 0; i < 17; i++)
            memcpy(ar->sve + SVE_SIG_PREG_OFFSET(vq, i) - SVE_SIG_REGS_OFFSET, want_p + (size_t)i * (vl / 8),
                   vl / 8);
    } else {
        CHECK(r.sve->head.size > sizeof(struct sve_context)); /* qemu: always full */
    }
    CHECK(sve_restore(mc, &r, ar));
    CHECK(parse(mc, &r));
    CHECK(r.sve != NULL && r.sve->head.size >= SVE_SIG_CONTEXT_SIZE(vq));
    copy(r.fpsimd->vregs, ar->v, sizeof ar->v);
    handled++;
}

/* Fill every SVE register with garbage, tgkill(SIGUSR1), store them all. */
static void run(void)
{
    register long pid __asm__("x0") = getpid();
    register long tid __asm__("x1") = syscall(SYS_gettid);
    register unsigned char *gz __asm__("x3") = got_z;
    register unsigned char *gp __asm__("x4") = got_p;
    __asm__ volatile(
        ".arch_extension sve\n\t"
        ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n\t"
        "dup z\\n\\().b, #(\\n + 1)\n\t"
        ".endr\n\t"
        ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
        "ptrue p\\n\\().b\n\t"
        ".endr\n\t"
        "setffr\n\t"
        "mov x2, #10\n\t" /* SIGUSR1 */
        "mov x8, #131\n\t" /* tgkill */
        "svc #0\n\t"
        ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n\t"
        "str z\\n, [x3, #\\n, mul vl]\n\t"
        ".endr\n\t"
        ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
        "str p\\n, [x4, #\\n, mul vl]\n\t"
        ".endr\n\t"
        "rdffr p0.b\n\t"
        "str p0, [x4, #16, mul vl]\n\t"
        : "+r"(pid), "+r"(tid)
        : "r"(gz), "r"(gp)
        : "x2", "x8", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13",
          "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27",
          "v28", "v29", "v30", "v31", "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p11",
          "p12", "p13", "p14", "p15", "ffr", "cc", "memory");
}

static void check_regs(const char *what)
{
    for (int i = 0; i < 32; i++)
        if (memcmp(got_z + (size_t)i * vl, want_z + (size_t)i * vl, vl) != 0)
            TEST_FAIL("%s: z%d differs", what, i);
    for (int i = 0; i < 17; i++)
        if (memcmp(got_p + (size_t)i * (vl / 8), want_p + (size_t)i * (vl / 8), vl / 8) != 0)
            TEST_FAIL("%s: %s%d differs", what, i == 16 ? "ffr" : "p", i == 16 ? 0 : i);
}

int main(void)
{
    if (!(getauxval(AT_HWCAP) & HWCAP_SVE))
        TEST_SKIP("needs SVE (qemu-aarch64's default CPU has it)");
    int r = prctl(PR_SVE_GET_VL);
    CHECK_GT(r, 0);
    vl = (unsigned)r & PR_SVE_VL_LEN_MASK;
    vq = sve_vq_from_vl(vl);
    if (round16(SVE_SIG_CONTEXT_SIZE(vq)) > SVE_RECORD_MAX)
        TEST_SKIP("vector length %u bits: more than grt carries", vl * 8);
    want_z = malloc(32 * (size_t)vl);
    got_z = malloc(32 * (size_t)vl);
    want_p = malloc(17 * (size_t)(vl / 8));
    got_p = malloc(17 * (size_t)(vl / 8));
    CHECK(want_z && got_z && want_p && got_p);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);

    /* 1: a full payload into an emptied record. */
    uint32_t x = 12345;
    for (size_t i = 0; i < 32 * (size_t)vl; i++)
        want_z[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
    for (size_t i = 0; i < 16 * (size_t)(vl / 8); i++)
        want_p[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
    unsigned char *ffr = want_p + 16 * (size_t)(vl / 8);
    memset(ffr, 0, vl / 8);
    for (unsigned e = 0; e < vl - 3; e++) /* a prefix of true elements */
        ffr[e / 8] |= (unsigned char)(1u << (e % 8));
    for (int i = 0; i < 32; i++)
        memcpy(want_v[i], want_z + (size_t)i * vl, 16);
    mode = 1;
    run();
    CHECK_EQ(handled, 1);
    check_regs("full SVE payload into an empty record");

    /* 2: no payload saved: q widened with zeros, zero predicates. */
    for (int i = 0; i < 32; i++)
        for (int k = 0; k < 16; k++)
            want_v[i][k] = (unsigned char)((i * 16 + k) % 254 + 1); /* never 0 */
    memset(want_z, 0, 32 * (size_t)vl);
    for (int i = 0; i < 32; i++)
        memcpy(want_z + (size_t)i * vl, want_v[i], 16);
    memset(want_p, 0, 17 * (size_t)(vl / 8));
    mode = 2;
    run();
    CHECK_EQ(handled, 2);
    check_regs("no SVE payload into a full record");
    printf("vector length %u bits: both SVE resume cases load what they should\n", vl * 8);
    return 0;
}

#else
int main(void)
{
    TEST_SKIP("aarch64 only");
}
#endif
