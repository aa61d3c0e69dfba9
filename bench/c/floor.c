/* SPDX-License-Identifier: BSD-3-Clause */
/* floor: the physical limit of a context switch.  A bare x86-64 switch
 * (push the callee-saved registers, swap stack pointers, pop, ret) between
 * two contexts, 20,000,000 switches.  No grt.  Metric: ns per switch. */
#define BENCH_NAME "floor"
#include "bench.h"

#if defined(__x86_64__)

/* void floor_switch(void **save_sp, void *load_sp) */
__asm__(".text\n"
        ".p2align 4\n"
        ".type floor_switch, @function\n"
        "floor_switch:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size floor_switch, .-floor_switch\n");
void floor_switch(void **save_sp, void *load_sp);

#define STACK_SIZE (64 * 1024)

static void *main_sp, *co_sp;
static volatile uint64_t co_count;

static void co_entry(void)
{
    for (;;) {
        co_count++;
        floor_switch(&co_sp, main_sp);
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    int64_t switches = bench_n(20000000, 1000) & ~(int64_t)1; /* even: back in main */
    char *stack = aligned_alloc(64, STACK_SIZE);
    if (!stack) return 1;
    /* initial frame: 6 saved registers, then co_entry as the return address
     * at a 16-byte aligned slot, so co_entry starts as if just called */
    uintptr_t top = ((uintptr_t)stack + STACK_SIZE) & ~(uintptr_t)15;
    void **sp = (void **)(top - 16);
    sp[0] = (void *)co_entry;
    sp -= 6;
    memset(sp, 0, 6 * sizeof *sp);
    co_sp = sp;

    floor_switch(&main_sp, co_sp); /* warm up: one round trip */
    int64_t t0 = bench_now();
    for (int64_t i = 0; i < switches / 2; i++) floor_switch(&main_sp, co_sp);
    int64_t dt = bench_now() - t0;
    printf("floor procs=1 n=%lld metric=%.2f ns/switch check=%llu\n", (long long)switches,
           (double)dt / (double)switches, (unsigned long long)co_count - 1);
    return 0;
}

#else

int main(void)
{
    printf("floor unsupported: not x86-64\n");
    return 77;
}

#endif
