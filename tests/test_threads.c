/* Threads change speed, never results; nor does the model's cache of a clip's cross K/V. The encoder splits time steps over threads and the
 * decoder splits heads; each split must give the one-thread result, and a fixed thread count must
 * give the same bits on every run. 3 threads on any machine make an uneven split (1500 = 500 x 3
 * rows, 6 heads = 2 x 3), so a boundary bug shows even on 2 cores.
 * Expected difference between thread counts: none. No sum is split across threads: every output
 * row's products run over the same K in the same order whichever thread computes it. The same
 * holds with OpenBLAS computing the products in place of oneDNN (wl_sgemm_use_openblas). */
#include "encode.h"
#include "../engine/gemm.h"
#include "../engine/whisperlab.h"

#include <cblas.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define SYNTH "build/whisper-tiny.en-synthetic"

static char err[1024];

typedef struct {
    float *enc, *logits, *xattn, *long_logits;
    size_t n_enc, n_logits, n_xattn, n_long;
} run_out;

enum { LONG = 20 }; /* a teacher-forced feed of more rows than a step's kernels take: sgemm */

/* One clip through the encoder, then a 4-token prompt and 3 single-token steps with
 * cross-attention kept, then LONG tokens in one feed (the teacher-forced pass of a finished
 * search), at the given thread count. */
static run_out run(int threads, const char *wav)
{
    wl_params p = wl_default_params();
    p.n_threads = threads;
    wl_model *m;
    if (wl_model_load(SYNTH, p, &m, err, sizeof err)) fail_msg("%s", err);
    wl_dims d = wl_model_dims(m);
    run_out r = {0};
    r.enc = wl_test_encode(m, wav, NULL, err, sizeof err);
    if (!r.enc) fail_msg("%s", err);
    r.n_enc = (size_t)d.n_audio_ctx * d.d_model;
    wl_decoder *dec;
    if (wl_decoder_new(m, r.enc, &dec, err, sizeof err)) fail_msg("%s", err);
    const int32_t prompt[4] = {50257, 50362, 400, 1110}, steps[3] = {257, 3290, 13};
    r.n_logits = (size_t)6 * d.n_vocab;
    r.logits = malloc(r.n_logits * sizeof(float));
    if (wl_decoder_feed(dec, prompt, 4, r.logits, err, sizeof err)) fail_msg("%s", err);
    for (int i = 0; i < 3; i++)
        if (wl_decoder_feed(dec, &steps[i], 1, r.logits + (size_t)(3 + i) * d.n_vocab, err, sizeof err))
            fail_msg("%s", err);
    int n;
    const float *x = wl_decoder_cross_attn(dec, &n);
    r.n_xattn = (size_t)n * d.dec_layers * d.dec_heads * d.n_audio_ctx;
    r.xattn = malloc(r.n_xattn * sizeof(float));
    memcpy(r.xattn, x, r.n_xattn * sizeof(float));
    int32_t seq[LONG];
    for (int i = 0; i < LONG; i++) seq[i] = i < 4 ? prompt[i] : 257 + 131 * i;
    r.n_long = (size_t)LONG * d.n_vocab;
    r.long_logits = malloc(r.n_long * sizeof(float));
    wl_decoder_reset(dec);
    if (wl_decoder_feed(dec, seq, LONG, r.long_logits, err, sizeof err)) fail_msg("%s", err);
    wl_decoder_free(dec);
    wl_model_free(m);
    return r;
}

static void free_run(run_out *r) { free(r->enc), free(r->logits), free(r->xattn), free(r->long_logits); }

/* The first differing element of a and b, or -1. */
static long first_diff(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float))) return (long)i;
    return -1;
}

static void expect_same(const run_out *a, const run_out *b, const char *what)
{
    long e = first_diff(a->enc, b->enc, a->n_enc), l = first_diff(a->logits, b->logits, a->n_logits);
    long x = first_diff(a->xattn, b->xattn, a->n_xattn), g = first_diff(a->long_logits, b->long_logits, a->n_long);
    printf("%-34s encoder %s, logits %s, cross-attention %s, %d-token feed %s\n", what, e < 0 ? "identical" : "DIFFERS",
           l < 0 ? "identical" : "DIFFERS", x < 0 ? "identical" : "DIFFERS", LONG, g < 0 ? "identical" : "DIFFERS");
    if (e >= 0) fail_msg("%s: encoder output element %ld: %.9g vs %.9g", what, e, a->enc[e], b->enc[e]);
    if (l >= 0) fail_msg("%s: logit %ld: %.9g vs %.9g", what, l, a->logits[l], b->logits[l]);
    if (x >= 0) fail_msg("%s: cross-attention %ld: %.9g vs %.9g", what, x, a->xattn[x], b->xattn[x]);
    if (g >= 0) fail_msg("%s: %d-token feed, logit %ld: %.9g vs %.9g", what, LONG, g, a->long_logits[g], b->long_logits[g]);
}

static void test_thread_counts_agree(void **state)
{
    (void)state;
    const char *wav = "data/audio/clip_07.wav";
    run_out one = run(1, wav), two = run(2, wav), two_again = run(2, wav), three = run(3, wav);
    expect_same(&two, &two_again, "2 threads, run twice:");
    expect_same(&one, &two, "1 thread vs 2:");
    expect_same(&one, &three, "1 thread vs 3 (uneven split):");
    free_run(&one), free_run(&two), free_run(&two_again), free_run(&three);
    /* OpenBLAS's kernels (the fallback) give a row other bits in another row group: the engine's
     * fixed splits must hold for them too */
    wl_sgemm_use_openblas(1);
    one = run(1, wav), two = run(2, wav), three = run(3, wav);
    wl_sgemm_use_openblas(0);
    expect_same(&one, &two, "OpenBLAS, 1 thread vs 2:");
    expect_same(&one, &three, "OpenBLAS, 1 thread vs 3:");
    free_run(&one), free_run(&two), free_run(&three);
}

/* The prompt's logits of a fresh decoder for enc. */
static float *prompt_logits(wl_model *m, const float *enc, wl_decoder **keep)
{
    wl_dims d = wl_model_dims(m);
    const int32_t prompt[4] = {50257, 50362, 400, 1110};
    float *logits = malloc((size_t)4 * d.n_vocab * sizeof *logits);
    wl_decoder *dec;
    if (wl_decoder_new(m, enc, &dec, err, sizeof err) || wl_decoder_feed(dec, prompt, 4, logits, err, sizeof err))
        fail_msg("%s", err);
    if (keep) *keep = dec;
    else wl_decoder_free(dec);
    return logits;
}

/* The prompt's logits of decoder dec fed again from the start. */
static float *refeed(wl_model *m, wl_decoder *dec)
{
    const int32_t prompt[4] = {50257, 50362, 400, 1110};
    float *logits = malloc((size_t)4 * wl_model_dims(m).n_vocab * sizeof *logits);
    wl_decoder_reset(dec);
    if (wl_decoder_feed(dec, prompt, 4, logits, err, sizeof err)) fail_msg("%s", err);
    return logits;
}

/* Compares (then frees) logits got with a fresh model's. */
static void expect_fresh(float *got, const float *want, size_t n, const char *what)
{
    long e = first_diff(got, want, n);
    printf("cross K/V cache: %-30s %s\n", what, e < 0 ? "identical to a fresh model" : "DIFFERS");
    if (e >= 0) fail_msg("cross K/V cache, %s: logit %ld differs from a fresh model's", what, e);
    free(got);
}

/* Decoders for three clips, interleaved so that the cache (two clips) is hit, bypassed (both
 * clips' decoders alive) and recomputed, while live decoders (one a fork whose source is gone)
 * are fed again: each gives what a fresh model gives. */
static void test_cross_cache(void **state)
{
    (void)state;
    wl_params p = wl_default_params();
    p.n_threads = 2;
    wl_model *m;
    if (wl_model_load(SYNTH, p, &m, err, sizeof err)) fail_msg("%s", err);
    size_t n = (size_t)4 * wl_model_dims(m).n_vocab;
    const char *wavs[3] = {"data/audio/clip_03.wav", "data/audio/clip_11.wav", "data/audio/clip_17.wav"};
    float *a, *b, *c, *enc[3], *ref[3];
    for (int i = 0; i < 3; i++) {
        wl_model *fresh;
        if (!(enc[i] = wl_test_encode(m, wavs[i], NULL, err, sizeof err))) fail_msg("%s", err);
        if (wl_model_load(SYNTH, p, &fresh, err, sizeof err)) fail_msg("%s", err);
        ref[i] = prompt_logits(fresh, enc[i], NULL);
        wl_model_free(fresh);
    }
    a = enc[0], b = enc[1], c = enc[2];
    wl_decoder *dec_a, *held_a, *held_b;
    expect_fresh(prompt_logits(m, a, &dec_a), ref[0], n, "a (computed)");
    if (wl_decoder_fork(dec_a, &held_a, err, sizeof err)) fail_msg("%s", err);
    wl_decoder_free(dec_a); /* its fork alone keeps a's K/V in use */
    expect_fresh(prompt_logits(m, b, &held_b), ref[1], n, "b (computed beside a)");
    expect_fresh(prompt_logits(m, c, NULL), ref[2], n, "c (a and b in use: its own)");
    expect_fresh(refeed(m, held_a), ref[0], n, "a (its live fork again)");
    expect_fresh(refeed(m, held_b), ref[1], n, "b (its live decoder again)");
    expect_fresh(prompt_logits(m, a, NULL), ref[0], n, "a (cache hit)");
    wl_decoder_free(held_a), wl_decoder_free(held_b);
    expect_fresh(prompt_logits(m, c, NULL), ref[2], n, "c (recomputed)");
    expect_fresh(prompt_logits(m, b, NULL), ref[1], n, "b (hit or recomputed)");
    expect_fresh(prompt_logits(m, a, NULL), ref[0], n, "a (hit or recomputed)");
    expect_fresh(prompt_logits(m, c, NULL), ref[2], n, "c (hit or recomputed)");
    /* The slots' K/V share the model's workspace with the encoder: an encode while a decoder
     * reads a slot must leave it alone (the encoder takes its own buffer), one after them all
     * are freed takes it over, and the slots' clips are computed again. Each encode's output
     * stays that of a fresh model's. */
    size_t n_enc = (size_t)wl_model_dims(m).n_audio_ctx * wl_model_dims(m).d_model;
    const char *encodes[2] = {"encode beside a live decoder", "encode after all are freed"};
    for (int k = 0; k < 2; k++) {
        wl_decoder *live = NULL;
        expect_fresh(prompt_logits(m, a, &live), ref[0], n, "a (before an encode)");
        if (k) wl_decoder_free(live), live = NULL;
        float *again = wl_test_encode(m, wavs[1], NULL, err, sizeof err);
        if (!again) fail_msg("%s", err);
        long e = first_diff(again, b, n_enc);
        printf("cross K/V cache: %-30s %s\n", encodes[k], e < 0 ? "the same encoder output" : "DIFFERS");
        if (e >= 0) fail_msg("%s: encoder output %ld differs", encodes[k], e);
        free(again);
        if (live) expect_fresh(refeed(m, live), ref[0], n, "a (live across the encode)");
        wl_decoder_free(live);
        expect_fresh(prompt_logits(m, a, NULL), ref[0], n, "a (after the encode)");
        expect_fresh(prompt_logits(m, c, NULL), ref[2], n, "c (after the encode)");
    }
    for (int i = 0; i < 3; i++) free(enc[i]), free(ref[i]);
    wl_model_free(m);
}

/* Beam search (5 beams: a thread takes 2 or 3 beams' rows per step) at 1 and 2 threads. */
static void test_beam_search_threads(void **state)
{
    (void)state;
    wl_result *r[2];
    for (int i = 0; i < 2; i++) {
        wl_params p = wl_default_params();
        p.n_threads = i + 1;
        wl_model *m;
        wl_gen_config cfg;
        if (wl_model_load(SYNTH, p, &m, err, sizeof err) || wl_gen_config_load(SYNTH, &cfg, err, sizeof err))
            fail_msg("%s", err);
        float *enc = wl_test_encode(m, "data/audio/clip_05.wav", NULL, err, sizeof err);
        wl_gen_opts o = {.beams = 5, .max_new_tokens = 8};
        if (!enc || wl_generate(m, &cfg, enc, &o, &r[i], err, sizeof err)) fail_msg("%s", err);
        free(enc);
        wl_gen_config_free(&cfg);
        wl_model_free(m);
    }
    int same = r[0]->n_tokens == r[1]->n_tokens && !memcmp(r[0]->tokens, r[1]->tokens, r[0]->n_tokens * sizeof(int32_t)) &&
               !memcmp(&r[0]->score, &r[1]->score, sizeof r[0]->score);
    for (int t = 0; same && t < r[0]->n_steps; t++) same = !memcmp(&r[0]->steps[t], &r[1]->steps[t], sizeof r[0]->steps[t]);
    printf("beam search, 5 beams, 1 thread vs 2: %s\n", same ? "identical tokens, scores and steps" : "DIFFERS");
    if (!same) fail_msg("beam search differs between 1 and 2 threads");
    wl_result_free(r[0]), wl_result_free(r[1]);
}

/* n_threads 0 is OpenBLAS's own count as the process found it (OPENBLAS_NUM_THREADS, or the
 * cores), not the 1 the engine then sets for OpenBLAS, on the first load and on every later one.
 * In a child process, before any load of this one (the choice is taken at a process's first). */
static void test_zero_threads_is_openblas_choice(void **state)
{
    (void)state;
    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        openblas_set_num_threads(3); /* what the environment would have chosen */
        const int counts[] = {0, 0, 2, 0}, want[] = {3, 3, 2, 3};
        for (int i = 0; i < 4; i++) {
            wl_params p = wl_default_params();
            p.n_threads = counts[i];
            wl_model *m;
            if (wl_model_load(SYNTH, p, &m, err, sizeof err)) printf("%s\n", err), _exit(2);
            int got = wl_threads();
            wl_model_free(m);
            printf("n_threads %d (load %d): %d engine threads, want %d\n", counts[i], i + 1, got, want[i]);
            if (got != want[i]) fflush(stdout), _exit(1);
        }
        fflush(stdout);
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st)) fail_msg("n_threads 0 did not give OpenBLAS's count (see above)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_threads_is_openblas_choice), /* first: before this process loads */
        cmocka_unit_test(test_thread_counts_agree),
        cmocka_unit_test(test_cross_cache),
        cmocka_unit_test(test_beam_search_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
