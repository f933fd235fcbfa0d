/* The 16-lane kernels on any x86-64 CPU. engine/vmath.c builds them for AVX-512 only, so on a
 * CPU without it test_vmath runs the eight-lane ones twice. Here vmath.c is compiled once more
 * with every target("...") attribute turned into target("avx2"): the same vector code, the 16
 * lanes split by the compiler into pairs of eight (slower, the same operations in the same
 * order, nothing contracted into an FMA), so the 16-lane builds' bits can be checked against the
 * eight-lane ones' on this machine too. The tile's empty asm (which only keeps gcc from loading
 * a vector twice) is dropped: a 16-lane vector has no AVX2 register to sit in. Lengths 0..100
 * (every tail), special values, every tile shape, as test_vmath's check of the two widths. */
#include <math.h>
#include <stdint.h>
#include <string.h> /* before the macros below: the system headers keep their own asm and targets */
#define target(isa) target("avx2")
#define __asm__(...) ((void)0)
#include "../engine/vmath.c"
#undef __asm__
#undef target

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

static float rnd(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / (float)(1u << 23) - 1.0f;
}

static void test_16_lanes_equal_8(void **state)
{
    (void)state;
    enum { N = 100, ROWS = 21, XS = 10 };
    uint32_t seed = 11;
    static float in[N], close[N], W[ROWS * N], x[XS * N], got[2][XS * N];
    for (int i = 0; i < N; i++) in[i] = 30.0f * rnd(&seed);
    in[3] = -INFINITY, in[17] = 100.0f, in[18] = -100.0f, in[40] = 1e-30f, in[41] = -0.0f, in[77] = 0.25f, in[90] = NAN;
    for (int i = 0; i < N; i++) close[i] = 2.0f * rnd(&seed);
    for (int i = 0; i < ROWS * N; i++) W[i] = rnd(&seed);
    for (int i = 0; i < XS * N; i++) x[i] = rnd(&seed);
    int checks = 0;
    for (int n = 0; n <= N; n++) {
        double sum[2];
        for (int k = 0; k < 2; k++) {
            float *g = got[k];
            memcpy(g + 2 * n, in, (size_t)n * sizeof *g);
            if (n) memcpy(g + 3 * n, close, (size_t)n * sizeof *g);
            if (k == 0) {
                vexp_16(g, in, n), verf_16(g + n, in, n), vgelu_16(g + 2 * n, n), sum[k] = vsum_exp_16(in, n, 3.0f);
                if (n) softmax_row_16(g + 3 * n, n);
            } else {
                vexp_8(g, in, n), verf_8(g + n, in, n), vgelu_8(g + 2 * n, n), sum[k] = vsum_exp_8(in, n, 3.0f);
                if (n) softmax_row_8(g + 3 * n, n);
            }
        }
        if (memcmp(got[0], got[1], 4 * (size_t)n * sizeof(float)) || memcmp(&sum[0], &sum[1], sizeof *sum))
            fail_msg("exp, erf, GELU, softmax or sum of exp: 16 and 8 lanes differ at n = %d", n);
        for (int T = 1; T <= XS; T++) {
            vmatmul_16(got[0], ROWS, W, N, x, N, T, ROWS, n), vmatmul_8(got[1], ROWS, W, N, x, N, T, ROWS, n);
            if (memcmp(got[0], got[1], (size_t)T * ROWS * sizeof(float)))
                fail_msg("wl_vmatmul: 16 and 8 lanes differ at n = %d, T = %d", n, T);
            vvecmat_16(got[0], N, x, N, T, W, N, ROWS, n), vvecmat_8(got[1], N, x, N, T, W, N, ROWS, n);
            for (int t = 0; t < T; t++)
                if (memcmp(got[0] + t * N, got[1] + t * N, (size_t)n * sizeof(float)))
                    fail_msg("wl_vvecmat: 16 and 8 lanes differ at n = %d, T = %d", n, T);
            checks += 2;
        }
        checks += 5;
    }
    printf("16-lane kernels built for AVX2: %d checks over lengths 0..%d, bitwise the eight-lane results\n", checks, N);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_16_lanes_equal_8)};
    return cmocka_run_group_tests_name("16-lane kernels on any CPU", tests, NULL, NULL);
}
