/* Vectorised float math for the hot spots (softmax, GELU, a step's few-row products): 8 or 16
 * lanes through GCC vector extensions, the same operations in every lane and on the tail, so
 * results do not depend on the vector width or on the CPU (no FMA: -ffp-contract=off). */
#ifndef WL_VMATH_H
#define WL_VMATH_H

#include <stdint.h>

/* y[i] = exp(x[i]): Cephes' range reduction and degree-5 polynomial, within 2 ulp of the
 * exact value for x in [-87.3, 88.7]; 0 below (so exp(-inf) = 0), +inf above. */
void wl_vexp(float *y, const float *x, int64_t n);

/* y[i] = erf(x[i]): the Taylor series below 0.5, else 1 - erfc with erfc from a
 * Chebyshev-fitted exponent (Numerical Recipes' erfcc, fractional error < 1.2e-7); within
 * 2e-7 absolute and 1e-6 relative. */
void wl_verf(float *y, const float *x, int64_t n);

/* The largest of x[0..n), NaNs skipped (-inf when there is none). */
float wl_vmax(const float *x, int n);

/* sum of exp(x[i] - shift) over i < n, the exponentials as wl_vexp gives them, summed in double:
 * log-softmax's normaliser over a vocabulary. */
double wl_vsum_exp(const float *x, int n, float shift);

/* In-place softmax of one row: max, then exp and sum in one pass, then the scale. */
void wl_softmax_row(float *x, int n);
/* wl_softmax_row of each of `rows` rows of n, ld apart, with the same bits: a few rows at a time,
 * their exponentials interleaved, which keeps more of the processor busy than one row's chain. */
void wl_softmax_rows(float *x, int64_t ld, int rows, int n);

/* out[t * ldo + r] = W[r] . x[t] for rows r of W (row r at W + r * ldw) and T vectors x[t] (at
 * x + t * ldx), each over n: the few-row matrix products of generation steps and beams, where W
 * is read from memory once and sgemm would repack it. Each result depends only on its two
 * vectors, in a fixed order (never on T, threads or batch). */
void wl_vmatmul(float *out, int64_t ldo, const float *W, int64_t ldw, const float *x, int64_t ldx, int T, int rows,
                int n);
/* out[t * ldo + j] = sum over k < rows of s[t * lds + k] * V[k * ldv + j], for j < n and T
 * vectors s[t], keys in order (one lane per column): attention's weighted values for a few
 * queries, or a few queries' scores against channel-major keys. A block of V serves every s. */
void wl_vvecmat(float *out, int64_t ldo, const float *s, int64_t lds, int T, const float *V, int64_t ldv, int rows,
                int n);
/* The first i < n with x[i] + add > thr (the float32 sum; NaN is never above), else n: how a
 * search's top-k and argmax skip the values that cannot enter their list. */
int wl_vfirst_above(const float *x, float add, int n, float thr);
/* The vector width the kernels above run at: 16 lanes where the CPU has AVX-512 (x86-64-v4),
 * else 8. Both give the same bits. For tests that compare them (process-wide, not thread-safe):
 * wl_vmath_force(8) takes 8 lanes anyway; wl_vmath_force(16) takes 16, where the CPU has no
 * AVX-512 through the same source built for its own vectors (several times slower); 0 undoes
 * either. wl_vmath_narrow(on) is wl_vmath_force(on ? 8 : 0). */
int wl_vmath_lanes(void);
void wl_vmath_force(int lanes);
void wl_vmath_narrow(int on);
/* x[i] = 0.5 x[i] (1 + erf(x[i] / sqrt 2)) in place (exact GELU, through the erf above). */
void wl_vgelu(float *x, int64_t n);
/* y[i] += x[i]: residual and bias additions (each element one rounding, as a scalar loop). */
void wl_vadd(float *y, const float *x, int64_t n);
/* x[i] = (float)((double)x[i] - shift), four at a time: the scalar loop's bits (log-softmax's
 * last pass over a vocabulary row). */
void wl_vsub_double(float *x, int64_t n, double shift);
#endif
