/* Eight-lane exp and erf (see vmath.h). */
#include "vmath.h"

#include <math.h>
#include <string.h>

/* The helpers below work in place through pointers and are always inlined into each CPU clone
 * of the public functions: a 32-byte vector passed by value would change the calling
 * convention between clones (clang refuses it). */
#define INLINE static inline __attribute__((always_inline))
/* Each public function in three builds, picked at load by the CPU: AVX-512's 32 vector registers
 * keep more accumulators and tiles out of memory. The lanes are eight either way and nothing is
 * contracted into an FMA, so every build computes the same bits. */
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
#define SPLAT(x) ((v8f){x, x, x, x, x, x, x, x})
/* Sixteen lanes for the products, where no lane is selected by a comparison (gcc 12 turns a
 * 16-lane comparison into one scalar instruction per lane): each is two eight-lane vectors side by
 * side, so a product sums in the order it would with two eight-lane accumulators. */
typedef float v16f __attribute__((vector_size(64)));

/* exp on eight lanes: x = n ln2 + r, |r| <= ln2 / 2, exp(x) = 2^n (1 + r + r^2/2 + r^3 p(r)) */
INLINE void exp8(v8f *xp)
{
    v8f x = *xp;
    const v8f hi = SPLAT(88.7f), lo = SPLAT(-87.3f);
    v8i under = x < lo, over = x > hi;
    x = (v8f)(((v8i)x & ~(under | over)) | ((v8i)lo & under) | ((v8i)hi & over));
    /* n = round(x / ln2) by the 1.5 * 2^23 trick (round-to-nearest-even, |x / ln2| < 2^22) */
    const v8f magic = SPLAT(12582912.0f);
    v8f n = (x * SPLAT(1.44269504088896341f) + magic) - magic;
    v8f r = x - n * SPLAT(0.693359375f) - n * SPLAT(-2.12194440e-4f); /* ln2 in two parts */
    v8f p = SPLAT(1.9875691500e-4f);
    p = p * r + SPLAT(1.3981999507e-3f);
    p = p * r + SPLAT(8.3334519073e-3f);
    p = p * r + SPLAT(4.1665795894e-2f);
    p = p * r + SPLAT(1.6666665459e-1f);
    p = p * r + SPLAT(5.0000001201e-1f);
    p = p * (r * r) + r + SPLAT(1.0f);
    v8i e = (__builtin_convertvector(n, v8i) + 127) << 23; /* 2^n as a float's bits */
    v8f y = p * (v8f)e;
    y = (v8f)((v8i)y & ~under);                                         /* underflow: 0 */
    *xp = (v8f)(((v8i)y & ~over) | ((v8i)SPLAT(INFINITY) & over)); /* overflow: inf */
}

/* erf on eight lanes: erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z/2), for z = |x| */
INLINE void erf8(v8f *xp)
{
    v8f x = *xp;
    v8i neg = x < SPLAT(0.0f);
    v8f z = (v8f)((v8i)x & ~(v8i)SPLAT(-0.0f)); /* |x| */
    v8f t = SPLAT(1.0f) / (SPLAT(1.0f) + SPLAT(0.5f) * z);
    static const float C[] = {0.17087277f,  -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f,
                              -0.18628806f, 0.09678418f,  0.37409196f, 1.00002368f,  -1.26551223f};
    v8f p = SPLAT(C[0]);
    for (int i = 1; i < 10; i++) p = p * t + SPLAT(C[i]);
    v8f e = p - z * z;
    exp8(&e);
    v8f erfc = t * e;
    v8f y = SPLAT(1.0f) - erfc;
    /* below 0.5, 1 - erfc loses the relative accuracy: the Taylor series instead (to z^15) */
    static const float T[] = {-1.49271e-5f, 1.205533e-4f, -8.548327e-4f, 5.2239776e-3f, -2.68661706e-2f,
                              1.128379167e-1f, -3.76126389e-1f, 1.128379167f};
    v8f z2 = z * z, s = SPLAT(T[0]);
    for (int i = 1; i < 8; i++) s = s * z2 + SPLAT(T[i]);
    s = s * z;
    v8i small = z < SPLAT(0.5f);
    y = (v8f)(((v8i)s & small) | ((v8i)y & ~small));
    *xp = (v8f)((v8i)y ^ ((v8i)SPLAT(-0.0f) & neg)); /* odd */
}

/* Applies f to x[0..n) in chunks of eight; the tail goes through a zero-padded chunk. */
#define EACH8(y, x, n, f)                                                                              \
    do {                                                                                               \
        int64_t i_ = 0;                                                                                \
        for (; i_ + 8 <= (n); i_ += 8) {                                                               \
            v8f v_;                                                                                    \
            memcpy(&v_, (x) + i_, sizeof v_);                                                          \
            f(&v_);                                                                                    \
            memcpy((y) + i_, &v_, sizeof v_);                                                          \
        }                                                                                              \
        if (i_ < (n)) {                                                                                \
            v8f v_ = SPLAT(0.0f);                                                                      \
            memcpy(&v_, (x) + i_, sizeof(float) * (size_t)((n)-i_));                                   \
            f(&v_);                                                                                    \
            memcpy((y) + i_, &v_, sizeof(float) * (size_t)((n)-i_));                                  \
        }                                                                                              \
    } while (0)

CLONES void wl_vexp(float *y, const float *x, int64_t n)
{
    EACH8(y, x, n, exp8);
}

CLONES void wl_verf(float *y, const float *x, int64_t n)
{
    EACH8(y, x, n, erf8);
}

/* The maximum of x[0..n) (NaNs skipped; -inf when none), eight lanes at a time: exact, as a
 * maximum does not round. */
INLINE float max_of(const float *x, int n)
{
    v8f top8 = SPLAT(-INFINITY);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        v8f v;
        memcpy(&v, x + i, sizeof v);
        v8i gt = v > top8;
        top8 = (v8f)(((v8i)v & gt) | ((v8i)top8 & ~gt));
    }
    float top = -INFINITY;
    for (int k = 0; k < 8; k++) top = top8[k] > top ? top8[k] : top;
    for (int k = i; k < n; k++) top = x[k] > top ? x[k] : top;
    return top;
}

CLONES float wl_vmax(const float *x, int n) { return max_of(x, n); }

typedef float v4f __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));

/* Adds the eight lanes of v to two four-lane double sums. */
INLINE void add_double(v4d *acc, const v8f *v)
{
    v4f lo, hi;
    memcpy(&lo, v, sizeof lo), memcpy(&hi, (const char *)v + sizeof lo, sizeof hi);
    acc[0] += __builtin_convertvector(lo, v4d), acc[1] += __builtin_convertvector(hi, v4d);
}

CLONES double wl_vsum_exp(const float *x, int n, float shift)
{
    v4d acc[2] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
    const v8f sh = SPLAT(shift);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        v8f v;
        memcpy(&v, x + i, sizeof v);
        v -= sh;
        exp8(&v);
        add_double(acc, &v);
    }
    if (i < n) {
        v8f v = SPLAT(-INFINITY); /* the tail's unused lanes add exp(-inf) = 0 */
        memcpy(&v, x + i, sizeof(float) * (size_t)(n - i));
        v -= sh;
        exp8(&v);
        add_double(acc, &v);
    }
    v4d a = acc[0] + acc[1];
    return (a[0] + a[1]) + (a[2] + a[3]);
}

CLONES void wl_softmax_row(float *x, int n)
{
    float top = max_of(x, n);
    int i;
    /* exp(x - top) eight at a time, summed in eight partial sums in a fixed order */
    v8f sum = SPLAT(0.0f), shift = SPLAT(top);
    for (i = 0; i + 8 <= n; i += 8) {
        v8f v;
        memcpy(&v, x + i, sizeof v);
        v -= shift;
        exp8(&v);
        memcpy(x + i, &v, sizeof v);
        sum += v;
    }
    if (i < n) {
        v8f v = SPLAT(-INFINITY); /* padding lanes give exp(-inf) = 0 */
        memcpy(&v, x + i, sizeof(float) * (size_t)(n - i));
        v -= shift;
        exp8(&v);
        memcpy(x + i, &v, sizeof(float) * (size_t)(n - i));
        sum += v;
    }
    float s = ((sum[0] + sum[1]) + (sum[2] + sum[3])) + ((sum[4] + sum[5]) + (sum[6] + sum[7]));
    v8f inv = SPLAT(1.0f / s);
    for (i = 0; i + 8 <= n; i += 8) {
        v8f v;
        memcpy(&v, x + i, sizeof v);
        v *= inv;
        memcpy(x + i, &v, sizeof v);
    }
    for (; i < n; i++) x[i] *= inv[0];
}

/* A tile of products: out[t * ldo] = W . x[t] for t < NT, each over n with a 16-lane
 * accumulator (its low half takes the even 8-float steps, its high half the odd ones), a fixed
 * reduction, then the scalar tail. Every tile size sums a pair in this same order, so a result
 * depends only on its two vectors. A W chunk is loaded once for NT rows. */
INLINE void tile(float *out, int64_t ldo, const float *W, const float *x, int64_t ldx, int n, const int NT)
{
    v16f acc[4], w, v;
#pragma GCC unroll 4
    for (int b = 0; b < NT; b++) acc[b] = (v16f){0};
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __builtin_prefetch(W + i + 512); /* the rows after: memory runs ahead of the products */
        memcpy(&w, W + i, sizeof w);
#pragma GCC unroll 4
        for (int b = 0; b < NT; b++) memcpy(&v, x + b * ldx + i, sizeof v), acc[b] += w * v;
    }
    if (i + 8 <= n) { /* one more even step: the high half adds 0 x 0 */
        w = v = (v16f){0};
        memcpy(&w, W + i, sizeof(float) * 8);
#pragma GCC unroll 4
        for (int b = 0; b < NT; b++) memcpy(&v, x + b * ldx + i, sizeof(float) * 8), acc[b] += w * v;
        i += 8;
    }
#pragma GCC unroll 4
    for (int b = 0; b < NT; b++) {
        v8f s = __builtin_shufflevector(acc[b], acc[b], 0, 1, 2, 3, 4, 5, 6, 7) +
                __builtin_shufflevector(acc[b], acc[b], 8, 9, 10, 11, 12, 13, 14, 15);
        float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
        for (int k = i; k < n; k++) r += W[k] * x[b * ldx + k];
        out[b * ldo] = r;
    }
}

CLONES void wl_vmatmul(float *out, int64_t ldo, const float *W, int64_t ldw, const float *x, int64_t ldx,
                       int T, int rows, int n)
{
    for (int o = 0; o < rows; o++, W += ldw, out++) { /* a row of W stays in L1 while every x passes */
        int t = 0;
        for (; t + 4 <= T; t += 4) tile(out + t * ldo, ldo, W, x + t * ldx, ldx, n, 4);
        switch (T - t) {
        case 3: tile(out + t * ldo, ldo, W, x + t * ldx, ldx, n, 3); break;
        case 2: tile(out + t * ldo, ldo, W, x + t * ldx, ldx, n, 2); break;
        case 1: tile(out + t * ldo, ldo, W, x + t * ldx, ldx, n, 1); break;
        }
    }
}

/* Columns [j, j + 8 NV) of out: NV eight-lane accumulators, keys in order. */
INLINE void vecmat_cols(float *out, const float *s, const float *V, int64_t ldv, int rows, int j, const int NV)
{
    v8f acc[8], v;
#pragma GCC unroll 8
    for (int c = 0; c < NV; c++) acc[c] = SPLAT(0.0f);
    for (int k = 0; k < rows; k++) {
        const float *row = V + k * ldv + j;
        v8f w = SPLAT(s[k]);
#pragma GCC unroll 4
        for (int c = 0; c < NV; c += 2) __builtin_prefetch(row + 8 * NV + 8 * c); /* the next columns' block */
#pragma GCC unroll 8
        for (int c = 0; c < NV; c++) memcpy(&v, row + 8 * c, sizeof v), acc[c] += w * v;
    }
#pragma GCC unroll 8
    for (int c = 0; c < NV; c++) memcpy(out + j + 8 * c, &acc[c], sizeof acc[c]);
}

CLONES void wl_vvecmat(float *out, int64_t ldo, const float *s, int64_t lds, int T, const float *V,
                       int64_t ldv, int rows, int n)
{
    int j = 0;
    /* 64 columns at a time for every s: the block of V (rows x 64) stays in cache meanwhile */
    for (; j + 64 <= n; j += 64)
        for (int t = 0; t < T; t++) vecmat_cols(out + t * ldo, s + t * lds, V, ldv, rows, j, 8);
    for (; j + 8 <= n; j += 8)
        for (int t = 0; t < T; t++) vecmat_cols(out + t * ldo, s + t * lds, V, ldv, rows, j, 1);
    for (; j < n; j++)
        for (int t = 0; t < T; t++) {
            float a = 0;
            for (int k = 0; k < rows; k++) a += s[t * lds + k] * V[k * ldv + j];
            out[t * ldo + j] = a;
        }
}

CLONES void wl_vadd(float *y, const float *x, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v8f a, b;
        memcpy(&a, y + i, sizeof a), memcpy(&b, x + i, sizeof b);
        a += b;
        memcpy(y + i, &a, sizeof a);
    }
    for (; i < n; i++) y[i] += x[i];
}

/* GELU on eight lanes: 0.5 x (1 + erf(x / sqrt 2)), the same operations as the scalar formula */
INLINE void gelu8(v8f *xp)
{
    v8f x = *xp, e = x * SPLAT((float)M_SQRT1_2);
    erf8(&e);
    *xp = SPLAT(0.5f) * x * (SPLAT(1.0f) + e);
}

CLONES void wl_vgelu(float *x, int64_t n)
{
    EACH8(x, x, n, gelu8);
}
