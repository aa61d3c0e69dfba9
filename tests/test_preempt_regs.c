/*
 * test_preempt_regs.c - asynchronous preemption preserves every register.
 *
 * The loops below are inline assembly, so the compiler cannot keep a copy
 * of anything in memory: they load distinct patterns into the general
 * registers, the direction flag, and 15 SSE or AVX registers, then check
 * them all on every iteration.  GRT_DEBUG=preemptstress makes a thread ask
 * for preemption of every running goroutine every 50 us, so over a couple
 * of seconds each loop is interrupted, switched out (its thread running
 * another loop with other patterns) and resumed thousands of times, on
 * either of two Ps.  A register the trampoline forgot, or a save area
 * shared between goroutines, shows up as a mismatch.
 */
#include "grt_test.h"

#if defined(__x86_64__)

#define RUN_NS 2000000000LL

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

static int64_t total_iters;

static void worker(void *arg)
{
    grt_waitgroup *wg = arg;
    /* Each goroutine its own patterns: a context restored into the wrong
     * goroutine is caught as surely as a lost register. */
    _Alignas(32) uint64_t vpat[15 * 4];
    uint64_t gpat[16];
    fill(vpat, 15 * 4, grt_id());
    fill(gpat, 16, grt_id() + 1000);
    int64_t end = grt_now() + RUN_NS, iters = 0;
    while (grt_now() < end) {
        long chunk = 200000;
        if (avx2 && avx_loop(vpat, chunk))
            TEST_FAIL("goroutine %llu: AVX register changed", (unsigned long long)grt_id());
        if (sse_loop(vpat, chunk))
            TEST_FAIL("goroutine %llu: SSE register changed", (unsigned long long)grt_id());
        if (gpr_loop(gpat, chunk))
            TEST_FAIL("goroutine %llu: general register or DF changed", (unsigned long long)grt_id());
        iters += (avx2 ? 3 : 2) * chunk;
    }
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
    printf("procs=%lld goroutines=%d avx2=%d: %lld loop iterations, %lld preemptions\n",
           (long long)st.procs, n, avx2, (long long)total_iters, (long long)st.preemptions);
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
    __builtin_cpu_init();
    avx2 = __builtin_cpu_supports("avx2");
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
    TEST_SKIP("asynchronous preemption is implemented on x86-64 only");
}
#endif
