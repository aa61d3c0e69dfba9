/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * switch.S (aarch64, AAPCS64) - the goroutine context switch.
 *
 * Callee-saved state: x19-x28, the frame pointer x29, the link register x30
 * (the resume pc) and the low halves of v8-v15 (d8-d15).  They are stored
 * in a 176-byte frame on the stack being left, with the goroutine's errno
 * (read from the errno of the thread being left, written into the errno
 * of the thread that resumes; see x86_64/switch.S for why here);
 * gobuf.sp points at it:
 *
 *     sp+0   x19 x20   sp+16  x21 x22   sp+32  x23 x24   sp+48 x25 x26
 *     sp+64  x27 x28   sp+80  x29 x30   sp+96  d8  d9    sp+112 d10 d11
 *     sp+128 d12 d13   sp+144 d14 d15   sp+160 errno (32 bits), unused
 *
 * FPCR is shared by the goroutines of a thread, as on x86-64 (switch.S).
 */
    .text

/* errno_reg: the register holding the errno address. */
.macro SAVE_CTX errno_reg
    sub sp, sp, #176
    ldr w9, [\errno_reg]
    str x9, [sp, #160]
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
.endm

/* void grt__ctx_jump(void *sp, int *errno_loc) */
    .globl grt__ctx_jump
    .hidden grt__ctx_jump
    .type grt__ctx_jump, %function
    .p2align 4
grt__ctx_jump:
    mov sp, x0
    ldr w9, [sp, #160]
    str w9, [x1]
    mov x1, xzr /* no &errno left in a register (x86_64/switch.S says why) */
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #176
    ret
    .size grt__ctx_jump, .-grt__ctx_jump

/* void grt__ctx_mcall(void **save, void *g0sp, void (*fn)(void *), void *arg,
 *                     int *errno_loc) */
    .globl grt__ctx_mcall
    .hidden grt__ctx_mcall
    .type grt__ctx_mcall, %function
    .p2align 4
grt__ctx_mcall:
    SAVE_CTX x4
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    mov x0, x3
    mov x29, #0
    blr x2
    brk #0
    .size grt__ctx_mcall, .-grt__ctx_mcall

/* void grt__ctx_save_call(void **save, void (*fn)(void *), void *arg,
 *                         int *errno_loc) */
    .globl grt__ctx_save_call
    .hidden grt__ctx_save_call
    .type grt__ctx_save_call, %function
    .p2align 4
grt__ctx_save_call:
    SAVE_CTX x3
    mov x9, sp
    str x9, [x0]
    mov x0, x2
    blr x1
    brk #0
    .size grt__ctx_save_call, .-grt__ctx_save_call

/* void grt__ctx_systemstack(void (*fn)(void *), void *arg, void *g0sp) */
    .globl grt__ctx_systemstack
    .hidden grt__ctx_systemstack
    .type grt__ctx_systemstack, %function
    .p2align 4
grt__ctx_systemstack:
    stp x29, x30, [sp, #-32]!
    str x19, [sp, #16]
    mov x29, sp
    mov x19, sp
    mov sp, x2
    mov x9, x0
    mov x0, x1
    blr x9
    mov sp, x19
    ldr x19, [sp, #16]
    ldp x29, x30, [sp], #32
    ret
    .size grt__ctx_systemstack, .-grt__ctx_systemstack

/* First code of a goroutine: x19 = fn, x20 = arg; fn returns into goexit. */
    .globl grt__gostart
    .hidden grt__gostart
    .type grt__gostart, %function
    .p2align 4
grt__gostart:
    mov x0, x20
    adr x30, .Lgoexit_stub
    br x19
    .size grt__gostart, .-grt__gostart

    .globl grt__goexit_stub
    .hidden grt__goexit_stub
    .type grt__goexit_stub, %function
    .p2align 4
    nop
grt__goexit_stub:
.Lgoexit_stub:
    bl grt__goexit1
    brk #0
    .size grt__goexit_stub, .-grt__goexit_stub

/* Asynchronous preemption (preempt_arch.c has the whole scheme).  The
 * SIGURG handler copied the interrupted state into a save area below the
 * interrupted sp and made the goroutine continue here, with sp and x29 at
 * the area.  The area starts with the frame record {interrupted x29,
 * interrupted pc}, so frame-pointer walkers go from the scheduler's frames
 * through this one into the interrupted function.  We let the scheduler
 * run others; when resumed (perhaps on another thread) we send SIGURG to
 * our own thread, and its handler, finding the pc at
 * grt__async_preempt_resume_pc, rewrites the signal frame with the saved
 * state: rt_sigreturn then puts back x0-x30, sp, pc, NZCV, FPSR, FPCR and
 * the vector registers at once, without a register to jump through.
 *
 * Area offsets (struct area, checked there): */
#define AREA_PC 8
#define AREA_X  16
#define AREA_SP 264

/* CFI: every rule is an address relative to sp, which does not move in
 * this function.  The caller's sp (the CFA) is the saved sp; its x0-x29
 * are in the area; the return column (x30) is given the interrupted pc,
 * which makes unwinders show the interrupted instruction exactly
 * (.cfi_signal_frame: it is not a return address).  The interrupted lr
 * itself cannot be described as well: a DWARF unwinder therefore loses the
 * caller of an interrupted leaf function, as a frame-pointer walk does.
 * Offsets are written as two-byte SLEB128 (values below 8192). */
.macro CFI_CFA_AT_SP off
    .cfi_escape 0x0f, 4, 0x8f, ((\off) & 0x7f) | 0x80, (\off) >> 7, 0x06
.endm
.macro CFI_REG_AT_SP reg, off
    .cfi_escape 0x10, \reg, 3, 0x8f, ((\off) & 0x7f) | 0x80, (\off) >> 7
.endm

    .text
    .globl grt__async_preempt
    .hidden grt__async_preempt
    .type grt__async_preempt, %function
    .p2align 4
grt__async_preempt:
    .cfi_startproc
    .cfi_signal_frame
    CFI_CFA_AT_SP AREA_SP   /* DW_CFA_def_cfa_expression: *(sp + AREA_SP) */
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29
    CFI_REG_AT_SP \r, AREA_X + 8 * \r
    .endr
    CFI_REG_AT_SP 30, AREA_PC
    bl grt__async_preempt_park
1:  mov x0, sp
    bl grt__async_preempt_arm   /* x0 = pid, x1 = tid */
    mov x2, #23                 /* SIGURG */
    mov x8, #131                /* __NR_tgkill */
    svc #0
    /* The handler resumes the goroutine here, on the way out of tgkill. */
    .globl grt__async_preempt_resume_pc
    .hidden grt__async_preempt_resume_pc
grt__async_preempt_resume_pc:
    mov x0, sp
    bl grt__async_preempt_retry /* not delivered here: see why, ask again */
    b 1b
    .cfi_endproc
    .size grt__async_preempt, .-grt__async_preempt

    .section .note.GNU-stack,"",%progbits
