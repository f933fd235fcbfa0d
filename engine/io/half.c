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

typedef uint16_t v8h __attribute__((vector_size(16)));
typedef uint32_t v8u __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef float v8f __attribute__((vector_size(32)));

/* Eight at a time without a branch: each lane takes the normal, the subnormal or the inf/NaN
 * bits by mask. A subnormal (or zero) is its mantissa times 2^-24, exact in float32. */
__attribute__((target_clones("avx2", "default"))) void wl_halves_to_floats(float *out, const unsigned char *p,
                                                                           size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v8h h16;
        memcpy(&h16, p + 2 * i, sizeof h16);
        v8u h = __builtin_convertvector(h16, v8u), mag = h & 0x7FFF, exp = mag >> 10;
        v8u normal = (mag << 13) + (112u << 23), special = (mag << 13) | 0x7F800000u, sub;
        v8f subf = __builtin_convertvector((v8i)mag, v8f) * 0x1p-24f;
        memcpy(&sub, &subf, sizeof sub);
        v8u is_sub = (v8u)(exp == 0), is_special = (v8u)(exp == 0x1F);
        v8u bits = (normal & ~(is_sub | is_special)) | (sub & is_sub) | (special & is_special);
        bits |= (h & 0x8000) << 16;
        memcpy(out + i, &bits, sizeof bits);
    }
    for (; i < n; i++) {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        out[i] = wl_half_to_float(h);
    }
}

float wl_bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}
