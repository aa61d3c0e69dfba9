/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * switch.S (x86-64, System V) - the goroutine context switch.
 *
 * A switch is a function call in C, so only the callee-saved registers
 * (rbx, rbp, r12-r15) and the return address need to survive it; the
 * caller-saved ones are dead by the ABI.  They are pushed on the stack being
 * left, and the stack pointer is stored in the gobuf.  Resuming pops them
 * and returns.  errno is part of the goroutine too (API.md): its value is
 * saved in the same frame from the errno of the thread being left, and
 * written into the errno of the thread that resumes the frame.  Here, and
 * not in C around the switch, because then every path (park, yield,
 * preemption, syscall exit) gets it, and the C callers keep their tail call
 * into grt__ctx_mcall: a call that "returns" through grt__ctx_jump's
 * indirect jump would leave the return stack buffer one entry off and cost
 * every later return a misprediction (yield went from ~35 to ~90 ns).
 * Frame of a saved context, from gobuf.sp upwards:
 *
 *     sp+0  errno (low 32 bits)
 *     sp+8  r15   sp+16 r14   sp+24 r13   sp+32 r12
 *     sp+40 rbx   sp+48 rbp   sp+56 return pc
 *
 * MXCSR and the x87 control word are callee-saved too but are not switched:
 * goroutines share the FP environment of the thread, as Go's do (a
 * goroutine that changes the rounding mode must restore it before any
 * call that can park).  That keeps a switch at the physical floor.  An
 * asynchronous preemption is no call: there the trampoline below saves
 * the goroutine's FP state and gives the thread the baseline
 * (src/fpenv.h).
 */
    .text

/* void grt__ctx_jump(void *sp, int *errno_loc): resume a saved context on
 * the thread whose errno is at errno_loc.  Never returns. */
    .globl grt__ctx_jump
    .hidden grt__ctx_jump
    .type grt__ctx_jump, @function
    .p2align 4
grt__ctx_jump:
    .cfi_startproc
    movq %rdi, %rsp
    popq %rax
    movl %eax, (%rsi)
    /* Do not hand the goroutine this thread's &errno in a register: code
     * that never writes rsi (a goroutine's first function, a call-free
     * loop) would carry it for ever, and preempt.c puts preemption off
     * while a register holds it. */
    xorl %esi, %esi
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    /* An indirect jump, not ret: the return stack buffer predicts a return
     * to our caller, which is wrong on every switch, while the branch
     * target buffer learns where a switch usually goes. */
    popq %rcx
    jmpq *%rcx
    .cfi_endproc
    .size grt__ctx_jump, .-grt__ctx_jump

/* void grt__ctx_mcall(void **save, void *g0sp, void (*fn)(void *), void *arg,
 *                     int *errno_loc)
 * Save the caller's context (and errno, read at errno_loc) in *save, move
 * to the g0 stack at g0sp (16-byte aligned) and call fn(arg) there.  fn
 * never returns; the saved context is resumed later by grt__ctx_jump,
 * which returns from this call. */
    .globl grt__ctx_mcall
    .hidden grt__ctx_mcall
    .type grt__ctx_mcall, @function
    .p2align 4
grt__ctx_mcall:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movl (%r8), %eax
    pushq %rax
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    movq %rcx, %rdi
    xorl %ebp, %ebp         /* end of the frame chain on g0 */
    call *%rdx
    ud2
    .cfi_endproc
    .size grt__ctx_mcall, .-grt__ctx_mcall

/* void grt__ctx_save_call(void **save, void (*fn)(void *), void *arg,
 *                         int *errno_loc)
 * Save the caller's context (and errno) in *save and call fn(arg) further
 * down the same stack.  mstart uses it: the scheduler runs below, and at
 * shutdown grt__ctx_jump(*save, errno_loc) returns from this call. */
    .globl grt__ctx_save_call
    .hidden grt__ctx_save_call
    .type grt__ctx_save_call, @function
    .p2align 4
grt__ctx_save_call:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movl (%rcx), %eax
    pushq %rax
    movq %rsp, (%rdi)       /* 8 + 7*8: aligned to 16 for the call */
    movq %rdx, %rdi
    call *%rsi
    ud2
    .cfi_endproc
    .size grt__ctx_save_call, .-grt__ctx_save_call

/* void grt__ctx_systemstack(void (*fn)(void *), void *arg, void *g0sp)
 * Run fn(arg) on the g0 stack and come back. */
    .globl grt__ctx_systemstack
    .hidden grt__ctx_systemstack
    .type grt__ctx_systemstack, @function
    .p2align 4
grt__ctx_systemstack:
    .cfi_startproc
    pushq %rbp
    .cfi_def_cfa_offset 16
    .cfi_offset %rbp, -16
    movq %rsp, %rbp
    .cfi_def_cfa_register %rbp
    movq %rdx, %rsp
    movq %rdi, %rax
    movq %rsi, %rdi
    call *%rax
    movq %rbp, %rsp
    popq %rbp
    .cfi_def_cfa %rsp, 8
    ret
    .cfi_endproc
    .size grt__ctx_systemstack, .-grt__ctx_systemstack

/* First code of every goroutine, reached by the `ret` of grt__ctx_jump on a
 * frame built by grt__ctx_init: rbx holds fn, r12 its argument, and the
 * stack holds grt__goexit_stub as the return address, so that when fn
 * returns it "returns" into goexit (Go's gostartcallfn trick). */
    .globl grt__gostart
    .hidden grt__gostart
    .type grt__gostart, @function
    .p2align 4
grt__gostart:
    .cfi_startproc
    .cfi_undefined rip      /* outermost frame for unwinders */
    movq %r12, %rdi
    jmp *%rbx
    .cfi_endproc
    .size grt__gostart, .-grt__gostart

    .globl grt__goexit_stub
    .hidden grt__goexit_stub
    .type grt__goexit_stub, @function
    .p2align 4
    nop                     /* so a return address into the stub symbolises as it */
grt__goexit_stub:
    .cfi_startproc
    .cfi_undefined rip
    andq $-16, %rsp
    call grt__goexit1
    ud2
    .cfi_endproc
    .size grt__goexit_stub, .-grt__goexit_stub


/* Asynchronous preemption (preempt.c).  The SIGURG handler found the
 * goroutine at a safe point and made it "call" this function: it pushed the
 * interrupted pc below the 128-byte red zone and pointed rip here.  We save
 * every register the interrupted code could be using - general, flags, and
 * the whole extended state (x87, SSE, AVX, ...) with xsave - let the
 * scheduler run other goroutines, and when resumed put everything back and
 * return to the interrupted pc with the interrupted sp (ret $128 skips the
 * red zone the handler stepped over).  Frame, from the interrupted sp down:
 * red zone (128), interrupted pc, interrupted rbp (rbp points here), flags,
 * 14 general registers, then the 64-byte aligned xsave area.  The xsave
 * area holds the goroutine's whole FP environment too (x87 stack and
 * control word, MXCSR), which the thread does not carry to the next
 * goroutine: see below. */
    .text
    .globl grt__async_preempt
    .hidden grt__async_preempt
    .type grt__async_preempt, @function
    .p2align 4
grt__async_preempt:
    .cfi_startproc
    /* The handler's "call" left the interrupted pc at 0(%rsp); the caller's
     * real sp is 128 bytes (the red zone) above the usual place. */
    .cfi_def_cfa_offset 136
    .cfi_offset rip, -136
    /* A frame record {interrupted rbp, interrupted pc}: frame-pointer
     * walkers (goroutine dumps, debuggers) go from the scheduler's frames
     * straight to the interrupted function and on to its callers. */
    pushq %rbp
    .cfi_def_cfa_offset 144
    .cfi_offset rbp, -144
    movq %rsp, %rbp
    .cfi_def_cfa_register rbp
    pushfq
    cld                             /* C code may be called with DF clear only */
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rbx                 /* callee-saved: the frame above */
    subq grt__xsave_size(%rip), %rsp
    andq $-64, %rsp                 /* xsave needs 64-byte alignment */
    cmpb $0, grt__xsave_ok(%rip)
    je 1f
    /* The header must hold zeros where xsave does not write (XCOMP_BV). */
    movq $0, 512(%rsp)
    movq $0, 520(%rsp)
    movq $0, 528(%rsp)
    movq $0, 536(%rsp)
    movq $0, 544(%rsp)
    movq $0, 552(%rsp)
    movq $0, 560(%rsp)
    movq $0, 568(%rsp)
    movl $-1, %eax
    movl $-1, %edx
    xsave64 (%rsp)
    jmp 2f
1:  fxsave64 (%rsp)
    /* The thread leaves our FP state behind: the scheduler and whatever
     * goroutine runs next here get the baseline (src/fpenv.h), an empty
     * x87 stack, the control word and MXCSR as at grt_run with no flag
     * raised, and clean upper halves of the vector registers (dirty ones
     * slow down SSE code on some cores).  xrstor puts ours back. */
2:  fninit
    fldcw grt__fpenv_base+4(%rip)
    ldmxcsr grt__fpenv_base(%rip)
    cmpb $0, grt__avx_ok(%rip)
    je 5f
    vzeroupper
5:  call grt__async_preempt_park
    cmpb $0, grt__xsave_ok(%rip)
    je 3f
    movl $-1, %eax
    movl $-1, %edx
    xrstor64 (%rsp)
    jmp 4f
3:  fxrstor64 (%rsp)
4:  movq %rbx, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    popfq
    .cfi_def_cfa rsp, 144
    popq %rbp
    .cfi_def_cfa_offset 136
    .cfi_restore rbp
    ret $128
    .cfi_endproc
    .size grt__async_preempt, .-grt__async_preempt

    .section .note.GNU-stack,"",@progbits
