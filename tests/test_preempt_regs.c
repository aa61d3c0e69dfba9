/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_preempt_regs.c - asynchronous preemption preserves every register.
 *
 * The loops below are inline assembly, so the compiler cannot keep a copy
 * of anything in memory: they load distinct patterns into the registers
 * and check them all on every iteration.  GRT_DEBUG=preemptstress makes a
 * thread ask for preemption of every running goroutine every 50 us, so
 * over a couple of seconds each loop is interrupted, switched out (its
 * thread running another loop with other patterns) and resumed thousands
 * of times, on either of two Ps.  A register the trampoline forgot, or a
 * save area shared between goroutines, shows up as a mismatch.
 *
 * x86-64: general registers, the direction flag, and 15 SSE or AVX
 * registers.  aarch64: x4-x30 (the frame pointer and lr included), sp,
 * NZCV, FPSR and FPCR; all 128 bits of v0-v31; and, where the CPU has SVE
 * (qemu-user's default CPU does), z0-z29 at the full vector length,
 * 13 of the 16 predicate registers and FFR.
 */
#include "grt_test.h"

#define RUN_NS 2000000000LL
/* Iterations per call of a loop: long enough to be interrupted inside. */
#define TEST_CHUNK 200000

static void fill(uint64_t *pat, size_t nwords, uint64_t seed)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (size_t i = 0; i < nwords; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pat[i] = x;
    }
}

#if defined(__x86_64__)

static int avx2;

/* Returns 0 if every register survived n iterations. */
__attribute__((target("avx2"), noinline)) static long avx_loop(const uint64_t *pat, long n)
{
    long bad;
    __asm__ volatile(
        "vmovdqu 0(%[pat]), %%ymm0\n\t"
        "vmovdqu 32(%[pat]), %%ymm1\n\t"
        "vmovdqu 64(%[pat]), %%ymm2\n\t"
        "vmovdqu 96(%[pat]), %%ymm3\n\t"
        "vmovdqu 128(%[pat]), %%ymm4\n\t"
        "vmovdqu 160(%[pat]), %%ymm5\n\t"
        "vmovdqu 192(%[pat]), %%ymm6\n\t"
        "vmovdqu 224(%[pat]), %%ymm7\n\t"
        "vmovdqu 256(%[pat]), %%ymm8\n\t"
        "vmovdqu 288(%[pat]), %%ymm9\n\t"
        "vmovdqu 320(%[pat]), %%ymm10\n\t"
        "vmovdqu 352(%[pat]), %%ymm11\n\t"
        "vmovdqu 384(%[pat]), %%ymm12\n\t"
        "vmovdqu 416(%[pat]), %%ymm13\n\t"
        "vmovdqu 448(%[pat]), %%ymm14\n\t"
        "1:\n\t"
        "vpxor 0(%[pat]), %%ymm0, %%ymm15\n\tvptest %%ymm15, %%ymm15\n\tjnz 2f\n\t"
        "vpxor 32(%[pat]), %%ymm1, %%ymm15\n\tvptest %%ymm15, %%ymm15\n\tjnz 2f\n\t"
        "vpxor 64(%[pat]), %%ymm2, %%ymm15\n\tvptest %%ymm15, %%ymm15\n\tjnz 2f\n\t"
        "vpxor 96(%[pat]), %%ymm3, %%ymm15\n\tvptest %%ymm15, %%ymm15\n\tjnz 2f\n\t"
        "vpxor 128(%[pat]), %%ymm4, %%ymm15\n\tvptest %%ymm15, %%ymm15\n\tjnz 2f\n\t"
        "vpxor 160(%[pat]), %%ymm5, %%ymm15\n\tvptest %%ymm15, %%ymm15\n\tjnz 2f\n\t"
        "vpxor 192(%[pat]), %%ymm6, %%ymm15\n\tvptest %%ymm15, %%ymm15\n\tjnz 2f\n\t"
        "vpxor 224(%[pat]), %%ymm7, %%ymm15\n\tvptest %%ymm15, %%ymm15\n\tjnz 2f\n\t"
        "vpxor 256(%[pat]), %%ymm8, %%ymm15\n\tvptest %%ymm15, %%ymm15\n\tjnz 2f\n\t"
        "vpxor 288(%[pat]), %%ymm9, %%ymm15\n\tvptest %%ymm15, %%ymm15\n\tjnz 2f\n\t"
        "vpxor 320(%[pat]), %%ymm10, %%ymm15\n\tvptest %%ymm15, %%ymm15\n\tjnz 2f\n\t"
        "vpxor 352(%[pat]), %%ymm11, %%ymm15\n\tvptest %%ymm15, %%ymm15\n\tjnz 2f\n\t"
        "vpxor 384(%[pat]), %%ymm12, %%ymm15\n\tvptest %%ymm15, %%ymm15\n\tjnz 2f\n\t"
        "vpxor 416(%[pat]), %%ymm13, %%ymm15\n\tvptest %%ymm15, %%ymm15\n\tjnz 2f\n\t"
        "vpxor 448(%[pat]), %%ymm14, %%ymm15\n\tvptest %%ymm15, %%ymm15\n\tjnz 2f\n\t"
        "dec %[n]\n\t"
        "jnz 1b\n\t"
        "xor %[bad], %[bad]\n\t"
        "jmp 3f\n"
        "2:\n\t"
        "mov $1, %[bad]\n"
        "3:\n\t"
        "vzeroupper\n\t"
        : [bad] "=&r"(bad), [n] "+r"(n)
        : [pat] "r"(pat)
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc", "memory");
    return bad;
}

__attribute__((noinline)) static long sse_loop(const uint64_t *pat, long n)
{
    long bad;
    __asm__ volatile(
        "movdqu 0(%[pat]), %%xmm0\n\t"
        "movdqu 16(%[pat]), %%xmm1\n\t"
        "movdqu 32(%[pat]), %%xmm2\n\t"
        "movdqu 48(%[pat]), %%xmm3\n\t"
        "movdqu 64(%[pat]), %%xmm4\n\t"
        "movdqu 80(%[pat]), %%xmm5\n\t"
        "movdqu 96(%[pat]), %%xmm6\n\t"
        "movdqu 112(%[pat]), %%xmm7\n\t"
        "movdqu 128(%[pat]), %%xmm8\n\t"
        "movdqu 144(%[pat]), %%xmm9\n\t"
        "movdqu 160(%[pat]), %%xmm10\n\t"
        "movdqu 176(%[pat]), %%xmm11\n\t"
        "movdqu 192(%[pat]), %%xmm12\n\t"
        "movdqu 208(%[pat]), %%xmm13\n\t"
        "movdqu 224(%[pat]), %%xmm14\n\t"
        "1:\n\t"
        "movdqa %%xmm0, %%xmm15\n\tpcmpeqb 0(%[pat]), %%xmm15\n\tpmovmskb %%xmm15, %%eax\n\tcmp $0xffff, %%eax\n\tjne 2f\n\t"
        "movdqa %%xmm1, %%xmm15\n\tpcmpeqb 16(%[pat]), %%xmm15\n\tpmovmskb %%xmm15, %%eax\n\tcmp $0xffff, %%eax\n\tjne 2f\n\t"
        "movdqa %%xmm2, %%xmm15\n\tpcmpeqb 32(%[pat]), %%xmm15\n\tpmovmskb %%xmm15, %%eax\n\tcmp $0xffff, %%eax\n\tjne 2f\n\t"
        "movdqa %%xmm3, %%xmm15\n\tpcmpeqb 48(%[pat]), %%xmm15\n\tpmovmskb %%xmm15, %%eax\n\tcmp $0xffff, %%eax\n\tjne 2f\n\t"
        "movdqa %%xmm4, %%xmm15\n\tpcmpeqb 64(%[pat]), %%xmm15\n\tpmovmskb %%xmm15, %%eax\n\tcmp $0xffff, %%eax\n\tjne 2f\n\t"
        "movdqa %%xmm5, %%xmm15\n\tpcmpeqb 80(%[pat]), %%xmm15\n\tpmovmskb %%xmm15, %%eax\n\tcmp $0xffff, %%eax\n\tjne 2f\n\t"
        "movdqa %%xmm6, %%xmm15\n\tpcmpeqb 96(%[pat]), %%xmm15\n\tpmovmskb %%xmm15, %%eax\n\tcmp $0xffff, %%eax\n\tjne 2f\n\t"
        "movdqa %%xmm7, %%xmm15\n\tpcmpeqb 112(%[pat]), %%xmm15\n\tpmovmskb %%xmm15, %%eax\n\tcmp $0xffff, %%eax\n\tjne 2f\n\t"
        "movdqa %%xmm8, %%xmm15\n\tpcmpeqb 128(%[pat]), %%xmm15\n\tpmovmskb %%xmm15, %%eax\n\tcmp $0xffff, %%eax\n\tjne 2f\n\t"
        "movdqa %%xmm9, %%xmm15\n\tpcmpeqb 144(%[pat]), %%xmm15\n\tpmovmskb %%xmm15, %%eax\n\tcmp $0xffff, %%eax\n\tjne 2f\n\t"
        "movdqa %%xmm10, %%xmm15\n\tpcmpeqb 160(%[pat]), %%xmm15\n\tpmovmskb %%xmm15, %%eax\n\tcmp $0xffff, %%eax\n\tjne 2f\n\t"
        "movdqa %%xmm11, %%xmm15\n\tpcmpeqb 176(%[pat]), %%xmm15\n\tpmovmskb %%xmm15, %%eax\n\tcmp $0xffff, %%eax\n\tjne 2f\n\t"
        "movdqa %%xmm12, %%xmm15\n\tpcmpeqb 192(%[pat]), %%xmm15\n\tpmovmskb %%xmm15, %%eax\n\tcmp $0xffff, %%eax\n\tjne 2f\n\t"
        "movdqa %%xmm13, %%xmm15\n\tpcmpeqb 208(%[pat]), %%xmm15\n\tpmovmskb %%xmm15, %%eax\n\tcmp $0xffff, %%eax\n\tjne 2f\n\t"
        "movdqa %%xmm14, %%xmm15\n\tpcmpeqb 224(%[pat]), %%xmm15\n\tpmovmskb %%xmm15, %%eax\n\tcmp $0xffff, %%eax\n\tjne 2f\n\t"
        "dec %[n]\n\t"
        "jnz 1b\n\t"
        "xor %[bad], %[bad]\n\t"
        "jmp 3f\n"
        "2:\n\t"
        "mov $1, %[bad]\n"
        "3:\n\t"
        : [bad] "=&c"(bad), [n] "+r"(n)
        : [pat] "r"(pat)
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "rax", "cc", "memory");
    return bad;
}

/* General registers and the direction flag (the trampoline clears DF for
 * the C code it calls, and must put it back).  Eleven registers, not all:
 * the compiler needs one for pat, and rbp is the frame pointer in the
 * sanitizer builds. */
__attribute__((noinline)) static long gpr_loop(const uint64_t *pat, long n)
{
    long bad;
    __asm__ volatile(
        "std\n\t"
        "mov 0(%[pat]), %%rbx\n\t"
        "mov 8(%[pat]), %%rdx\n\t"
        "mov 16(%[pat]), %%rsi\n\t"
        "mov 24(%[pat]), %%rdi\n\t"
        "mov 32(%[pat]), %%r8\n\t"
        "mov 40(%[pat]), %%r9\n\t"
        "mov 48(%[pat]), %%r10\n\t"
        "mov 56(%[pat]), %%r11\n\t"
        "mov 64(%[pat]), %%r12\n\t"
        "mov 72(%[pat]), %%r13\n\t"
        "mov 80(%[pat]), %%r14\n\t"
        "1:\n\t"
        "cmp 0(%[pat]), %%rbx\n\tjne 2f\n\t"
        "cmp 8(%[pat]), %%rdx\n\tjne 2f\n\t"
        "cmp 16(%[pat]), %%rsi\n\tjne 2f\n\t"
        "cmp 24(%[pat]), %%rdi\n\tjne 2f\n\t"
        "cmp 32(%[pat]), %%r8\n\tjne 2f\n\t"
        "cmp 40(%[pat]), %%r9\n\tjne 2f\n\t"
        "cmp 48(%[pat]), %%r10\n\tjne 2f\n\t"
        "cmp 56(%[pat]), %%r11\n\tjne 2f\n\t"
        "cmp 64(%[pat]), %%r12\n\tjne 2f\n\t"
        "cmp 72(%[pat]), %%r13\n\tjne 2f\n\t"
        "cmp 80(%[pat]), %%r14\n\tjne 2f\n\t"
        "pushfq\n\t"
        "popq %%rax\n\t"
        "test $0x400, %%eax\n\t"
        "jz 2f\n\t"
        "dec %%rcx\n\t"
        "jnz 1b\n\t"
        "xor %%eax, %%eax\n\t"
        "jmp 3f\n"
        "2:\n\t"
        "mov $1, %%eax\n"
        "3:\n\t"
        "cld\n\t"
        : "=&a"(bad), "+c"(n)
        : [pat] "r"(pat)
        : "rbx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "cc", "memory");
    return bad;
}


#define GPAT_WORDS 16
#define VPAT_WORDS (15 * 4)

static void arch_init(void)
{
    __builtin_cpu_init();
    avx2 = __builtin_cpu_supports("avx2");
}

static const char *arch_features(void) { return avx2 ? "avx2" : "sse"; }

struct zpat {
    int unused;
};
static void gpat_fixup(uint64_t *gpat) { (void)gpat; }
static void zpat_init(struct zpat *z, uint64_t seed) { (void)z; (void)seed; }
static void zpat_free(struct zpat *z) { (void)z; }

/* One round of every loop: what changed, or NULL; *loops: how many ran. */
static const char *round_loops(const uint64_t *vpat, uint64_t *gpat, struct zpat *z, long chunk, int *loops)
{
    (void)z;
    *loops = avx2 ? 3 : 2;
    if (avx2 && avx_loop(vpat, chunk))
        return "AVX register";
    if (sse_loop(vpat, chunk))
        return "SSE register";
    if (gpr_loop(gpat, chunk))
        return "general register or DF";
    return NULL;
}

#elif defined(__aarch64__)

#include <sys/auxv.h>
#include <sys/prctl.h>

/* The end of every check loop below: count down in x1 and go round again;
 * x2 = 0 when the count ran out, 1 when a check branched to 2 (a register
 * that lost its value). */
#define CHECK_LOOP_END \
    "sub x1, x1, #1\n\tcbnz x1, 1b\n\tmov x2, #0\n\tb 3f\n2:\n\tmov x2, #1\n3:\n\t"

/* gpat: patterns for x4-x30 in words 0-26, then what the loop keeps. */
enum { G_NZCV = 27, G_FPSR, G_FPCR, G_SP, G_X29, G_FPCR0, G_FPSR0, GPAT_WORDS = 40 };
#define VPAT_WORDS 64

/* x0 holds the patterns, x1 counts, x2 and x3 are scratch; x4-x30 hold
 * patterns, x29 included (saved in the pattern block and put back: it is
 * the frame pointer).  The checks use eor and cbnz, which leave the flags
 * alone, so NZCV keeps its pattern through the loop as well.  FPCR gets
 * its rounding mode, FZ, DN and AHP bits from the pattern (what reads back
 * is what is expected) and is put back at the end. */
__attribute__((noinline)) static long gpr_loop(uint64_t *pat, long n)
{
    register uint64_t *p __asm__("x0") = pat;
    register long cnt __asm__("x1") = n;
    register long bad __asm__("x2");
    __asm__ volatile(
        "mrs x2, fpcr\n\t"
        "str x2, [x0, #256]\n\t"
        "mrs x2, fpsr\n\t"
        "str x2, [x0, #264]\n\t"
        "mrs x2, fpcr\n\t"
        "bic x2, x2, #0x7c00000\n\t"
        "ldr x3, [x0, #232]\n\t"
        "orr x2, x2, x3\n\t"
        "msr fpcr, x2\n\t"
        "mrs x2, fpcr\n\t"
        "str x2, [x0, #232]\n\t"
        "ldr x2, [x0, #224]\n\t"
        "msr fpsr, x2\n\t"
        "mrs x2, fpsr\n\t"
        "str x2, [x0, #224]\n\t"
        "mov x2, sp\n\t"
        "str x2, [x0, #240]\n\t"
        "str x29, [x0, #248]\n\t"
        "ldr x4, [x0, #0]\n\t"
        "ldr x5, [x0, #8]\n\t"
        "ldr x6, [x0, #16]\n\t"
        "ldr x7, [x0, #24]\n\t"
        "ldr x8, [x0, #32]\n\t"
        "ldr x9, [x0, #40]\n\t"
        "ldr x10, [x0, #48]\n\t"
        "ldr x11, [x0, #56]\n\t"
        "ldr x12, [x0, #64]\n\t"
        "ldr x13, [x0, #72]\n\t"
        "ldr x14, [x0, #80]\n\t"
        "ldr x15, [x0, #88]\n\t"
        "ldr x16, [x0, #96]\n\t"
        "ldr x17, [x0, #104]\n\t"
        "ldr x18, [x0, #112]\n\t"
        "ldr x19, [x0, #120]\n\t"
        "ldr x20, [x0, #128]\n\t"
        "ldr x21, [x0, #136]\n\t"
        "ldr x22, [x0, #144]\n\t"
        "ldr x23, [x0, #152]\n\t"
        "ldr x24, [x0, #160]\n\t"
        "ldr x25, [x0, #168]\n\t"
        "ldr x26, [x0, #176]\n\t"
        "ldr x27, [x0, #184]\n\t"
        "ldr x28, [x0, #192]\n\t"
        "ldr x29, [x0, #200]\n\t"
        "ldr x30, [x0, #208]\n\t"
        "ldr x2, [x0, #216]\n\t"
        "msr nzcv, x2\n\t"
        "mrs x2, nzcv\n\t"
        "str x2, [x0, #216]\n"
        "1:\n\t"
        "ldr x2, [x0, #0]\n\teor x2, x2, x4\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #8]\n\teor x2, x2, x5\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #16]\n\teor x2, x2, x6\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #24]\n\teor x2, x2, x7\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #32]\n\teor x2, x2, x8\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #40]\n\teor x2, x2, x9\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #48]\n\teor x2, x2, x10\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #56]\n\teor x2, x2, x11\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #64]\n\teor x2, x2, x12\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #72]\n\teor x2, x2, x13\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #80]\n\teor x2, x2, x14\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #88]\n\teor x2, x2, x15\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #96]\n\teor x2, x2, x16\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #104]\n\teor x2, x2, x17\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #112]\n\teor x2, x2, x18\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #120]\n\teor x2, x2, x19\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #128]\n\teor x2, x2, x20\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #136]\n\teor x2, x2, x21\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #144]\n\teor x2, x2, x22\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #152]\n\teor x2, x2, x23\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #160]\n\teor x2, x2, x24\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #168]\n\teor x2, x2, x25\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #176]\n\teor x2, x2, x26\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #184]\n\teor x2, x2, x27\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #192]\n\teor x2, x2, x28\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #200]\n\teor x2, x2, x29\n\tcbnz x2, 2f\n\t"
        "ldr x2, [x0, #208]\n\teor x2, x2, x30\n\tcbnz x2, 2f\n\t"
        "mrs x2, nzcv\n\tldr x3, [x0, #216]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mrs x2, fpsr\n\tldr x3, [x0, #224]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mrs x2, fpcr\n\tldr x3, [x0, #232]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, sp\n\tldr x3, [x0, #240]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        CHECK_LOOP_END
        "ldr x29, [x0, #248]\n\t"
        "ldr x3, [x0, #256]\n\t"
        "msr fpcr, x3\n\t"
        "ldr x3, [x0, #264]\n\t"
        "msr fpsr, x3\n\t"
        : "=&r"(bad), "+r"(cnt)
        : "r"(p)
        : "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x30", "cc", "memory");
    return bad;
}

/* All 128 bits of v0-v31, read back through x2 and x3. */
__attribute__((noinline)) static long simd_loop(const uint64_t *pat, long n)
{
    register const uint64_t *p __asm__("x0") = pat;
    register long cnt __asm__("x1") = n;
    register long bad __asm__("x2");
    __asm__ volatile(
        "ldr q0, [x0, #0]\n\t"
        "ldr q1, [x0, #16]\n\t"
        "ldr q2, [x0, #32]\n\t"
        "ldr q3, [x0, #48]\n\t"
        "ldr q4, [x0, #64]\n\t"
        "ldr q5, [x0, #80]\n\t"
        "ldr q6, [x0, #96]\n\t"
        "ldr q7, [x0, #112]\n\t"
        "ldr q8, [x0, #128]\n\t"
        "ldr q9, [x0, #144]\n\t"
        "ldr q10, [x0, #160]\n\t"
        "ldr q11, [x0, #176]\n\t"
        "ldr q12, [x0, #192]\n\t"
        "ldr q13, [x0, #208]\n\t"
        "ldr q14, [x0, #224]\n\t"
        "ldr q15, [x0, #240]\n\t"
        "ldr q16, [x0, #256]\n\t"
        "ldr q17, [x0, #272]\n\t"
        "ldr q18, [x0, #288]\n\t"
        "ldr q19, [x0, #304]\n\t"
        "ldr q20, [x0, #320]\n\t"
        "ldr q21, [x0, #336]\n\t"
        "ldr q22, [x0, #352]\n\t"
        "ldr q23, [x0, #368]\n\t"
        "ldr q24, [x0, #384]\n\t"
        "ldr q25, [x0, #400]\n\t"
        "ldr q26, [x0, #416]\n\t"
        "ldr q27, [x0, #432]\n\t"
        "ldr q28, [x0, #448]\n\t"
        "ldr q29, [x0, #464]\n\t"
        "ldr q30, [x0, #480]\n\t"
        "ldr q31, [x0, #496]\n\t"
        "1:\n\t"
        "mov x2, v0.d[0]\n\tldr x3, [x0, #0]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v0.d[1]\n\tldr x3, [x0, #8]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v1.d[0]\n\tldr x3, [x0, #16]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v1.d[1]\n\tldr x3, [x0, #24]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v2.d[0]\n\tldr x3, [x0, #32]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v2.d[1]\n\tldr x3, [x0, #40]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v3.d[0]\n\tldr x3, [x0, #48]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v3.d[1]\n\tldr x3, [x0, #56]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v4.d[0]\n\tldr x3, [x0, #64]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v4.d[1]\n\tldr x3, [x0, #72]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v5.d[0]\n\tldr x3, [x0, #80]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v5.d[1]\n\tldr x3, [x0, #88]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v6.d[0]\n\tldr x3, [x0, #96]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v6.d[1]\n\tldr x3, [x0, #104]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v7.d[0]\n\tldr x3, [x0, #112]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v7.d[1]\n\tldr x3, [x0, #120]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v8.d[0]\n\tldr x3, [x0, #128]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v8.d[1]\n\tldr x3, [x0, #136]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v9.d[0]\n\tldr x3, [x0, #144]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v9.d[1]\n\tldr x3, [x0, #152]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v10.d[0]\n\tldr x3, [x0, #160]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v10.d[1]\n\tldr x3, [x0, #168]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v11.d[0]\n\tldr x3, [x0, #176]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v11.d[1]\n\tldr x3, [x0, #184]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v12.d[0]\n\tldr x3, [x0, #192]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v12.d[1]\n\tldr x3, [x0, #200]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v13.d[0]\n\tldr x3, [x0, #208]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v13.d[1]\n\tldr x3, [x0, #216]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v14.d[0]\n\tldr x3, [x0, #224]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v14.d[1]\n\tldr x3, [x0, #232]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v15.d[0]\n\tldr x3, [x0, #240]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v15.d[1]\n\tldr x3, [x0, #248]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v16.d[0]\n\tldr x3, [x0, #256]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v16.d[1]\n\tldr x3, [x0, #264]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v17.d[0]\n\tldr x3, [x0, #272]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v17.d[1]\n\tldr x3, [x0, #280]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v18.d[0]\n\tldr x3, [x0, #288]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v18.d[1]\n\tldr x3, [x0, #296]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v19.d[0]\n\tldr x3, [x0, #304]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v19.d[1]\n\tldr x3, [x0, #312]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v20.d[0]\n\tldr x3, [x0, #320]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v20.d[1]\n\tldr x3, [x0, #328]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v21.d[0]\n\tldr x3, [x0, #336]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v21.d[1]\n\tldr x3, [x0, #344]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v22.d[0]\n\tldr x3, [x0, #352]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v22.d[1]\n\tldr x3, [x0, #360]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v23.d[0]\n\tldr x3, [x0, #368]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v23.d[1]\n\tldr x3, [x0, #376]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v24.d[0]\n\tldr x3, [x0, #384]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v24.d[1]\n\tldr x3, [x0, #392]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v25.d[0]\n\tldr x3, [x0, #400]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v25.d[1]\n\tldr x3, [x0, #408]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v26.d[0]\n\tldr x3, [x0, #416]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v26.d[1]\n\tldr x3, [x0, #424]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v27.d[0]\n\tldr x3, [x0, #432]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v27.d[1]\n\tldr x3, [x0, #440]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v28.d[0]\n\tldr x3, [x0, #448]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v28.d[1]\n\tldr x3, [x0, #456]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v29.d[0]\n\tldr x3, [x0, #464]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v29.d[1]\n\tldr x3, [x0, #472]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v30.d[0]\n\tldr x3, [x0, #480]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v30.d[1]\n\tldr x3, [x0, #488]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v31.d[0]\n\tldr x3, [x0, #496]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        "mov x2, v31.d[1]\n\tldr x3, [x0, #504]\n\teor x2, x2, x3\n\tcbnz x2, 2f\n\t"
        CHECK_LOOP_END
        : "=&r"(bad), "+r"(cnt)
        : "r"(p)
        : "x3", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "memory");
    return bad;
}

static int      have_sve;
static unsigned sve_vl; /* bytes */

/* SVE patterns: z0-z29 (30 vectors), predicate patterns (slot n for pn;
 * slot 14 keeps the expected FFR), and the FFR pattern length. */
struct zpat {
    uint8_t *z, *p;
    long     ffr_len;
};

static void arch_init(void)
{
    have_sve = (getauxval(AT_HWCAP) & (1UL << 22)) != 0; /* HWCAP_SVE */
    if (have_sve) {
        int vl = prctl(51 /* PR_SVE_GET_VL */);
        CHECK_GT(vl, 0);
        sve_vl = (unsigned)vl & 0xffff;
    }
}

static const char *arch_features(void) { return have_sve ? "neon+sve" : "neon"; }

/* Only the bits the loop may set: NZCV's four flags; FPSR's cumulative
 * exception flags and QC; FPCR's rounding mode, FZ, DN and AHP (never a
 * trap enable). */
static void gpat_fixup(uint64_t *gpat)
{
    gpat[G_NZCV] &= 0xf0000000u;
    gpat[G_FPSR] &= 0x0800009fu;
    gpat[G_FPCR] &= 0x07c00000u;
}

static void zpat_init(struct zpat *z, uint64_t seed)
{
    if (!have_sve)
        return;
    size_t zn = 30 * (size_t)sve_vl, pn = 16 * (size_t)(sve_vl / 8);
    z->z = malloc(zn);
    z->p = malloc(pn);
    CHECK(z->z != NULL && z->p != NULL);
    uint64_t *tmp = malloc(zn + pn);
    CHECK(tmp != NULL);
    fill(tmp, (zn + pn) / 8, seed);
    memcpy(z->z, tmp, zn);
    memcpy(z->p, (uint8_t *)tmp + zn, pn);
    free(tmp);
    /* Most of the vector: the last elements true and false alike. */
    z->ffr_len = (long)sve_vl - 1 - (long)(seed % 4);
}

static void zpat_free(struct zpat *z)
{
    free(z->z);
    free(z->p);
}

/* z0-z29 against memory with cmpne; p0-p6, p8-p12, p15 and FFR with a
 * predicated eor and ptest (p7: all true, the governing predicate; p13,
 * p14, z30 scratch).  FFR holds a prefix of true elements (the shape
 * wrffr expects). */
__attribute__((noinline)) static long sve_loop(struct zpat *zp, long n)
{
    register const uint8_t *z __asm__("x0") = zp->z;
    register long cnt __asm__("x1") = n;
    register long bad __asm__("x2");
    register uint8_t *pp __asm__("x4") = zp->p;
    register long flen __asm__("x5") = zp->ffr_len;
    __asm__ volatile(
        ".arch_extension sve\n\t"
        "ptrue p7.b\n\t"
        "whilelo p14.b, xzr, x5\n\t"
        "str p14, [x4, #14, mul vl]\n\t"
        "wrffr p14.b\n\t"
        "ldr z0, [x0, #0, mul vl]\n\t"
        "ldr z1, [x0, #1, mul vl]\n\t"
        "ldr z2, [x0, #2, mul vl]\n\t"
        "ldr z3, [x0, #3, mul vl]\n\t"
        "ldr z4, [x0, #4, mul vl]\n\t"
        "ldr z5, [x0, #5, mul vl]\n\t"
        "ldr z6, [x0, #6, mul vl]\n\t"
        "ldr z7, [x0, #7, mul vl]\n\t"
        "ldr z8, [x0, #8, mul vl]\n\t"
        "ldr z9, [x0, #9, mul vl]\n\t"
        "ldr z10, [x0, #10, mul vl]\n\t"
        "ldr z11, [x0, #11, mul vl]\n\t"
        "ldr z12, [x0, #12, mul vl]\n\t"
        "ldr z13, [x0, #13, mul vl]\n\t"
        "ldr z14, [x0, #14, mul vl]\n\t"
        "ldr z15, [x0, #15, mul vl]\n\t"
        "ldr z16, [x0, #16, mul vl]\n\t"
        "ldr z17, [x0, #17, mul vl]\n\t"
        "ldr z18, [x0, #18, mul vl]\n\t"
        "ldr z19, [x0, #19, mul vl]\n\t"
        "ldr z20, [x0, #20, mul vl]\n\t"
        "ldr z21, [x0, #21, mul vl]\n\t"
        "ldr z22, [x0, #22, mul vl]\n\t"
        "ldr z23, [x0, #23, mul vl]\n\t"
        "ldr z24, [x0, #24, mul vl]\n\t"
        "ldr z25, [x0, #25, mul vl]\n\t"
        "ldr z26, [x0, #26, mul vl]\n\t"
        "ldr z27, [x0, #27, mul vl]\n\t"
        "ldr z28, [x0, #28, mul vl]\n\t"
        "ldr z29, [x0, #29, mul vl]\n\t"
        "ldr p0, [x4, #0, mul vl]\n\t"
        "ldr p1, [x4, #1, mul vl]\n\t"
        "ldr p2, [x4, #2, mul vl]\n\t"
        "ldr p3, [x4, #3, mul vl]\n\t"
        "ldr p4, [x4, #4, mul vl]\n\t"
        "ldr p5, [x4, #5, mul vl]\n\t"
        "ldr p6, [x4, #6, mul vl]\n\t"
        "ldr p8, [x4, #8, mul vl]\n\t"
        "ldr p9, [x4, #9, mul vl]\n\t"
        "ldr p10, [x4, #10, mul vl]\n\t"
        "ldr p11, [x4, #11, mul vl]\n\t"
        "ldr p12, [x4, #12, mul vl]\n\t"
        "ldr p15, [x4, #15, mul vl]\n\t"
        "1:\n\t"
        "ldr z30, [x0, #0, mul vl]\n\tcmpne p14.b, p7/z, z0.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #1, mul vl]\n\tcmpne p14.b, p7/z, z1.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #2, mul vl]\n\tcmpne p14.b, p7/z, z2.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #3, mul vl]\n\tcmpne p14.b, p7/z, z3.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #4, mul vl]\n\tcmpne p14.b, p7/z, z4.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #5, mul vl]\n\tcmpne p14.b, p7/z, z5.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #6, mul vl]\n\tcmpne p14.b, p7/z, z6.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #7, mul vl]\n\tcmpne p14.b, p7/z, z7.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #8, mul vl]\n\tcmpne p14.b, p7/z, z8.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #9, mul vl]\n\tcmpne p14.b, p7/z, z9.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #10, mul vl]\n\tcmpne p14.b, p7/z, z10.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #11, mul vl]\n\tcmpne p14.b, p7/z, z11.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #12, mul vl]\n\tcmpne p14.b, p7/z, z12.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #13, mul vl]\n\tcmpne p14.b, p7/z, z13.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #14, mul vl]\n\tcmpne p14.b, p7/z, z14.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #15, mul vl]\n\tcmpne p14.b, p7/z, z15.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #16, mul vl]\n\tcmpne p14.b, p7/z, z16.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #17, mul vl]\n\tcmpne p14.b, p7/z, z17.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #18, mul vl]\n\tcmpne p14.b, p7/z, z18.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #19, mul vl]\n\tcmpne p14.b, p7/z, z19.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #20, mul vl]\n\tcmpne p14.b, p7/z, z20.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #21, mul vl]\n\tcmpne p14.b, p7/z, z21.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #22, mul vl]\n\tcmpne p14.b, p7/z, z22.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #23, mul vl]\n\tcmpne p14.b, p7/z, z23.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #24, mul vl]\n\tcmpne p14.b, p7/z, z24.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #25, mul vl]\n\tcmpne p14.b, p7/z, z25.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #26, mul vl]\n\tcmpne p14.b, p7/z, z26.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #27, mul vl]\n\tcmpne p14.b, p7/z, z27.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #28, mul vl]\n\tcmpne p14.b, p7/z, z28.b, z30.b\n\tb.any 2f\n\t"
        "ldr z30, [x0, #29, mul vl]\n\tcmpne p14.b, p7/z, z29.b, z30.b\n\tb.any 2f\n\t"
        "ldr p13, [x4, #0, mul vl]\n\teor p14.b, p7/z, p0.b, p13.b\n\tptest p7, p14.b\n\tb.any 2f\n\t"
        "ldr p13, [x4, #1, mul vl]\n\teor p14.b, p7/z, p1.b, p13.b\n\tptest p7, p14.b\n\tb.any 2f\n\t"
        "ldr p13, [x4, #2, mul vl]\n\teor p14.b, p7/z, p2.b, p13.b\n\tptest p7, p14.b\n\tb.any 2f\n\t"
        "ldr p13, [x4, #3, mul vl]\n\teor p14.b, p7/z, p3.b, p13.b\n\tptest p7, p14.b\n\tb.any 2f\n\t"
        "ldr p13, [x4, #4, mul vl]\n\teor p14.b, p7/z, p4.b, p13.b\n\tptest p7, p14.b\n\tb.any 2f\n\t"
        "ldr p13, [x4, #5, mul vl]\n\teor p14.b, p7/z, p5.b, p13.b\n\tptest p7, p14.b\n\tb.any 2f\n\t"
        "ldr p13, [x4, #6, mul vl]\n\teor p14.b, p7/z, p6.b, p13.b\n\tptest p7, p14.b\n\tb.any 2f\n\t"
        "ldr p13, [x4, #8, mul vl]\n\teor p14.b, p7/z, p8.b, p13.b\n\tptest p7, p14.b\n\tb.any 2f\n\t"
        "ldr p13, [x4, #9, mul vl]\n\teor p14.b, p7/z, p9.b, p13.b\n\tptest p7, p14.b\n\tb.any 2f\n\t"
        "ldr p13, [x4, #10, mul vl]\n\teor p14.b, p7/z, p10.b, p13.b\n\tptest p7, p14.b\n\tb.any 2f\n\t"
        "ldr p13, [x4, #11, mul vl]\n\teor p14.b, p7/z, p11.b, p13.b\n\tptest p7, p14.b\n\tb.any 2f\n\t"
        "ldr p13, [x4, #12, mul vl]\n\teor p14.b, p7/z, p12.b, p13.b\n\tptest p7, p14.b\n\tb.any 2f\n\t"
        "ldr p13, [x4, #15, mul vl]\n\teor p14.b, p7/z, p15.b, p13.b\n\tptest p7, p14.b\n\tb.any 2f\n\t"
        "rdffr p14.b\n\tldr p13, [x4, #14, mul vl]\n\teor p14.b, p7/z, p14.b, p13.b\n\tptest p7, p14.b\n\tb.any 2f\n\t"
        CHECK_LOOP_END
        : "=&r"(bad), "+r"(cnt)
        : "r"(z), "r"(pp), "r"(flen)
        : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p11", "p12", "p13", "p14", "p15", "ffr", "cc", "memory");
    return bad;
}

static const char *round_loops(const uint64_t *vpat, uint64_t *gpat, struct zpat *z, long chunk, int *loops)
{
    *loops = have_sve ? 3 : 2;
    if (gpr_loop(gpat, chunk))
        return "general register, sp, NZCV, FPSR or FPCR";
    if (simd_loop(vpat, chunk))
        return "vector register";
    if (have_sve && sve_loop(z, chunk))
        return "SVE z, p or FFR register";
    return NULL;
}

#endif

#if defined(__x86_64__) || defined(__aarch64__)

static int64_t total_iters;

static void worker(void *arg)
{
    grt_waitgroup *wg = arg;
    /* Each goroutine its own patterns: a context restored into the wrong
     * goroutine is caught as surely as a lost register. */
    _Alignas(32) uint64_t vpat[VPAT_WORDS];
    uint64_t gpat[GPAT_WORDS];
    struct zpat z;
    memset(&z, 0, sizeof z);
    fill(vpat, VPAT_WORDS, grt_id());
    fill(gpat, GPAT_WORDS, grt_id() + 1000);
    gpat_fixup(gpat);
    zpat_init(&z, grt_id() + 2000);
    int64_t end = grt_now() + RUN_NS, iters = 0;
    while (grt_now() < end) {
        long chunk = TEST_CHUNK;
        int loops = 0;
        const char *what = round_loops(vpat, gpat, &z, chunk, &loops);
        if (what)
            TEST_FAIL("goroutine %llu: %s changed", (unsigned long long)grt_id(), what);
        iters += loops * chunk;
    }
    zpat_free(&z);
    __atomic_add_fetch(&total_iters, iters, __ATOMIC_RELAXED);
    grt_waitgroup_done(wg);
}

static void main_g(void *arg)
{
    int n = *(int *)arg;
    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    grt_waitgroup_add(&wg, n);
    for (int i = 0; i < n; i++)
        CHECK_EQ(grt_go(worker, &wg), 0);
    grt_waitgroup_wait(&wg);
    grt_stats st;
    CHECK_EQ(grt_stats_get(&st), 0);
    printf("procs=%lld goroutines=%d %s: %lld loop iterations, %lld preemptions\n",
           (long long)st.procs, n, arch_features(), (long long)total_iters, (long long)st.preemptions);
    /* The stress thread asks ~20000 times a second per P; most requests
     * land in the loops.  Even a slow machine sees hundreds. */
    CHECK_GE(st.preemptions, 500);
}

int main(void)
{
#ifdef GRT_TSAN
    /* TSan defers asynchronous signals until the thread enters one of its
     * interceptors; the assembly loops never do, so no preemption. */
    TEST_SKIP("signal-based preemption cannot be observed under TSan");
#endif
    arch_init();
    setenv("GRT_DEBUG", "preemptstress=50", 1);
    int n = 3;
    test_run(1, main_g, &n);
    total_iters = 0;
    n = 4;
    test_run(2, main_g, &n);
    return 0;
}

#else
int main(void)
{
    TEST_SKIP("no register test for this architecture");
}
#endif
