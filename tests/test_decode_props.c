/* Decoding properties that need no golden file (openai/whisper's style):
 * - DTW recovers a planted monotone path, and token timestamps recover a planted alignment;
 * - token timestamps lie inside the clip and never decrease (real generation on lab clips);
 * - the beam-search code with one beam gives greedy's tokens; the forced path records exactly
 *   what the search recorded;
 * - searches run together (wl_generate_many: over one clip or several, more rows than one batch
 *   holds, ending at different steps) give bitwise what each gives alone;
 * - the timestamp rules never let an unpaired or decreasing timestamp through, on random
 *   logits over many seeds; with or without timestamps, never a suppressed token, and never a
 *   begin-suppressed one first;
 * - greedy takes the first of tied maxima, as torch.argmax does (a tiny model whose logits all tie).
 * Uses the synthetic checkpoint (or WL_MODEL) for its configuration and clips. */
#include "encode.h"
#include "../engine/decode/logits_process.h"
#include "../engine/io/safetensors.h"
#include "../engine/decode/generate.h"
#include "../gen/synthetic_checkpoint.h"
#include "../engine/whisperlab.h"
#include "golden.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static wl_model *M;
static wl_state *ST; /* over M */
static wl_gen_config CFG;
static wl_dims D;
static char err[1024];
static const char *const CLIPS[] = {"data/audio/clip_01.wav", "data/audio/clip_09.wav", "data/audio/clip_17.wav",
                                    "data/audio/err_03.wav"};
#define N_CLIPS (sizeof CLIPS / sizeof *CLIPS)
static float *ENC[N_CLIPS]; /* encoder outputs, computed once */
static int FRAMES[N_CLIPS];

static int setup(void **state)
{
    (void)state;
    wl_params p = wl_default_params();
    p.n_threads = 1;
    const char *dir = t_model_dir_under_test();
    if (wl_model_load(dir, p, &M, err, sizeof err) || wl_state_new(M, NULL, NULL, &ST, err, sizeof err) || wl_gen_config_load(dir, &CFG, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    D = wl_model_dims(M);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t c = 0; c < N_CLIPS; c++) free(ENC[c]);
    wl_gen_config_free(&CFG);
    wl_state_free(ST);
    wl_model_free(M);
    return 0;
}

static uint64_t rng_state;
static double uniform(void) /* xorshift64*: reproducible across platforms */
{
    rng_state ^= rng_state >> 12, rng_state ^= rng_state << 25, rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

/* A random monotone path from (0, 0) to (N-1, M-1): steps right, down or diagonal. */
static int planted_path(int N, int M, int *pr, int *pc)
{
    int i = 0, j = 0, n = 0;
    pr[n] = 0, pc[n++] = 0;
    while (i < N - 1 || j < M - 1) {
        double u = uniform();
        if (i == N - 1 || (j < M - 1 && u < 0.6)) j++;
        else if (j == M - 1 || u < 0.8) i++;
        else i++, j++;
        pr[n] = i, pc[n++] = j;
    }
    return n;
}

static void test_dtw_recovers_planted_path(void **state)
{
    (void)state;
    rng_state = 42;
    int paths = 0;
    for (int seed = 0; seed < 200; seed++) {
        int N = 2 + (int)(uniform() * 30), Mc = N + (int)(uniform() * 100);
        int pr[256], pc[256], gr[256], gc[256], n, got;
        n = planted_path(N, Mc, pr, pc);
        double *x = malloc((size_t)N * Mc * sizeof *x);
        for (int k = 0; k < N * Mc; k++) x[k] = 1 + uniform(); /* off the path: expensive */
        for (int k = 0; k < n; k++) x[pr[k] * Mc + pc[k]] = -1 - uniform(); /* on it: cheap */
        assert_int_equal(wl_dtw(x, N, Mc, gr, gc, &got), 0);
        assert_int_equal(got, n);
        for (int k = 0; k < n; k++)
            if (gr[k] != pr[k] || gc[k] != pc[k]) fail_msg("seed %d: step %d is (%d, %d), planted (%d, %d)", seed, k, gr[k], gc[k], pr[k], pc[k]);
        free(x);
        paths++;
    }
    printf("  DTW: %d planted monotone paths recovered exactly\n", paths);
}

/* Cross-attention where token row r attends to a block of encoder positions starting at b[r]:
 * the token timestamps must be the block starts (the whole alignment pipeline: z-score, median
 * filter, head mean, DTW, jumps). */
static void test_token_timestamps_recover_planted_alignment(void **state)
{
    (void)state;
    rng_state = 7;
    const int L = D.dec_layers, H = D.dec_heads, S = D.n_audio_ctx;
    for (int trial = 0; trial < 10; trial++) {
        int R = 3 + (int)(uniform() * 12), b[32];
        b[0] = 0;
        for (int r = 1; r < R; r++) b[r] = b[r - 1] + 20 + (int)(uniform() * 80);
        float *attn = calloc((size_t)R * L * H * S, sizeof *attn), time[33];
        for (int r = 0; r < R; r++)
            for (int l = 0; l < L; l++)
                for (int h = 0; h < H; h++) {
                    float *row = attn + (((size_t)r * L + l) * H + h) * S;
                    int end = r + 1 < R ? b[r + 1] : S;
                    for (int f = 0; f < S; f++) row[f] = (f >= b[r] && f < end ? 1.0f : 0.01f) + 1e-3f * (float)uniform();
                }
        assert_int_equal(wl_token_timestamps(attn, R, L, H, S, &CFG, 0, 0.02, time), 0);
        assert_true(time[0] == 0);
        for (int r = 0; r < R; r++)
            if (fabsf(time[1 + r] - 0.02f * b[r]) > 1e-6f)
                fail_msg("trial %d: row %d starts at %.2f s, planted %.2f s", trial, r, time[1 + r], 0.02 * b[r]);
        free(attn);
    }
    printf("  token timestamps: 10 planted block alignments recovered exactly\n");
    /* Cropped to a short clip's frames (generate's num_frames, as the lab and the CLI pass it):
     * the blocks lie in the clip's first F = num_frames / 2 positions, and past them the
     * next-to-last row attends strongly to the rest of the window. Only the clip's positions
     * count: the alignment is the blocks' again; over the whole window that row would hold the
     * path to the window's end. */
    const int F = 300;
    for (int trial = 0; trial < 10; trial++) {
        int R = 3 + (int)(uniform() * 8), b[32];
        b[0] = 0;
        for (int r = 1; r < R; r++) b[r] = b[r - 1] + 10 + (int)(uniform() * 20);
        float *attn = calloc((size_t)R * L * H * S, sizeof *attn), time[33];
        for (int r = 0; r < R; r++)
            for (int l = 0; l < L; l++)
                for (int h = 0; h < H; h++) {
                    float *row = attn + (((size_t)r * L + l) * H + h) * S;
                    int end = r + 1 < R ? b[r + 1] : F;
                    for (int f = 0; f < S; f++)
                        row[f] = (f >= b[r] && f < end) || (f >= F && r == R - 2) ? 1.0f : 0.01f + 1e-3f * (float)uniform();
                }
        assert_int_equal(wl_token_timestamps(attn, R, L, H, S, &CFG, 2 * F, 0.02, time), 0);
        for (int r = 0; r < R; r++)
            if (fabsf(time[1 + r] - 0.02f * b[r]) > 1e-6f)
                fail_msg("cropped trial %d: row %d starts at %.2f s, planted %.2f s (the clip's %d positions)", trial, r,
                         time[1 + r], 0.02 * b[r], F);
        free(attn);
    }
    printf("  token timestamps cropped to a clip's %d positions: 10 planted alignments recovered exactly\n", F);
}

static float *encode(const char *wav, int *num_frames)
{
    size_t n;
    float *enc = t_encode(ST, wav, &n, err, sizeof err);
    if (!enc) fail_msg("%s", err);
    *num_frames = (int)(n / WL_HOP); /* as the feature extractor's num_frames */
    return enc;
}


static float *clip_enc(size_t c, int *frames) /* encoded once, kept for every test */
{
    if (!ENC[c]) ENC[c] = encode(CLIPS[c], &FRAMES[c]);
    *frames = FRAMES[c];
    return ENC[c];
}

static void test_token_timestamps_inside_clip_and_monotone(void **state)
{
    (void)state;
    int tokens = 0;
    for (size_t c = 0; c < N_CLIPS; c++) {
        int frames;
        float *enc = clip_enc(c, &frames);
        wl_gen_opts o = {.beams = 1, .max_new_tokens = 24, .token_timestamps = 1, .num_frames = frames};
        wl_result *r;
        if (wl_generate(ST, &CFG, enc, &o, &r, err, sizeof err)) fail_msg("%s", err);
        float *whole = malloc((size_t)r->n_tokens * sizeof *whole); /* the same rows, DTW over the whole window */
        double per_pos = D.seconds_per_position;
        assert_int_equal(wl_token_timestamps(r->cross_attn, r->n_tokens - 1, r->layers, r->heads, r->n_audio_ctx, &CFG,
                                             0, per_pos, whole), 0);
        for (int crop = 0; crop < 2; crop++) {
            const float *time = crop ? r->token_time : whole;
            double end = crop ? frames * (double)WL_HOP / WL_SAMPLE_RATE : (double)D.n_samples / WL_SAMPLE_RATE;
            for (int i = 0; i < r->n_tokens; i++) {
                assert_true(time[i] >= 0 && time[i] <= end);
                if (i) assert_true(time[i] >= time[i - 1]);
            }
            tokens += r->n_tokens;
        }
        free(whole);
        wl_result_free(r);
    }
    printf("  token timestamps: %d tokens on %zu clips inside the clip (and the window) and non-decreasing\n",
           tokens, N_CLIPS);
}

static void test_one_beam_is_greedy_and_forced_path_is_the_search(void **state)
{
    (void)state;
    for (size_t c = 0; c < N_CLIPS; c++) {
        int frames;
        float *enc = clip_enc(c, &frames);
        for (int ts = 0; ts < 2; ts++) {
            /* one run past the positions a decoder's self-attention K/V start with (decoder.c
             * KV_START): greedy grows one decoder, the beam code grows forks and copies them */
            wl_gen_opts o = {.beams = 1, .timestamps = ts, .max_new_tokens = c == 0 && !ts ? 66 : 12};
            wl_result *greedy, *beam1, *forced;
            if (wl_generate_with(ST, &CFG, enc, &o, 1, &beam1, err, sizeof err) || /* first: no grown spares yet */
                wl_generate(ST, &CFG, enc, &o, &greedy, err, sizeof err))
                fail_msg("%s", err);
            /* the scores from the steps: greedy's the mean step log-prob, the beam code's HF's
             * sequences_scores, the sum over the generated length ^ length_penalty (both sums
             * are float32 running sums in the engine: 1e-5 relative covers their rounding) */
            double gsum = 0, bsum = 0;
            for (int i = 0; i < greedy->n_steps; i++) gsum += greedy->steps[i].logprob;
            for (int i = 0; i < beam1->n_steps; i++) bsum += beam1->steps[i].logprob;
            double gwant = gsum / greedy->n_steps, bwant = bsum / pow(beam1->n_steps, CFG.length_penalty);
            if (fabs(greedy->score - gwant) > 1e-5 * fmax(1, fabs(gwant)) ||
                fabs(beam1->score - bwant) > 1e-5 * fmax(1, fabs(bwant)))
                fail_msg("clip %zu: greedy score %.7g (steps' mean %.7g), one beam's %.7g (steps' sum / length^%g "
                         "%.7g)", c, greedy->score, gwant, beam1->score, CFG.length_penalty, bwant);
            assert_int_equal(beam1->n_tokens, greedy->n_tokens);
            assert_memory_equal(beam1->tokens, greedy->tokens, (size_t)greedy->n_tokens * sizeof(int32_t));
            /* the beam code's pass over its winner gives the cross-attention greedy kept step by step */
            size_t attn = (size_t)(greedy->n_tokens - 1) * greedy->layers * greedy->heads * greedy->n_audio_ctx;
            if (memcmp(beam1->cross_attn, greedy->cross_attn, attn * sizeof(float)))
                fail_msg("clip %zu: one beam's cross-attention is not greedy's, step by step", c);
            /* greedy forced on its own tokens records what greedy recorded, bit for bit */
            o.forced = greedy->tokens + greedy->n_prompt, o.n_forced = greedy->n_steps;
            if (wl_generate(ST, &CFG, enc, &o, &forced, err, sizeof err)) fail_msg("%s", err);
            assert_memory_equal(forced->steps, greedy->steps, (size_t)greedy->n_steps * sizeof(wl_step));
            wl_result_free(forced);
            /* in beam units, forced on the one beam's tokens: its log-probs and score */
            o.beams = 2;
            if (wl_generate(ST, &CFG, enc, &o, &forced, err, sizeof err)) fail_msg("%s", err);
            assert_memory_equal(forced->steps, beam1->steps, (size_t)beam1->n_steps * sizeof(wl_step));
            assert_true(fabs(forced->score - beam1->score) < 1e-6);
            wl_result_free(forced), wl_result_free(greedy), wl_result_free(beam1);
        }
    }
    printf("  one beam = greedy and forced path = search on %zu clips, with and without timestamps\n",
           N_CLIPS);
}

static void same_result(const wl_result *a, const wl_result *b, const char *what)
{
    if (a->n_tokens != b->n_tokens || memcmp(a->tokens, b->tokens, (size_t)a->n_tokens * sizeof *a->tokens))
        fail_msg("%s: other tokens together than alone", what);
    if (memcmp(a->steps, b->steps, (size_t)a->n_steps * sizeof *a->steps) || a->score != b->score)
        fail_msg("%s: other step records or score together than alone", what);
    size_t attn = (size_t)(a->n_tokens - 1) * a->layers * a->heads * a->n_audio_ctx;
    if (memcmp(a->cross_attn, b->cross_attn, attn * sizeof *a->cross_attn) || !a->token_time != !b->token_time ||
        (a->token_time && memcmp(a->token_time, b->token_time, (size_t)a->n_tokens * sizeof *a->token_time)))
        fail_msg("%s: other cross-attention or token timestamps together than alone", what);
}

static void test_searches_together_are_each_alone(void **state)
{
    (void)state;
    enum { PER_CLIP = 5, CLIPS_TOGETHER = 3, N = PER_CLIP * CLIPS_TOGETHER };
    wl_gen_opts o[N];
    const float *enc[N];
    int rows = 0;
    for (int c = 0; c < CLIPS_TOGETHER; c++) {
        int frames;
        float *e = clip_enc((size_t)c, &frames);
        const wl_gen_opts per_clip[PER_CLIP] = {
            {.beams = 1, .max_new_tokens = 20, .token_timestamps = 1, .num_frames = frames},
            {.beams = 1, .timestamps = 1, .max_new_tokens = 8 + 4 * c},
            {.beams = 5, .max_new_tokens = 16},
            {.beams = 3, .timestamps = 1, .max_new_tokens = 12 - 2 * c},
            {.beams = 2, .max_new_tokens = 6, .forced = CFG.prompt, .n_forced = 1}}; /* any tokens will do */
        for (int i = 0; i < PER_CLIP; i++) {
            o[c * PER_CLIP + i] = per_clip[i], enc[c * PER_CLIP + i] = e;
            rows += per_clip[i].forced || per_clip[i].beams == 1 ? 1 : per_clip[i].beams;
        }
    }
    wl_result *alone[N];
    for (int i = 0; i < N; i++)
        if (wl_generate(ST, &CFG, enc[i], &o[i], &alone[i], err, sizeof err)) fail_msg("%s", err);
    /* one clip's greedy-with-timestamps, beam 5 and beam 3 searches; then all three clips' at once */
    const struct { int from, count; } groups[] = {{1, 3}, {0, N}};
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++) {
        wl_result *together[N];
        const int from = groups[g].from, count = groups[g].count;
        if (wl_generate_many(ST, &CFG, enc + from, o + from, count, together, err, sizeof err)) fail_msg("%s", err);
        for (int i = 0; i < count; i++) {
            char what[64];
            snprintf(what, sizeof what, "search %d of %d together", from + i, count);
            same_result(together[i], alone[from + i], what);
            wl_result_free(together[i]);
        }
    }
    /* without cross-attention (but where token timestamps need it): the same searches, no rows */
    for (int i = 0; i < N; i++) o[i].no_cross_attn = !o[i].token_timestamps;
    wl_result *bare[N];
    if (wl_generate_many(ST, &CFG, enc, o, N, bare, err, sizeof err)) fail_msg("%s", err);
    for (int i = 0; i < N; i++) {
        const wl_result *a = bare[i], *b = alone[i];
        if (o[i].no_cross_attn && a->cross_attn) fail_msg("search %d: cross-attention kept under no_cross_attn", i);
        if (a->n_tokens != b->n_tokens || memcmp(a->tokens, b->tokens, (size_t)a->n_tokens * sizeof *a->tokens) ||
            memcmp(a->steps, b->steps, (size_t)a->n_steps * sizeof *a->steps) || a->score != b->score)
            fail_msg("search %d: other tokens, steps or score without cross-attention", i);
        wl_result_free(bare[i]);
    }
    wl_gen_opts both = {.beams = 1, .max_new_tokens = 4, .token_timestamps = 1, .no_cross_attn = 1};
    wl_result *r = NULL;
    if (wl_generate(ST, &CFG, enc[0], &both, &r, err, sizeof err) != WL_ERR_INPUT || r || !strstr(err, "no_cross_attn"))
        fail_msg("token timestamps without cross-attention: not refused (%s)", err);
    for (int i = 0; i < N; i++) wl_result_free(alone[i]);
    printf("  %d searches over %d clips (%d rows a step at first) together: each bitwise as alone; the same "
           "without cross-attention\n", N, CLIPS_TOGETHER, rows);
}

static int in_list(const int32_t *ids, int n, int32_t id)
{
    for (int i = 0; i < n; i++)
        if (ids[i] == id) return 1;
    return 0;
}

/* What HF's processors allow on s = the generated tokens (after the prompt): the suppress lists,
 * and with timestamps their grammar. Returns NULL or why not. */
static const char *violation(const int32_t *s, int n, int timestamps)
{
    const int32_t TB = CFG.timestamp_begin, EOT = CFG.eos;
    int32_t last = -1;
    if (timestamps && n && (s[0] < TB || s[0] > TB + CFG.max_initial_timestamp_index))
        return "first token is not an initial timestamp";
    for (int i = 0; i < n; i++) {
        int ts = s[i] >= TB;
        if (timestamps && s[i] == CFG.no_timestamps) return "<|notimestamps|> emitted";
        if (in_list(CFG.suppress, CFG.n_suppress, s[i])) return "a suppressed token emitted";
        if (i == 0 && in_list(CFG.begin_suppress, CFG.n_begin_suppress, s[i])) return "a begin-suppressed token first";
        if (!ts || !timestamps) continue;
        int prev_ts = i >= 1 && s[i - 1] >= TB, prev2_ts = i < 2 || s[i - 2] >= TB;
        if (i >= 1 && prev_ts && prev2_ts) return "three timestamps in a row (or two after the first)";
        if (last >= 0 && (prev_ts && !prev2_ts ? s[i] < last : s[i] <= last)) return "a decreasing timestamp";
        if (i + 1 < n && !prev_ts && i > 0 && s[i + 1] < EOT) return "text right after a closing timestamp";
        last = s[i];
    }
    return NULL;
}

/* The processors on random logits: with timestamps (their grammar), and without (the suppress
 * lists only: the begin-suppressed end-of-text is often the best first token here). */
static void test_processors_on_random_logits(void **state)
{
    (void)state;
    const int V = D.n_vocab, TB = CFG.timestamp_begin;
    float *x = malloc((size_t)V * sizeof *x);
    int32_t seq[64] = {CFG.decoder_start};
    for (int with_ts = 1; with_ts >= 0; with_ts--) {
        const wl_processors P = {&CFG, with_ts, 1, V};
        int seeds = with_ts ? 400 : 100, steps = 0, timestamps = 0;
        for (int seed = 0; seed < seeds; seed++) {
            rng_state = 1000003u * (uint64_t)(seed + 1);
            double scale = 0.5 + 8 * uniform(), ts_bias = 12 * uniform() - 4, eot_bias = uniform() < 0.3 ? 4 : -4;
            int sample = seed % 2, len = 1;
            for (; len < 40; len++) {
                for (int i = 0; i < V; i++) x[i] = (float)(scale * (uniform() - 0.5) + (i >= TB ? ts_bias : 0));
                x[CFG.eos] += (float)eot_bias;
                wl_process_logits(&P, seq, len, x);
                int pick = 0;
                if (sample) { /* a random allowed token: explores what argmax never reaches */
                    int allowed = 0;
                    for (int i = 0; i < V; i++) allowed += isfinite(x[i]);
                    int k = (int)(uniform() * allowed);
                    for (pick = 0; !isfinite(x[pick]) || k-- > 0; pick++) {}
                } else {
                    for (int i = 1; i < V; i++)
                        if (x[i] > x[pick]) pick = i;
                }
                assert_true(isfinite(x[pick]));
                seq[len] = pick;
                steps++, timestamps += pick >= TB;
                const char *why = violation(seq + 1, len, with_ts);
                if (why) fail_msg("%s, seed %d, step %d: %s", with_ts ? "timestamps" : "no timestamps", seed, len, why);
                if (pick == CFG.eos) break;
            }
        }
        if (with_ts)
            printf("  timestamp rules: %d seeds, %d random steps (%d timestamps): never unpaired, decreasing or "
                   "suppressed\n", seeds, steps, timestamps);
        else
            printf("  without timestamps: %d seeds, %d random steps: never suppressed, never begin-suppressed first\n",
                   seeds, steps);
    }
    free(x);
}

/* A tiny Whisper (d_model 8, vocab 64, one layer each side, a 3 s window) whose token embedding,
 * tied to the output projection, is all zeros: every logit is exactly 0, every step a 64-way tie. */
static void write_all_tied_model(const char *dir)
{
    char cmd[512], path[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    assert_int_equal(system(cmd), 0);
    static const char *const files[][2] = {
        {"config.json", "{\"num_mel_bins\": 80, \"d_model\": 8, \"vocab_size\": 64, \"encoder_layers\": 1,"
                        " \"encoder_attention_heads\": 2, \"encoder_ffn_dim\": 16, \"decoder_layers\": 1,"
                        " \"decoder_attention_heads\": 2, \"decoder_ffn_dim\": 16, \"max_source_positions\": 150,"
                        " \"max_target_positions\": 8}"},
        {"preprocessor_config.json", "{\"sampling_rate\": 16000, \"n_fft\": 400, \"hop_length\": 160, \"feature_size\": 80,"
                                     " \"chunk_length\": 3, \"n_samples\": 48000, \"nb_max_frames\": 300}"},
        {"generation_config.json", "{\"decoder_start_token_id\": 1, \"eos_token_id\": 63, \"max_length\": 8}"},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i][0]);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(files[i][1], f);
        fclose(f);
    }
    char config[512];
    snprintf(config, sizeof config, "%s/config.json", dir);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    assert_int_equal(gen_write_synthetic(config, path, NULL, NULL, err, sizeof err), 0);
    wl_st_file st;
    assert_int_equal(wl_st_open(&st, path, err, sizeof err), 0);
    const wl_st_tensor *t = wl_st_find(&st, "model.decoder.embed_tokens.weight");
    assert_non_null(t);
    long off = (long)((const char *)t->data - (const char *)st.map);
    size_t nbytes = t->nbytes;
    wl_st_close(&st);
    char *zeros = calloc(1, nbytes);
    FILE *f = fopen(path, "r+b");
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    assert_int_equal(fwrite(zeros, 1, nbytes, f), nbytes);
    fclose(f);
    free(zeros);
}

static void test_greedy_ties_take_the_lowest_id(void **state)
{
    (void)state;
    const char *dir = "build/tmp/all-tied";
    write_all_tied_model(dir);
    wl_model *m;
    wl_state *ms = NULL;
    wl_gen_config cfg;
    if (wl_model_load(dir, wl_default_params(), &m, err, sizeof err) || wl_state_new(m, NULL, NULL, &ms, err, sizeof err) || wl_gen_config_load(dir, &cfg, err, sizeof err))
        fail_msg("%s", err);
    wl_dims d = wl_model_dims(m);
    float *enc = calloc((size_t)d.n_audio_ctx * d.d_model, sizeof *enc);
    wl_gen_opts o = {.beams = 1, .max_new_tokens = 4};
    wl_result *r;
    if (wl_generate(ms, &cfg, enc, &o, &r, err, sizeof err)) fail_msg("%s", err);
    /* torch.argmax, and so HF's greedy search, takes the first of equal maxima: token 0 at every
     * step, never end-of-text (the last id) */
    const int32_t want[] = {1, 0, 0, 0, 0};
    printf("  greedy on all-tied logits: %d tokens, the first generated %d (want 0: torch.argmax's first maximum)\n",
           r->n_tokens, r->n_tokens > 1 ? r->tokens[1] : -1);
    assert_int_equal(r->n_tokens, 5);
    assert_memory_equal(r->tokens, want, sizeof want);
    wl_result_free(r);
    free(enc);
    wl_gen_config_free(&cfg);
    wl_state_free(ms);
    wl_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtw_recovers_planted_path),
        cmocka_unit_test(test_token_timestamps_recover_planted_alignment),
        cmocka_unit_test(test_token_timestamps_inside_clip_and_monotone),
        cmocka_unit_test(test_one_beam_is_greedy_and_forced_path_is_the_search),
        cmocka_unit_test(test_searches_together_are_each_alone),
        cmocka_unit_test(test_processors_on_random_logits),
        cmocka_unit_test(test_greedy_ties_take_the_lowest_id),
    };
    return cmocka_run_group_tests_name("decoding properties", tests, setup, teardown);
}
