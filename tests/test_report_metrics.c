/* The report's measures on hand-made inputs: Whisper's English normaliser and WER on pairs
 * worked out by hand (and by english.py's rules), Spearman and monotonicity on a diagonal, a
 * reversed and a noisy matrix and rows with repeated peaks, the speech span of synthetic tones
 * (a partial last frame too), the verb of a clip; and the lab's confidence, timestamps and
 * greedy-vs-beam entries of hand-built results, each value worked out here from the tokens and
 * log-probs put in (the tokenizer and settings are the synthetic tiny.en's, or WL_MODEL's). */
#include "../reports/lab/beam_compare.h"
#include "../reports/lab/confidence.h"
#include "../reports/lab/grammar.h"
#include "../reports/lab/timestamps.h"
#include "../reports/tools/monotonicity.h"
#include "../reports/tools/normalise.h"
#include "../reports/tools/speech_span.h"
#include "../reports/tools/wer.h"
#include "encode.h"
#include "golden.h"

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
    char *got = normalise_text(in);
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
    /* english.py's tens rule: joined to a value only when it is a whole hundred, else written
     * after it (years); ones after a written-out tens replace its zero */
    expect_norm("twenty thirty", "2030");
    expect_norm("nineteen ninety nine", "1999");
    expect_norm("twenty twenty one", "2021");
    expect_norm("one hundred twenty", "120");
    expect_norm("two thousand twenty", "2020");
    expect_norm("forty fifty sixty", "405060");
}

static void expect_wer(const char *ref, const char *hyp, int s, int d, int i, double rate)
{
    wer_counts c;
    assert_int_equal(wer_text(ref, hyp, &c), 0);
    printf("  \"%s\" | \"%s\": S%d D%d I%d of %d -> %.4f\n", ref, hyp, c.subs, c.dels, c.ins, c.ref_words, wer_rate(&c));
    assert_int_equal(c.subs, s);
    assert_int_equal(c.dels, d);
    assert_int_equal(c.ins, i);
    assert_true(fabs(wer_rate(&c) - rate) < 1e-12);
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
    assert_true(fabs(monotonicity_spearman(x, y, 50) - 1) < 1e-12);
    for (int i = 0; i < 50; i++) y[i] = -i;
    assert_true(fabs(monotonicity_spearman(x, y, 50) + 1) < 1e-12);
    double a[] = {1, 2, 3, 4}, b[] = {1, 1, 2, 2}; /* ties: ranks 1.5 1.5 3.5 3.5 */
    assert_true(fabs(monotonicity_spearman(a, b, 4) - 2 / sqrt(5)) < 1e-12);
    assert_true(isnan(monotonicity_spearman(a, b, 1)));
    double flat[] = {3, 3, 3, 3};
    assert_true(isnan(monotonicity_spearman(a, flat, 4)));
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
    monotonicity d = monotonicity_measure(m, R, C, 0, C, peak, NULL);
    printf("  diagonal: rho %.4f centroid %.4f forward %.3f\n", d.rho_peak, d.rho_centroid, d.nondecreasing);
    assert_true(d.rho_peak > 0.999 && d.rho_centroid > 0.999 && d.nondecreasing == 1.0);
    assert_int_equal((int)peak[3], 3 * C / R + C / R / 2);
    fill(m, R, C, 1, 1, 0);
    monotonicity v = monotonicity_measure(m, R, C, 0, C, NULL, NULL);
    printf("  reversed: rho %.4f centroid %.4f forward %.3f\n", v.rho_peak, v.rho_centroid, v.nondecreasing);
    assert_true(v.rho_peak < -0.999 && v.rho_centroid < -0.999 && v.nondecreasing == 0.0);
    fill(m, R, C, 0, 7, 1);
    monotonicity n = monotonicity_measure(m, R, C, 0, C, NULL, NULL);
    /* independent peaks: rho ~ N(0, 1/sqrt(39) = 0.16); 0.5 is 3 sd */
    printf("  noise: rho %.4f centroid %.4f forward %.3f\n", n.rho_peak, n.rho_centroid, n.nondecreasing);
    assert_true(fabs(n.rho_peak) < 0.5 && n.nondecreasing > 0.2 && n.nondecreasing < 0.8);
    /* the speech window limits where peaks may be */
    fill(m, R, C, 0, 1, 0);
    monotonicity_measure(m, R, C, 50, 60, peak, NULL);
    for (int r = 0; r < R; r++) assert_true(peak[r] >= 50 && peak[r] < 60);
    monotonicity one = monotonicity_measure(m, 1, C, 0, C, NULL, NULL);
    assert_true(isnan(one.rho_peak) && isnan(one.nondecreasing));
}

/* Rows whose peak stays put, and a row with two equal maxima (the first counts, as
 * torch.argmax): peaks 1 1 2 2 1, centroids 1 1 2 1.75 2. Worked by hand: 3 of 4 steps do not
 * move back; Spearman(0..4, peaks) with ranks 2 2 4.5 4.5 2 is 2.5 / sqrt(10 * 7.5); with the
 * centroids' ranks 1.5 1.5 4.5 3 4.5, 7.5 / sqrt(10 * 9). */
static void test_monotonicity_repeated_peaks(void **state)
{
    (void)state;
    const float m[5 * 4] = {0, 1, 0, 0, /**/ 0, 2, 0, 0, /**/ 0, 0, 1, 0, /**/ 0, 1, 3, 0, /**/ 0, 1, 0, 1};
    double peak[5], centroid[5];
    const double want_peak[5] = {1, 1, 2, 2, 1}, want_centroid[5] = {1, 1, 2, 1.75, 2};
    monotonicity r = monotonicity_measure(m, 5, 4, 0, 4, peak, centroid);
    printf("  repeated peaks: rho %.6f centroid %.6f forward %.3f\n", r.rho_peak, r.rho_centroid, r.nondecreasing);
    for (int i = 0; i < 5; i++) {
        assert_true(peak[i] == want_peak[i]);
        assert_true(fabs(centroid[i] - want_centroid[i]) < 1e-12);
    }
    assert_int_equal(r.n, 5);
    assert_true(r.nondecreasing == 0.75);
    assert_true(fabs(r.rho_peak - 2.5 / sqrt(75)) < 1e-12);
    assert_true(fabs(r.rho_centroid - 7.5 / sqrt(90)) < 1e-12);
    /* columns 2..3 only: peaks 2 2 2 2 3 (ties at 0 take the window's first column) */
    monotonicity_measure(m, 5, 4, 2, 4, peak, NULL);
    const double want_win[5] = {2, 2, 2, 2, 3};
    for (int i = 0; i < 5; i++) assert_true(peak[i] == want_win[i]);
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
        speech_span s = speech_span_find(x, N);
        printf("  tone 0.50-1.20 s at %.2f: span %.3f-%.3f s, peak %.1f dBFS\n", amps[k], s.start, s.end, s.peak_dbfs);
        assert_true(s.found);
        /* frame centres every 10 ms: edges within half a 25 ms frame */
        assert_true(fabs(s.start - 0.50) <= 0.0125 && fabs(s.end - 1.20) <= 0.0125);
    }
    tone(x, N, 0, 0.3, 0.5);
    speech_span s = speech_span_find(x, N);
    assert_true(s.found && s.start <= 0.0125 && fabs(s.end - 0.3) <= 0.0125);
    memset(x, 0, sizeof x);
    assert_false(speech_span_find(x, N).found);
    assert_false(speech_span_find(x, 0).found);
    /* 1000 samples: frames at 0, 160, 320, 480 and a last partial one at 640 (360 samples);
     * sound only in the last 100 samples, which only that frame holds. Its RMS is over its own
     * 360 samples: 0.5 * sqrt(100 / 360); its centre (640 + 180) / 16000 s. */
    for (size_t i = 0; i < 1000; i++) x[i] = i >= 900 ? 0.5f : 0.0f;
    s = speech_span_find(x, 1000);
    printf("  last 100 of 1000 samples: found %d, span %.5f-%.5f s, peak %.4f dBFS\n", s.found, s.start, s.end,
           s.peak_dbfs);
    assert_true(s.found);
    assert_true(fabs(s.start - 820 / 16000.0) < 1e-12 && fabs(s.end - 820 / 16000.0) < 1e-12);
    assert_true(fabs(s.peak_dbfs - 20 * log10(0.5 * sqrt(100 / 360.0))) < 1e-9);
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

/* ---- the lab's entries of hand-built results --------------------------------------------- */

/* A session with only what these entries read: the tokenizer and the generation settings. */
static wl_session S;

static int open_tok(void **state)
{
    (void)state;
    char err[1024];
    const char *dir = t_model_dir_under_test();
    memset(&S, 0, sizeof S);
    if (wl_tokenizer_load(dir, &S.tok, err, sizeof err) || wl_gen_config_load(dir, &S.cfg, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int close_tok(void **state)
{
    (void)state;
    wl_tokenizer_free(S.tok), wl_gen_config_free(&S.cfg);
    return 0;
}

/* The ids of text (no special tokens in it). */
static int ids_of(const char *text, int32_t *out, int max)
{
    int32_t *ids;
    int n;
    char err[256];
    assert_int_equal(wl_tokenize(S.tok, text, strlen(text), &ids, &n, err, sizeof err), 0);
    assert_true(n <= max);
    memcpy(out, ids, sizeof *ids * (size_t)n);
    free(ids);
    return n;
}

/* A result of the prompt <|startoftranscript|> alone, then tokens[] with log-probs lp[]. */
typedef struct {
    wl_result r;
    int32_t tok[64];
    wl_step steps[64];
} built;

static void build(built *b, const int32_t *tokens, const double *lp, int n)
{
    memset(b, 0, sizeof *b);
    b->tok[0] = S.cfg.decoder_start;
    for (int i = 0; i < n; i++) {
        b->tok[1 + i] = tokens[i];
        b->steps[i] = (wl_step){.token = tokens[i], .logprob = (float)lp[i],
                                .is_timestamp = tokens[i] >= S.cfg.timestamp_begin};
        for (int k = 0; k < WL_TOP; k++) b->steps[i].top_id[k] = tokens[i], b->steps[i].top_logprob[k] = (float)lp[i];
    }
    b->r = (wl_result){.tokens = b->tok, .n_tokens = 1 + n, .n_prompt = 1, .steps = b->steps, .n_steps = n};
}

static double num(const cJSON *o, const char *path)
{
    char key[64];
    const cJSON *x = o;
    for (const char *p = path; x && *p;) {
        size_t l = strcspn(p, ".");
        snprintf(key, sizeof key, "%.*s", (int)l, p);
        x = cJSON_GetObjectItem(x, key);
        p += l + (p[l] == '.');
    }
    if (!cJSON_IsNumber(x)) fail_msg("%s is not a number", path);
    return x->valuedouble;
}

static int is_null(const cJSON *o, const char *a, const char *b)
{
    return cJSON_IsNull(cJSON_GetObjectItem(b ? cJSON_GetObjectItem(o, a) : o, b ? b : a));
}

/* confidence.json: the mean and lowest p over the text tokens only (not the timestamp, not
 * end-of-text), end_p from the end-of-text step, the verb's first token and its whole word. */
static void test_confidence_values(void **state)
{
    (void)state;
    int32_t text[16], tokens[20];
    int nt = ids_of(" I recalibrate", text, 16); /* " I", then a word of several tokens */
    assert_true(nt >= 3);
    int n = 0;
    double lp[20];
    for (int i = 0; i < nt; i++) tokens[n] = text[i], lp[n++] = log(0.9 - 0.1 * i);
    tokens[n] = S.cfg.timestamp_begin + 60, lp[n++] = log(0.05);   /* not text: left out */
    tokens[n] = S.cfg.eos, lp[n++] = log(0.01);                      /* not text: end_p */
    built b;
    build(&b, tokens, lp, n);
    lab_clip c = {.id = "t", .sentence = "I recalibrate", .tense = "present_simple", .greedy = &b.r};
    char err[256];
    cJSON *e = lab_confidence(&S, &c, err, sizeof err);
    assert_non_null(e);
    double sum = 0, lo = 1, word = 1;
    for (int i = 0; i < nt; i++) sum += 0.9 - 0.1 * i, lo = fmin(lo, 0.9 - 0.1 * i), word *= i ? 0.9 - 0.1 * i : 1;
    printf("  confidence: %d text tokens, mean_p %.6f (want %.6f), min_p %.6f, end_p %.6f, verb p %.6f p_word %.6f\n",
           (int)num(e, "text_tokens"), num(e, "mean_p"), sum / nt, num(e, "min_p"), num(e, "end_p"), num(e, "verb.p"),
           num(e, "verb.p_word"));
    assert_int_equal((int)num(e, "text_tokens"), nt);
    assert_true(fabs(num(e, "mean_p") - sum / nt) < 1e-6);
    assert_true(fabs(num(e, "min_p") - lo) < 1e-6);
    assert_true(fabs(num(e, "end_p") - 0.01) < 1e-6);
    assert_int_equal((int)num(e, "verb.word_index"), 1);
    assert_int_equal((int)num(e, "verb.tokens"), nt - 1);
    assert_true(fabs(num(e, "verb.p") - 0.8) < 1e-6);
    assert_true(fabs(num(e, "verb.p_word") - word) < 1e-6);
    cJSON_Delete(e);
    /* no end-of-text (cut at max_length): end_p is null, not the last text token's */
    build(&b, tokens, lp, n - 1);
    e = lab_confidence(&S, &c, err, sizeof err);
    assert_true(is_null(e, "end_p", NULL));
    cJSON_Delete(e);
}

/* timestamps.json: the predicted span runs from the first timestamp token to the last; its
 * errors are start - speech start and end - speech end; the words start at their first token's
 * DTW time and end where the next token starts. */
static void test_timestamps_values(void **state)
{
    (void)state;
    const int32_t TB = S.cfg.timestamp_begin;
    int32_t w[16], tokens[24];
    int nw = ids_of(" one two", w, 16), n = 0;
    assert_int_equal(nw, 2);
    double lp[24] = {0};
    tokens[n++] = TB + 20;  /* 0.40 */
    tokens[n++] = w[0];
    tokens[n++] = TB + 50, tokens[n++] = TB + 50; /* 1.00 1.00: a pair */
    tokens[n++] = w[1];
    tokens[n++] = TB + 95;  /* 1.90 */
    tokens[n++] = S.cfg.eos;
    built st, g;
    build(&st, tokens, lp, n);
    int32_t gt[3] = {w[0], w[1], S.cfg.eos};
    build(&g, gt, lp, 3);
    float times[4] = {0, 0.52f, 1.10f, 1.75f}; /* per token of g, the prompt's first */
    g.r.token_time = times;
    lab_clip c = {.id = "t", .sentence = "one two", .n_samples = 48000, .stamped = &st.r, .greedy = &g.r,
                  .span = {.found = 1, .start = 0.5, .end = 1.8, .peak_dbfs = -10}};
    cJSON *e = lab_timestamps(&S, &c);
    char *txt = cJSON_PrintUnformatted(e);
    printf("  timestamps: %s\n", txt);
    free(txt);
    assert_true(fabs(num(e, "duration") - 3.0) < 1e-9);
    assert_true(fabs(num(e, "predicted.start") - 0.40) < 1e-9 && fabs(num(e, "predicted.end") - 1.90) < 1e-9);
    assert_true(fabs(num(e, "error.start") - (0.40 - 0.5)) < 1e-9);
    assert_true(fabs(num(e, "error.end") - (1.90 - 1.8)) < 1e-9);
    assert_true(fabs(num(e, "dtw_start_error") - (0.52 - 0.5)) < 1e-6);
    const cJSON *words = cJSON_GetObjectItem(e, "words");
    assert_int_equal(cJSON_GetArraySize(words), 2);
    assert_true(fabs(num(cJSON_GetArrayItem(words, 0), "start") - 0.52) < 1e-6);
    assert_true(fabs(num(cJSON_GetArrayItem(words, 0), "end") - 1.10) < 1e-6);
    assert_true(fabs(num(cJSON_GetArrayItem(words, 1), "start") - 1.10) < 1e-6);
    assert_true(fabs(num(cJSON_GetArrayItem(words, 1), "end") - 1.75) < 1e-6);
    /* the summary: mean absolute errors over the clips that have both */
    cJSON *clips = cJSON_CreateObject();
    cJSON_AddItemToObject(clips, "a", e);
    c.span.start = 0.3, c.span.end = 2.0; /* errors +0.10 and -0.10 */
    cJSON_AddItemToObject(clips, "b", lab_timestamps(&S, &c));
    c.span.found = 0;                     /* no errors: left out */
    cJSON_AddItemToObject(clips, "c", lab_timestamps(&S, &c));
    assert_true(is_null(cJSON_GetObjectItem(clips, "c"), "error", "end"));
    cJSON *sum = lab_timestamps_summary(clips);
    assert_int_equal((int)num(sum, "clips"), 2);
    assert_true(fabs(num(sum, "mean_abs_start_error") - 0.1) < 1e-9);
    assert_true(fabs(num(sum, "mean_abs_end_error") - 0.1) < 1e-9);
    assert_true(fabs(num(sum, "mean_abs_dtw_start_error") - (0.02 + 0.22) / 2) < 1e-6);
    cJSON_Delete(sum), cJSON_Delete(clips);
}

/* greedy_vs_beam.json: each side's summed log-prob from its steps, its own score, and whether
 * the token sequences differ. */
static void test_greedy_vs_beam_values(void **state)
{
    (void)state;
    int32_t w[16];
    int nw = ids_of(" one two", w, 16);
    assert_int_equal(nw, 2);
    int32_t a[3] = {w[0], w[1], S.cfg.eos}, bt[3] = {w[1], w[0], S.cfg.eos};
    double la[3] = {-0.5, -0.25, -0.125}, lb[3] = {-1, -2, -0.5};
    built g, b;
    build(&g, a, la, 3), build(&b, bt, lb, 3);
    g.r.score = -0.875 / 3, b.r.score = -3.5 / 3;
    lab_clip c = {.id = "t", .sentence = "one two", .greedy = &g.r, .beam = &b.r};
    cJSON *e = lab_greedy_vs_beam(&S, &c);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(e, "differ")));
    assert_true(fabs(num(e, "greedy.sum_logprob") + 0.875) < 1e-9);
    assert_true(fabs(num(e, "greedy.mean_logprob") + 0.875 / 3) < 1e-6);
    assert_true(fabs(num(e, "beam.sum_logprob") + 3.5) < 1e-9);
    assert_true(fabs(num(e, "beam.score") + 3.5 / 3) < 1e-6);
    assert_int_equal((int)num(e, "greedy.tokens"), 3);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "greedy"), "text")), "one two");
    cJSON_Delete(e);
    c.beam = &g.r;
    e = lab_greedy_vs_beam(&S, &c);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(e, "differ")));
    cJSON_Delete(e);
}

/* grammar.json on the trained whisper-micro.en and err_01.wav ("he work", correct "he works";
 * and "he work." / "he works.", forms of two tokens, so a form's probability is not its first
 * token's): each form's probability after the prefix, worked out here by
 * feeding the tokens one at a time through the KV cache and taking each next token's log-softmax
 * in double (the lab feeds the whole sequence at once: logits within 1e-5, test_engine). Both
 * ways the prefix can come: the model's own words before the verb, and (when its transcript is
 * shorter) the spoken ones. */
static wl_session MS;

static double ref_logprob(const float *enc, const int32_t *seq, int n_prefix, const int32_t *word, int n_word,
                          double *first)
{
    char err[256];
    wl_decoder *d;
    const int V = MS.dims.n_vocab;
    float *row = malloc(sizeof *row * (size_t)V);
    assert_int_equal(wl_decoder_new(MS.state, enc, &d, err, sizeof err), 0);
    double sum = 0;
    for (int i = 0; i < n_prefix + n_word - 1; i++) {
        int32_t t = i < n_prefix ? seq[i] : word[i - n_prefix];
        assert_int_equal(wl_decoder_feed(d, &t, 1, row, err, sizeof err), 0);
        if (i < n_prefix - 1) continue;
        double mx = row[0], z = 0;
        for (int v = 1; v < V; v++) mx = fmax(mx, row[v]);
        for (int v = 0; v < V; v++) z += exp(row[v] - mx);
        double lp = row[word[i - n_prefix + 1]] - mx - log(z);
        if (i == n_prefix - 1) *first = lp;
        sum += lp;
    }
    wl_decoder_free(d), free(row);
    return sum;
}

static void expect_p(const cJSON *e, const char *key, double lp)
{
    double got = num(e, key), want = exp(lp); /* 6 decimals written; 1e-4 relative for the feeds */
    if (fabs(got - want) > 6e-7 + 1e-4 * want) fail_msg("%s = %.6f, want %.6f", key, got, want);
}

static void test_grammar_values(void **state)
{
    (void)state;
    char err[1024];
    if (wl_session_open(&MS, "build/whisper-micro.en", NULL, 1, err, sizeof err)) fail_msg("%s", err);
    float *enc = t_encode(MS.state, "data/audio/err_01.wav", NULL, err, sizeof err);
    if (!enc) fail_msg("%s", err);
    static const char *const forms[][2] = {{"work", "works"}, {"work.", "works."}};
    const int P = MS.cfg.n_prompt;
    for (int f = 0; f < 2; f++)
        for (int shorter = 0; shorter < 2; shorter++) {
            int32_t he[8], sp[8], co[8], seq[80];
            char w_s[32], w_c[32], sentence[64], correct[64];
            snprintf(w_s, sizeof w_s, " %s", forms[f][0]), snprintf(w_c, sizeof w_c, " %s", forms[f][1]);
            snprintf(sentence, sizeof sentence, "he %s", forms[f][0]);
            snprintf(correct, sizeof correct, "he %s", forms[f][1]);
            wl_session keep = S; /* ids through this session's tokenizer */
            S = MS;
            int nhe = ids_of(" he", he, 8), ns = ids_of(w_s, sp, 8), nc = ids_of(w_c, co, 8);
            S = keep;
            assert_true(f == 0 || (ns >= 2 && nc >= 2));
            /* the greedy transcript: " he <spoken>" then end-of-text, or end-of-text alone */
            int n = 0;
            for (int i = 0; i < P; i++) seq[n++] = MS.cfg.prompt[i];
            if (!shorter) {
                for (int i = 0; i < nhe; i++) seq[n++] = he[i];
                for (int i = 0; i < ns; i++) seq[n++] = sp[i];
            }
            seq[n++] = MS.cfg.eos;
            wl_result g = {.tokens = seq, .n_tokens = n, .n_prompt = P, .n_steps = n - P};
            lab_clip c = {.id = "e1", .sentence = sentence, .correct = correct, .enc = enc, .greedy = &g};
            cJSON *e = lab_grammar(&MS, &c, err, sizeof err);
            if (!e) fail_msg("%s", err);
            /* the prefix is the prompt and " he" either way */
            int32_t prefix[72];
            memcpy(prefix, seq, sizeof *prefix * (size_t)P);
            memcpy(prefix + P, he, sizeof *he * (size_t)nhe);
            double f_s, f_c, lp_s = ref_logprob(enc, prefix, P + nhe, sp, ns, &f_s),
                             lp_c = ref_logprob(enc, prefix, P + nhe, co, nc, &f_c);
            printf("  grammar \"%s\" / \"%s\" (%d and %d tokens), %s: outcome %s, log-odds %.4f (one at a time %.4f)\n",
                   sentence, correct, ns, nc, shorter ? "the spoken prefix" : "the model's prefix",
                   cJSON_GetStringValue(cJSON_GetObjectItem(e, "outcome")), num(e, "log_odds_spoken"), lp_s - lp_c);
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "outcome")), shorter ? "missing" : "as spoken");
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "prefix")), " he");
            expect_p(e, "p_spoken", lp_s);
            expect_p(e, "p_correct", lp_c);
            expect_p(e, "p_spoken_first_token", f_s);
            expect_p(e, "p_correct_first_token", f_c);
            assert_int_equal((int)num(e, "spoken_tokens"), ns);
            assert_int_equal((int)num(e, "correct_tokens"), nc);
            /* 4 decimals written; the feeds' 1e-5 per logit over a few tokens */
            if (fabs(num(e, "log_odds_spoken") - (lp_s - lp_c)) > 1e-3)
                fail_msg("log_odds_spoken %.4f, want %.4f", num(e, "log_odds_spoken"), lp_s - lp_c);
            cJSON_Delete(e);
        }
    free(enc);
    wl_session_close(&MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise),    cmocka_unit_test(test_wer),         cmocka_unit_test(test_spearman),
        cmocka_unit_test(test_monotonicity), cmocka_unit_test(test_speech_span), cmocka_unit_test(test_verb_index),
        cmocka_unit_test(test_monotonicity_repeated_peaks),
        cmocka_unit_test_setup_teardown(test_confidence_values, open_tok, close_tok),
        cmocka_unit_test_setup_teardown(test_timestamps_values, open_tok, close_tok),
        cmocka_unit_test_setup_teardown(test_greedy_vs_beam_values, open_tok, close_tok),
        cmocka_unit_test_setup_teardown(test_grammar_values, open_tok, close_tok),
    };
    return cmocka_run_group_tests_name("report measures", tests, NULL, NULL);
}
