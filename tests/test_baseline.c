/* The baseline must tell apart what make verify promises to tell apart: the same bits, other bits
 * with the same error (reported, passes), an error grown past its drift budget inside tolerance
 * (fails, naming the stage), a kernel path the baseline lacks (judged against the worst recorded
 * one), an error that leaves exactly 0; make baseline's merge must keep other paths; malformed
 * files must be refused; and every committed golden folder must have a baseline. */
#include "baseline.h"
#include "diff.h"
#include "stage_table.h"
#include "suite.h"

#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define N 256
static const t_tol TOL = {1e-3, 0};
static const char *PATH_A = "test path A, 8 lanes", *PATH_B = "test path B, 16 lanes";
static char err[1200];

/* A suite of two stages x two clips; got = ref + noise * scale[stage], and one element of bits
 * nudged when nudge is set (the same error, other bits). */
static t_suite *make_suite(const char *path, const double scale[2], int nudge)
{
    static const char *stages[2] = {"enc.layer.2", "dec.embed"}, *clips[2] = {"01", "02"};
    t_suite *s = t_suite_new("unit");
    t_suite_describe(s, "stages", path);
    float ref[N], got[N];
    for (int st = 0; st < 2; st++)
        for (int c = 0; c < 2; c++) {
            for (int i = 0; i < N; i++) {
                ref[i] = (float)(i % 7) - 3.0f;
                got[i] = ref[i] + (float)(scale[st] * (((i * 37 + c) % 11) - 5) / 5.0);
            }
            if (nudge && st == 0 && c == 1) got[3] = nextafterf(got[3], 10.0f); /* 1 ulp: other bits, the same error */
            t_diff d = t_diff_arrays(got, ref, N, TOL);
            t_suite_add(s, stages[st], clips[c], &d, TOL);
            t_suite_fingerprint(s, stages[st], clips[c], got, sizeof got);
        }
    return s;
}

static t_stage_table *budgets(void)
{
    FILE *f = fopen("build/tmp/baseline/drift.tsv", "w");
    assert_non_null(f);
    fputs("# stage max-abs nmse reason\n*  2  2  default\n", f);
    fclose(f);
    t_stage_table *t;
    assert_int_equal(t_stage_table_load("build/tmp/baseline/drift.tsv", "stage a b reason", &t, err, sizeof err), 0);
    return t;
}

/* A baseline accepted from a suite on path. */
static t_baseline *accepted(const t_suite *s, const char *file)
{
    t_baseline *b, *rec;
    remove(file);
    assert_int_equal(t_baseline_record(s, "build/tmp/baseline/record.tsv", err, sizeof err), 0);
    assert_int_equal(t_baseline_load(file, &b, err, sizeof err), 0);
    assert_true(t_baseline_empty(b));
    assert_int_equal(t_baseline_load("build/tmp/baseline/record.tsv", &rec, err, sizeof err), 0);
    assert_int_equal(t_baseline_accept(b, rec, "abc1234 2026-01-01: unit", file, err, sizeof err), 0);
    t_baseline_free(rec), t_baseline_free(b);
    assert_int_equal(t_baseline_load(file, &b, err, sizeof err), 0);
    assert_string_equal(t_baseline_measured(b), "abc1234 2026-01-01: unit");
    return b;
}

/* The drift text t_suite_print shows beside stage row r, through the JSON the suite writes. */
static void row_text(const t_suite *s, int r, char *out, size_t n)
{
    assert_int_equal(t_suite_write_json(s, "build/tmp/baseline/suite.json"), 0);
    FILE *f = fopen("build/tmp/baseline/suite.json", "r");
    char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    const char *p = buf;
    for (int i = 0; i <= r; i++) p = strstr(p + 1, "\"message\":");
    assert_non_null(p);
    p = strchr(p + 10, '"') + 1;
    snprintf(out, n, "%.*s", (int)strcspn(p, "\""), p);
}

static void test_same_bits_and_other_bits(void **state)
{
    (void)state;
    const double scale[2] = {1e-4, 0};
    t_suite *s = make_suite(PATH_A, scale, 0);
    t_baseline *b = accepted(s, "build/tmp/baseline/b.tsv");
    t_stage_table *t = budgets();
    char text[256];
    assert_int_equal(t_baseline_judge(b, t, s), 0);
    row_text(s, 0, text, sizeof text);
    assert_string_equal(text, "same bits");
    t_suite_free(s);

    s = make_suite(PATH_A, scale, 1); /* other bits, the same errors */
    assert_int_equal(t_baseline_judge(b, t, s), 0);
    row_text(s, 0, text, sizeof text);
    assert_non_null(strstr(text, "bits differ in 1/2 clips"));
    assert_null(strstr(text, "DRIFT"));
    row_text(s, 1, text, sizeof text);
    assert_string_equal(text, "same bits");
    t_suite_print(s);
    t_suite_free(s), t_baseline_free(b), t_stage_table_free(t);
}

static void test_growth_past_budget_fails_inside_tolerance(void **state)
{
    (void)state;
    const double before[2] = {1e-4, 0}, after[2] = {3e-4, 0}; /* 3x the error; tolerance 1e-3 */
    t_suite *s = make_suite(PATH_A, before, 0);
    t_baseline *b = accepted(s, "build/tmp/baseline/b.tsv");
    t_stage_table *t = budgets();
    t_suite_free(s);
    s = make_suite(PATH_A, after, 0);
    assert_int_equal(t_suite_failures(s), 0);
    assert_int_equal(t_baseline_judge(b, t, s), 1);
    char text[256];
    row_text(s, 0, text, sizeof text);
    if (!strstr(text, "max-abs x3,") || !strstr(text, "nmse x9")) fail_msg("drift text: %s", text);
    assert_non_null(strstr(text, "DRIFT"));
    assert_int_equal(t_suite_drift_failures(s), 1);
    t_suite_print(s); /* names enc.layer.2 as the first stage over budget */
    t_suite_free(s), t_baseline_free(b), t_stage_table_free(t);
}

static void test_error_leaving_zero_fails(void **state)
{
    (void)state;
    const double before[2] = {1e-4, 0}, after[2] = {1e-4, 1e-6};
    t_suite *s = make_suite(PATH_A, before, 0);
    t_baseline *b = accepted(s, "build/tmp/baseline/b.tsv");
    t_stage_table *t = budgets();
    t_suite_free(s);
    s = make_suite(PATH_A, after, 0);
    assert_int_equal(t_baseline_judge(b, t, s), 1);
    char text[256];
    row_text(s, 1, text, sizeof text);
    assert_non_null(strstr(text, "xinf"));
    t_suite_free(s), t_baseline_free(b), t_stage_table_free(t);
}

static void test_unrecorded_path_uses_worst_recorded(void **state)
{
    (void)state;
    const double small[2] = {1e-4, 0}, large[2] = {2.5e-4, 0};
    t_suite *s = make_suite(PATH_A, small, 0);
    t_baseline *b = accepted(s, "build/tmp/baseline/b.tsv");
    t_stage_table *t = budgets();
    t_suite_free(s);
    s = make_suite(PATH_B, large, 0);
    assert_int_equal(t_baseline_judge(b, t, s), 1); /* 2.5x the only recorded path */
    char text[256];
    row_text(s, 0, text, sizeof text);
    assert_non_null(strstr(text, "no bits recorded for this path"));
    assert_non_null(strstr(text, "the worst recorded path"));
    t_suite_free(s), t_baseline_free(b), t_stage_table_free(t);
}

static void test_accept_keeps_other_paths(void **state)
{
    (void)state;
    const double scale[2] = {1e-4, 0}, other[2] = {2e-4, 0};
    t_suite *a = make_suite(PATH_A, scale, 0), *bsuite = make_suite(PATH_B, other, 0);
    t_baseline *b = accepted(a, "build/tmp/baseline/b.tsv"), *rec;
    assert_int_equal(t_baseline_record(bsuite, "build/tmp/baseline/record.tsv", err, sizeof err), 0);
    assert_int_equal(t_baseline_load("build/tmp/baseline/record.tsv", &rec, err, sizeof err), 0);
    assert_int_equal(t_baseline_accept(b, rec, "def5678 2026-01-02: path B", "build/tmp/baseline/b.tsv", err, sizeof err), 0);
    t_baseline_free(b), t_baseline_free(rec);
    assert_int_equal(t_baseline_load("build/tmp/baseline/b.tsv", &b, err, sizeof err), 0);
    t_stage_table *t = budgets();
    assert_int_equal(t_baseline_judge(b, t, a), 0);
    char text[256];
    row_text(a, 0, text, sizeof text);
    assert_string_equal(text, "same bits"); /* path A kept */
    assert_int_equal(t_baseline_judge(b, t, bsuite), 0);
    row_text(bsuite, 0, text, sizeof text);
    assert_string_equal(text, "same bits"); /* path B added */
    t_suite_free(a), t_suite_free(bsuite), t_baseline_free(b), t_stage_table_free(t);
}

static void test_malformed_baseline_refused(void **state)
{
    (void)state;
    static const char *bad[] = {
        "error\tstages\tmel\tpath\t24\tnot-a-number\t1e-12\n",
        "error\tstages\tmel\tpath\t24\t-1\t1e-12\n",
        "error\tstages\tmel\tpath\t24\t1e-5\n",
        "bits\tstages\tmel\n",
        "something else\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        FILE *f = fopen("build/tmp/baseline/bad.tsv", "w");
        fputs("# header\nmeasured\tabc 2026-01-01: ok\n", f);
        fputs(bad[i], f);
        fclose(f);
        t_baseline *b;
        assert_int_equal(t_baseline_load("build/tmp/baseline/bad.tsv", &b, err, sizeof err), -1);
        assert_non_null(strstr(err, "build/tmp/baseline/bad.tsv:3:"));
        t_baseline_free(b);
    }
}

/* Every committed golden folder has a committed baseline. golden/whisper-tiny.en/ is a user's own
 * export of the real model (not committed): its baseline is theirs to take with make baseline. */
static void test_every_golden_folder_has_a_baseline(void **state)
{
    (void)state;
    DIR *d = opendir("golden");
    assert_non_null(d);
    struct dirent *e;
    int folders = 0;
    while ((e = readdir(d))) {
        char index[600], file[1200];
        snprintf(index, sizeof index, "golden/%s/index.json", e->d_name);
        FILE *f = e->d_name[0] != '.' && strcmp(e->d_name, "whisper-tiny.en") ? fopen(index, "r") : NULL;
        if (!f) continue;
        fclose(f);
        snprintf(file, sizeof file, "golden/%s", e->d_name);
        t_baseline_file(file, file, sizeof file);
        t_baseline *b;
        if (t_baseline_load(file, &b, err, sizeof err)) fail_msg("%s", err);
        if (t_baseline_empty(b)) fail_msg("golden/%s has no baseline %s: run make baseline", e->d_name, file);
        printf("%s: measured %s\n", file, t_baseline_measured(b));
        t_baseline_free(b);
        folders++;
    }
    closedir(d);
    assert_true(folders >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bits_and_other_bits),
        cmocka_unit_test(test_growth_past_budget_fails_inside_tolerance),
        cmocka_unit_test(test_error_leaving_zero_fails),
        cmocka_unit_test(test_unrecorded_path_uses_worst_recorded),
        cmocka_unit_test(test_accept_keeps_other_paths),
        cmocka_unit_test(test_malformed_baseline_refused),
        cmocka_unit_test(test_every_golden_folder_has_a_baseline),
    };
    if (system("mkdir -p build/tmp/baseline")) return 1;
    return cmocka_run_group_tests_name("baselines and drift", tests, NULL, NULL);
}
