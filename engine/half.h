/* 16-bit float formats of checkpoints, widened to float32 (exactly: every value is representable). */
#ifndef WL_HALF_H
#define WL_HALF_H

#include <stdint.h>

/* IEEE 754 binary16 (torch.float16), including subnormals, infinities and NaN. */
float wl_half_to_float(uint16_t h);

/* bfloat16 (torch.bfloat16): the top 16 bits of a float32. */
float wl_bf16_to_float(uint16_t h);

#endif
