/* Vector exp, erf, GELU, softmax and the few-row products (see vmath.h). */
#include "vmath.h"

#include <math.h>
#include <string.h>

/* The helpers below work in place through pointers and are always inlined into each build of
 * the public functions: a vector passed by value would change the calling convention between
 * builds (clang refuses it). */
#define INLINE static inline __attribute__((always_inline))
/* Functions in three builds, picked at load by the CPU: AVX-512's 32 vector registers keep more
 * accumulators and tiles out of memory. Nothing is contracted into an FMA, so every build
 * computes the same bits. */
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))

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

/* The hot kernels at two widths (vmath_lanes.h): eight lanes for AVX2 and older CPUs, and 16
 * where AVX-512 is, twice the work per instruction. gcc 12 splits a 16-lane vector badly without
 * AVX-512 (a product several times slower), hence two builds rather than one. */
#define LANES 8
#define NAME(f) f##_8
#define TARGET __attribute__((target_clones("avx2", "default")))
#include "vmath_lanes.h"
#undef LANES
#undef NAME
#undef TARGET
#define LANES 16
#define NAME(f) f##_16
#define TARGET __attribute__((target("arch=x86-64-v4")))
#include "vmath_lanes.h"
#undef LANES
#undef NAME
#undef TARGET
/* The 16-lane source once more, built for the CPU's own vectors: slow, but it lets a CPU without
 * AVX-512 check that the 16-lane kernels sum in the eight-lane ones' order (wl_vmath_force). */
#define LANES 16
#define NAME(f) f##_16p
#define TARGET
#define PORTABLE
#include "vmath_lanes.h"
#undef LANES
#undef NAME
#undef TARGET
#undef PORTABLE

static int forced; /* wl_vmath_force */

/* Which build runs: 8, 16 (AVX-512) or 17 (the 16-lane source without AVX-512). The CPU's check
 * is a benign race: every thread finds the same. */
static int build(void)
{
    static int w = -1;
    if (w < 0) w = __builtin_cpu_supports("x86-64-v4") > 0;
    if (forced == 8) return 8;
    if (forced == 16) return w ? 16 : 17;
    return w ? 16 : 8;
}

void wl_vmath_force(int lanes) { forced = lanes == 8 || lanes == 16 ? lanes : 0; }
void wl_vmath_narrow(int on) { wl_vmath_force(on ? 8 : 0); }
int wl_vmath_lanes(void) { return build() == 8 ? 8 : 16; }

/* f at the build that runs */
#define DISPATCH(f, ...) (build() == 16 ? f##_16(__VA_ARGS__) : build() == 8 ? f##_8(__VA_ARGS__) : f##_16p(__VA_ARGS__))

void wl_vexp(float *y, const float *x, int64_t n) { DISPATCH(vexp, y, x, n); }
void wl_verf(float *y, const float *x, int64_t n) { DISPATCH(verf, y, x, n); }
void wl_vgelu(float *x, int64_t n) { DISPATCH(vgelu, x, n); }
double wl_vsum_exp(const float *x, int n, float shift) { return DISPATCH(vsum_exp, x, n, shift); }
void wl_softmax_row(float *x, int n) { DISPATCH(softmax_row, x, n); }
void wl_vmatmul(float *out, int64_t ldo, const float *W, int64_t ldw, const float *x, int64_t ldx, int T, int rows,
                int n)
{
    DISPATCH(vmatmul, out, ldo, W, ldw, x, ldx, T, rows, n);
}

void wl_vvecmat(float *out, int64_t ldo, const float *s, int64_t lds, int T, const float *V, int64_t ldv, int rows,
                int n)
{
    DISPATCH(vvecmat, out, ldo, s, lds, T, V, ldv, rows, n);
}

CLONES int wl_vfirst_above(const float *x, float add, int n, float thr)
{
    const v8f a = SPLAT(add), t = SPLAT(thr);
    int i = 0;
    for (; i + 64 <= n; i += 64) { /* one test per 64 values: most blocks hold none */
        v8i hit = {0};
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) {
            v8f v;
            memcpy(&v, x + i + 8 * k, sizeof v);
            hit |= t < v + a;
        }
        uint64_t w[4];
        memcpy(w, &hit, sizeof w);
        if (w[0] | w[1] | w[2] | w[3]) break;
    }
    for (; i < n; i++)
        if (x[i] + add > thr) return i;
    return n;
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

CLONES void wl_vsub_double(float *x, int64_t n, double shift)
{
    const v4d sh = {shift, shift, shift, shift};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f v;
        memcpy(&v, x + i, sizeof v);
        v = __builtin_convertvector(__builtin_convertvector(v, v4d) - sh, v4f); /* exact, then rounded once */
        memcpy(x + i, &v, sizeof v);
    }
    for (; i < n; i++) x[i] = (float)((double)x[i] - shift);
}
