/* The checking library must catch what it exists to catch: one perturbed element, NaN, Inf,
 * a wrong shape; and the tolerance table, gather and stats helpers must do what they say. */
#include "../engine/model/stages.h"
#include "diff.h"
#include "golden.h"
#include "suite.h"
#include "tolerances.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define N 1000
static float ref[N], got[N];

static int fill(void **state)
{
    (void)state;
    for (int i = 0; i < N; i++) ref[i] = got[i] = (float)sin(0.1 * i) * 2.0f;
    return 0;
}

static const t_tol TOL = {1e-5, 1e-4};

static void test_identical_passes(void **state)
{
    (void)state;
    t_diff d = t_diff_arrays(got, ref, N, TOL);
    assert_true(d.pass);
    assert_int_equal(d.n_bad, 0);
    assert_true(d.max_abs == 0 && d.headroom == 0 && d.nmse == 0);
    assert_true(fabs(d.cosine - 1) < 1e-12);
}

static void test_one_perturbed_element_fails(void **state)
{
    (void)state;
    got[417] += 1e-3f;
    t_diff d = t_diff_arrays(got, ref, N, TOL);
    got[417] = ref[417];
    assert_false(d.pass);
    assert_int_equal(d.n_bad, 1);
    assert_int_equal(d.worst, 417);
    assert_true(fabs(d.max_abs - 1e-3) < 1e-6);
    assert_true(d.headroom > 1);
}

static void test_within_tolerance_passes_with_headroom(void **state)
{
    (void)state;
    got[0] = ref[0] + 5e-6f; /* ref[0] = 0: half of atol */
    t_diff d = t_diff_arrays(got, ref, N, TOL);
    got[0] = ref[0];
    assert_true(d.pass);
    assert_true(d.headroom > 0.2 && d.headroom < 0.6);
}

static void test_nan_and_inf_fail(void **state)
{
    (void)state;
    got[3] = NAN;
    t_diff d = t_diff_arrays(got, ref, N, TOL);
    assert_false(d.pass);
    assert_int_equal(d.n_nonfinite, 1);
    got[3] = INFINITY;
    d = t_diff_arrays(got, ref, N, (t_tol){1e30, 1e30}); /* no tolerance excuses Inf */
    assert_false(d.pass);
    got[3] = ref[3];
}

static void test_matching_minus_inf_passes(void **state)
{
    (void)state;
    float r[3] = {-INFINITY, 1, 2}, g[3] = {-INFINITY, 1, 2};
    assert_true(t_diff_arrays(g, r, 3, TOL).pass);
    g[0] = -1e30f; /* a suppressed token that was not suppressed */
    assert_false(t_diff_arrays(g, r, 3, TOL).pass);
    g[0] = NAN;
    r[0] = NAN; /* NaN never equals NaN */
    assert_false(t_diff_arrays(g, r, 3, TOL).pass);
}

static void test_wrong_shape_fails(void **state)
{
    (void)state;
    t_view a = {got, 2, {10, 100}}, b = {ref, 2, {100, 10}}, c = {ref, 1, {1000}};
    t_diff d = t_diff_views(a, b, TOL);
    assert_false(d.pass);
    assert_false(d.shape_ok);
    assert_false(t_diff_views(a, c, TOL).pass);
    b.shape[0] = 10, b.shape[1] = 100;
    assert_true(t_diff_views(a, b, TOL).pass);
}

static void test_tolerance_table(void **state)
{
    (void)state;
    char err[256];
    FILE *f = fopen("build/tmp/tol.tsv", "w");
    fputs("# comment\nenc.*  1e-3 0   any encoder stage\nenc.layer.*  1e-4 1e-5  layers\n"
          "enc.layer.2  0 0  exact name wins\n", f);
    fclose(f);
    assert_int_equal(t_tol_load("build/tmp/tol.tsv", err, sizeof err), 0);
    t_tol t;
    const char *why;
    assert_int_equal(t_tol_find("enc.layer.1", &t, &why), 0); /* longest prefix */
    assert_true(t.atol == 1e-4 && t.rtol == 1e-5);
    assert_string_equal(why, "layers");
    assert_int_equal(t_tol_find("enc.layer.2", &t, NULL), 0);
    assert_true(t.atol == 0);
    assert_int_equal(t_tol_find("enc.out", &t, NULL), 0);
    assert_true(t.atol == 1e-3);
    assert_int_equal(t_tol_find("mel", &t, NULL), -1); /* unlisted stages are an error */
    f = fopen("build/tmp/bad_tol.tsv", "w");
    fputs("mel 1e-5\n", f);
    fclose(f);
    assert_int_equal(t_tol_load("build/tmp/bad_tol.tsv", err, sizeof err), -1);
    assert_string_equal(err, "build/tmp/bad_tol.tsv:1: expected 'stage atol rtol reason'");
    /* The project's table: every engine stage listed, each with a reason. */
    assert_int_equal(t_tol_load("tests/tolerances.tsv", err, sizeof err), 0);
    for (int s = 0; s < WL_N_STAGES; s++) {
        char name[32];
        wl_stage_name((wl_stage)s, 3, name, sizeof name); /* a layer's stage: layer 3 of tiny.en's 4 */
        if (t_tol_find(name, &t, &why)) fail_msg("tests/tolerances.tsv has no row for %s", name);
        assert_true(strlen(why) > 20);
    }
}

static void test_gather_and_stats(void **state)
{
    (void)state;
    /* x[c][t] = 100 c + t over a (3, 8) tensor; keep frames 0, 5, 7 of axis 1. */
    float x[24], out[9], mean[3], rms[3];
    for (int c = 0; c < 3; c++)
        for (int t = 0; t < 8; t++) x[c * 8 + t] = (float)(100 * c + t);
    t_view v = {x, 2, {3, 8}};
    int32_t idx[3] = {0, 5, 7};
    t_gather(v, 1, idx, 3, out);
    float want[9] = {0, 5, 7, 100, 105, 107, 200, 205, 207};
    assert_memory_equal(out, want, sizeof want);
    t_axis_stats(v, 1, mean, rms);
    assert_true(fabsf(mean[1] - 103.5f) < 1e-5f);
    assert_true(fabsf(rms[0] - sqrtf(140.0f / 8)) < 1e-5f);
    /* Axis 0 of the same tensor: per-frame stats over channels. */
    float m0[8], r0[8];
    t_axis_stats(v, 0, m0, r0);
    assert_true(fabsf(m0[2] - 102.0f) < 1e-5f);
}

static void test_suite_reports_failures(void **state)
{
    (void)state;
    t_suite *s = t_suite_new("unit");
    t_diff ok = t_diff_arrays(got, ref, N, TOL);
    got[0] += 1;
    t_diff bad = t_diff_arrays(got, ref, N, TOL);
    got[0] = ref[0];
    assert_true(t_suite_add(s, "stage.a", "01", &ok, TOL));
    assert_false(t_suite_add(s, "stage.b", "02", &bad, TOL));
    assert_int_equal(t_suite_failures(s), 1);
    t_suite_print(s);
    assert_int_equal(t_suite_write_json(s, "build/tmp/suite.json"), 0);
    t_suite_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_identical_passes, fill),
        cmocka_unit_test_setup(test_one_perturbed_element_fails, fill),
        cmocka_unit_test_setup(test_within_tolerance_passes_with_headroom, fill),
        cmocka_unit_test_setup(test_nan_and_inf_fail, fill),
        cmocka_unit_test(test_matching_minus_inf_passes),
        cmocka_unit_test_setup(test_wrong_shape_fails, fill),
        cmocka_unit_test(test_tolerance_table),
        cmocka_unit_test(test_gather_and_stats),
        cmocka_unit_test_setup(test_suite_reports_failures, fill),
    };
    if (system("mkdir -p build/tmp")) return 1;
    return cmocka_run_group_tests_name("diff library", tests, NULL, NULL);
}
