#include "half.h"

#include <string.h>

float wl_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = h >> 10 & 0x1F, man = h & 0x3FF, bits;
    if (exp == 0x1F) bits = sign | 0x7F800000u | man << 13; /* inf / nan */
    else if (exp) bits = sign | (exp + 112) << 23 | man << 13;
    else if (man) { /* subnormal: shift the leading 1 into the implicit bit */
        int e = -1;
        do man <<= 1, e++; while (!(man & 0x400));
        bits = sign | (uint32_t)(112 - e) << 23 | (man & 0x3FF) << 13;
    } else bits = sign;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

float wl_bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}
