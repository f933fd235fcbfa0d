/* vmath.c's kernels for one vector width, included there once per width (no include guard).
 * The includer defines LANES (8 or 16), NAME(f) (f with the width appended), TARGET (the
 * function attribute of that width's builds) and, for a 16-lane build without AVX-512, PORTABLE.
 * Every width computes the same bits: elementwise
 * work is the same operations in each lane, and sums are kept as eight partial sums in the order
 * of 8-float steps, whatever the width. */
#include "vmath_eight.h"

typedef float NAME(vf) __attribute__((vector_size(4 * LANES)));
typedef int32_t NAME(vi) __attribute__((vector_size(4 * LANES)));
#define VF NAME(vf)
#define VI NAME(vi)
#if LANES == 8
#define SPLATV(x) ((VF){x, x, x, x, x, x, x, x})
#else
#define SPLATV(x) ((VF){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x})
#endif

/* *p in every lane: gcc 12 builds a 16-lane SPLATV of a variable one lane at a time, but two
 * eight-lane halves with one broadcast */
INLINE void NAME(bcast)(VF *w, const float *p)
{
#if LANES == 8
    *w = SPLAT(*p);
#else
    v8f h = SPLAT(*p);
    *w = __builtin_shufflevector(h, h, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
#endif
}

/* a < b in each lane, as all ones or zero. At 16 lanes, two eight-lane comparisons: gcc 12
 * would compare 16 lanes one scalar at a time. */
INLINE void NAME(less)(VI *out, const VF *a, const VF *b)
{
#if LANES == 8
    *out = *a < *b;
#else
    v8i lo = LO8(*a) < LO8(*b), hi = HI8(*a) < HI8(*b);
    *out = __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
#endif
}

/* sum += each 8-float step of v, in order */
INLINE void NAME(add_steps)(v8f *sum, const VF *v)
{
#if LANES == 8
    *sum += *v;
#else
    *sum += LO8(*v), *sum += HI8(*v);
#endif
}

/* the same, into two four-lane double sums (add_double) */
INLINE void NAME(add_steps_double)(v4d *acc, const VF *v)
{
#if LANES == 8
    add_double(acc, v);
#else
    v8f lo = LO8(*v), hi = HI8(*v);
    add_double(acc, &lo), add_double(acc, &hi);
#endif
}

/* Each statement of exp_many (erf_many, gelu_many) for every one of its `count` vectors in turn
 * (count is a constant where it is inlined, so the loop unrolls): their chains interleave in the
 * instruction stream. */
#define FOR_EACH_VECTOR(k, count) _Pragma("GCC unroll 4") for (int k = 0; k < (count); k++)

/* exp: x = n ln2 + r, |r| <= ln2 / 2, exp(x) = 2^n (1 + r + r^2/2 + r^3 p(r)), of count (<= 4)
 * vectors, each with the same operations as alone. One exp is a long chain of dependent
 * operations, which fills the processor's scheduler; several independent chains interleaved keep
 * more of its units busy. may_overflow 0 (x <= 0 or NaN: a softmax's shifted scores, erfc's
 * exponent) skips the overflow clamp, which for those x changes nothing: the same bits, fewer
 * operations. */
INLINE void NAME(exp_many)(VF *xp, const int count, const int may_overflow)
{
    const VF hi = SPLATV(88.7f), lo = SPLATV(-87.3f), magic = SPLATV(12582912.0f);
    VF x[4], n[4], r[4], p[4];
    VI under[4], over[4];
    FOR_EACH_VECTOR(k, count)
    {
        x[k] = xp[k], over[k] = (VI)SPLATV(0.0f);
        NAME(less)(&under[k], &x[k], &lo);
        if (may_overflow) NAME(less)(&over[k], &hi, &x[k]);
    }
    FOR_EACH_VECTOR(k, count)
    x[k] = (VF)(((VI)x[k] & ~(under[k] | over[k])) | ((VI)lo & under[k]) | ((VI)hi & over[k]));
    /* n = round(x / ln2) by the 1.5 * 2^23 trick (round-to-nearest-even, |x / ln2| < 2^22) */
    FOR_EACH_VECTOR(k, count) n[k] = (x[k] * SPLATV(1.44269504088896341f) + magic) - magic;
    FOR_EACH_VECTOR(k, count)
    r[k] = x[k] - n[k] * SPLATV(0.693359375f) - n[k] * SPLATV(-2.12194440e-4f); /* ln2 in two parts */
    FOR_EACH_VECTOR(k, count) p[k] = SPLATV(1.9875691500e-4f) * r[k] + SPLATV(1.3981999507e-3f);
    FOR_EACH_VECTOR(k, count) p[k] = p[k] * r[k] + SPLATV(8.3334519073e-3f);
    FOR_EACH_VECTOR(k, count) p[k] = p[k] * r[k] + SPLATV(4.1665795894e-2f);
    FOR_EACH_VECTOR(k, count) p[k] = p[k] * r[k] + SPLATV(1.6666665459e-1f);
    FOR_EACH_VECTOR(k, count) p[k] = p[k] * r[k] + SPLATV(5.0000001201e-1f);
    FOR_EACH_VECTOR(k, count) p[k] = p[k] * (r[k] * r[k]) + r[k] + SPLATV(1.0f);
    FOR_EACH_VECTOR(k, count)
    {
        VI e = (__builtin_convertvector(n[k], VI) + 127) << 23; /* 2^n as a float's bits */
        VF y = p[k] * (VF)e;
        y = (VF)((VI)y & ~under[k]);                                          /* underflow: 0 */
        xp[k] = (VF)(((VI)y & ~over[k]) | ((VI)SPLATV(INFINITY) & over[k])); /* overflow: inf */
    }
}

INLINE void NAME(exp_any)(VF *xp, const int may_overflow) { NAME(exp_many)(xp, 1, may_overflow); }

INLINE void NAME(exp)(VF *xp) { NAME(exp_any)(xp, 1); }

/* 1 when every lane of the mask m is set, -1 when none is, 0 when some are */
INLINE int NAME(mask_all_none)(const VI *m)
{
    uint64_t u[LANES / 2], all = ~(uint64_t)0, any = 0;
    memcpy(u, m, sizeof u);
    for (int k = 0; k < LANES / 2; k++) all &= u[k], any |= u[k];
    return all == ~(uint64_t)0 ? 1 : any ? 0 : -1;
}

/* |x| into z, and in small the lanes where it is below 0.5 (erf_small's side) */
INLINE void NAME(abs_small)(VF *z, VI *small, const VF *x)
{
    *z = (VF)((VI)*x & ~(VI)SPLATV(-0.0f));
    const VF half = SPLATV(0.5f);
    NAME(less)(small, z, &half);
}

/* erf for z = |x| >= 0.5 in count (<= 4) vectors: 1 - erfc(z), erfc(z) = t exp(-z^2 + P(t)),
 * t = 1 / (1 + z/2). The exponent, log(erfc(z) / t), is below -0.4 here (or NaN), so exp's
 * overflow clamp would change nothing and is skipped. */
INLINE void NAME(erf_large)(VF *y, const VF *z, const int count)
{
    static const float C[] = {0.17087277f,  -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f,
                              -0.18628806f, 0.09678418f,  0.37409196f, 1.00002368f,  -1.26551223f};
    VF t[4], p[4];
    FOR_EACH_VECTOR(k, count) t[k] = SPLATV(1.0f) / (SPLATV(1.0f) + SPLATV(0.5f) * z[k]), p[k] = SPLATV(C[0]);
#pragma GCC unroll 10
    for (int i = 1; i < 10; i++)
        FOR_EACH_VECTOR(k, count) p[k] = p[k] * t[k] + SPLATV(C[i]);
    FOR_EACH_VECTOR(k, count) y[k] = p[k] - z[k] * z[k];
    NAME(exp_many)(y, count, 0);
    FOR_EACH_VECTOR(k, count) y[k] = SPLATV(1.0f) - t[k] * y[k];
}

/* erf for z = |x| < 0.5, where 1 - erfc loses the relative accuracy: the Taylor series (to z^15) */
INLINE void NAME(erf_small)(VF *y, const VF *z, const int count)
{
    static const float T[] = {-1.49271e-5f, 1.205533e-4f, -8.548327e-4f, 5.2239776e-3f, -2.68661706e-2f,
                              1.128379167e-1f, -3.76126389e-1f, 1.128379167f};
    VF z2[4];
    FOR_EACH_VECTOR(k, count) z2[k] = z[k] * z[k], y[k] = SPLATV(T[0]);
#pragma GCC unroll 8
    for (int i = 1; i < 8; i++)
        FOR_EACH_VECTOR(k, count) y[k] = y[k] * z2[k] + SPLATV(T[i]);
    FOR_EACH_VECTOR(k, count) y[k] *= z[k];
}

/* erf(x), odd, of count (<= 4) vectors, their chains interleaved: each lane takes erf_small or
 * erf_large by |x|. When every lane of the vectors falls on one side, that side alone is computed
 * (the other's polynomial, division and exp are most of the cost); else both, picked per lane:
 * the same bits either way, and as for a vector alone. */
INLINE void NAME(erf_many)(VF *xp, const int count)
{
    const VF zero = SPLATV(0.0f);
    VF z[4], y[4], s[4];
    VI neg[4], small[4];
    int any_small = 0, any_large = 0;
    FOR_EACH_VECTOR(k, count)
    {
        NAME(less)(&neg[k], &xp[k], &zero);
        NAME(abs_small)(&z[k], &small[k], &xp[k]);
        const int side = NAME(mask_all_none)(&small[k]);
        any_small |= side >= 0, any_large |= side <= 0;
    }
    if (any_large) NAME(erf_large)(y, z, count);
    if (any_small) NAME(erf_small)(s, z, count);
    FOR_EACH_VECTOR(k, count)
    {
        if (!any_large) y[k] = s[k];
        else if (any_small) y[k] = (VF)(((VI)s[k] & small[k]) | ((VI)y[k] & ~small[k]));
        xp[k] = (VF)((VI)y[k] ^ ((VI)SPLATV(-0.0f) & neg[k])); /* odd */
    }
}

INLINE void NAME(erf)(VF *xp) { NAME(erf_many)(xp, 1); }

/* GELU: 0.5 x (1 + erf(x / sqrt 2)), the same operations as the scalar formula */
INLINE void NAME(gelu_many)(VF *xp, const int count)
{
    VF e[4];
    FOR_EACH_VECTOR(k, count) e[k] = xp[k] * SPLATV((float)M_SQRT1_2);
    NAME(erf_many)(e, count);
    FOR_EACH_VECTOR(k, count) xp[k] = SPLATV(0.5f) * xp[k] * (SPLATV(1.0f) + e[k]);
}

INLINE void NAME(gelu)(VF *xp) { NAME(gelu_many)(xp, 1); }

/* Applies f to x[0..n) LANES at a time; the tail goes through a zero-padded vector. */
#define EACH(y, x, n, f)                                                                               \
    do {                                                                                               \
        int64_t i_ = 0;                                                                                \
        for (; i_ + LANES <= (n); i_ += LANES) {                                                       \
            VF v_;                                                                                     \
            memcpy(&v_, (x) + i_, sizeof v_);                                                          \
            f(&v_);                                                                                    \
            memcpy((y) + i_, &v_, sizeof v_);                                                          \
        }                                                                                              \
        if (i_ < (n)) {                                                                                \
            VF v_ = SPLATV(0.0f);                                                                      \
            memcpy(&v_, (x) + i_, sizeof(float) * (size_t)((n)-i_));                                   \
            f(&v_);                                                                                    \
            memcpy((y) + i_, &v_, sizeof(float) * (size_t)((n)-i_));                                   \
        }                                                                                              \
    } while (0)

TARGET static void NAME(vexp)(float *y, const float *x, int64_t n) { EACH(y, x, n, NAME(exp)); }
TARGET static void NAME(verf)(float *y, const float *x, int64_t n) { EACH(y, x, n, NAME(erf)); }

/* GELU of x[0..n) in place. A vector whose erf arguments are all below 0.5 takes the short
 * series alone, at once; the others wait in a queue and go four at a time, their long chains
 * (division, polynomial, exp) interleaved. Grouping only those keeps the short ones short, and
 * every vector gets the bits it gets alone. */
TARGET static void NAME(vgelu)(float *x, int64_t n)
{
    enum { QUEUE = 64, GROUP = 4 };
    int64_t i = 0, queued[QUEUE];
    while (i + LANES <= n) {
        int nq = 0;
        for (; i + LANES <= n && nq < QUEUE; i += LANES) {
            VF v, e, z;
            VI small;
            memcpy(&v, x + i, sizeof v);
            e = v * SPLATV((float)M_SQRT1_2), NAME(abs_small)(&z, &small, &e); /* gelu's erf argument */
            if (NAME(mask_all_none)(&small) > 0) NAME(gelu)(&v), memcpy(x + i, &v, sizeof v);
            else queued[nq++] = i;
        }
        int q = 0;
        for (; q + GROUP <= nq; q += GROUP) {
            VF v[GROUP]; /* each loaded whole: halves would stall the store forwarding */
            FOR_EACH_VECTOR(k, GROUP) memcpy(&v[k], x + queued[q + k], sizeof(VF));
            NAME(gelu_many)(v, GROUP);
            FOR_EACH_VECTOR(k, GROUP) memcpy(x + queued[q + k], &v[k], sizeof(VF));
        }
        for (; q < nq; q++) {
            VF v;
            memcpy(&v, x + queued[q], sizeof v), NAME(gelu)(&v), memcpy(x + queued[q], &v, sizeof v);
        }
    }
    if (i < n) { /* the tail through a zero-padded vector */
        VF v = SPLATV(0.0f);
        const size_t tail = sizeof(float) * (size_t)(n - i);
        memcpy(&v, x + i, tail), NAME(gelu)(&v), memcpy(x + i, &v, tail);
    }
}

TARGET static double NAME(vsum_exp)(const float *x, int n, float shift)
{
    v4d acc[2] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
    const VF sh = SPLATV(shift);
    for (int i = 0; i < n; i += LANES) {
        VF v = SPLATV(-INFINITY); /* the tail's unused lanes add exp(-inf) = 0 */
        memcpy(&v, x + i, sizeof(float) * (size_t)(n - i < LANES ? n - i : LANES));
        v -= sh;
        NAME(exp)(&v);
        NAME(add_steps_double)(acc, &v);
    }
    v4d a = acc[0] + acc[1];
    return (a[0] + a[1]) + (a[2] + a[3]);
}

/* A softmax row's end, its first i elements already exp(x - top) and summed into sum: the
 * tail's exponentials, then every element over the total. */
TARGET static void NAME(softmax_end)(float *x, int n, int i, const VF *shift, v8f *sum)
{
    if (i < n) {
        VF v = SPLATV(-INFINITY); /* padding lanes give exp(-inf) = 0 */
        memcpy(&v, x + i, sizeof(float) * (size_t)(n - i));
        v -= *shift;
        NAME(exp_any)(&v, 0); /* x - top <= 0 */
        memcpy(x + i, &v, sizeof(float) * (size_t)(n - i));
        NAME(add_steps)(sum, &v);
    }
    const v8f t = *sum;
    float s = ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
    VF inv = SPLATV(1.0f / s);
    for (i = 0; i + LANES <= n; i += LANES) {
        VF v;
        memcpy(&v, x + i, sizeof v);
        v *= inv;
        memcpy(x + i, &v, sizeof v);
    }
    for (; i < n; i++) x[i] *= inv[0];
}

TARGET static void NAME(softmax_row)(float *x, int n)
{
    float top = max_of(x, n);
    int i;
    /* exp(x - top) LANES at a time, summed in eight partial sums in the order of 8-float steps */
    v8f sum = SPLAT(0.0f);
    const VF shift = SPLATV(top);
    for (i = 0; i + LANES <= n; i += LANES) {
        VF v;
        memcpy(&v, x + i, sizeof v);
        v -= shift;
        NAME(exp_any)(&v, 0); /* x - top <= 0 */
        memcpy(x + i, &v, sizeof v);
        NAME(add_steps)(&sum, &v);
    }
    NAME(softmax_end)(x, n, i, &shift, &sum);
}

/* softmax_row of SOFTMAX_ROWS rows ld apart, each with its own operations in its own order (the
 * same bits), the rows' exponentials interleaved (exp_many). */
TARGET static void NAME(softmax_group)(float *x, int64_t ld, int n)
{
    VF shift[SOFTMAX_ROWS];
    v8f sum[SOFTMAX_ROWS];
    for (int k = 0; k < SOFTMAX_ROWS; k++) {
        const float top = max_of(x + k * ld, n);
        shift[k] = SPLATV(top), sum[k] = SPLAT(0.0f);
    }
    int i;
    for (i = 0; i + LANES <= n; i += LANES) {
        VF v[SOFTMAX_ROWS];
        FOR_EACH_VECTOR(k, SOFTMAX_ROWS) memcpy(&v[k], x + k * ld + i, sizeof v[k]), v[k] -= shift[k];
        NAME(exp_many)(v, SOFTMAX_ROWS, 0); /* x - top <= 0 */
        FOR_EACH_VECTOR(k, SOFTMAX_ROWS) memcpy(x + k * ld + i, &v[k], sizeof v[k]), NAME(add_steps)(&sum[k], &v[k]);
    }
    for (int k = 0; k < SOFTMAX_ROWS; k++) NAME(softmax_end)(x + k * ld, n, i, &shift[k], &sum[k]);
}

TARGET static void NAME(softmax_rows)(float *x, int64_t ld, int rows, int n)
{
    int r = 0;
    for (; r + SOFTMAX_ROWS <= rows; r += SOFTMAX_ROWS) NAME(softmax_group)(x + r * ld, ld, n);
    for (; r < rows; r++) NAME(softmax_row)(x + r * ld, n);
}

/* A tile of products: out[t * ldo] = W . x[t] for t < NT, each over n in 16-float steps whose
 * even and odd 8-float halves have their own eight partial sums (two accumulators at 8 lanes,
 * the halves of one at 16), a fixed reduction, then the scalar tail. Every tile size sums a pair
 * in this same order, so a result depends only on its two vectors. A W chunk is loaded once for
 * NT rows. */
INLINE void NAME(tile)(float *out, int64_t ldo, const float *W, const float *x, int64_t ldx, int n, const int NT)
{
    enum { K = 16 / LANES }; /* accumulators per row */
    VF acc[4][K], w, v;
#pragma GCC unroll 4
    for (int b = 0; b < NT; b++)
        for (int k = 0; k < K; k++) acc[b][k] = SPLATV(0.0f);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __builtin_prefetch(W + i + 512); /* the rows after: memory runs ahead of the products */
#pragma GCC unroll 2
        for (int k = 0; k < K; k++) {
            memcpy(&w, W + i + LANES * k, sizeof w);
#pragma GCC unroll 4
            for (int b = 0; b < NT; b++) memcpy(&v, x + b * ldx + i + LANES * k, sizeof v), acc[b][k] += w * v;
        }
    }
    if (i + 8 <= n) { /* one more even step (at 16 lanes, the odd half adds 0 x 0) */
        w = v = SPLATV(0.0f);
        memcpy(&w, W + i, sizeof(float) * 8);
#pragma GCC unroll 4
        for (int b = 0; b < NT; b++) memcpy(&v, x + b * ldx + i, sizeof(float) * 8), acc[b][0] += w * v;
        i += 8;
    }
#pragma GCC unroll 4
    for (int b = 0; b < NT; b++) {
#if LANES == 8
        v8f s = acc[b][0] + acc[b][1];
#else
        v8f s = LO8(acc[b][0]) + HI8(acc[b][0]);
#endif
        float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
        for (int k = i; k < n; k++) r += W[k] * x[b * ldx + k];
        out[b * ldo] = r;
    }
}

#if LANES == 16
/* tile for two rows of W at once (W and W + ldw) and up to eight x: out[t * ldo + r] for r < 2,
 * the same sums in the same order as tile's, whose eight partial sums are reduced eight at a
 * time (reduce8). Sixteen accumulators hide the additions' latency; a chunk of x, loaded once
 * into a register, serves both rows. */
INLINE void NAME(tile2)(float *out, int64_t ldo, const float *W, int64_t ldw, const float *x, int64_t ldx, int n,
                        const int NT)
{
    VF acc[2][8], w0, w1, v;
#pragma GCC unroll 8
    for (int b = 0; b < NT; b++) acc[0][b] = acc[1][b] = SPLATV(0.0f);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        /* the same chunk of the rows eight ahead: nearer, memory kept the products waiting */
        __builtin_prefetch(W + 8 * ldw + i), __builtin_prefetch(W + 9 * ldw + i);
        memcpy(&w0, W + i, sizeof w0), memcpy(&w1, W + ldw + i, sizeof w1);
#pragma GCC unroll 8
        for (int b = 0; b < NT; b++) {
            memcpy(&v, x + b * ldx + i, sizeof v);
#ifndef PORTABLE /* a 16-lane vector fits one register only with AVX-512 */
            __asm__("" : "+v"(v)); /* one load for both rows: gcc would fold it into each product */
#endif
            acc[0][b] += w0 * v, acc[1][b] += w1 * v;
        }
    }
    if (i + 8 <= n) { /* one more even step; the odd half adds 0 x 0, as in tile */
        w0 = w1 = v = SPLATV(0.0f);
        memcpy(&w0, W + i, sizeof(float) * 8), memcpy(&w1, W + ldw + i, sizeof(float) * 8);
#pragma GCC unroll 8
        for (int b = 0; b < NT; b++) {
            memcpy(&v, x + b * ldx + i, sizeof(float) * 8);
            acc[0][b] += w0 * v, acc[1][b] += w1 * v;
        }
        i += 8;
    }
    /* row r's sum with x b in lane r * PER + b of sums: one reduce8 for up to four x */
    const int PER = NT <= 4 ? 4 : 8;
    v8f s[16], sums[2];
#pragma GCC unroll 16
    for (int k = 0; k < 2 * PER; k++)
        s[k] = k % PER < NT ? LO8(acc[k / PER][k % PER]) + HI8(acc[k / PER][k % PER]) : SPLAT(0.0f);
    reduce8(&sums[0], s);
    if (PER == 8) reduce8(&sums[1], s + 8);
#pragma GCC unroll 2
    for (int r = 0; r < 2; r++)
#pragma GCC unroll 8
        for (int b = 0; b < NT; b++) {
            float sum = sums[(r * PER + b) / 8][(r * PER + b) % 8];
            for (int k = i; k < n; k++) sum += W[r * ldw + k] * x[b * ldx + k];
            out[b * ldo + r] = sum;
        }
}
#endif

TARGET static void NAME(vmatmul)(float *out, int64_t ldo, const float *W, int64_t ldw, const float *x, int64_t ldx,
                                 int T, int rows, int n)
{
    int o = 0;
#if LANES == 16
    /* one or two x: the one-row tile (as fast with two threads, faster with one) */
    for (; T >= 3 && o + 2 <= rows; o += 2, W += 2 * ldw, out += 2) { /* two rows of W stay in L1 while every x passes */
        int t = 0;
        for (; t + 8 <= T; t += 8) NAME(tile2)(out + t * ldo, ldo, W, ldw, x + t * ldx, ldx, n, 8);
        float *o_t = out + t * ldo;
        const float *x_t = x + t * ldx;
        switch (T - t) {
        case 7: NAME(tile2)(o_t, ldo, W, ldw, x_t, ldx, n, 7); break;
        case 6: NAME(tile2)(o_t, ldo, W, ldw, x_t, ldx, n, 6); break;
        case 5: NAME(tile2)(o_t, ldo, W, ldw, x_t, ldx, n, 5); break;
        case 4: NAME(tile2)(o_t, ldo, W, ldw, x_t, ldx, n, 4); break;
        case 3: NAME(tile2)(o_t, ldo, W, ldw, x_t, ldx, n, 3); break;
        case 2: NAME(tile2)(o_t, ldo, W, ldw, x_t, ldx, n, 2); break;
        case 1: NAME(tile2)(o_t, ldo, W, ldw, x_t, ldx, n, 1); break;
        }
    }
#endif
    for (; o < rows; o++, W += ldw, out++) { /* a row of W stays in L1 while every x passes */
        int t = 0;
        for (; t + 4 <= T; t += 4) NAME(tile)(out + t * ldo, ldo, W, x + t * ldx, ldx, n, 4);
        switch (T - t) {
        case 3: NAME(tile)(out + t * ldo, ldo, W, x + t * ldx, ldx, n, 3); break;
        case 2: NAME(tile)(out + t * ldo, ldo, W, x + t * ldx, ldx, n, 2); break;
        case 1: NAME(tile)(out + t * ldo, ldo, W, x + t * ldx, ldx, n, 1); break;
        }
    }
}

/* Columns [j, j + LANES NV) of out[t * ldo] for NT vectors s[t]: NV x NT accumulators, each
 * column's sum taken over the rows (keys) in order, so its bits depend on nothing else. A chunk
 * of a row of V is loaded once for the NT vectors. */
INLINE void NAME(vecmat_block)(float *out, int64_t ldo, const float *s, int64_t lds, const float *V, int64_t ldv,
                               int rows, int j, const int NV, const int NT)
{
    VF acc[4][8], w[4], v;
#pragma GCC unroll 4
    for (int t = 0; t < NT; t++) {
        w[t] = SPLATV(0.0f);
#pragma GCC unroll 8
        for (int c = 0; c < NV; c++) acc[t][c] = SPLATV(0.0f);
    }
    for (int k = 0; k < rows; k++) {
        const float *row = V + k * ldv + j;
#pragma GCC unroll 4
        for (int t = 0; t < NT; t++) NAME(bcast)(&w[t], s + t * lds + k);
#pragma GCC unroll 8
        for (int c = 0; c < NV; c += 16 / LANES) __builtin_prefetch(row + LANES * (NV + c)); /* the next block */
#pragma GCC unroll 8
        for (int c = 0; c < NV; c++) {
            memcpy(&v, row + LANES * c, sizeof v);
#pragma GCC unroll 4
            for (int t = 0; t < NT; t++) acc[t][c] += w[t] * v;
        }
    }
#pragma GCC unroll 4
    for (int t = 0; t < NT; t++)
#pragma GCC unroll 8
        for (int c = 0; c < NV; c++) memcpy(out + t * ldo + j + LANES * c, &acc[t][c], sizeof acc[t][c]);
}

/* out[t * ldo + j] = sum over k < rows of s[t * lds + k] V[k * ldv + j] (wl_vvecmat): 64 columns
 * at a time for every s, whose block of V (rows x 64) stays in cache meanwhile; at 16 lanes four
 * s share each load (16 accumulators), at 8 lanes one (8: AVX2 has 16 registers). */
TARGET static void NAME(vvecmat)(float *out, int64_t ldo, const float *s, int64_t lds, int T, const float *V,
                                 int64_t ldv, int rows, int n)
{
    enum { NV = 64 / LANES, NT = LANES == 16 ? 4 : 1 };
    int j = 0;
    for (; j + 64 <= n; j += 64) {
        int t = 0;
        for (; t + NT <= T; t += NT) NAME(vecmat_block)(out + t * ldo, ldo, s + t * lds, lds, V, ldv, rows, j, NV, NT);
        for (; t < T; t++) NAME(vecmat_block)(out + t * ldo, ldo, s + t * lds, lds, V, ldv, rows, j, NV, 1);
    }
    for (; j + LANES <= n; j += LANES)
        for (int t = 0; t < T; t++) NAME(vecmat_block)(out + t * ldo, ldo, s + t * lds, lds, V, ldv, rows, j, 1, 1);
    for (; j < n; j++)
        for (int t = 0; t < T; t++) {
            float a = 0;
            for (int k = 0; k < rows; k++) a += s[t * lds + k] * V[k * ldv + j];
            out[t * ldo + j] = a;
        }
}

#undef VF
#undef VI
#undef SPLATV
#undef EACH
#undef FOR_EACH_VECTOR
