/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_preempt_fpenv.c - the floating-point environment across
 * asynchronous preemption (API.md, "Edge cases, settled").
 *
 * On one P, under GRT_DEBUG=preemptstress (a preemption request every
 * 50 us), two "dirty" goroutines spin in inline assembly with a
 * floating-point environment of their own: on x86-64 four values on the
 * x87 register stack (TOP=4, tag word not empty), a changed x87 control
 * word (precision, rounding) and a changed MXCSR (rounding, FTZ, DAZ,
 * exception masks); on aarch64 a changed FPCR (rounding, FZ, DN) and FPSR
 * (cumulative flags, QC).  Meanwhile:
 *   - an observer goroutine yields in a loop and, each time it runs again,
 *     reads the environment: it must be the one the thread had when
 *     grt_run started (x87 stack empty), whichever dirty goroutine was
 *     preempted just before it;
 *   - the main goroutine starts short goroutines that check the same at
 *     their first instruction;
 *   - each dirty loop checks on every iteration that its own environment
 *     is still exactly its own, and at the end that its x87 stack holds
 *     the values it pushed (bit for bit).
 * The second run starts grt_run with a non-default environment (x86-64:
 * 53-bit x87 precision and MXCSR rounding toward zero; aarch64: rounding
 * toward zero), which every goroutine must then see, on both Ps.
 */
#include "grt_test.h"

#include <stdatomic.h>
#include <stdbool.h>

#define RUN_NS      1000000000LL
#define DIRTY_ITERS 200000 /* per call: long enough to be preempted inside */
#define MIN_SEEN    20     /* observations right after a dirty loop was cut */

#if defined(__x86_64__) || defined(__aarch64__)

struct fpenv {
    uint32_t ctl;  /* x86-64: MXCSR control bits; aarch64: FPCR */
    uint32_t ctl2; /* x86-64: x87 control word; aarch64: unused */
    uint32_t st;   /* x86-64: x87 TOP << 16 | abridged tag; aarch64: FPSR */
};

#if defined(__x86_64__)

#define MXCSR_CTL 0xffc0u /* the flags (bits 0-5) are status, not environment */

/* Read the environment without changing it (fnstenv would mask every x87
 * exception afterwards). */
static void env_read(struct fpenv *e)
{
    _Alignas(16) unsigned char fx[512];
    __asm__ volatile("fxsave64 %0" : "=m"(fx));
    uint16_t cw, sw;
    uint32_t mx;
    memcpy(&cw, fx + 0, 2);
    memcpy(&sw, fx + 2, 2);
    memcpy(&mx, fx + 24, 4);
    e->ctl = mx & MXCSR_CTL;
    e->ctl2 = cw;
    e->st = (uint32_t)((sw >> 11) & 7) << 16 | fx[4];
}

static void env_set_base(int variant)
{
    uint16_t cw = variant ? 0x027f : 0x037f; /* 53-bit precision */
    uint32_t mx = variant ? 0x7f80 : 0x1f80; /* round toward zero */
    __asm__ volatile("fldcw %0\n\tldmxcsr %1" : : "m"(cw), "m"(mx));
}

static void env_set_dirty(void)
{
    uint16_t cw = 0x0c7f;
    uint32_t mx = 0xffc0;
    __asm__ volatile("fldcw %0\n\tldmxcsr %1" : : "m"(cw), "m"(mx));
}

/* What a dirty loop runs with, and what it must find on every iteration. */
struct dirty {
    uint16_t cw;
    uint32_t mx;
    unsigned char st[4][10]; /* the x87 stack at the end, top first */
};

static const struct dirty dirty_cfg[2] = {
    {.cw = 0x0c7f, .mx = 0xff80 | 0x3f}, /* x87 24-bit, round down; FTZ DAZ RZ, all flags */
    {.cw = 0x0b72, .mx = 0xdfc0},        /* x87 round up, some exceptions unmasked; FTZ DAZ, round down */
};

/* Push four constants, loop n times checking the control word, MXCSR and
 * TOP, then pop them into out.  Returns 0 if everything stayed. */
__attribute__((noinline)) static long dirty_loop(const struct dirty *d, unsigned char out[4][10], long n)
{
    long bad;
    uint16_t save_cw, tmp_cw;
    uint32_t save_mx, tmp_mx;
    __asm__ volatile(
        "fnstcw %[save_cw]\n\t"
        "stmxcsr %[save_mx]\n\t"
        "fldcw %[cw]\n\t"
        "ldmxcsr %[mx]\n\t"
        "fldpi\n\t"
        "fldl2e\n\t"
        "fldln2\n\t"
        "fldlg2\n\t"
        "xor %[bad], %[bad]\n"
        "1:\n\t"
        "fnstcw %[tmp_cw]\n\t"
        "movzwl %[tmp_cw], %%eax\n\t"
        "cmpw %[cw], %%ax\n\t"
        "jne 2f\n\t"
        "stmxcsr %[tmp_mx]\n\t"
        "mov %[tmp_mx], %%eax\n\t"
        "cmp %[mx], %%eax\n\t"
        "jne 2f\n\t"
        "fnstsw %%ax\n\t"
        "and $0x3800, %%ax\n\t"
        "cmp $0x2000, %%ax\n\t" /* TOP = 4 */
        "jne 2f\n\t"
        "dec %[n]\n\t"
        "jnz 1b\n\t"
        "jmp 3f\n"
        "2:\n\t"
        "mov $1, %[bad]\n"
        "3:\n\t"
        "fstpt 0(%[out])\n\t"
        "fstpt 10(%[out])\n\t"
        "fstpt 20(%[out])\n\t"
        "fstpt 30(%[out])\n\t"
        "fldcw %[save_cw]\n\t"
        "ldmxcsr %[save_mx]\n\t"
        : [bad] "=&r"(bad), [n] "+r"(n), [save_cw] "=m"(save_cw), [save_mx] "=m"(save_mx),
          [tmp_cw] "=m"(tmp_cw), [tmp_mx] "=m"(tmp_mx)
        : [cw] "m"(d->cw), [mx] "m"(d->mx), [out] "r"(out)
        : "rax", "cc", "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");
    return bad;
}

static void env_describe(const struct fpenv *e, char *buf, size_t n)
{
    snprintf(buf, n, "MXCSR control %#x, x87 CW %#x, x87 TOP %u, tags %#x", e->ctl, e->ctl2, e->st >> 16,
             e->st & 0xff);
}

#else /* aarch64 */

#define FPCR_RMODE_RZ (3u << 22)
#define FPCR_FZ       (1u << 24)
#define FPCR_DN       (1u << 25)
#define FPCR_AHP      (1u << 26)

static uint64_t fpcr_read(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v));
    return v;
}

static uint64_t fpsr_read(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, fpsr" : "=r"(v));
    return v;
}

static void env_read(struct fpenv *e)
{
    e->ctl = (uint32_t)fpcr_read();
    e->ctl2 = 0;
    e->st = (uint32_t)fpsr_read();
}

static void env_set_base(int variant)
{
    uint64_t v = variant ? FPCR_RMODE_RZ : 0;
    __asm__ volatile("msr fpcr, %0\n\tmsr fpsr, xzr" : : "r"(v));
}

static void env_set_dirty(void)
{
    uint64_t v = FPCR_RMODE_RZ | FPCR_FZ;
    __asm__ volatile("msr fpcr, %0\n\tmsr fpsr, %0" : : "r"(v));
}

struct dirty {
    uint64_t fpcr, fpsr;
    unsigned char st[4][10]; /* unused here */
};

static const struct dirty dirty_cfg[2] = {
    {.fpcr = FPCR_RMODE_RZ | FPCR_FZ | FPCR_DN, .fpsr = 0x0800009fu}, /* QC and every flag */
    {.fpcr = (1u << 22) | FPCR_AHP, .fpsr = 0x00000011u},             /* round up; IXC, IOC */
};

__attribute__((noinline)) static long dirty_loop(const struct dirty *d, unsigned char out[4][10], long n)
{
    (void)out;
    long bad;
    __asm__ volatile(
        "mrs x9, fpcr\n\t"
        "mrs x10, fpsr\n\t"
        "msr fpcr, %[cr]\n\t"
        "msr fpsr, %[sr]\n\t"
        "mov %[bad], #0\n"
        "1:\n\t"
        "mrs x11, fpcr\n\t"
        "cmp x11, %[cr]\n\t"
        "b.ne 2f\n\t"
        "mrs x11, fpsr\n\t"
        "cmp x11, %[sr]\n\t"
        "b.ne 2f\n\t"
        "subs %[n], %[n], #1\n\t"
        "b.ne 1b\n\t"
        "b 3f\n"
        "2:\n\t"
        "mov %[bad], #1\n"
        "3:\n\t"
        "msr fpcr, x9\n\t"
        "msr fpsr, x10\n\t"
        : [bad] "=&r"(bad), [n] "+r"(n)
        : [cr] "r"(d->fpcr), [sr] "r"(d->fpsr)
        : "x9", "x10", "x11", "cc", "memory");
    return bad;
}

static void env_describe(const struct fpenv *e, char *buf, size_t n)
{
    snprintf(buf, n, "FPCR %#x, FPSR %#x", e->ctl, e->st);
}

#endif

static struct fpenv base;       /* read before grt_run */
static struct dirty want[2];    /* dirty_cfg with the expected x87 stack */
static atomic_int   in_dirty;   /* dirty loops inside their assembly */
static atomic_int   stop;
static atomic_long  seen_after; /* observations made while a dirty loop was cut off */
static atomic_long  dirty_runs;

static void env_check(const char *who)
{
    struct fpenv e;
    env_read(&e);
    if (e.ctl != base.ctl || e.ctl2 != base.ctl2 || e.st != base.st) {
        char got[128], exp[128];
        env_describe(&e, got, sizeof got);
        env_describe(&base, exp, sizeof exp);
        TEST_FAIL("%s found %s; the thread had %s at grt_run", who, got, exp);
    }
}

static void dirty_g(void *arg)
{
    const struct dirty *d = &want[(intptr_t)arg];
    while (!atomic_load(&stop)) {
        unsigned char out[4][10] = {{0}}; /* aarch64: no x87 stack to fill */
        env_check("a goroutine starting or resuming from grt_yield");
        atomic_fetch_add(&in_dirty, 1);
        long bad = dirty_loop(d, out, DIRTY_ITERS);
        atomic_fetch_sub(&in_dirty, 1);
        if (bad)
            TEST_FAIL("dirty loop %d: its own FP environment changed under it", (int)(intptr_t)arg);
        if (memcmp(out, d->st, sizeof out) != 0)
            TEST_FAIL("dirty loop %d: its x87 stack changed under it", (int)(intptr_t)arg);
        atomic_fetch_add(&dirty_runs, 1);
        grt_yield();
    }
}

static void observer_g(void *arg)
{
    grt_waitgroup *wg = arg;
    while (!atomic_load(&stop)) {
        grt_yield();
        /* procs=1: if a dirty loop is inside its assembly, it was preempted there. */
        bool cut = atomic_load(&in_dirty) > 0;
        env_check("a goroutine resuming from grt_yield");
        if (cut)
            atomic_fetch_add(&seen_after, 1);
    }
    grt_waitgroup_done(wg);
}

static void fresh_g(void *arg)
{
    env_check("a new goroutine");
    grt_waitgroup_done(arg);
}

static void main_g(void *arg)
{
    int procs = ((int *)arg)[0], variant = ((int *)arg)[1];
    grt_waitgroup wg = {0};
    env_check("the main goroutine");
    /* Start goroutines (and with them, at procs=2, a new thread) while
     * this one runs with another environment: the ABI lets a caller do
     * that, and neither the goroutines nor the thread may inherit it. */
    env_set_dirty();
    for (int i = 0; i < 4; i++) {
        grt_waitgroup_add(&wg, 1);
        CHECK_EQ(grt_go(fresh_g, &wg), 0);
    }
    env_set_base(variant);
    grt_waitgroup_wait(&wg);
    for (intptr_t i = 0; i < 2; i++)
        CHECK_EQ(grt_go(dirty_g, (void *)i), 0);
    grt_waitgroup_add(&wg, 1);
    CHECK_EQ(grt_go(observer_g, &wg), 0);
    int64_t end = grt_now() + RUN_NS;
    long spawned = 0;
    while (grt_now() < end || (procs == 1 && atomic_load(&seen_after) < MIN_SEEN &&
                               grt_now() < end + 10 * RUN_NS)) {
        grt_waitgroup_add(&wg, 1);
        CHECK_EQ(grt_go(fresh_g, &wg), 0);
        spawned++;
        grt_sleep(100000);
        env_check("the main goroutine after grt_sleep");
    }
    atomic_store(&stop, 1);
    grt_waitgroup_wait(&wg);
    printf("procs=%d: %ld dirty loops, %ld observations right after a preempted dirty loop, "
           "%ld fresh goroutines\n",
           procs, (long)atomic_load(&dirty_runs), (long)atomic_load(&seen_after), spawned);
    if (procs == 1)
        CHECK_GE(atomic_load(&seen_after), MIN_SEEN);
}

static void one_run(int procs, int variant)
{
    env_set_base(variant);
    env_read(&base);
    /* The x87 stack each dirty loop must end with: run it unpreempted. */
    for (int i = 0; i < 2; i++) {
        want[i] = dirty_cfg[i];
        unsigned char out[4][10] = {{0}}; /* aarch64: no x87 stack to fill */
        CHECK_EQ(dirty_loop(&want[i], out, 1), 0);
        memcpy(want[i].st, out, sizeof out);
    }
    atomic_store(&stop, 0);
    atomic_store(&seen_after, 0);
    atomic_store(&dirty_runs, 0);
    int args[2] = {procs, variant};
    test_run(procs, main_g, args);
    env_set_base(0);
}

int main(void)
{
#ifdef GRT_TSAN
    TEST_SKIP("signal-based preemption is off under TSan");
#endif
    setenv("GRT_DEBUG", "preemptstress=50", 1);
    one_run(1, 0);
    one_run(1, 1);
    one_run(2, 1);
    return 0;
}

#else
int main(void)
{
    TEST_SKIP("no FP environment test for this architecture");
}
#endif
