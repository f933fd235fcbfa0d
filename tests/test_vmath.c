/* The engine's vector exp, erf and softmax against libm in double: exp within 2 ulp (Cephes'
 * polynomial is within 1), erf within 2e-7 absolute and 1e-6 relative (measured 1.4e-7 and
 * 2.6e-7) and the same bits whichever of its two formulas a vector's other lanes need,
 * exp(-inf) = 0 exactly (the causal mask), a softmax row sums to 1 and keeps the order of its
 * inputs; lengths that are not multiples of eight take the same path. The 16-lane builds
 * (AVX-512) give the same bits as the eight-lane ones.
 * The few-row products (wl_vmatmul, wl_vvecmat) against double sums for every length 0..100 and
 * strides wider than the row: float32 accumulation of n terms stays within n * 2^-24 of the sum
 * of |terms| (each of the n additions rounds once), which the check uses as its bound. The
 * maximum and the sum of exponentials of log-softmax as below. */
#include "../engine/kernels/vmath.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static int64_t ulps(float a, float b)
{
    int32_t x, y;
    memcpy(&x, &a, 4), memcpy(&y, &b, 4);
    return llabs((int64_t)x - y);
}

static void test_exp(void **state)
{
    (void)state;
    enum { N = 1000003 }; /* not a multiple of eight */
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++) x[i] = -87.0f + 175.0f * (float)i / N;
    wl_vexp(y, x, N);
    int64_t worst = 0;
    for (int i = 0; i < N; i++) {
        int64_t u = ulps(y[i], (float)exp((double)x[i]));
        if (u > worst) worst = u;
    }
    printf("  exp: worst %lld ulp over [-87, 88] (allowed 2)\n", (long long)worst);
    assert_true(worst <= 2);
    float edge[] = {-INFINITY, -200.0f, 0.0f, 200.0f, INFINITY};
    wl_vexp(edge, edge, 5);
    assert_true(edge[0] == 0.0f && edge[1] == 0.0f && edge[2] == 1.0f && isinf(edge[3]) && isinf(edge[4]));
    free(x), free(y);
}

static void test_erf(void **state)
{
    (void)state;
    enum { N = 1000001 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++) x[i] = -8.0f + 16.0f * (float)i / N;
    wl_verf(y, x, N);
    double abs_err = 0, rel_err = 0;
    for (int i = 0; i < N; i++) {
        double e = erf((double)x[i]), d = fabs(y[i] - e);
        if (d > abs_err) abs_err = d;
        if (e != 0 && d / fabs(e) > rel_err) rel_err = d / fabs(e);
    }
    printf("  erf: worst %.3g absolute, %.3g relative over [-8, 8] (allowed 2e-7, 1e-6)\n", abs_err, rel_err);
    assert_true(abs_err <= 2e-7 && rel_err <= 1e-6);
    float z[] = {0.0f, -0.0f, 1e-30f, -1e-30f};
    wl_verf(z, z, 4);
    assert_true(z[0] == 0.0f && z[1] == 0.0f && fabsf(z[2] - 1.1283792e-30f) < 1e-36f && z[3] < 0);
    free(x), free(y);
}

/* erf takes one side's formula alone when a vector's lanes all lie on it (|x| below 0.5, or not):
 * each value alone in its vector (every lane a copy) must give the bits it gets beside a value
 * of the other side, where both formulas run and each lane picks its own. */
static void test_erf_sides(void **state)
{
    (void)state;
    enum { N = 4001, L = 16 }; /* L: the widest vector */
    int mismatches = 0;
    for (int i = 0; i < N; i++) {
        float x = -4.0f + 8.0f * (float)i / (N - 1), other = fabsf(x) < 0.5f ? 2.0f : 0.25f;
        float alone[L], mixed[L];
        for (int k = 0; k < L; k++) alone[k] = x, mixed[k] = k % 2 ? other : x;
        wl_verf(alone, alone, L), wl_verf(mixed, mixed, L);
        for (int k = 0; k < L; k += 2) mismatches += memcmp(&alone[k], &mixed[k], sizeof(float)) != 0;
    }
    printf("  erf: %d of %d values differ between a one-sided and a mixed vector\n", mismatches, N * L / 2);
    assert_int_equal(mismatches, 0);
}

static void test_softmax(void **state)
{
    (void)state;
    /* exp within 1 ulp, eight partial sums of at most 5 terms and the scale: about 10 roundings
     * of 6e-8 each, so 1e-6 relative */
    double worst = 0;
    for (int n = 1; n <= 37; n += 3) {
        float x[40];
        double ref[40], sum = 0, top = -INFINITY;
        for (int i = 0; i < n; i++) x[i] = (float)((i * 7919) % 23) * 0.7f - 8.0f, top = fmax(top, x[i]);
        if (n > 4) x[n - 1] = -INFINITY; /* a masked key */
        for (int i = 0; i < n; i++) sum += ref[i] = exp((double)x[i] - top);
        wl_softmax_row(x, n);
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += x[i];
            double rel = ref[i] > 0 ? fabs(x[i] - ref[i] / sum) / (ref[i] / sum) : fabs(x[i]);
            if (rel > worst) worst = rel;
            assert_true(rel <= 1e-6);
        }
        if (n > 4) assert_true(x[n - 1] == 0.0f);
        assert_true(fabs(total - 1) < 1e-6);
    }
    printf("  softmax: worst %.3g relative (allowed 1e-6)\n", worst);
}

/* A deterministic pseudo-random float in [-1, 1). */
static float rnd(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / (float)(1u << 23) - 1.0f;
}

/* wl_vmax and wl_vsum_exp, log-softmax's two passes over a vocabulary: the maximum exactly
 * (NaN skipped), the sum within 3 x 2^-24 relative (each exp within 2 ulp, all terms positive)
 * of the double sum of exp(x - shift), for every length 0..40 and a vocabulary's 51864. */
static void test_max_and_sum_exp(void **state)
{
    (void)state;
    enum { N = 51864 };
    uint32_t seed = 11;
    float *x = malloc(N * sizeof *x);
    for (int i = 0; i < N; i++) x[i] = 20.0f * rnd(&seed);
    double worst = 0;
    for (int n = 0; n <= N; n += n < 40 ? 1 : N - 40) {
        float top = -INFINITY;
        double ref = 0;
        for (int i = 0; i < n; i++) top = x[i] > top ? x[i] : top;
        assert_true(wl_vmax(x, n) == top);
        for (int i = 0; i < n; i++) ref += exp((double)(x[i] - top));
        double got = n ? wl_vsum_exp(x, n, top) : 0, rel = ref > 0 ? fabs(got - ref) / ref : fabs(got);
        if (rel > 3 * 0x1p-24) fail_msg("wl_vsum_exp n=%d: %.17g, exact %.17g", n, got, ref);
        worst = fmax(worst, rel);
    }
    x[5] = NAN, x[9] = 1e30f;
    assert_true(wl_vmax(x, 12) == 1e30f);
    float none[3] = {-INFINITY, NAN, -INFINITY}, masked[2] = {-INFINITY, -INFINITY};
    assert_true(wl_vmax(none, 3) == -INFINITY && wl_vsum_exp(masked, 2, 0.0f) == 0);
    printf("  max and sum of exp: worst %.3g relative (allowed 3 x 2^-24)\n", worst);
    free(x);
}

/* wl_vfirst_above against the scalar search, every length and start (each block and tail), for
 * thresholds below, at and above values, with NaN, -0 and infinities among them. */
static void test_first_above(void **state)
{
    (void)state;
    enum { N = 200 };
    uint32_t seed = 5;
    float x[N];
    for (int i = 0; i < N; i++) x[i] = rnd(&seed);
    x[10] = NAN, x[70] = -0.0f, x[71] = INFINITY, x[130] = -INFINITY, x[150] = NAN;
    const float adds[] = {0.0f, -0.5f, 0.75f}, thrs[] = {-2.0f, 0.0f, 0.9f, 0.99f, 2.0f, -INFINITY, NAN};
    int checked = 0;
    for (int a = 0; a < 3; a++)
        for (int t = 0; t < 7; t++)
            for (int start = 0; start < 80; start += 7)
                for (int n = 0; start + n <= N; n += 3, checked++) {
                    int want = n;
                    for (int i = 0; i < n; i++)
                        if (x[start + i] + adds[a] > thrs[t]) {
                            want = i;
                            break;
                        }
                    int got = wl_vfirst_above(x + start, adds[a], n, thrs[t]);
                    if (got != want)
                        fail_msg("wl_vfirst_above start %d n %d add %g thr %g: %d, want %d", start, n, adds[a], thrs[t],
                                 got, want);
                }
    printf("first above: %d searches agree with the scalar loop\n", checked);
}

static void test_few_row_products(void **state)
{
    (void)state;
    enum { ROWS = 37, LD = 131, XS = 9 };
    uint32_t seed = 7;
    float *W = malloc(ROWS * LD * sizeof *W), x[XS * LD], out[XS * LD], alone[LD], outs[XS * ROWS], s[XS * ROWS];
    for (int i = 0; i < ROWS * LD; i++) W[i] = rnd(&seed);
    for (int i = 0; i < XS * LD; i++) x[i] = rnd(&seed);
    for (int i = 0; i < XS * ROWS; i++) s[i] = rnd(&seed);
    double worst = 0;
    for (int n = 0; n <= 100; n++) {
        for (int T = 1; T <= XS; T++) { /* rows of W against T vectors: every tile shape */
            wl_vmatmul(outs, ROWS, W, LD, x, LD, T, ROWS, n);
            for (int t = 0; t < T; t++)
                for (int r = 0; r < ROWS; r++) {
                    const float *xt = x + t * LD, got = outs[t * ROWS + r];
                    double ref = 0, mag = 0;
                    for (int i = 0; i < n; i++)
                        ref += (double)W[r * LD + i] * xt[i], mag += fabs((double)W[r * LD + i] * xt[i]);
                    double bound = (n + 1) * mag * 0x1p-24;
                    if (fabs(got - ref) > bound)
                        fail_msg("wl_vmatmul n=%d T=%d row %d x %d: %.9g, exact %.9g", n, T, r, t, got, ref);
                    if (mag > 0) worst = fmax(worst, fabs(got - ref) / bound);
                    /* the same pair alone: the same bits, whatever the tile it came in */
                    float alone;
                    wl_vmatmul(&alone, 1, W + r * LD, LD, xt, LD, 1, 1, n);
                    if (memcmp(&alone, &got, sizeof got))
                        fail_msg("wl_vmatmul n=%d T=%d row %d x %d: %.9g in a tile, %.9g alone", n, T, r, t, got, alone);
                }
        }
        for (int T = 1; T <= XS; T++) { /* T weight vectors s[t]: sums of the rows, column by column */
            wl_vvecmat(out, LD, s, ROWS, T, W, LD, ROWS, n);
            for (int t = 0; t < T; t++) {
                const float *st = s + t * ROWS;
                for (int j = 0; j < n; j++) {
                    double ref = 0, mag = 0;
                    for (int k = 0; k < ROWS; k++)
                        ref += (double)st[k] * W[k * LD + j], mag += fabs((double)st[k] * W[k * LD + j]);
                    double bound = (ROWS + 1) * mag * 0x1p-24, got = out[t * LD + j];
                    if (fabs(got - ref) > bound)
                        fail_msg("wl_vvecmat n=%d T=%d s %d column %d: %.9g, exact %.9g", n, T, t, j, got, ref);
                    worst = fmax(worst, fabs(got - ref) / bound);
                }
                wl_vvecmat(alone, LD, st, ROWS, 1, W, LD, ROWS, n); /* alone: the same bits */
                if (n && memcmp(alone, out + t * LD, (size_t)n * sizeof *alone))
                    fail_msg("wl_vvecmat n=%d T=%d: s %d's sums differ from the same s alone", n, T, t);
            }
        }
    }
    printf("few-row products: worst error %.3f of the n * 2^-24 * sum|terms| bound\n", worst);
    for (int n = 0; n <= 100; n++) { /* wl_vadd: one rounding per element, as the scalar sum */
        float y[100];
        memcpy(y, W, (size_t)n * sizeof *y);
        wl_vadd(y, x, n);
        for (int i = 0; i < n; i++)
            if (y[i] != W[i] + x[i]) fail_msg("wl_vadd n=%d element %d: %.9g, want %.9g", n, i, y[i], W[i] + x[i]);
    }
    for (int n = 0; n <= 100; n++) { /* wl_vsub_double: the scalar loop's bits, specials included */
        float y[100];
        const double shift = 3.14159265358979 + n * 1e-3;
        memcpy(y, W, (size_t)n * sizeof *y);
        if (n > 7) y[5] = -INFINITY, y[6] = INFINITY, y[7] = 1e-38f;
        float want[100];
        for (int i = 0; i < n; i++) want[i] = (float)((double)y[i] - shift);
        wl_vsub_double(y, n, shift);
        if (memcmp(y, want, (size_t)n * sizeof *y)) fail_msg("wl_vsub_double n=%d: other bits than the scalar loop", n);
    }
    free(W);
}

/* GELU queues the vectors whose erf needs the long formula and takes them four at a time, the
 * others at once: every value must get the bits it gets alone (a call of one element), whatever
 * its neighbours, at either width. Runs of small values (erf argument under 0.5), of large ones
 * and of both, of lengths that end groups and queues anywhere. */
static void test_gelu_alone(void **state)
{
    (void)state;
    enum { N = 2000 };
    static float x[N], whole[N];
    uint32_t seed = 23;
    for (int i = 0; i < N; i++) {
        int run = (i / 40) % 3; /* 40 values: small ones, then large, then mixed */
        float r = rnd(&seed);
        x[i] = run == 0 ? 0.6f * r : run == 1 ? 1.0f + 6.0f * fabsf(r) * (i % 2 ? 1 : -1) : 4.0f * r;
    }
    x[7] = NAN, x[100] = INFINITY, x[101] = -INFINITY, x[102] = -0.0f, x[103] = 1e-40f;
    int differ = 0;
    for (int k = 0; k < 2; k++) {
        wl_vmath_force(k ? 8 : 16);
        for (int n = N - 37; n <= N; n += 37) {
            memcpy(whole, x, sizeof x), wl_vgelu(whole, n);
            for (int i = 0; i < n; i++) {
                float alone = x[i];
                wl_vgelu(&alone, 1);
                differ += memcmp(&alone, &whole[i], sizeof alone) != 0 && !(isnan(alone) && isnan(whole[i]));
            }
        }
    }
    wl_vmath_force(0);
    printf("  GELU: %d values differ from the value alone\n", differ);
    assert_int_equal(differ, 0);
}

/* Runs every kernel that has two widths at 16 lanes and again at 8 (wl_vmath_force) on the same
 * inputs, lengths 0..100 (every tail) and special values: the bits must be the same. Where the
 * CPU has no AVX-512 the 16-lane run is the same source built for the CPU's own vectors: its
 * order of sums is checked, not AVX-512's code generation, and the log says so. */
static void test_widths_agree(void **state)
{
    (void)state;
    enum { N = 100, ROWS = 21, XS = 10 }; /* XS: every tile shape, eight x and the rest */
    uint32_t seed = 11;
    float in[N], close[N], W[ROWS * N], x[XS * N], got[2][XS * N]; /* XS N >= 4 N and >= XS * ROWS */
    for (int i = 0; i < N; i++) in[i] = 30.0f * rnd(&seed);
    in[3] = -INFINITY, in[17] = 100.0f, in[18] = -100.0f, in[40] = 1e-30f, in[41] = -0.0f, in[77] = 0.25f, in[90] = NAN;
    for (int i = 0; i < N; i++) close[i] = 2.0f * rnd(&seed); /* softmax terms of one size: every rounding counts */
    for (int i = 0; i < ROWS * N; i++) W[i] = rnd(&seed);
    for (int i = 0; i < XS * N; i++) x[i] = rnd(&seed);
    printf("vector widths: %s\n", wl_vmath_lanes() == 16 ? "16 lanes (AVX-512) against 8"
                                   : "no AVX-512 here: the 16-lane source built for this CPU's vectors against 8 lanes");
    for (int n = 0; n <= N; n++) {
        double sum[2];
        for (int k = 0; k < 2; k++) {
            wl_vmath_force(k ? 8 : 16);
            float *g = got[k];
            wl_vexp(g, in, n), wl_verf(g + n, in, n);
            memcpy(g + 2 * n, in, (size_t)n * sizeof *g), wl_vgelu(g + 2 * n, n);
            sum[k] = wl_vsum_exp(in, n, 3.0f);
            if (n) memcpy(g + 3 * n, close, (size_t)n * sizeof *g), wl_softmax_row(g + 3 * n, n);
        }
        if (memcmp(got[0], got[1], 4 * (size_t)n * sizeof(float)) || memcmp(&sum[0], &sum[1], sizeof *sum))
            fail_msg("exp, erf, GELU, softmax or sum of exp: 16 and 8 lanes differ at n = %d", n);
        for (int T = 1; T <= XS; T++) {
            for (int k = 0; k < 2; k++) wl_vmath_force(k ? 8 : 16), wl_vmatmul(got[k], ROWS, W, N, x, N, T, ROWS, n);
            if (memcmp(got[0], got[1], (size_t)T * ROWS * sizeof(float)))
                fail_msg("wl_vmatmul: 16 and 8 lanes differ at n = %d, T = %d", n, T);
            for (int k = 0; k < 2; k++) wl_vmath_force(k ? 8 : 16), wl_vvecmat(got[k], N, x, N, T, W, N, ROWS, n);
            for (int t = 0; t < T; t++)
                if (memcmp(got[0] + t * N, got[1] + t * N, (size_t)n * sizeof(float)))
                    fail_msg("wl_vvecmat: 16 and 8 lanes differ at n = %d, T = %d", n, T);
        }
    }
    wl_vmath_force(0);
}

/* wl_softmax_rows takes rows a few at a time with their exponentials interleaved: each row must
 * get wl_softmax_row's bits, for every row count (whole groups and the rows after them), lengths
 * with and without a tail, rows wider apart than their length, and a row with -inf and NaN. */
static void test_softmax_rows(void **state)
{
    (void)state;
    enum { ROWS = 11, LD = 141 };
    static float in[ROWS * LD], one[ROWS * LD], many[ROWS * LD];
    uint32_t seed = 5;
    for (int i = 0; i < ROWS * LD; i++) in[i] = 40.0f * rnd(&seed) - 20.0f;
    in[LD + 3] = -INFINITY, in[2 * LD + 7] = NAN, in[5 * LD] = 1e30f;
    int differ = 0;
    for (int rows = 0; rows <= ROWS; rows++)
        for (int n = 1; n <= LD; n += 7) {
            memcpy(one, in, sizeof in), memcpy(many, in, sizeof in);
            for (int r = 0; r < rows; r++) wl_softmax_row(one + r * LD, n);
            wl_softmax_rows(many, LD, rows, n);
            differ += memcmp(one, many, sizeof one) != 0;
        }
    printf("  softmax of several rows: %d of %d cases differ from row by row\n", differ, (ROWS + 1) * ((LD + 6) / 7));
    assert_int_equal(differ, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_exp), cmocka_unit_test(test_erf), cmocka_unit_test(test_erf_sides), cmocka_unit_test(test_gelu_alone),
                                       cmocka_unit_test(test_gelu_alone),
        cmocka_unit_test(test_softmax), cmocka_unit_test(test_softmax_rows),
                                       cmocka_unit_test(test_max_and_sum_exp), cmocka_unit_test(test_few_row_products), cmocka_unit_test(test_first_above),
                                       cmocka_unit_test(test_widths_agree)};
    return cmocka_run_group_tests_name("vectorised exp, erf, softmax", tests, NULL, NULL);
}
