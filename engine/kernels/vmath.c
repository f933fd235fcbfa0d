/* Vector exp, erf, GELU, softmax and the few-row products (see vmath.h). */
#include "vmath.h"
#include "vmath_eight.h"

#include <math.h>
#include <string.h>

/* Functions in three builds, picked at load by the CPU: AVX-512's 32 vector registers keep more
 * accumulators and tiles out of memory. Nothing is contracted into an FMA, so every build
 * computes the same bits. */
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))

CLONES float wl_vmax(const float *x, int n) { return max_of(x, n); }

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
void wl_softmax_rows(float *x, int64_t ld, int rows, int n) { DISPATCH(softmax_rows, x, ld, rows, n); }
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
