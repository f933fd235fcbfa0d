/* make bench: where the engine's time goes, per stage, against what this machine can do.
 * For each model and each thread count: the sgemm peaks on the encoder's shapes (measured here,
 * now) of oneDNN, which the engine's products go through, and of OpenBLAS's cblas_sgemm, then per clip the mel, conv stem, each encoder layer, the encoder, cross K/V, one
 * decoder step (cross-attention kept), the logits projection, a greedy and a beam-5 decode of
 * up to 24 tokens; median [min, max] over the clips, GFLOP/s and the share of oneDNN's peak;
 * then the whole lab (`lab`) over the 24 + 5 clips (its time and its own peak RSS) and the
 * bench's peak RSS. Each model runs in a child process so its RSS is its own. With --hf, HF
 * transformers does the same clips (features, encoder, a 24-token greedy generate) in the same
 * run and the ratios are printed.
 * Figures, not a test. Usage:
 *   bench --model DIR [--model DIR ...] [--threads 1,2] [--clips N] [--json FILE] [--hf PYTHON]
 *         [--lab PATH] [--history FILE] [--clock wall|cpu]
 * --history appends the run's record (bench_record.h) to FILE. WL_SGEMM_OPENBLAS=1 and
 * WL_VMATH_LANES=8 (or 16) choose the kernel paths as in the tests; the report names them. */
#include "../../engine/kernels/gemm.h"
#include "../../engine/kernels/kernel_env.h"
#include "../../engine/io/json_file.h"
#include "../../engine/model/model.h"
#include "../../engine/nn/ops.h"
#include "../../engine/base/util.h"
#include "../../engine/kernels/vmath.h"
#include "../../engine/whisperlab.h"
#include "../tools/jsonl_file.h"
#include "bench_record.h"

#include <cblas.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The stages' clock: elapsed time (the default), or with --clock cpu the CPU seconds of the
 * process, all its threads: on a machine shared with other jobs, time spent waiting for a core
 * is then left out (a cache or memory bus shared with them still shows). At more than one
 * thread the pool's waiting counts too. The peaks and the lab run are always elapsed time. */
static clockid_t stage_clock_id = CLOCK_MONOTONIC;

static double stage_now(void)
{
    struct timespec ts;
    clock_gettime(stage_clock_id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- samples of one measured quantity ------------------------------------------------- */
enum { MAX_SAMPLES = 256, MAX_ROWS = 48 };
typedef struct {
    char name[48];
    double flop; /* per sample; 0 when not a matrix-product stage */
    double s[MAX_SAMPLES];
    int n;
} row;

typedef struct {
    row r[MAX_ROWS];
    int n;
} table;

static row *get_row(table *t, const char *name, double flop)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->r[i].name, name)) return &t->r[i];
    row *r = &t->r[t->n < MAX_ROWS ? t->n++ : MAX_ROWS - 1];
    snprintf(r->name, sizeof r->name, "%s", name);
    r->flop = flop, r->n = 0;
    return r;
}

static void add(table *t, const char *name, double flop, double seconds)
{
    row *r = get_row(t, name, flop);
    if (r->n < MAX_SAMPLES) r->s[r->n++] = seconds;
}

/* ---- the sgemm peaks, measured now ---------------------------------------------------- */
/* GFLOP/s of one M x N x K product on `threads` threads (best of 12): oneDNN's (the library the
 * engine's products go through, on its own OpenMP threads here) or OpenBLAS's cblas_sgemm. */
static double sgemm_gflops(int M, int N, int K, int threads, int onednn)
{
    float *a = calloc((size_t)M * K, 4), *b = calloc((size_t)K * N, 4), *c = calloc((size_t)M * N, 4);
    for (size_t i = 0; i < (size_t)M * K; i++) a[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < (size_t)K * N; i++) b[i] = (float)(i % 5) * 0.1f;
    double best = 1e9;
    for (int rep = 0; rep < 12; rep++) {
        double t0 = now();
        wl_sgemm_own_threads(!onednn, threads, M, N, K, a, b, c);
        double t = now() - t0;
        if (t < best) best = t;
    }
    free(a), free(b), free(c);
    return 2.0 * M * N * K / best / 1e9;
}

/* ---- the memory read rate, measured now: what bounds a generation step ----------------- */
/* GB/s of the engine's one-row product (wl_linear with T = 1: the logits' path) over a matrix
 * of the given size, repeated (best of 6) on the current thread count: how fast a generation
 * step can read its weights when each step reads the same bytes again, with whatever the caches
 * keep between steps. */
static double stream_gbps(double bytes)
{
    enum { N = 4096 };
    const int ROWS = (int)(bytes / (N * sizeof(float))) + 1;
    float *buf = malloc((size_t)N * ROWS * sizeof *buf), *ones = malloc(N * sizeof *ones);
    float *out = malloc(ROWS * sizeof *out);
    if (!buf || !ones || !out) return free(buf), free(ones), free(out), NAN;
    for (size_t i = 0; i < (size_t)N * ROWS; i++) buf[i] = (float)(i % 3);
    for (int i = 0; i < N; i++) ones[i] = 1.0f;
    double best = 1e9;
    for (int rep = 0; rep < 6; rep++) {
        double t0 = now();
        wl_linear(out, ones, (wl_linear_w){buf, NULL}, 1, N, ROWS);
        double t = now() - t0;
        if (t < best) best = t;
    }
    free(buf), free(ones), free(out);
    return (double)N * ROWS * sizeof(float) / best / 1e9;
}

/* Bytes one generation step must read: every decoder weight matrix, the cross K/V of the clip
 * and the tied embedding for the logits (all f32; LayerNorms and biases left out). */
static double step_bytes(const wl_config *c)
{
    double C = c->d_model, F = c->dec_ffn, S = c->n_audio_ctx;
    return 4.0 * (c->dec_layers * (6 * C * C + 2 * C * F + 2 * S * C) + (double)c->n_vocab * C);
}

/* ---- the encoder's non-product kernels alone ------------------------------------------- */
/* Each on one block of the encoder's own shapes, repeated so that a sample is well above the
 * clock's grain: softmax over 48 query rows of scores (its attention block), GELU over 96 rows
 * of the feed-forward's hidden layer (its row block), LayerNorm over 96 rows. A slowdown in one
 * of them is a few percent of a layer, under what bench-compare calls a change there, but all of
 * its own row. The inputs come from the clip's encoder output (unit scale after the final norm),
 * so GELU sees values of both signs, as in a trained model. */
enum { KERNEL_REPEATS = 40 };

static void time_kernels(table *t, const wl_model *m, const float *enc, float *buf)
{
    const wl_config *c = &m->c;
    const int T = c->n_audio_ctx, C = c->d_model, F = c->enc_ffn;
    const int64_t TC = (int64_t)T * C, ns = (int64_t)48 * T, ng = (int64_t)96 * F;
    double softmax = 0, gelu = 0, layernorm = 0, a;
    for (int r = 0; r < KERNEL_REPEATS; r++) { /* each input laid out anew, outside the clock */
        for (int64_t i = 0; i < ns; i++) buf[i] = 8.0f * enc[i % TC]; /* scores of a few units */
        a = stage_now(), wl_softmax_rows(buf, T, 48, T), softmax += stage_now() - a;
        for (int64_t i = 0; i < ng; i++) buf[i] = enc[i % TC];
        a = stage_now(), wl_gelu(buf, ng), gelu += stage_now() - a;
        const float *rows = enc + (int64_t)(r % 8) * C;
        a = stage_now(), wl_layernorm(buf, rows, m->w.enc_ln, 96, C), layernorm += stage_now() - a;
    }
    add(t, "kernel: softmax 48 rows", 0, softmax);
    add(t, "kernel: GELU 96 rows", 0, gelu);
    add(t, "kernel: LayerNorm 96 rows", 0, layernorm);
}

/* ---- stage timing through the engine's stage callback --------------------------------- */
typedef struct {
    int on;
    double last;
    table *t;
    const wl_config *c;
} stage_clock;

static void on_stage(void *user, const char *stage, const float *data, int ndim, const int64_t *shape)
{
    (void)data, (void)ndim, (void)shape;
    stage_clock *k = user;
    if (!k->on) return;
    double t = stage_now(), dt = t - k->last;
    const wl_config *c = k->c;
    double T = c->n_audio_ctx, C = c->d_model, F = c->enc_ffn, NF = c->n_frames;
    if (!strcmp(stage, "conv1")) add(k->t, "conv1", 2 * C * NF * c->n_mels * 3, dt);
    else if (!strcmp(stage, "conv2")) add(k->t, "conv2", 2 * C * T * C * 3, dt);
    else if (!strncmp(stage, "enc.layer.", 10)) {
        char name[48];
        snprintf(name, sizeof name, "encoder layer %s", stage + 10);
        add(k->t, name, 8 * T * C * C + 4 * T * C * F + 4 * T * T * C, dt);
    } else if (!strcmp(stage, "enc.embed")) add(k->t, "positions", 0, dt);
    else if (!strcmp(stage, "enc.out")) add(k->t, "final norm", 0, dt);
    k->last = t;
}

static double encoder_flop(const wl_config *c)
{
    double T = c->n_audio_ctx, C = c->d_model, F = c->enc_ffn, NF = c->n_frames;
    return 2 * C * NF * c->n_mels * 3 + 2 * C * T * C * 3 + c->enc_layers * (8 * T * C * C + 4 * T * C * F + 4 * T * T * C);
}

/* One model at one thread count, over n_clips lab clips. */
static int bench_model(const char *dir, int threads, int n_clips, table *t, double *bytes_per_step, char *err,
                       size_t errlen)
{
    static stage_clock clock;
    wl_params p = wl_default_params();
    p.n_threads = threads;
    wl_model *m;
    wl_state *ms;
    if (wl_model_load(dir, p, &m, err, errlen)) return -1;
    if (wl_state_new(m, on_stage, &clock, &ms, err, errlen)) return wl_model_free(m), -1;
    wl_gen_config cfg;
    if (wl_gen_config_load(dir, &cfg, err, errlen)) return wl_state_free(ms), wl_model_free(m), -1;
    const wl_config *c = &m->c;
    clock = (stage_clock){0, 0, t, c};
    *bytes_per_step = step_bytes(c);
    wl_dims d = wl_model_dims(m);
    float *mel = malloc((size_t)d.n_mels * d.n_frames * 4), *enc = malloc((size_t)d.n_audio_ctx * d.d_model * 4);
    float *logits = malloc((size_t)d.n_vocab * 4), *hidden = calloc((size_t)d.d_model, 4);
    const size_t scores = (size_t)48 * c->n_audio_ctx, hidden_rows = (size_t)96 * c->enc_ffn;
    float *kernel_buf = malloc((scores > hidden_rows ? scores : hidden_rows) * sizeof(float));
    for (int i = 0; i < d.d_model; i++) hidden[i] = (float)(i % 13) * 0.01f;
    for (int k = 0; k < n_clips; k++) {
        char wav[64];
        snprintf(wav, sizeof wav, "data/audio/clip_%02d.wav", k % 24 + 1);
        float *s;
        size_t n;
        if (wl_audio_load(wav, (size_t)d.n_samples, &s, &n, err, errlen)) return -1;
        double t0 = stage_now();
        wl_mel(ms, s, n, mel, err, errlen);
        double t1 = stage_now();
        clock.on = 1, clock.last = t1;
        wl_encode(ms, mel, enc, err, errlen);
        clock.on = 0;
        double t2 = stage_now();
        add(t, "mel", 0, t1 - t0);
        add(t, "encoder", encoder_flop(c), t2 - t1);
        wl_decoder *dec;
        wl_decoder_new(ms, enc, &dec, err, errlen);
        double t3 = stage_now();
        add(t, "cross K/V", c->dec_layers * 2 * 2.0 * d.n_audio_ctx * d.d_model * d.d_model, t3 - t2);
        if (kernel_buf) time_kernels(t, m, enc, kernel_buf);
        /* the prompt, then 24 single-token steps (KV cache, cross-attention kept) */
        wl_decoder_feed(dec, cfg.prompt, cfg.n_prompt, NULL, err, errlen);
        for (int i = 0; i < 24 && wl_decoder_pos(dec) < d.n_text_ctx; i++) {
            int32_t tok = 200 + 37 * i;
            double a = stage_now();
            wl_decoder_feed(dec, &tok, 1, logits, err, errlen);
            add(t, "decoder step", 0, stage_now() - a);
        }
        wl_decoder_free(dec);
        double a = stage_now(); /* the tied output projection alone, one row */
        wl_linear(logits, hidden, (wl_linear_w){m->w.tok_emb, NULL}, 1, d.d_model, d.n_vocab);
        add(t, "logits projection", 2.0 * d.n_vocab * d.d_model, stage_now() - a);
        for (int beams = 1; beams <= 5; beams += 4) {
            wl_gen_opts o = {.beams = beams, .max_new_tokens = 24, .token_timestamps = cfg.n_alignment_heads > 0,
                             .num_frames = (int)(n / WL_HOP)};
            wl_result *r;
            a = stage_now();
            if (wl_generate(ms, &cfg, enc, &o, &r, err, errlen)) return -1;
            add(t, beams == 1 ? "greedy decode (<=24 tokens)" : "beam-5 decode (<=24 tokens)", 0, stage_now() - a);
            wl_result_free(r);
        }
        free(s);
    }
    free(mel), free(enc), free(logits), free(hidden), free(kernel_buf);
    wl_gen_config_free(&cfg);
    wl_state_free(ms);
    wl_model_free(m);
    return 0;
}

/* The whole lab over the 24 + 5 clips, as `make report` runs it (greedy, timestamps, beam 5,
 * the studies and heatmaps), at most 24 new tokens per decode: its seconds, and its own peak
 * RSS in *rss_mb, as its run.json reports it (wait4's would also count the bench's pages, which
 * the child holds from fork to exec). NAN when it fails. */
static double lab_seconds(const char *lab, const char *dir, int threads, double *rss_mb)
{
    char tmp[] = "/tmp/wl_bench_lab_XXXXXX", out[64], nthreads[16], cmd[4200], err[256];
    *rss_mb = NAN;
    if (!mkdtemp(tmp)) return NAN;
    snprintf(nthreads, sizeof nthreads, "%d", threads);
    snprintf(out, sizeof out, "%s/report", tmp); /* inside, so its lock file goes with the folder */
    char *const argv[] = {(char *)lab, "--model", (char *)dir, "--clips", "data/clips.json", "--audio", "data/audio",
                          "--out", out, "--threads", nthreads, "--max-new-tokens", "24", NULL};
    fflush(NULL); /* else the child would inherit, and write again, what stdout holds unwritten */
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0 && dup2(null, 1) == 1 && dup2(null, 2) == 2) execv(lab, argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    pid_t got = pid > 0 ? wait4(pid, &status, 0, &ru) : -1;
    double t = now() - t0;
    snprintf(cmd, sizeof cmd, "%s/run.json", out);
    cJSON *run = got == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? wl_json_read_object(cmd, err, sizeof err) : NULL;
    const cJSON *rss = cJSON_GetObjectItem(run, "peak_rss_mb");
    if (cJSON_IsNumber(rss) && rss->valuedouble > 0) *rss_mb = rss->valuedouble;
    cJSON_Delete(run);
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd)) {}
    if (got != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return NAN;
    return t;
}

static cJSON *table_json(table *t, double peak, int print)
{
    cJSON *a = cJSON_CreateArray();
    if (print) printf("  %-28s %9s %9s %9s %8s %7s\n", "stage", "median ms", "min", "max", "GFLOP/s", "of peak");
    for (int i = 0; i < t->n; i++) {
        row *r = &t->r[i];
        qsort(r->s, (size_t)r->n, sizeof *r->s, cmp);
        double med = r->s[r->n / 2], gf = r->flop > 0 ? r->flop / med / 1e9 : NAN;
        if (print) {
            printf("  %-28s %9.2f %9.2f %9.2f", r->name, 1e3 * med, 1e3 * r->s[0], 1e3 * r->s[r->n - 1]);
            if (r->flop > 0) printf(" %8.1f %6.0f%%\n", gf, 100 * gf / peak);
            else printf("\n");
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "stage", r->name);
        cJSON_AddNumberToObject(o, "samples", r->n);
        cJSON_AddNumberToObject(o, "median_s", med);
        cJSON_AddNumberToObject(o, "min_s", r->s[0]);
        cJSON_AddNumberToObject(o, "max_s", r->s[r->n - 1]);
        if (r->flop > 0) {
            cJSON_AddNumberToObject(o, "gflop", r->flop / 1e9);
            cJSON_AddNumberToObject(o, "gflops", gf);
            cJSON_AddNumberToObject(o, "fraction_of_sgemm_peak", gf / peak);
        }
        cJSON *samples = cJSON_AddArrayToObject(o, "samples_s");
        for (int k = 0; k < r->n; k++) cJSON_AddItemToArray(samples, bench_record_seconds(r->s[k]));
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

/* HF transformers on the same clips (reports/bench/bench_hf.py), or NULL when it cannot run. */
static cJSON *hf_bench(const char *python, const char *dir, int n_clips, int threads)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s reports/bench/bench_hf.py --model %s --clips %d --threads %d 2>/dev/null", python, dir,
             n_clips, threads);
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = 0;
    int rc = pclose(p);
    cJSON *j = rc == 0 ? cJSON_Parse(buf) : NULL;
    return cJSON_IsObject(j) ? j : (cJSON_Delete(j), NULL);
}

static double hf_median(const cJSON *hf, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(hf, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const row *find(const table *t, const char *name)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->r[i].name, name)) return &t->r[i];
    return NULL;
}

/* The sgemm GFLOP/s of run_model's three shapes into run as {name: {"MxNxK": value}}. */
static void add_gflops(cJSON *run, const char *name, const double *g)
{
    static const char *const SHAPES[3] = {"1500x1536x384", "1500x384x384", "1500x1500x64"};
    cJSON *o = cJSON_AddObjectToObject(run, name);
    for (int s = 0; s < 3; s++) cJSON_AddNumberToObject(o, SHAPES[s], g[s]);
}

/* Everything for one model, printed and returned as JSON (run in a child process). */
static cJSON *run_model(const char *dir, const int *threads, int n_threads, int n_clips, const char *python,
                        const char *lab)
{
    cJSON *o = cJSON_CreateObject(), *runs = cJSON_AddArrayToObject(o, "runs");
    cJSON_AddStringToObject(o, "model", dir);
    char err[1024];
    for (int i = 0; i < n_threads; i++) {
        static const int shapes[3][3] = {{1500, 1536, 384}, {1500, 384, 384}, {1500, 1500, 64}};
        double peak = 0, g[3], blas_peak = 0, gb[3];
        for (int s = 0; s < 3; s++) {
            g[s] = sgemm_gflops(shapes[s][0], shapes[s][1], shapes[s][2], threads[i], 1);
            gb[s] = sgemm_gflops(shapes[s][0], shapes[s][1], shapes[s][2], threads[i], 0);
            if (g[s] > peak) peak = g[s];
            if (gb[s] > blas_peak) blas_peak = gb[s];
        }
        openblas_set_num_threads(threads[i]);
        printf("\n%s, %d thread(s): sgemm GFLOP/s at 1500x1536x384, 1500x384x384, 1500x1500x64:\n"
               "  %s %.0f, %.0f, %.0f (the engine's products: \"of peak\" is of the highest)\n"
               "  OpenBLAS cblas_sgemm %.0f, %.0f, %.0f\n",
               dir, threads[i], wl_sgemm_library(), g[0], g[1], g[2], gb[0], gb[1], gb[2]);
        double bytes = 0;
        static table t;
        memset(&t, 0, sizeof t);
        if (bench_model(dir, threads[i], n_clips, &t, &bytes, err, sizeof err)) {
            fprintf(stderr, "bench: %s\n", err);
            return cJSON_Delete(o), NULL;
        }
        openblas_set_num_threads(threads[i]);
        double gbps = stream_gbps(bytes);
        double lab_rss = NAN, lab_s = lab ? lab_seconds(lab, dir, threads[i], &lab_rss) : NAN;
        cJSON *run = cJSON_CreateObject();
        add_gflops(run, "sgemm_gflops", g);
        cJSON_AddNumberToObject(run, "threads", threads[i]);
        cJSON_AddNumberToObject(run, "sgemm_peak_gflops", peak);
        add_gflops(run, "openblas_sgemm_gflops", gb);
        cJSON_AddNumberToObject(run, "openblas_sgemm_peak_gflops", blas_peak);
        cJSON_AddItemToObject(run, "stages", table_json(&t, peak, 1));
        printf("  memory: a decoder step reads %.1f MB (weights, cross K/V, embedding); the few-row kernel\n"
               "    reads a buffer that size in %.2f ms (%.1f GB/s): the step's memory-bound time\n", bytes / 1e6,
               1e3 * bytes / 1e9 / gbps, gbps);
        cJSON_AddNumberToObject(run, "memory_read_gbps", gbps);
        cJSON_AddNumberToObject(run, "decoder_step_bytes", bytes);
        cJSON_AddNumberToObject(run, "decoder_step_read_s", bytes / 1e9 / gbps);
        if (lab) {
            printf("  %-28s %9.0f ms (24 + 5 clips, <= 24 new tokens per decode; its peak RSS %.0f MB)\n",
                   "whole lab run", 1e3 * lab_s, lab_rss);
            cJSON_AddNumberToObject(run, "lab_run_s", lab_s);
            cJSON_AddNumberToObject(run, "lab_peak_rss_mb", lab_rss);
        }
        cJSON *hf = python ? hf_bench(python, dir, n_clips, threads[i]) : NULL;
        if (hf) {
            const char *keys[][2] = {{"features", "mel"}, {"encoder", "encoder"}, {"generate_24", "greedy decode (<=24 tokens)"}};
            printf("  HF transformers %s (eager, %d torch thread(s)), median ms and HF / whisperlab:\n",
                   cJSON_GetStringValue(cJSON_GetObjectItem(hf, "version")), threads[i]);
            for (int k = 0; k < 3; k++) {
                const row *r = find(&t, keys[k][1]);
                double h = hf_median(hf, keys[k][0]), me = r ? r->s[r->n / 2] : NAN;
                printf("    %-26s HF %9.2f   whisperlab %9.2f   x%.1f\n", keys[k][0], 1e3 * h, 1e3 * me, h / me);
            }
            cJSON_AddItemToObject(run, "hf", hf);
        } else if (python) {
            printf("  HF transformers: not importable with %s: skipped\n", python);
        }
        cJSON_AddItemToArray(runs, run);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  peak RSS of this model's benchmark: %.0f MB\n", ru.ru_maxrss / 1024.0);
    cJSON_AddNumberToObject(o, "peak_rss_mb", ru.ru_maxrss / 1024.0);
    return o;
}

static void machine(cJSON *root)
{
    char line[512], cpu[256] = "unknown", cmd[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(cpu, sizeof cpu, "%s", strchr(line, ':') + 2);
            cpu[strcspn(cpu, "\n")] = 0;
            break;
        }
    if (f) fclose(f);
    cJSON *m = cJSON_AddObjectToObject(root, "machine");
    cJSON_AddStringToObject(m, "cpu", cpu);
    cJSON_AddNumberToObject(m, "cores", (double)sysconf(_SC_NPROCESSORS_ONLN));
    cJSON_AddStringToObject(m, "openblas", openblas_get_config());
    cJSON_AddStringToObject(m, "sgemm", wl_sgemm_library());
    cJSON_AddNumberToObject(m, "vector_lanes", wl_vmath_lanes());
    FILE *p = popen("git rev-parse HEAD 2>/dev/null", "r");
    snprintf(cmd, sizeof cmd, "%s", "");
    if (p && fgets(cmd, sizeof cmd, p)) cmd[strcspn(cmd, "\n")] = 0;
    if (p) pclose(p);
    cJSON_AddStringToObject(root, "git_commit", cmd);
    /* Changes to tracked files make the commit an incomplete name of what was measured. */
    p = popen("git status --porcelain --untracked-files=no 2>/dev/null", "r");
    int dirty = p && fgets(line, sizeof line, p) != NULL;
    if (p) pclose(p);
    cJSON_AddBoolToObject(root, "git_dirty", dirty);
    cJSON_AddStringToObject(root, "engine_version", WL_VERSION);
    printf("whisperlab bench %s (%s%s): %s, %ld cores, %s, %s, vector kernels at %d lanes\n", WL_VERSION, cmd,
           dirty ? ", with uncommitted changes" : "", cpu, sysconf(_SC_NPROCESSORS_ONLN), wl_sgemm_library(),
           openblas_get_config(), wl_vmath_lanes());
    /* The kernels OpenBLAS runs decide the peak: the environment may pin older ones than the CPU's. */
    const char *core = getenv("OPENBLAS_CORETYPE");
    cJSON_AddStringToObject(m, "openblas_core", openblas_get_corename());
    if (core && *core) {
        cJSON_AddStringToObject(m, "openblas_coretype_env", core);
        printf("OPENBLAS_CORETYPE=%s: OpenBLAS runs its %s kernels whatever this CPU has, and its peaks "
               "below are theirs\n", core, openblas_get_corename());
    }
}

static const char USAGE[] = "usage: bench --model DIR [--model DIR ...] [--threads 1,2] [--clips N] [--json FILE] "
                            "[--hf PYTHON] [--lab PATH] [--history FILE] [--clock wall|cpu]\n";

static int is_option(const char *k)
{
    static const char *const names[] = {"--model", "--json", "--hf", "--lab", "--clips", "--threads", "--history", "--clock"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(k, names[i])) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *models[8], *json = "build/bench.json", *python = NULL, *lab = NULL, *history = NULL;
    int n_models = 0, threads[8] = {1, 2}, n_threads = 2, n_clips = 24;
    wl_tune_malloc();
    for (int i = 1; i < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--help")) return fputs(USAGE, stdout), 0;
        if (!is_option(k))
            return fprintf(stderr, "bench: unknown option '%s' (--help lists them)\n", k), 2;
        if (i + 1 == argc) return fprintf(stderr, "bench: option '%s' needs a value\n", k), 2;
        if (!strcmp(k, "--model")) {
            if (n_models == 8) return fprintf(stderr, "bench: at most 8 --model\n"), 2;
            models[n_models++] = v;
        } else if (!strcmp(k, "--json")) json = v;
        else if (!strcmp(k, "--hf")) python = v;
        else if (!strcmp(k, "--lab")) lab = v;
        else if (!strcmp(k, "--history")) history = v;
        else if (!strcmp(k, "--clock")) {
            if (strcmp(v, "wall") && strcmp(v, "cpu"))
                return fprintf(stderr, "bench: --clock '%s': wall or cpu\n", v), 2;
            stage_clock_id = strcmp(v, "cpu") ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID;
        }
        else if (!strcmp(k, "--clips")) {
            if (!wl_parse_whole(v, 1, MAX_SAMPLES / 24 * 24, &n_clips))
                return fprintf(stderr, "bench: --clips '%s': not a whole number from 1 to %d\n", v,
                               MAX_SAMPLES / 24 * 24), 2;
        } else if (!strcmp(k, "--threads")) {
            n_threads = 0;
            char list[256];
            snprintf(list, sizeof list, "%s", v);
            for (char *s = strtok(list, ","); s; s = strtok(NULL, ","))
                if (n_threads == 8 || !wl_parse_whole(s, 1, 64, &threads[n_threads++]))
                    return fprintf(stderr, "bench: --threads '%s': up to 8 counts from 1 to 64, comma-separated\n",
                                   v), 2;
            if (!n_threads) return fprintf(stderr, "bench: --threads '%s': no thread count\n", v), 2;
        }
    }
    if (!n_models) models[n_models++] = "build/whisper-tiny.en-synthetic";
    char err[256];
    if (wl_kernels_from_env(err, sizeof err)) return fprintf(stderr, "bench: %s\n", err), 2;
    cJSON *root = cJSON_CreateObject(), *all = cJSON_CreateArray();
    machine(root);
    cJSON_AddStringToObject(root, "stage_clock", stage_clock_id == CLOCK_MONOTONIC ? "wall" : "cpu");
    if (stage_clock_id != CLOCK_MONOTONIC) printf("stages timed in CPU seconds of the process (--clock cpu)\n");
    fflush(stdout);
    for (int i = 0; i < n_models; i++) {
        char part[64];
        snprintf(part, sizeof part, "/tmp/wl_bench_%d_%d.json", (int)getpid(), i);
        pid_t pid = fork();
        if (pid < 0) return fprintf(stderr, "bench: fork: %s\n", strerror(errno)), 1;
        if (pid == 0) { /* a child per model: its own peak RSS */
            cJSON *o = run_model(models[i], threads, n_threads, n_clips, python, lab);
            char *s = o ? cJSON_Print(o) : NULL;
            FILE *f = s ? fopen(part, "w") : NULL;
            int ok = f && fputs(s, f) >= 0;
            if (f && fclose(f)) ok = 0;
            if (o && !ok) fprintf(stderr, "bench: %s: cannot write\n", part);
            fflush(stdout);
            _exit(ok ? 0 : 1);
        }
        int st;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st)) return remove(part), 1; /* the child said why */
        FILE *f = fopen(part, "r");
        char *buf = malloc(1 << 20);
        size_t n = f ? fread(buf, 1, (1 << 20) - 1, f) : 0;
        buf[n] = 0;
        if (f) fclose(f);
        remove(part);
        cJSON *o = cJSON_Parse(buf);
        free(buf);
        if (!o) return fprintf(stderr, "bench: %s failed\n", models[i]), 1;
        cJSON_AddItemToArray(all, o);
    }
    cJSON_AddItemToObject(root, "models", all);
    char *s = cJSON_Print(root);
    FILE *f = fopen(json, "w");
    if (!f || fputs(s, f) < 0 || fclose(f)) return fprintf(stderr, "bench: %s: cannot write\n", json), 1;
    printf("\nbench: %s\n", json);
    free(s);
    if (history) {
        char err[1024];
        cJSON *record = bench_record_of_bench(root, n_clips, err, sizeof err);
        if (!record || jsonl_append(history, record, err, sizeof err))
            return fprintf(stderr, "bench: %s\n", err), cJSON_Delete(record), cJSON_Delete(root), 1;
        printf("bench: its record appended to %s\n", history);
        cJSON_Delete(record);
    }
    cJSON_Delete(root);
    return 0;
}
