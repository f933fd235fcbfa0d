/* make compare's comparison core on constructed inputs (a stage changed by one ulp at one stage
 * only, decodings that part on a near-tie or on a real difference), then the compare_builds
 * command end to end on one clip and on bad input. Expected values come from the constructed
 * inputs (the ulp, the planted margins), never from the code under test. */
#include "compare_core.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

/* ---- stages ---- */

enum { N_STAGES = 5, N_CLIPS = 3, LEN = 64 };
static const char *const STAGES[N_STAGES] = {"mel", "conv1", "enc.layer.1", "enc.layer.2", "enc.out"};
static const char *const CLIPS[N_CLIPS] = {"01", "02", "03"};

static void fill(float *x, int stage, int clip)
{
    for (int i = 0; i < LEN; i++) x[i] = (float)sin(1.0 + i + 7.0 * stage + 31.0 * clip);
}

static t_view view(float *x) { return (t_view){x, 2, {8, 8, 0, 0}}; }

/* Feeds every clip and stage; plant(stage, clip, b) may change B's tensor. */
static void feed(cmp_stages *s, void (*plant)(int, int, float *))
{
    float a[LEN], b[LEN];
    for (int c = 0; c < N_CLIPS; c++)
        for (int k = 0; k < N_STAGES; k++) {
            fill(a, k, c), fill(b, k, c);
            if (plant) plant(k, c, b);
            cmp_stage *r = cmp_stage_row(s, STAGES[k]);
            assert_non_null(r);
            cmp_stage_add_ab(r, CLIPS[c], view(a), view(b));
        }
}

/* One ulp up in enc.layer.2 of clip 02, carried on (as by the next layers) into enc.out. */
static void plant_ulp(int stage, int clip, float *b)
{
    if (clip == 1 && stage == 3) b[17] = nextafterf(b[17], INFINITY);
    if (clip == 1 && stage == 4) b[5] += 0.25f;
}

static void test_change_reported_first_where_planted(void **state)
{
    (void)state;
    cmp_stages s = {0};
    feed(&s, plant_ulp);
    assert_int_equal(s.n, N_STAGES);
    for (int k = 0; k < N_STAGES; k++) assert_string_equal(s.rows[k].name, STAGES[k]); /* data-flow order kept */
    int first = cmp_first_changed(&s);
    assert_int_equal(first, 3);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(s.rows[k].identical, N_CLIPS);
        assert_true(s.rows[k].max_ab == 0);
    }
    const cmp_stage *r = &s.rows[3];
    float x[LEN];
    fill(x, 3, 1);
    assert_int_equal(r->identical, N_CLIPS - 1);
    assert_int_equal(r->n_changed, 1);
    assert_string_equal(r->changed[0], "02");
    assert_true(r->max_ab == (double)nextafterf(x[17], INFINITY) - x[17]); /* exactly the ulp */
    assert_string_equal(r->max_ab_clip, "02");
    assert_true(fabs(s.rows[4].max_ab - 0.25) < 1e-6);
    cmp_stages_free(&s);
}

static void test_all_identical(void **state)
{
    (void)state;
    cmp_stages s = {0};
    feed(&s, NULL);
    assert_int_equal(cmp_first_changed(&s), -1);
    for (int k = 0; k < N_STAGES; k++) assert_int_equal(s.rows[k].identical, N_CLIPS);
    cmp_stages_free(&s);
}

static void test_missing_stage_and_non_finite(void **state)
{
    (void)state;
    cmp_stages s = {0};
    float a[LEN], b[LEN];
    fill(a, 0, 0), fill(b, 0, 0);
    cmp_stage *r = cmp_stage_row(&s, "mel");
    cmp_stage_add_ab(r, "01", view(a), view(b)); /* identical */
    r = cmp_stage_row(&s, "conv1");
    cmp_stage_add_ab(r, "01", (t_view){0}, view(b)); /* A lacks it */
    assert_int_equal(r->missing, 1);
    assert_int_equal(cmp_first_changed(&s), 1);
    r = cmp_stage_row(&s, "logits");
    a[3] = b[3] = -INFINITY; /* the same -inf on both sides is no difference */
    a[4] = 0.5f, b[4] = 0.5f + 0x1p-20f;
    cmp_stage_add_ab(r, "01", view(a), view(b));
    assert_true(r->max_ab == 0x1p-20);
    a[9] = NAN;
    cmp_stage_add_ab(r, "02", view(a), view(b));
    assert_true(isinf(r->max_ab));
    t_diff pass = {.pass = 1, .shape_ok = 1, .max_abs = 1e-6, .headroom = 0.2};
    t_diff fail = {.pass = 0, .shape_ok = 1, .max_abs = 3e-5, .headroom = 4};
    cmp_stage_add_hf(r, 1, &pass);
    cmp_stage_add_hf(r, 1, &fail);
    assert_int_equal(r->hf[1].clips, 2);
    assert_int_equal(r->hf[1].n_bad, 1);
    assert_true(r->hf[1].headroom == 4 && r->hf[1].max_abs == 3e-5);
    assert_int_equal(r->hf[0].clips, 0);
    cmp_stages_free(&s);
}

/* ---- decoding ---- */

enum { PROMPT = 2, STEPS = 4, N_TOK = PROMPT + STEPS };

typedef struct {
    int32_t tokens[N_TOK], ids[STEPS][CMP_TOP];
    double lps[STEPS][CMP_TOP];
    cmp_seq s;
} seq_buf;

/* A decoding that chooses token 100 + t at step t, its runner-up 200 + t at `gap` below it. */
static void make_seq(seq_buf *b, double gap)
{
    b->tokens[0] = 50257, b->tokens[1] = 50362;
    for (int t = 0; t < STEPS; t++) {
        b->tokens[PROMPT + t] = 100 + t;
        for (int k = 0; k < CMP_TOP; k++) {
            b->ids[t][k] = k == 0 ? 100 + t : k == 1 ? 200 + t : 300 + 10 * t + k;
            b->lps[t][k] = k == 0 ? -9.0 : k == 1 ? -9.0 - gap : -10.0 - k;
        }
    }
    b->s = (cmp_seq){.n_tokens = N_TOK, .n_prompt = PROMPT, .tokens = b->tokens, .top_id = &b->ids[0][0],
                     .top_lp = &b->lps[0][0], .score = -9.0};
}

/* At step t, the sequence takes its runner-up instead (its top two swapped, `gap` apart). */
static void flip_at(seq_buf *b, int t, double gap)
{
    int32_t x = b->ids[t][0];
    b->ids[t][0] = b->ids[t][1], b->ids[t][1] = x;
    b->lps[t][1] = b->lps[t][0] - gap;
    b->tokens[PROMPT + t] = b->ids[t][0];
}

static const double EPS = 1.2e-5;

static void test_identical_decoding(void **state)
{
    (void)state;
    seq_buf a, b;
    make_seq(&a, 0.3), make_seq(&b, 0.3);
    cmp_flip f = cmp_decode(&a.s, &b.s, 0, EPS);
    assert_int_equal(f.kind, CMP_SAME);
    assert_int_equal(f.pos, -1);
}

static void test_flip_on_a_near_tie_is_a_tie(void **state)
{
    (void)state;
    seq_buf a, b;
    make_seq(&a, 0.3), make_seq(&b, 0.3);
    a.lps[2][1] = -9.0 - 1e-7; /* A: 102 over 202 by 1e-7 */
    flip_at(&b, 2, 1e-7);      /* B: 202 over 102 by 1e-7 */
    cmp_flip f = cmp_decode(&a.s, &b.s, 0, EPS);
    assert_int_equal(f.kind, CMP_TIE);
    assert_int_equal(f.step, 2);
    assert_int_equal(f.pos, PROMPT + 2);
    assert_int_equal(f.tok[0], 102);
    assert_int_equal(f.tok[1], 202);
    assert_true(fabs(f.margin[0] - 1e-7) < 1e-12 && fabs(f.margin[1] - 1e-7) < 1e-12);
}

static void test_flip_with_a_real_margin_is_a_divergence(void **state)
{
    (void)state;
    seq_buf a, b;
    make_seq(&a, 0.5), make_seq(&b, 0.5);
    flip_at(&b, 1, 0.5);
    cmp_flip f = cmp_decode(&a.s, &b.s, 0, EPS);
    assert_int_equal(f.kind, CMP_DIVERGE);
    assert_int_equal(f.step, 1);
    assert_true(fabs(f.margin[0] - 0.5) < 1e-12 && fabs(f.margin[1] - 0.5) < 1e-12);
    /* One side near a tie is not enough: a token suppressed in B makes B's runner-up its choice,
     * however close B's own top two are. */
    make_seq(&b, 0.5);
    flip_at(&b, 1, 1e-7);
    f = cmp_decode(&a.s, &b.s, 0, EPS);
    assert_int_equal(f.kind, CMP_DIVERGE);
    assert_true(fabs(f.margin[1] - 1e-7) < 1e-12);
    /* B's choice outside A's top-5 */
    make_seq(&b, 1e-7);
    b.tokens[PROMPT + 3] = b.ids[3][0] = 999;
    f = cmp_decode(&a.s, &b.s, 0, EPS);
    assert_int_equal(f.kind, CMP_DIVERGE);
    assert_true(isinf(f.gap[0]));
}

static void test_prompt_and_length_differences(void **state)
{
    (void)state;
    seq_buf a, b;
    make_seq(&a, 0.3), make_seq(&b, 0.3);
    b.tokens[1] = 50363;
    cmp_flip f = cmp_decode(&a.s, &b.s, 0, EPS);
    assert_int_equal(f.kind, CMP_DIVERGE);
    assert_int_equal(f.step, -1);
    assert_int_equal(f.pos, 1);
    make_seq(&b, 0.3);
    b.s.n_tokens = N_TOK - 1; /* B stopped a step early */
    f = cmp_decode(&a.s, &b.s, 0, EPS);
    assert_int_equal(f.kind, CMP_DIVERGE);
    assert_int_equal(f.tok[0], 100 + STEPS - 1);
    assert_int_equal(f.tok[1], -1);
}

static void test_beam_winners_by_score(void **state)
{
    (void)state;
    seq_buf a, b;
    make_seq(&a, 0.3), make_seq(&b, 0.3);
    flip_at(&b, 3, 0.3);
    b.s.score = a.s.score - 1e-7;
    assert_int_equal(cmp_decode(&a.s, &b.s, 1, EPS).kind, CMP_TIE);
    b.s.score = a.s.score - 0.5;
    cmp_flip f = cmp_decode(&a.s, &b.s, 1, EPS);
    assert_int_equal(f.kind, CMP_DIVERGE);
    assert_true(fabs(f.score_gap - 0.5) < 1e-12);
}

/* ---- the command ---- */

static char out[65536];

/* Runs compare_builds with args through sh, output (stdout and stderr) into out; the exit code. */
static int run(const char *args)
{
    const char *bin = getenv("WL_BIN") ? getenv("WL_BIN") : "build";
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s/compare_builds %s 2>&1", bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    int st = pclose(p);
    const char *last = out + strlen(out);
    while (last > out && last[-1] == '\n') last--;
    while (last > out && last[-1] != '\n') last--;
    printf("$ compare_builds %s\n  -> exit %d: %s", args, WIFEXITED(st) ? WEXITSTATUS(st) : -1, last);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define SYNTH "--model build/whisper-tiny.en-synthetic --golden golden/whisper-tiny.en-synthetic"

static const char *cli(void) { return getenv("WL_CLI") ? getenv("WL_CLI") : "build/whisperlab"; }

static void test_command_end_to_end(void **state)
{
    (void)state;
    char args[2048];
    snprintf(args, sizeof args, "--a-cli %s --b-cli %s " SYNTH " --clips 01 --only stages --tmp build/tmp/compare "
             "--json build/tmp/compare/one.json", cli(), cli());
    assert_int_equal(system("mkdir -p build/tmp/compare && rm -f build/tmp/compare/one.json"), 0);
    assert_int_equal(run(args), 0);
    assert_non_null(strstr(out, "all stages bitwise identical (1 clip)"));
    assert_non_null(strstr(out, "\nenc.layer.2    1/1       0 "));
    FILE *f = fopen("build/tmp/compare/one.json", "r");
    assert_non_null(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = 0;
    fclose(f);
    assert_non_null(strstr(out, "\"first_changed_stage\":\tnull"));
}

static void test_command_bad_input(void **state)
{
    (void)state;
    char args[2048];
    assert_int_equal(system("mkdir -p build/tmp/compare && printf '#!/bin/sh\\nkill -SEGV $$\\n' > build/tmp/compare/crash "
                            "&& chmod +x build/tmp/compare/crash"), 0);
    snprintf(args, sizeof args, "--a-cli %s --b-cli %s " SYNTH " --clips 99 --tmp build/tmp/compare", cli(), cli());
    assert_int_equal(run(args), 2);
    assert_non_null(strstr(out, "no clip '99'"));
    snprintf(args, sizeof args, "--a-cli build/tmp/compare/none --b-cli %s " SYNTH, cli());
    assert_int_equal(run(args), 2);
    assert_non_null(strstr(out, "build/tmp/compare/none: no such command"));
    snprintf(args, sizeof args, "--a-cli %s --b-cli %s " SYNTH " --a-env 'WL_SGEMM_OPENBLAS'", cli(), cli());
    assert_int_equal(run(args), 2);
    assert_non_null(strstr(out, "A_ENV: 'WL_SGEMM_OPENBLAS' is not NAME=VALUE"));
    snprintf(args, sizeof args, "--a-cli %s --b-cli %s --model build/whisper-tiny.en-synthetic --golden build/tmp/compare/nogolden", cli(), cli());
    assert_int_equal(run(args), 1);
    assert_non_null(strstr(out, "build/tmp/compare/nogolden/index.json"));
    snprintf(args, sizeof args, "--a-cli build/tmp/compare/crash --b-cli %s " SYNTH " --tmp build/tmp/compare", cli());
    assert_int_equal(run(args), 1);
    assert_non_null(strstr(out, "side A (build/tmp/compare/crash) crashed on info: signal 11"));
    snprintf(args, sizeof args, "--a-cli %s --b-cli %s " SYNTH " --b-env DNNL_MAX_CPU_ISA=SSE2 --tmp build/tmp/compare", cli(), cli());
    assert_int_equal(run(args), 1);
    assert_non_null(strstr(out, "side B: DNNL_MAX_CPU_ISA=SSE2 did not take"));
    assert_int_equal(system("ls build/tmp/compare | grep -q '^tmp\\.'"), 256); /* no scratch folder left */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_change_reported_first_where_planted),
        cmocka_unit_test(test_all_identical),
        cmocka_unit_test(test_missing_stage_and_non_finite),
        cmocka_unit_test(test_identical_decoding),
        cmocka_unit_test(test_flip_on_a_near_tie_is_a_tie),
        cmocka_unit_test(test_flip_with_a_real_margin_is_a_divergence),
        cmocka_unit_test(test_prompt_and_length_differences),
        cmocka_unit_test(test_beam_winners_by_score),
        cmocka_unit_test(test_command_end_to_end),
        cmocka_unit_test(test_command_bad_input),
    };
    return cmocka_run_group_tests_name("make compare: the comparison core and the command", tests, NULL, NULL);
}
