/*
 * switch.S (aarch64, AAPCS64) - the goroutine context switch.
 *
 * Callee-saved state: x19-x28, the frame pointer x29, the link register x30
 * (the resume pc) and the low halves of v8-v15 (d8-d15).  They are stored
 * in a 160-byte frame on the stack being left; gobuf.sp points at it:
 *
 *     sp+0   x19 x20   sp+16  x21 x22   sp+32  x23 x24   sp+48 x25 x26
 *     sp+64  x27 x28   sp+80  x29 x30   sp+96  d8  d9    sp+112 d10 d11
 *     sp+128 d12 d13   sp+144 d14 d15
 *
 * FPCR is shared by the goroutines of a thread, as on x86-64 (switch.S).
 */
    .text

.macro SAVE_CTX
    sub sp, sp, #160
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

/* void grt__ctx_jump(void *sp) */
    .globl grt__ctx_jump
    .hidden grt__ctx_jump
    .type grt__ctx_jump, %function
    .p2align 4
grt__ctx_jump:
    mov sp, x0
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
    add sp, sp, #160
    ret
    .size grt__ctx_jump, .-grt__ctx_jump

/* void grt__ctx_mcall(void **save, void *g0sp, void (*fn)(void *), void *arg) */
    .globl grt__ctx_mcall
    .hidden grt__ctx_mcall
    .type grt__ctx_mcall, %function
    .p2align 4
grt__ctx_mcall:
    SAVE_CTX
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    mov x0, x3
    mov x29, #0
    blr x2
    brk #0
    .size grt__ctx_mcall, .-grt__ctx_mcall

/* void grt__ctx_save_call(void **save, void (*fn)(void *), void *arg) */
    .globl grt__ctx_save_call
    .hidden grt__ctx_save_call
    .type grt__ctx_save_call, %function
    .p2align 4
grt__ctx_save_call:
    SAVE_CTX
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

    .section .note.GNU-stack,"",%progbits
