/* One prediction on the device: the model exported by penguins_to_c.sql (prefix 'penguins') classifies one
 * penguin and the program prints its species. Built for a Cortex-M4 the printf goes through semihosting to the
 * debugger (QEMU's console); built for the host it is the C library's. MODEL_HEADER is the exported file
 * (the Makefile's MODEL). PREDICTIONS > 1 repeats the prediction, to count its instructions (make icount). */
#include <stdio.h>

#ifndef MODEL_HEADER
#define MODEL_HEADER "penguins.h"
#endif
#include MODEL_HEADER

#ifndef PREDICTIONS
#define PREDICTIONS 1
#endif

int main(void)
{
    /* penguin 277 of sql_examples/data/penguins.csv (its species, Chinstrap, is what the model tells) */
    penguins_input in = {0};
    in.island = PENGUINS_ISLAND_DREAM; /* strings are codes; penguins_string_code("Dream") finds it at run time */
    in.bill_length_mm = 46.5;
    in.bill_depth_mm = 17.9;
    in.flipper_length_mm = 192;
    in.body_mass_g = 3500;
    in.sex = PENGUINS_SEX_FEMALE;

    penguins_output out;
    for (int i = 0; i < PREDICTIONS; ++i) {
        /* as if a sensor had just written `in`: no prediction is folded into the constants or the next one */
        __asm__ volatile("" : : "r"(&in) : "memory");
        penguins_predict(&in, &out);
    }
    int code = out.predicted_species;
    printf("predicted_species: %s (p = %d/1000)\n", penguins_species_name(code),
           (int)(out.predicted_species_probs[code] * 1000.0f + 0.5f));
    return 0;
}
