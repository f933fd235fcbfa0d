/* Threads change speed, never results; nor does the model's cache of a clip's cross K/V.
 *
 * The encoder splits time steps over threads, longer products split rows or columns, the decoder
 * splits heads and a step's rows; each split must give the one-thread result, and a fixed thread
 * count must give the same bits on every run. 3 threads on any machine make an uneven split
 * (1500 = 500 x 3 rows, 6 heads = 2 x 3), so a boundary bug shows even on 2 cores.
 * Expected difference between thread counts: none. No sum is split across threads, and every
 * product call's shape is fixed by where its block lies (a library may give a row other bits in
 * a call of another shape: oneDNN's AVX2 sgemm did, at whisper-micro.en's widths).
 *
 * The promise holds for every kernel path the engine can take, so the check runs once per path
 * this CPU can run, each in a child process (oneDNN and OpenBLAS choose their kernels once per
 * process): oneDNN at its own ISA and capped (DNNL_MAX_CPU_ISA) at each lower one, OpenBLAS
 * (wl_sgemm_use_openblas) at its own core and forced (OPENBLAS_CORETYPE) to each lower one, and
 * the vector kernels at eight lanes where the CPU would take 16. Both local models: the
 * synthetic tiny.en (384 wide) and whisper-micro.en (128 wide). */
#include "cli_run.h"
#include "encode.h"
#include "fatal_signal.h"
#include "kernel_paths.h"
#include "../engine/kernels/gemm.h"
#include "../engine/nn/ops.h"
#include "../engine/kernels/parallel.h"
#include "../engine/kernels/vmath.h"
#include "../engine/whisperlab.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define SYNTH "build/whisper-tiny.en-synthetic"
#define MICRO "build/whisper-micro.en"

static char err[1024];

typedef struct {
    float *enc, *logits, *xattn, *long_logits;
    size_t n_enc, n_logits, n_xattn, n_long;
    int n_feed, threads_used;
} run_out;

/* A teacher-forced feed of LONG tokens in one call (at most the model's positions: 64 in
 * whisper-micro.en): its products take sgemm, split over the threads in blocks of columns, as
 * the feed is narrower than the model. Products split in blocks of rows are products_agree's. */
enum { LONG = 160 };

/* One clip through the encoder, then a 4-token prompt and 3 single-token steps with
 * cross-attention kept, then the LONG-token feed. */
static run_out run(const char *model, int threads, const char *wav)
{
    wl_params p = wl_default_params();
    p.n_threads = threads;
    wl_model *m;
    wl_state *ms = NULL;
    if (wl_model_load(model, p, &m, err, sizeof err) || wl_state_new(m, NULL, NULL, &ms, err, sizeof err)) fail_msg("%s", err);
    wl_dims d = wl_model_dims(m);
    run_out r = {.threads_used = wl_threads()};
    r.enc = t_encode(ms, wav, NULL, err, sizeof err);
    if (!r.enc) fail_msg("%s", err);
    r.n_enc = (size_t)d.n_audio_ctx * d.d_model;
    wl_decoder *dec;
    if (wl_decoder_new(ms, r.enc, &dec, err, sizeof err)) fail_msg("%s", err);
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
    r.n_feed = LONG < d.n_text_ctx ? LONG : d.n_text_ctx;
    int32_t *seq = malloc((size_t)r.n_feed * sizeof *seq);
    for (int i = 0; i < r.n_feed; i++) seq[i] = i < 4 ? prompt[i] : 257 + (131 * i) % 50000;
    r.n_long = (size_t)r.n_feed * d.n_vocab;
    r.long_logits = malloc(r.n_long * sizeof(float));
    wl_decoder_reset(dec);
    if (wl_decoder_feed(dec, seq, r.n_feed, r.long_logits, err, sizeof err)) fail_msg("%s", err);
    free(seq);
    wl_decoder_free(dec);
    wl_state_free(ms);
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

/* Prints one row of the table and fails on the first difference. */
static void expect_same(const run_out *a, const run_out *b, const char *what)
{
    long e = first_diff(a->enc, b->enc, a->n_enc), l = first_diff(a->logits, b->logits, a->n_logits);
    long x = first_diff(a->xattn, b->xattn, a->n_xattn), g = first_diff(a->long_logits, b->long_logits, a->n_long);
    printf("  %-30s encoder %s, logits %s, cross-attention %s, %d-token feed %s\n", what, e < 0 ? "identical" : "DIFFERS",
           l < 0 ? "identical" : "DIFFERS", x < 0 ? "identical" : "DIFFERS", a->n_feed, g < 0 ? "identical" : "DIFFERS");
    if (e >= 0) fail_msg("%s: encoder output element %ld: %.9g vs %.9g", what, e, a->enc[e], b->enc[e]);
    if (l >= 0) fail_msg("%s: logit %ld: %.9g vs %.9g", what, l, a->logits[l], b->logits[l]);
    if (x >= 0) fail_msg("%s: cross-attention %ld: %.9g vs %.9g", what, x, a->xattn[x], b->xattn[x]);
    if (g >= 0) fail_msg("%s: %d-token feed, logit %ld: %.9g vs %.9g", what, a->n_feed, g, a->long_logits[g], b->long_logits[g]);
}

/* 2 and 3 threads against 1, on one model, on the kernel path this process runs; on the first
 * path also 2 again and 0 (the process's choice: each child is started with
 * OPENBLAS_NUM_THREADS=3). */
static void thread_counts_agree(const char *model, const char *wav, int first_path)
{
    printf("%s, %s:\n", model, wav);
    run_out one = run(model, 1, wav);
    const int counts[4] = {2, 3, 2, 0};
    const char *what[4] = {"1 thread vs 2:", "1 thread vs 3 (uneven split):", "1 thread vs 2 (again):",
                           "1 thread vs 0 (OpenBLAS's choice):"};
    for (int i = 0; i < (first_path ? 4 : 2); i++) {
        run_out r = run(model, counts[i], wav);
        /* OpenBLAS's rule: OPENBLAS_NUM_THREADS (3 in this child), at most the cores it may use */
        cpu_set_t set;
        int cores = sched_getaffinity(0, sizeof set, &set) ? 3 : CPU_COUNT(&set), want = cores < 3 ? cores : 3;
        if (!counts[i] && r.threads_used != want)
            fail_msg("n_threads 0 gave %d thread(s), not OpenBLAS's choice (%d: OPENBLAS_NUM_THREADS=3, %d cores)",
                     r.threads_used, want, cores);
        expect_same(&one, &r, what[i]);
        free_run(&r);
    }
    free_run(&one);
}


/* Products of shapes the local models' decoders never reach (a feed of at least the width's rows
 * takes sgemm in blocks of rows; whisper-micro.en's 64 positions never do) and of the real
 * tiny.en's widths, at 1, 2 and 3 threads: out = x W^T + b, x [T, IN], W [OUT, IN]. */
static void products_agree(void)
{
    static const int shape[][3] = {{448, 384, 384}, {500, 128, 128}, {1500, 128, 512}, {100, 384, 1536}, {37, 1536, 384}};
    for (size_t s = 0; s < sizeof shape / sizeof *shape; s++) {
        const int T = shape[s][0], IN = shape[s][1], OUT = shape[s][2];
        float *x = malloc(sizeof(float) * T * IN), *w = malloc(sizeof(float) * OUT * IN), *b = malloc(sizeof(float) * OUT);
        float *out[3];
        uint32_t u = 12345;
        for (int i = 0; i < T * IN; i++) x[i] = (float)((u = u * 1664525u + 1013904223u) >> 8) / (1 << 24) - 0.5f;
        for (int i = 0; i < OUT * IN; i++) w[i] = (float)((u = u * 1664525u + 1013904223u) >> 8) / (1 << 24) - 0.5f;
        for (int i = 0; i < OUT; i++) b[i] = (float)i / OUT;
        for (int t = 0; t < 3; t++) {
            out[t] = malloc(sizeof(float) * T * OUT);
            wl_parallel_set_threads(t + 1);
            wl_linear(out[t], x, (wl_linear_w){w, b}, T, IN, OUT);
        }
        long d2 = first_diff(out[0], out[1], (size_t)T * OUT), d3 = first_diff(out[0], out[2], (size_t)T * OUT);
        printf("  product %4d x %4d -> %4d: 1 thread vs 2 %s, vs 3 %s\n", T, IN, OUT, d2 < 0 ? "identical" : "DIFFERS",
               d3 < 0 ? "identical" : "DIFFERS");
        if (d2 >= 0 || d3 >= 0) fail_msg("product %d x %d -> %d: element %ld differs between thread counts", T, IN, OUT, d2 >= 0 ? d2 : d3);
        free(x), free(w), free(b), free(out[0]), free(out[1]), free(out[2]);
    }
}

/* --- the kernel paths: one child process each --- */

/* Runs this binary again as a child on path p: its exit status. */
static int run_child(const char *self, const t_kernel_path *p, int first)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (!pid) {
        t_kernel_path_export(p);
        setenv("WL_KERNEL_PATH", p->label, 1);
        setenv("WL_KERNEL_FIRST", first ? "1" : "0", 1);
        setenv("OPENBLAS_NUM_THREADS", "3", 1);
        execl(self, self, (char *)NULL);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_every_kernel_path(void **state)
{
    (void)state;
    t_kernel_path p[16];
    int n = t_kernel_paths(p, 16), failed = 0, rc[16];
    for (int k = 0; k < n; k++) {
        printf("\n== kernel path %d of %d: %s ==\n", k + 1, n, p[k].label);
        rc[k] = run_child("/proc/self/exe", &p[k], k == 0);
        failed += rc[k] != 0;
    }
    printf("\nthread counts 1, 2, 3, 0 on every kernel path this CPU runs (%s):\n", wl_vmath_lanes() == 16 ?
           "AVX-512: its paths and every lower one" : "no AVX-512: AVX-512 kernels and 16-lane vector kernels NOT run here");
    for (int k = 0; k < n; k++) printf("  %-44s %s\n", p[k].label, rc[k] ? "DIFFERS or failed" : "identical bits");
    if (failed) fail_msg("%d of %d kernel paths give other bits at another thread count", failed, n);
}

/* A child: the path's engine switches, checked, then the thread counts on both models. */
static void test_path_in_child(void **state)
{
    (void)state;
    t_exit_on_fatal_signal();
    printf("%s\n", getenv("WL_KERNEL_PATH"));
    if (t_kernel_path_take(err, sizeof err)) fail_msg("%s", err);
    int first = !strcmp(getenv("WL_KERNEL_FIRST"), "1");
    products_agree();
    thread_counts_agree(SYNTH, "data/audio/clip_07.wav", first);
    thread_counts_agree(MICRO, "data/audio/clip_12.wav", first);
}

/* The whisperlab command ($WL_CLI) on whisper-micro.en, the default model, at 1, 2 and 3 threads:
 * every stage dump and the JSON of a timestamped beam search, byte for byte. */
static void test_commands_agree(void **state)
{
    (void)state;
    char dir[] = "/tmp/wl-threads-XXXXXX", cmd[1024], file[2][96];
    if (!mkdtemp(dir)) fail_msg("mkdtemp failed");
    const char *what[2] = {"dump (every stage)", "transcribe --json --timestamps --beams 3"};
    for (int t = 1; t <= 3; t++)
        for (int k = 0; k < 2; k++) {
            snprintf(file[k], sizeof file[k], "%s/%s.%d", dir, k ? "json" : "st", t);
            if (k) snprintf(cmd, sizeof cmd, "%s transcribe --model " MICRO " --json --timestamps --beams 3 --threads %d "
                            "data/audio/clip_06.wav > %s 2>/dev/null", t_cli_path(), t, file[k]);
            else snprintf(cmd, sizeof cmd, "%s dump --model " MICRO " --audio data/audio/clip_06.wav --out %s "
                          "--threads %d > /dev/null 2>&1", t_cli_path(), file[k], t);
            if (system(cmd)) fail_msg("failed: %s", cmd);
        }
    for (int k = 0; k < 2; k++)
        for (int t = 2; t <= 3; t++) {
            snprintf(cmd, sizeof cmd, "cmp -s %s/%s.1 %s/%s.%d", dir, k ? "json" : "st", dir, k ? "json" : "st", t);
            int same = system(cmd) == 0;
            printf("whisperlab %s, 1 thread vs %d: %s\n", what[k], t, same ? "identical bytes" : "DIFFERS");
            if (!same) fail_msg("whisperlab %s gives other bytes at %d threads than at 1", what[k], t);
        }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) fail_msg("cannot remove %s", dir);
}

/* The prompt's logits of a fresh decoder for enc. */
static float *prompt_logits(wl_state *s, const float *enc, wl_decoder **keep)
{
    wl_dims d = wl_model_dims(wl_state_model(s));
    const int32_t prompt[4] = {50257, 50362, 400, 1110};
    float *logits = malloc((size_t)4 * d.n_vocab * sizeof *logits);
    wl_decoder *dec;
    if (wl_decoder_new(s, enc, &dec, err, sizeof err) || wl_decoder_feed(dec, prompt, 4, logits, err, sizeof err))
        fail_msg("%s", err);
    if (keep) *keep = dec;
    else wl_decoder_free(dec);
    return logits;
}

/* The prompt's logits of decoder dec fed again from the start. */
static float *refeed(wl_state *s, wl_decoder *dec)
{
    const int32_t prompt[4] = {50257, 50362, 400, 1110};
    float *logits = malloc((size_t)4 * wl_model_dims(wl_state_model(s)).n_vocab * sizeof *logits);
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
    t_exit_on_fatal_signal();
    wl_params p = wl_default_params();
    p.n_threads = 2;
    wl_model *m;
    wl_state *ms = NULL;
    if (wl_model_load(SYNTH, p, &m, err, sizeof err) || wl_state_new(m, NULL, NULL, &ms, err, sizeof err)) fail_msg("%s", err);
    size_t n = (size_t)4 * wl_model_dims(m).n_vocab;
    const char *wavs[3] = {"data/audio/clip_03.wav", "data/audio/clip_11.wav", "data/audio/clip_17.wav"};
    float *a, *b, *c, *enc[3], *ref[3];
    for (int i = 0; i < 3; i++) {
        wl_model *fresh;
        wl_state *fresh_s = NULL;
        if (!(enc[i] = t_encode(ms, wavs[i], NULL, err, sizeof err))) fail_msg("%s", err);
        if (wl_model_load(SYNTH, p, &fresh, err, sizeof err) || wl_state_new(fresh, NULL, NULL, &fresh_s, err, sizeof err)) fail_msg("%s", err);
        ref[i] = prompt_logits(fresh_s, enc[i], NULL);
        wl_state_free(fresh_s);
        wl_model_free(fresh);
    }
    a = enc[0], b = enc[1], c = enc[2];
    wl_decoder *dec_a, *held_a, *held_b;
    expect_fresh(prompt_logits(ms, a, &dec_a), ref[0], n, "a (computed)");
    if (wl_decoder_fork(dec_a, &held_a, err, sizeof err)) fail_msg("%s", err);
    wl_decoder_free(dec_a); /* its fork alone keeps a's K/V in use */
    expect_fresh(prompt_logits(ms, b, &held_b), ref[1], n, "b (computed beside a)");
    expect_fresh(prompt_logits(ms, c, NULL), ref[2], n, "c (a and b in use: its own)");
    expect_fresh(refeed(ms, held_a), ref[0], n, "a (its live fork again)");
    expect_fresh(refeed(ms, held_b), ref[1], n, "b (its live decoder again)");
    expect_fresh(prompt_logits(ms, a, NULL), ref[0], n, "a (cache hit)");
    wl_decoder_free(held_a), wl_decoder_free(held_b);
    expect_fresh(prompt_logits(ms, c, NULL), ref[2], n, "c (recomputed)");
    expect_fresh(prompt_logits(ms, b, NULL), ref[1], n, "b (hit or recomputed)");
    expect_fresh(prompt_logits(ms, a, NULL), ref[0], n, "a (hit or recomputed)");
    expect_fresh(prompt_logits(ms, c, NULL), ref[2], n, "c (hit or recomputed)");
    /* The slots' K/V share the model's workspace with the encoder: an encode while a decoder
     * reads a slot must leave it alone (the encoder takes its own buffer), one after them all
     * are freed takes it over, and the slots' clips are computed again. Each encode's output
     * stays that of a fresh model's. */
    size_t n_enc = (size_t)wl_model_dims(m).n_audio_ctx * wl_model_dims(m).d_model;
    const char *encodes[2] = {"encode beside a live decoder", "encode after all are freed"};
    for (int k = 0; k < 2; k++) {
        wl_decoder *live = NULL;
        expect_fresh(prompt_logits(ms, a, &live), ref[0], n, "a (before an encode)");
        if (k) wl_decoder_free(live), live = NULL;
        float *again = t_encode(ms, wavs[1], NULL, err, sizeof err);
        if (!again) fail_msg("%s", err);
        long e = first_diff(again, b, n_enc);
        printf("cross K/V cache: %-30s %s\n", encodes[k], e < 0 ? "the same encoder output" : "DIFFERS");
        if (e >= 0) fail_msg("%s: encoder output %ld differs", encodes[k], e);
        free(again);
        if (live) expect_fresh(refeed(ms, live), ref[0], n, "a (live across the encode)");
        wl_decoder_free(live);
        expect_fresh(prompt_logits(ms, a, NULL), ref[0], n, "a (after the encode)");
        expect_fresh(prompt_logits(ms, c, NULL), ref[2], n, "c (after the encode)");
    }
    for (int i = 0; i < 3; i++) free(enc[i]), free(ref[i]);
    wl_state_free(ms);
    wl_model_free(m);
}

/* Beam search (5 beams: a thread takes 2 or 3 beams' rows per step) at 1 and 2 threads. */
static void test_beam_search_threads(void **state)
{
    (void)state;
    t_exit_on_fatal_signal();
    wl_result *r[2];
    for (int i = 0; i < 2; i++) {
        wl_params p = wl_default_params();
        p.n_threads = i + 1;
        wl_model *m;
        wl_state *ms = NULL;
        wl_gen_config cfg;
        if (wl_model_load(SYNTH, p, &m, err, sizeof err) || wl_state_new(m, NULL, NULL, &ms, err, sizeof err) || wl_gen_config_load(SYNTH, &cfg, err, sizeof err))
            fail_msg("%s", err);
        float *enc = t_encode(ms, "data/audio/clip_05.wav", NULL, err, sizeof err);
        wl_gen_opts o = {.beams = 5, .max_new_tokens = 8};
        if (!enc || wl_generate(ms, &cfg, enc, &o, &r[i], err, sizeof err)) fail_msg("%s", err);
        free(enc);
        wl_gen_config_free(&cfg);
        wl_state_free(ms);
        wl_model_free(m);
    }
    int same = r[0]->n_tokens == r[1]->n_tokens && !memcmp(r[0]->tokens, r[1]->tokens, r[0]->n_tokens * sizeof(int32_t)) &&
               !memcmp(&r[0]->score, &r[1]->score, sizeof r[0]->score);
    for (int t = 0; same && t < r[0]->n_steps; t++) same = !memcmp(&r[0]->steps[t], &r[1]->steps[t], sizeof r[0]->steps[t]);
    printf("beam search, 5 beams, 1 thread vs 2: %s\n", same ? "identical tokens, scores and steps" : "DIFFERS");
    if (!same) fail_msg("beam search differs between 1 and 2 threads");
    wl_result_free(r[0]), wl_result_free(r[1]);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--list-paths")) return t_kernel_paths_list(), 0;
    if (getenv("WL_KERNEL_PATH")) {
        const struct CMUnitTest child[] = {cmocka_unit_test(test_path_in_child)};
        return cmocka_run_group_tests(child, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kernel_path),
        cmocka_unit_test(test_commands_agree),
        cmocka_unit_test(test_cross_cache),
        cmocka_unit_test(test_beam_search_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
