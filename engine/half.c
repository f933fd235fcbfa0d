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

void wl_halves_to_floats(float *out, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) { /* normal: the exponent rebiased by 127 - 15 = 112 */
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        uint32_t bits = (uint32_t)(h & 0x8000) << 16 | (((uint32_t)(h & 0x7FFF) << 13) + (112u << 23));
        memcpy(&out[i], &bits, 4);
    }
    for (size_t i = 0; i < n; i++) {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        if ((h & 0x7C00) == 0 || (h & 0x7C00) == 0x7C00) out[i] = wl_half_to_float(h);
    }
}

float wl_bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}
