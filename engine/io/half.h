/* 16-bit float formats of checkpoints, widened to float32 (exactly: every value is representable). */
#ifndef WL_HALF_H
#define WL_HALF_H

#include <stddef.h>
#include <stdint.h>

/* IEEE 754 binary16 (torch.float16), including subnormals, infinities and NaN. */
float wl_half_to_float(uint16_t h);

/* out[i] = wl_half_to_float of the n binary16 values at p (any alignment), eight at a time. */
void wl_halves_to_floats(float *out, const unsigned char *p, size_t n);

/* bfloat16 (torch.bfloat16): the top 16 bits of a float32. */
float wl_bf16_to_float(uint16_t h);

#endif
