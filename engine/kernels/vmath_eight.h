/* Eight-lane building blocks (internal to kernels/): the vector types, a NaN-skipping maximum,
 * a widening add and a dot products' last step, shared by vmath.c and the kernels of every width
 * in vmath_lanes.h. */
#ifndef WL_VMATH_EIGHT_H
#define WL_VMATH_EIGHT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* The helpers below work in place through pointers and are always inlined into each build of
 * the public functions: a vector passed by value would change the calling convention between
 * builds (clang refuses it). */
#define INLINE static inline __attribute__((always_inline))
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
#define SPLAT(x) ((v8f){x, x, x, x, x, x, x, x})
#define LO8(v) __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7)
#define HI8(v) __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15)

/* top = v where v > top, in each lane (NaN never is) */
INLINE void keep_max(v8f *top, const v8f *v)
{
    v8i gt = *v > *top;
    *top = (v8f)(((v8i)*v & gt) | ((v8i)*top & ~gt));
}

/* The maximum of x[0..n) (NaNs skipped; -inf when none), eight lanes at a time in four
 * independent maxima (one would wait on each compare and blend): exact, as a maximum does not
 * round. */
INLINE float max_of(const float *x, int n)
{
    v8f top[4] = {SPLAT(-INFINITY), SPLAT(-INFINITY), SPLAT(-INFINITY), SPLAT(-INFINITY)}, v;
    int i = 0;
    for (; i + 32 <= n; i += 32)
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) memcpy(&v, x + i + 8 * k, sizeof v), keep_max(&top[k], &v);
    for (; i + 8 <= n; i += 8) memcpy(&v, x + i, sizeof v), keep_max(&top[0], &v);
    keep_max(&top[0], &top[1]), keep_max(&top[2], &top[3]), keep_max(&top[0], &top[2]);
    float m = -INFINITY;
    for (int k = 0; k < 8; k++) m = top[0][k] > m ? top[0][k] : m;
    for (int k = i; k < n; k++) m = x[k] > m ? x[k] : m;
    return m;
}

enum { SOFTMAX_ROWS = 4 }; /* rows whose exponentials interleave (softmax_rows, at every width) */

typedef float v4f __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));

/* Adds the eight lanes of v to two four-lane double sums. */
INLINE void add_double(v4d *acc, const v8f *v)
{
    v4f lo, hi;
    memcpy(&lo, v, sizeof lo), memcpy(&hi, (const char *)v + sizeof lo, sizeof hi);
    acc[0] += __builtin_convertvector(lo, v4d), acc[1] += __builtin_convertvector(hi, v4d);
}

/* Eight dot products' last step at once: lane j of *r is ((s0 + s1) + (s2 + s3)) + ((s4 + s5) +
 * (s6 + s7)) over the lanes of s[j], the scalar tree of a tile's reduction, by adding even lanes
 * to odd lanes three times (no scalar chain per product). */
INLINE void reduce8(v8f *r, const v8f *s)
{
    v8f u[4], w[2];
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) /* [a0+a1, a2+a3, a4+a5, a6+a7, b0+b1, ...] for s[2k] = a, s[2k+1] = b */
        u[k] = __builtin_shufflevector(s[2 * k], s[2 * k + 1], 0, 2, 4, 6, 8, 10, 12, 14) +
               __builtin_shufflevector(s[2 * k], s[2 * k + 1], 1, 3, 5, 7, 9, 11, 13, 15);
#pragma GCC unroll 2
    for (int k = 0; k < 2; k++) /* [a0..3, a4..7, b0..3, b4..7, ...] */
        w[k] = __builtin_shufflevector(u[2 * k], u[2 * k + 1], 0, 2, 4, 6, 8, 10, 12, 14) +
               __builtin_shufflevector(u[2 * k], u[2 * k + 1], 1, 3, 5, 7, 9, 11, 13, 15);
    *r = __builtin_shufflevector(w[0], w[1], 0, 2, 4, 6, 8, 10, 12, 14) +
         __builtin_shufflevector(w[0], w[1], 1, 3, 5, 7, 9, 11, 13, 15);
}

#endif
