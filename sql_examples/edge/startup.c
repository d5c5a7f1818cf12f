/* Cortex-M4 start-up for QEMU's mps2-an386: the vector table (initial stack, reset), the FPU switched on
 * (the code is built for hard float), then newlib's _start (rdimon-crt0: .bss zeroed, semihosting set up,
 * main, exit through semihosting, which ends QEMU). A fault exits with status 3 (_Exit, through semihosting) rather than hang. */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __stack;
extern void _start(void);

void Reset_Handler(void)
{
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20; /* CPACR: full access to CP10 and CP11, the FPU */
    __asm volatile("dsb\n\tisb");
    _start();
}

void Fault_Handler(void)
{
    _Exit(3);
}

__attribute__((section(".isr_vector"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&__stack, Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler,
};
