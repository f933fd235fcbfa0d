/* The report's measures on hand-made inputs: Whisper's English normaliser and WER on pairs
 * worked out by hand (and by english.py's rules), Spearman and monotonicity on a diagonal, a
 * reversed and a noisy matrix, the speech span of synthetic tones, the verb of a clip. */
#include "../reports/lab.h"
#include "../reports/monotonicity.h"
#include "../reports/normalise.h"
#include "../reports/speech_span.h"
#include "../reports/wer.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void expect_norm(const char *in, const char *want)
{
    char *got = wl_normalise(in);
    assert_non_null(got);
    if (strcmp(got, want)) fail_msg("normalise(\"%s\") = \"%s\", want \"%s\"", in, got, want);
    printf("  \"%s\" -> \"%s\"\n", in, got);
    free(got);
}

static void test_normalise(void **state)
{
    (void)state;
    expect_norm(" I work.", "i work");
    expect_norm("  He WORKS!  ", "he works");
    expect_norm("You were, weren't you?", "you were were not you");
    expect_norm("I'm here; she's gone and they'll see", "i am here she has gone and they will see");
    expect_norm("I won't, can't, didn't", "i will not can not did not");
    expect_norm("he's been", "he has been");
    expect_norm("Let's go, y'all", "let us go you all");
    expect_norm("[MUSIC] hello (laughs) world <noise>", "hello world");
    expect_norm("um I uh work hmm", "i work");
    expect_norm("Mr Smith and Dr Jones", "mister smith and doctor jones");
    expect_norm("twenty one", "21");
    expect_norm("two hundred and five", "205");
    expect_norm("one", "one");
    expect_norm("one oh one", "101");
    expect_norm("three point five", "3.5");
    expect_norm("the twentieth of may", "the 20th of may");
    expect_norm("1,000 people", "1000 people");
    expect_norm("it costs $5.", "it costs $5");
    expect_norm("well-known e-mail", "well known e mail");
    expect_norm("", "");
    expect_norm("...", "");
}

static void expect_wer(const char *ref, const char *hyp, int s, int d, int i, double rate)
{
    wl_wer_counts c;
    assert_int_equal(wl_wer_text(ref, hyp, &c), 0);
    printf("  \"%s\" | \"%s\": S%d D%d I%d of %d -> %.4f\n", ref, hyp, c.subs, c.dels, c.ins, c.ref_words, wl_wer_rate(&c));
    assert_int_equal(c.subs, s);
    assert_int_equal(c.dels, d);
    assert_int_equal(c.ins, i);
    assert_true(fabs(wl_wer_rate(&c) - rate) < 1e-12);
}

static void test_wer(void **state)
{
    (void)state;
    expect_wer("I work", " I work.", 0, 0, 0, 0);
    expect_wer("I work", "I worked", 1, 0, 0, 0.5);
    expect_wer("she has played", "she played", 0, 1, 0, 1.0 / 3);
    expect_wer("to walk", "to walk to walk", 0, 0, 2, 1.0);
    expect_wer("he works", "", 0, 2, 0, 1.0);
    expect_wer("", "", 0, 0, 0, 0);
    expect_wer("", "hello", 0, 0, 1, 1.0);
    expect_wer("a b c d e", "a x c e f", 1, 1, 1, 0.6);
    expect_wer("I am", "I'm", 0, 0, 0, 0); /* contractions compare equal once normalised */
    expect_wer("twenty one pilots", "21 pilots", 0, 0, 0, 0);
}

static void test_spearman(void **state)
{
    (void)state;
    double x[50], y[50];
    for (int i = 0; i < 50; i++) x[i] = i, y[i] = i * i; /* monotone, not linear */
    assert_true(fabs(wl_spearman(x, y, 50) - 1) < 1e-12);
    for (int i = 0; i < 50; i++) y[i] = -i;
    assert_true(fabs(wl_spearman(x, y, 50) + 1) < 1e-12);
    double a[] = {1, 2, 3, 4}, b[] = {1, 1, 2, 2}; /* ties: ranks 1.5 1.5 3.5 3.5 */
    assert_true(fabs(wl_spearman(a, b, 4) - 2 / sqrt(5)) < 1e-12);
    assert_true(isnan(wl_spearman(a, b, 1)));
    double flat[] = {3, 3, 3, 3};
    assert_true(isnan(wl_spearman(a, flat, 4)));
}

/* rows x cols attention: each row's weight around col(r) */
static void fill(float *m, int rows, int cols, int reversed, unsigned seed, int noise)
{
    for (int r = 0; r < rows; r++) {
        int centre = (reversed ? rows - 1 - r : r) * cols / rows + cols / rows / 2;
        for (int c = 0; c < cols; c++) {
            seed = seed * 1103515245u + 12345u;
            float n = (float)((seed >> 8) & 0xffff) / 65536.0f;
            m[r * cols + c] = noise ? n : expf(-0.5f * (float)((c - centre) * (c - centre)) / 4.0f) + 0.01f * n;
        }
    }
}

static void test_monotonicity(void **state)
{
    (void)state;
    enum { R = 40, C = 200 };
    static float m[R * C];
    double peak[R];
    fill(m, R, C, 0, 1, 0);
    wl_monotonicity d = wl_monotonicity_measure(m, R, C, 0, C, peak, NULL);
    printf("  diagonal: rho %.4f centroid %.4f forward %.3f\n", d.rho_peak, d.rho_centroid, d.nondecreasing);
    assert_true(d.rho_peak > 0.999 && d.rho_centroid > 0.999 && d.nondecreasing == 1.0);
    assert_int_equal((int)peak[3], 3 * C / R + C / R / 2);
    fill(m, R, C, 1, 1, 0);
    wl_monotonicity v = wl_monotonicity_measure(m, R, C, 0, C, NULL, NULL);
    printf("  reversed: rho %.4f centroid %.4f forward %.3f\n", v.rho_peak, v.rho_centroid, v.nondecreasing);
    assert_true(v.rho_peak < -0.999 && v.rho_centroid < -0.999 && v.nondecreasing == 0.0);
    fill(m, R, C, 0, 7, 1);
    wl_monotonicity n = wl_monotonicity_measure(m, R, C, 0, C, NULL, NULL);
    /* independent peaks: rho ~ N(0, 1/sqrt(39) = 0.16); 0.5 is 3 sd */
    printf("  noise: rho %.4f centroid %.4f forward %.3f\n", n.rho_peak, n.rho_centroid, n.nondecreasing);
    assert_true(fabs(n.rho_peak) < 0.5 && n.nondecreasing > 0.2 && n.nondecreasing < 0.8);
    /* the speech window limits where peaks may be */
    fill(m, R, C, 0, 1, 0);
    wl_monotonicity_measure(m, R, C, 50, 60, peak, NULL);
    for (int r = 0; r < R; r++) assert_true(peak[r] >= 50 && peak[r] < 60);
    wl_monotonicity one = wl_monotonicity_measure(m, 1, C, 0, C, NULL, NULL);
    assert_true(isnan(one.rho_peak) && isnan(one.nondecreasing));
}

static void tone(float *x, size_t n, double t0, double t1, double amp)
{
    for (size_t i = 0; i < n; i++) {
        double t = i / 16000.0;
        x[i] = t >= t0 && t < t1 ? (float)(amp * sin(2 * M_PI * 440 * t)) : 0.0f;
    }
}

static void test_speech_span(void **state)
{
    (void)state;
    enum { N = 32000 };
    static float x[N];
    double amps[] = {0.5, 0.01}; /* loud, and -43 dBFS peak: the threshold follows the clip */
    for (int k = 0; k < 2; k++) {
        tone(x, N, 0.50, 1.20, amps[k]);
        for (size_t i = 0; i < N; i++) x[i] += (float)(1e-5 * ((int)((i * 7919) % 13) - 6) / 6.0); /* -100 dBFS hiss */
        wl_speech_span s = wl_speech_span_find(x, N);
        printf("  tone 0.50-1.20 s at %.2f: span %.3f-%.3f s, peak %.1f dBFS\n", amps[k], s.start, s.end, s.peak_dbfs);
        assert_true(s.found);
        /* frame centres every 10 ms: edges within half a 25 ms frame */
        assert_true(fabs(s.start - 0.50) <= 0.0125 && fabs(s.end - 1.20) <= 0.0125);
    }
    tone(x, N, 0, 0.3, 0.5);
    wl_speech_span s = wl_speech_span_find(x, N);
    assert_true(s.found && s.start <= 0.0125 && fabs(s.end - 0.3) <= 0.0125);
    memset(x, 0, sizeof x);
    assert_false(wl_speech_span_find(x, N).found);
    assert_false(wl_speech_span_find(x, 0).found);
}

static void test_verb_index(void **state)
{
    (void)state;
    struct { const char *sentence, *tense, *correct; int want; } cases[] = {
        {"I work", "present_simple", NULL, 1},  {"you worked", "past_simple", NULL, 1},
        {"I will play", "future", NULL, 2},     {"she has played", "past_participle", NULL, 2},
        {"to walk", "infinitive", NULL, 1},     {"he work", NULL, "he works", 1},
        {"they was", NULL, "they were", 1},     {"the old man will go", "future", NULL, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lab_clip c = {.sentence = cases[i].sentence, .tense = cases[i].tense, .correct = cases[i].correct};
        assert_int_equal(lab_verb_index(&c), cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise),    cmocka_unit_test(test_wer),         cmocka_unit_test(test_spearman),
        cmocka_unit_test(test_monotonicity), cmocka_unit_test(test_speech_span), cmocka_unit_test(test_verb_index),
    };
    return cmocka_run_group_tests_name("report measures", tests, NULL, NULL);
}
