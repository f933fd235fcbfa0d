/* Engine properties that need no golden file, and its handling of bad input:
 * - the log-mel's range is exactly 2.0 (the max - 8 floor) on every lab clip, and its filterbank
 *   has the shape HF's has;
 * - feeding tokens one step at a time gives the logits of the whole-sequence (teacher-forced) pass;
 * - an F16 (or BF16) checkpoint gives exactly what an F32 checkpoint of the same rounded values
 *   gives, and stays within f16 rounding of the original;
 * - corrupt, truncated, empty, too long or missing inputs give a clear error naming the file;
 * - the audio window comes from preprocessor_config.json, checked against config.json: exactly
 *   the window is accepted, a model with a 3 s window runs end to end. */
#include "encode.h"
#include "../engine/io/half.h"
#include "../gen/synthetic_checkpoint.h"
#include "../engine/frontend/mel.h"
#include "../engine/io/safetensors.h"
#include "../engine/whisperlab.h"

#include <math.h>
#include <setjmp.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define SYNTH "build/whisper-tiny.en-synthetic"
#define CLIP "data/audio/clip_03.wav"

static wl_model *M;
static wl_dims D;
static char err[1024];

static int setup(void **state)
{
    (void)state;
    wl_params p = wl_default_params();
    p.n_threads = 1;
    if (wl_model_load(SYNTH, p, &M, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    D = wl_model_dims(M);
    return system("mkdir -p build/tmp") ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    wl_model_free(M);
    return 0;
}

/* audio -> mel -> encoder output of one clip with model m; caller frees. */
static float *encode_clip(wl_model *m, const char *wav)
{
    float *enc = t_encode(m, wav, NULL, err, sizeof err);
    if (!enc) fail_msg("%s", err);
    return enc;
}

static void test_mel_range_is_two(void **state)
{
    (void)state;
    float *mel = malloc((size_t)D.n_mels * D.n_frames * sizeof(float));
    double worst = 0;
    for (int c = 1; c <= 24; c++) {
        char wav[64];
        snprintf(wav, sizeof wav, "data/audio/clip_%02d.wav", c);
        float *s;
        size_t n;
        if (wl_audio_load(wav, (size_t)D.n_samples, &s, &n, err, sizeof err) || wl_mel(M, s, n, mel, err, sizeof err))
            fail_msg("%s", err);
        float lo = mel[0], hi = mel[0];
        for (int i = 1; i < D.n_mels * D.n_frames; i++) lo = fminf(lo, mel[i]), hi = fmaxf(hi, mel[i]);
        worst = fmax(worst, fabs((double)hi - lo - 2.0));
        free(s);
    }
    free(mel);
    printf("  max |range - 2| over 24 clips: %.3g\n", worst);
    assert_true(worst <= 2.4e-7); /* top and floor are each rounded once to float: 2 ulps at ~1 */
}

/* Facts about HF's Slaney filterbank (transformers' mel_filter_bank, checked against librosa's). */
static void test_mel_filter_facts(void **state)
{
    (void)state;
    float *f = malloc((size_t)80 * WL_N_BINS * sizeof(float));
    wl_mel_filters(80, f);
    int first = -1, last = -1;
    float peak0 = 0, peak79 = 0;
    for (int k = 0; k < WL_N_BINS; k++) {
        if (f[k] > 0) assert_int_equal(k, 1); /* filter 0 is non-zero only at bin 1 (40 Hz) */
        peak0 = fmaxf(peak0, f[k]);
        float v = f[79 * WL_N_BINS + k];
        if (v > 0 && first < 0) first = k;
        if (v > 0) last = k;
        peak79 = fmaxf(peak79, v);
    }
    printf("  filter 0 peak %.5f, filter 79 bins %d..%d peak %.6f\n", peak0, first, last, peak79);
    assert_int_equal(first, 186);
    assert_int_equal(last, 199);
    assert_true(fabsf(peak0 - 0.02486f) < 5e-6f && fabsf(peak79 - 0.003165f) < 5e-7f);
    free(f);
}

static void test_step_by_step_equals_whole_sequence(void **state)
{
    (void)state;
    float *enc = encode_clip(M, CLIP);
    /* 80 tokens: more than one block of 48 query rows in the attention (ATTN_ROWS in ops.c), so
     * the causal mask is checked in a block that does not start at row 0 */
    int32_t tokens[80] = {50257, 50362, 314, 670, 13, 50256, 220, 1312, 50363, 51000};
    const int T = sizeof tokens / sizeof tokens[0];
    for (int t = 10; t < T; t++) tokens[t] = 220 + 613 * t % 50000; /* arbitrary text tokens */
    float *whole = malloc((size_t)T * D.n_vocab * sizeof(float));
    float *step = malloc((size_t)T * D.n_vocab * sizeof(float));
    wl_decoder *a, *b;
    assert_int_equal(wl_decoder_new(M, enc, &a, err, sizeof err), WL_OK);
    assert_int_equal(wl_decoder_new(M, enc, &b, err, sizeof err), WL_OK);
    assert_int_equal(wl_decoder_feed(a, tokens, T, whole, err, sizeof err), WL_OK);
    for (int t = 0; t < T; t++)
        assert_int_equal(wl_decoder_feed(b, &tokens[t], 1, step + (size_t)t * D.n_vocab, err, sizeof err), WL_OK);
    assert_int_equal(wl_decoder_pos(b), T);
    double worst = 0, scale = 0;
    for (size_t i = 0; i < (size_t)T * D.n_vocab; i++) {
        worst = fmax(worst, fabs(whole[i] - step[i]));
        scale = fmax(scale, fabs(whole[i]));
    }
    printf("  step vs whole-sequence logits: max abs diff %.3g (max |logit| %.3g)\n", worst, scale);
    /* Same math; OpenBLAS sums a 1-row product in another order than a T-row one: float noise
     * of ~1e-6 on logits of magnitude ~1 (measured 1.6e-6 over the 80 tokens). */
    assert_true(worst <= 1e-5);
    /* The whole feed's cross-attention (two blocks of query rows) row by row against each
     * step's, and a feed of 77 rows that starts at position 3 (after a 3-token prompt, as the
     * lab's teacher forcing of a long prefix does) against the steps' logits. */
    const int L = wl_model_dims(M).dec_layers, H = wl_model_dims(M).dec_heads, S = D.n_audio_ctx;
    int n_att;
    const float *att = wl_decoder_cross_attn(a, &n_att);
    assert_int_equal(n_att, T);
    float *att_whole = malloc((size_t)L * H * T * S * sizeof(float));
    memcpy(att_whole, att, (size_t)L * H * T * S * sizeof(float));
    wl_decoder *c;
    assert_int_equal(wl_decoder_new(M, enc, &c, err, sizeof err), WL_OK);
    double worst_att = 0;
    for (int t = 0; t < T; t++) {
        assert_int_equal(wl_decoder_feed(c, &tokens[t], 1, NULL, err, sizeof err), WL_OK);
        att = wl_decoder_cross_attn(c, &n_att);
        for (int lh = 0; lh < L * H; lh++)
            for (int k = 0; k < S; k++)
                worst_att = fmax(worst_att, fabs(att[(size_t)lh * S + k] - att_whole[((size_t)lh * T + t) * S + k]));
    }
    wl_decoder_free(c);
    double spread = 0; /* how far apart two neighbouring rows are: what a misplaced row would show */
    for (int t = 0; t + 1 < T; t++)
        for (int k = 0; k < S; k++) spread = fmax(spread, fabs(att_whole[(size_t)t * S + k] - att_whole[(size_t)(t + 1) * S + k]));
    assert_int_equal(wl_decoder_new(M, enc, &c, err, sizeof err), WL_OK);
    assert_int_equal(wl_decoder_feed(c, tokens, 3, whole, err, sizeof err), WL_OK);
    assert_int_equal(wl_decoder_feed(c, tokens + 3, T - 3, whole + (size_t)3 * D.n_vocab, err, sizeof err), WL_OK);
    double worst_late = 0;
    for (size_t i = 0; i < (size_t)T * D.n_vocab; i++) worst_late = fmax(worst_late, fabs(whole[i] - step[i]));
    printf("  cross-attention whole vs steps: max abs diff %.3g (neighbouring rows differ by up to %.3g); a 77-row "
           "feed from position 3: logits within %.3g\n",
           worst_att, spread, worst_late);
    assert_true(worst_att <= 1e-6); /* probabilities of ~1/1500, from scores with the logits' noise */
    assert_true(spread > 1e-4);     /* so a row in the wrong place would show */
    assert_true(worst_late <= 1e-5);
    wl_decoder_free(c);
    free(att_whole);
    /* After a reset, the same first step gives bit-identical logits: no state leaks. */
    wl_decoder_reset(b);
    assert_int_equal(wl_decoder_feed(b, tokens, 1, whole, err, sizeof err), WL_OK);
    assert_memory_equal(whole, step, (size_t)D.n_vocab * sizeof(float));
    wl_decoder_free(a), wl_decoder_free(b);
    free(whole), free(step), free(enc);
}

/* Runs of tokens to several decoders in one batch (wl_decoder_feed_runs, the searches' prompts):
 * each decoder's last logits row, cross-attention and next step bitwise those of feeding it
 * alone; a count of 0 or runs past the context refused. */
static void test_runs_together_equal_each_alone(void **state)
{
    (void)state;
    float *enc = encode_clip(M, CLIP);
    const int32_t tokens[] = {50257, 50362, 50257, 50257, 50362, 314, 670}; /* runs of 2, 1, 4 */
    const int counts[3] = {2, 1, 4}, V = D.n_vocab;
    wl_decoder *alone[3], *together[3];
    float *want = malloc((size_t)4 * V * sizeof(float)), *got = malloc((size_t)3 * V * sizeof(float));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(wl_decoder_new(M, enc, &alone[i], err, sizeof err), WL_OK);
        assert_int_equal(wl_decoder_new(M, enc, &together[i], err, sizeof err), WL_OK);
    }
    assert_int_equal(wl_decoder_feed_runs(together, counts, 3, tokens, got, err, sizeof err), WL_OK);
    size_t xattn_bytes = 0;
    for (int i = 0, at = 0; i < 3; at += counts[i++]) {
        assert_int_equal(wl_decoder_feed(alone[i], tokens + at, counts[i], want, err, sizeof err), WL_OK);
        assert_memory_equal(got + (size_t)i * V, want + (size_t)(counts[i] - 1) * V, (size_t)V * sizeof(float));
        int na, nt;
        const float *xa = wl_decoder_cross_attn(alone[i], &na), *xt = wl_decoder_cross_attn(together[i], &nt);
        assert_int_equal(na, counts[i]), assert_int_equal(nt, counts[i]);
        xattn_bytes = (size_t)D.dec_layers * D.dec_heads * na * D.n_audio_ctx * sizeof(float);
        assert_memory_equal(xa, xt, xattn_bytes);
        assert_int_equal(wl_decoder_pos(together[i]), counts[i]);
        /* the self-attention caches hold the same keys: the next step agrees too */
        const int32_t next = 1000 + i;
        assert_int_equal(wl_decoder_feed(alone[i], &next, 1, want, err, sizeof err), WL_OK);
        assert_int_equal(wl_decoder_feed(together[i], &next, 1, got + (size_t)i * V, err, sizeof err), WL_OK);
        assert_memory_equal(got + (size_t)i * V, want, (size_t)V * sizeof(float));
    }
    const int zero[2] = {1, 0};
    assert_int_equal(wl_decoder_feed_runs(together, zero, 2, tokens, got, err, sizeof err), WL_ERR_INPUT);
    const int too_long[1] = {D.n_text_ctx};
    int32_t *many = calloc((size_t)D.n_text_ctx, sizeof *many);
    assert_int_equal(wl_decoder_feed_runs(together, too_long, 1, many, got, err, sizeof err), WL_ERR_INPUT);
    assert_non_null(strstr(err, "context"));
    printf("  runs of 2, 1 and 4 tokens together: logits, cross-attention and the next step bitwise as alone\n");
    for (int i = 0; i < 3; i++) wl_decoder_free(together[i]), wl_decoder_free(alone[i]);
    free(many), free(want), free(got), free(enc);
}

/* float -> IEEE half, round to nearest even (normal range; the weights are ~0.02..1.2). */
static uint16_t to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = x >> 16 & 0x8000, exp = x >> 23 & 0xFF, man = x & 0x7FFFFF;
    if (exp < 103) return (uint16_t)sign; /* underflows to zero */
    if (exp < 113) {                      /* subnormal half */
        man |= 0x800000;
        int shift = 126 - (int)exp;
        uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = (exp - 112) << 10 | man >> 13, rem = man & 0x1FFF;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
    return (uint16_t)(sign | h);
}

static uint16_t to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t rem = x & 0xFFFF, h = x >> 16;
    if (rem > 0x8000 || (rem == 0x8000 && (h & 1))) h++;
    return (uint16_t)h;
}

/* Writes dir/ with src's configs and its (F32) weights converted: dtype WL_F16 or WL_BF16, or
 * WL_F32 holding the values rounded through `through`. */
static void write_variant(const char *src, const char *dir, wl_dtype dtype, wl_dtype through)
{
    char cmd[1024], path[512];
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp %s/*.json %s/merges.txt %s/", dir, src, src, dir);
    assert_int_equal(system(cmd), 0);
    wl_st_file f;
    snprintf(path, sizeof path, "%s/model.safetensors", src);
    assert_int_equal(wl_st_open(&f, path, err, sizeof err), 0);
    wl_st_tensor *ts = calloc((size_t)f.n, sizeof *ts);
    for (int i = 0; i < f.n; i++) {
        size_t n = f.tensors[i].nbytes / 4;
        const float *src_w = f.tensors[i].data;
        assert_int_equal(f.tensors[i].dtype, WL_F32);
        ts[i] = f.tensors[i];
        ts[i].dtype = dtype;
        ts[i].nbytes = n * wl_dtype_size(dtype);
        void *out = malloc(ts[i].nbytes);
        for (size_t k = 0; k < n; k++) {
            uint16_t h = through == WL_F16 ? to_half(src_w[k]) : to_bf16(src_w[k]);
            if (dtype != WL_F32) memcpy((char *)out + 2 * k, &h, 2);
            else ((float *)out)[k] = through == WL_F16 ? wl_half_to_float(h) : wl_bf16_to_float(h);
        }
        ts[i].data = out;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    assert_int_equal(wl_st_write(path, ts, f.n, err, sizeof err), 0);
    for (int i = 0; i < f.n; i++) free((void *)ts[i].data);
    free(ts);
    wl_st_close(&f);
}

static float *encode_with(const char *dir)
{
    wl_model *m;
    wl_params p = wl_default_params();
    p.n_threads = 1;
    if (wl_model_load(dir, p, &m, err, sizeof err)) fail_msg("%s", err);
    float *enc = encode_clip(m, CLIP);
    wl_model_free(m);
    return enc;
}

/* The widening converters against known values, and float -> half -> float round trips. */
static void test_half_conversions(void **state)
{
    (void)state;
    assert_true(wl_half_to_float(0x3C00) == 1.0f);
    assert_true(wl_half_to_float(0xC000) == -2.0f);
    assert_true(wl_half_to_float(0x7BFF) == 65504.0f);          /* largest finite */
    assert_true(wl_half_to_float(0x0400) == ldexpf(1, -14));    /* smallest normal */
    assert_true(wl_half_to_float(0x0001) == ldexpf(1, -24));    /* smallest subnormal */
    assert_true(wl_half_to_float(0x03FF) == ldexpf(1023, -24)); /* largest subnormal */
    assert_true(isinf(wl_half_to_float(0x7C00)) && isnan(wl_half_to_float(0x7E00)));
    assert_true(wl_bf16_to_float(0x3F80) == 1.0f && wl_bf16_to_float(0xC040) == -3.0f);
    for (uint32_t h = 0; h < 0x10000; h++) { /* every finite half survives the round trip */
        float f = wl_half_to_float((uint16_t)h);
        if (isfinite(f) && to_half(f) != h && !(f == 0 && (h & 0x7FFF) == 0)) fail_msg("half 0x%04x -> %g -> 0x%04x", h, f, to_half(f));
    }
    /* the bulk conversion of model loading: every half, at an odd address, the same bits */
    unsigned char *p = malloc(2 * 0x10000 + 1);
    float *out = malloc(0x10000 * sizeof *out);
    for (uint32_t h = 0; h < 0x10000; h++) p[1 + 2 * h] = (unsigned char)h, p[2 + 2 * h] = (unsigned char)(h >> 8);
    wl_halves_to_floats(out, p + 1, 0x10000);
    for (uint32_t h = 0; h < 0x10000; h++) {
        float one = wl_half_to_float((uint16_t)h);
        if (memcmp(&one, &out[h], sizeof one)) fail_msg("half 0x%04x: %g in bulk, %g alone", h, out[h], one);
    }
    free(p), free(out);
}

/* The half-precision checks run on synthetic F32 weights in whisper-micro.en's shapes (a 3 s
 * window, 2 + 2 layers of 128): loading converts per tensor whatever its shape, and tiny.en's
 * four files would cost seconds of writing in every verify. */
#define SMALL "build/tmp/half-src"

static void write_small_f32(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s && cp build/whisper-micro.en/*config.json "
             "build/whisper-micro.en/*tokens*.json build/whisper-micro.en/vocab.json build/whisper-micro.en/merges.txt "
             SYNTH "/whisperlab.json %s/", SMALL, SMALL, SMALL);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(gen_write_synthetic(SMALL "/config.json", SMALL "/model.safetensors", NULL, NULL, err, sizeof err),
                     0);
}

static void check_half_precision(wl_dtype dtype, const char *name, const float *ref, size_t n, double bound)
{
    char d16[128], d32[128];
    snprintf(d16, sizeof d16, "build/tmp/%s", name);
    snprintf(d32, sizeof d32, "build/tmp/%s-as-f32", name);
    write_variant(SMALL, d16, dtype, dtype);
    write_variant(SMALL, d32, WL_F32, dtype);
    float *a = encode_with(d16), *b = encode_with(d32);
    /* Loading converts to exactly these float values: the outputs must be identical. */
    assert_memory_equal(a, b, n * sizeof(float));
    double worst = 0, rms = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs(a[i] - ref[i])), rms += (double)ref[i] * ref[i];
    rms = sqrt(rms / n);
    printf("  %s: enc.out identical to the F32 file of the same values; vs the original F32 "
           "max abs %.3g (%.3g of the RMS)\n", name, worst, worst / rms);
    assert_true(worst / rms < bound);
    free(a), free(b);
}

static void test_f16_and_bf16_checkpoints(void **state)
{
    (void)state;
    /* f16 keeps 11 significant bits (relative rounding <= 2^-11), bf16 keeps 8 (2^-8); through
     * the layers the encoder output moves by a few times that. */
    write_small_f32();
    wl_model *m;
    wl_params p = wl_default_params();
    p.n_threads = 1;
    if (wl_model_load(SMALL, p, &m, err, sizeof err)) fail_msg("%s", err);
    wl_dims d = wl_model_dims(m);
    float *ref = encode_clip(m, CLIP);
    wl_model_free(m);
    check_half_precision(WL_F16, "f16", ref, (size_t)d.n_audio_ctx * d.d_model, 1e-2);
    check_half_precision(WL_BF16, "bf16", ref, (size_t)d.n_audio_ctx * d.d_model, 5e-2);
    free(ref);
}

static void expect_model_error(const char *dir, const char *needle)
{
    wl_model *m = NULL;
    wl_status st = wl_model_load(dir, wl_default_params(), &m, err, sizeof err);
    assert_int_not_equal(st, WL_OK);
    assert_null(m);
    if (!strstr(err, needle) || strchr(err, '\n')) fail_msg("error '%s' lacks '%s'", err, needle);
}

static void test_bad_model_folders(void **state)
{
    (void)state;
    expect_model_error("build/tmp/no-model", "build/tmp/no-model/config.json: cannot open");
    assert_int_equal(system("rm -rf build/tmp/badmodel && mkdir -p build/tmp/badmodel && cp " SYNTH "/config.json "
                            SYNTH "/preprocessor_config.json build/tmp/badmodel/ && head -c 4000 " SYNTH
                            "/model.safetensors > build/tmp/badmodel/model.safetensors"), 0);
    expect_model_error("build/tmp/badmodel", "build/tmp/badmodel/model.safetensors: header length");
    /* Weights that do not fit the config: every tensor is checked before use. */
    assert_int_equal(system("sed 's/\"encoder_ffn_dim\": 1536/\"encoder_ffn_dim\": 2048/' " SYNTH "/config.json > build/tmp/badmodel/config.json"
                            " && ln -sf ../../whisper-tiny.en-synthetic/model.safetensors build/tmp/badmodel/model.safetensors"), 0);
    expect_model_error("build/tmp/badmodel", "expected (");
    assert_int_equal(system("echo '{\"d_model\": ' > build/tmp/badmodel/config.json"), 0);
    expect_model_error("build/tmp/badmodel", "build/tmp/badmodel/config.json: not a valid JSON object");
}

static void write_wav_as(const char *path, int format, int rate, int channels, int64_t frames, float value)
{
    SF_INFO info = {.samplerate = rate, .channels = channels, .format = format};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    assert_non_null(f);
    float buf[1024];
    for (int i = 0; i < 1024; i++) buf[i] = value;
    for (int64_t done = 0; done < frames;) {
        sf_count_t k = (sf_count_t)((frames - done) * channels < 1024 ? (frames - done) : 1024 / channels);
        sf_writef_float(f, buf, k);
        done += k;
    }
    sf_close(f);
}

static void write_wav(const char *path, int rate, int channels, int64_t frames, float value)
{
    write_wav_as(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, rate, channels, frames, value);
}

static void expect_audio_error_max(const char *path, size_t max_samples, wl_status want, const char *needle)
{
    float *s = NULL;
    size_t n;
    assert_int_equal(wl_audio_load(path, max_samples, &s, &n, err, sizeof err), want);
    assert_null(s);
    if (!strstr(err, path) || !strstr(err, needle) || strchr(err, '\n'))
        fail_msg("error '%s' lacks '%s' or the path", err, needle);
}

/* With the model's window. */
static void expect_audio_error(const char *path, wl_status want, const char *needle)
{
    expect_audio_error_max(path, (size_t)D.n_samples, want, needle);
}

static void test_bad_audio(void **state)
{
    (void)state;
    expect_audio_error("build/tmp/missing.wav", WL_ERR_IO, "cannot open");
    FILE *f = fopen("build/tmp/garbage.wav", "w");
    fputs("RIFF....WAVEnot really", f);
    fclose(f);
    expect_audio_error("build/tmp/garbage.wav", WL_ERR_FORMAT, "malformed WAV: chunk 'not '");
    assert_int_equal(system("head -c 1000 " CLIP " > build/tmp/truncated.wav"), 0);
    expect_audio_error("build/tmp/truncated.wav", WL_ERR_FORMAT, "truncated");
    write_wav("build/tmp/empty.wav", 16000, 1, 0, 0);
    expect_audio_error("build/tmp/empty.wav", WL_ERR_INPUT, "empty");
    write_wav("build/tmp/long.wav", 16000, 1, 16000 * 31, 0.1f);
    expect_audio_error("build/tmp/long.wav", WL_ERR_INPUT, "exceed the model's window of 480000 samples at 16 kHz (30 s)");
    /* Not files: refused at once (a FIFO would block a reader forever). */
    assert_int_equal(system("rm -f build/tmp/audio.fifo && mkfifo build/tmp/audio.fifo && mkdir -p build/tmp/adir"), 0);
    expect_audio_error("build/tmp/audio.fifo", WL_ERR_IO, "not a regular file");
    expect_audio_error("build/tmp/adir", WL_ERR_IO, "not a regular file");
    /* Non-finite samples are an error, never silence. */
    write_wav_as("build/tmp/nan.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 1, 1000, NAN);
    expect_audio_error("build/tmp/nan.wav", WL_ERR_FORMAT, "NaN");
    write_wav_as("build/tmp/inf.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 2, 1000, INFINITY);
    expect_audio_error("build/tmp/inf.wav", WL_ERR_FORMAT, "infinite");
    /* Headers no recording has: refused before any allocation they would drive. */
    write_wav("build/tmp/1hz.wav", 1, 1, 2, 0.1f);
    expect_audio_error("build/tmp/1hz.wav", WL_ERR_FORMAT, "1 Hz");
    write_wav_as("build/tmp/fast.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 655350, 8, 100, 0.1f);
    expect_audio_error("build/tmp/fast.flac", WL_ERR_FORMAT, "655350 Hz");
}

static void test_audio_conversions(void **state)
{
    (void)state;
    float *s;
    size_t n;
    /* Stereo is averaged to mono; 16-bit PCM reads as int16 / 32768. */
    write_wav("build/tmp/stereo.wav", 16000, 2, 1600, 0.25f);
    assert_int_equal(wl_audio_load("build/tmp/stereo.wav", (size_t)D.n_samples, &s, &n, err, sizeof err), WL_OK);
    assert_int_equal(n, 1600);
    assert_true(s[800] == 8192.0f / 32768.0f);
    free(s);
    /* 44.1 kHz is resampled to 16 kHz: the length scales and a constant stays constant. */
    write_wav("build/tmp/cd.wav", 44100, 1, 44100, 0.5f);
    assert_int_equal(wl_audio_load("build/tmp/cd.wav", (size_t)D.n_samples, &s, &n, err, sizeof err), WL_OK);
    printf("  44100 Hz, 1 s -> %zu samples; middle sample %.6f\n", n, s[n / 2]);
    assert_true(n >= 15999 && n <= 16001);
    assert_true(fabsf(s[n / 2] - 0.5f) < 1e-4f);
    free(s);
}

/* dir/ := symlinks to every file of the synthetic folder; a test replaces some of them. */
static void link_synthetic(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s && ln -s \"$PWD\"/" SYNTH "/* %s/", dir, dir, dir);
    assert_int_equal(system(cmd), 0);
}

/* dir/name := the synthetic folder's file through sed's arguments. The link is removed first,
 * so the synthetic file itself is never written. */
static void replace_file(const char *dir, const char *name, const char *sed_args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -f %s/%s && sed %s " SYNTH "/%s > %s/%s", dir, name, sed_args, name, dir, name);
    assert_int_equal(system(cmd), 0);
}

#define PRE "build/tmp/preproc"
/* sed arguments turning the 30 s window into a self-consistent 3 s one. */
#define WINDOW_3S "-e 's/\"chunk_length\": 30,/\"chunk_length\": 3,/' " \
                  "-e 's/\"n_samples\": 480000,/\"n_samples\": 48000,/' " \
                  "-e 's/\"nb_max_frames\": 3000,/\"nb_max_frames\": 300,/'"

static void test_preprocessor_config_checked(void **state)
{
    (void)state;
    const struct { const char *sed, *needle; } cases[] = {
        /* A consistent 3 s window, but the encoder has 1500 positions. */
        {WINDOW_3S,
         "\"nb_max_frames\" = 300, but config.json has max_source_positions 1500, which needs 2 * 1500 = 3000"},
        {"'s/\"nb_max_frames\": 3000,/\"nb_max_frames\": 300,/'",
         "\"nb_max_frames\" = 300, but n_samples / hop_length = 480000 / 160 = 3000"},
        {"'s/\"n_samples\": 480000,/\"n_samples\": 480001,/'",
         "\"n_samples\" = 480001, but chunk_length * sampling_rate = 30 * 16000 = 480000"},
        {"'s/\"sampling_rate\": 16000/\"sampling_rate\": 22050/'",
         "\"sampling_rate\" = 22050, but whisperlab's front end is fixed at 16000"},
        {"'s/\"n_fft\": 400,/\"n_fft\": 512,/'", "\"n_fft\" = 512, but whisperlab's front end is fixed at 400"},
        {"'s/\"hop_length\": 160,/\"hop_length\": 320,/'",
         "\"hop_length\" = 320, but whisperlab's front end is fixed at 160"},
        {"'s/\"feature_size\": 80,/\"feature_size\": 128,/'",
         "\"feature_size\" = 128, but config.json has num_mel_bins 80"},
        /* Missing, mistyped or malformed; 1e10 is rejected by range before any cast to int. */
        {"'/\"n_samples\"/d'", "key \"n_samples\" missing or not an integer"},
        {"'s/\"n_fft\": 400,/\"n_fft\": \"400\",/'", "key \"n_fft\" missing or not an integer"},
        {"'s/\"nb_max_frames\": 3000,/\"nb_max_frames\": 1e10,/'",
         "\"nb_max_frames\" = 10000000000 is out of range [1, 2147483647]"},
        {"'s/\"chunk_length\": 30,/\"chunk_length\": -30,/'", "\"chunk_length\" = -30 is out of range"},
        {"'s/\"chunk_length\": 30,/\"chunk_length\": 30.5,/'", "\"chunk_length\" = 30.5 is not an integer"},
        {"'s/}/,/'", "not a valid JSON object"},
    };
    link_synthetic(PRE);
    wl_model *m = NULL;
    assert_int_equal(wl_model_load(PRE, wl_default_params(), &m, err, sizeof err), WL_OK); /* the links alone load */
    wl_model_free(m);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        replace_file(PRE, "preprocessor_config.json", cases[i].sed);
        m = NULL;
        assert_int_equal(wl_model_load(PRE, wl_default_params(), &m, err, sizeof err), WL_ERR_FORMAT);
        assert_null(m);
        if (!strstr(err, PRE "/preprocessor_config.json: ") || !strstr(err, cases[i].needle) || strchr(err, '\n'))
            fail_msg("error '%s' lacks '%s' or the file", err, cases[i].needle);
    }
    assert_int_equal(system("rm " PRE "/preprocessor_config.json"), 0);
    expect_model_error(PRE, PRE "/preprocessor_config.json: cannot open");
}

/* Exactly the window is accepted, one sample more is not; the error gives the model's limit. */
static void test_audio_window(void **state)
{
    (void)state;
    float *s, *mel = malloc((size_t)D.n_mels * D.n_frames * sizeof(float));
    size_t n;
    write_wav("build/tmp/window.wav", 16000, 1, D.n_samples, 0.1f);
    assert_int_equal(wl_audio_load("build/tmp/window.wav", (size_t)D.n_samples, &s, &n, err, sizeof err), WL_OK);
    assert_int_equal(n, D.n_samples);
    assert_int_equal(wl_mel(M, s, n, mel, err, sizeof err), WL_OK);
    assert_int_equal(wl_mel(M, s, n + 1, mel, err, sizeof err), WL_ERR_INPUT);
    assert_non_null(strstr(err, "over the model's window of 480000 (30 s)"));
    free(s);
    write_wav("build/tmp/window+1.wav", 16000, 1, D.n_samples + 1, 0.1f);
    expect_audio_error("build/tmp/window+1.wav", WL_ERR_INPUT, "480001 samples at 16000 Hz (30.0000625 s) exceed "
                       "the model's window of 480000 samples at 16 kHz (30 s); long-form");
    /* The limit is the caller's (a model with a 3 s window). */
    write_wav("build/tmp/4.2s.wav", 16000, 1, 67200, 0.1f);
    expect_audio_error_max("build/tmp/4.2s.wav", 48000, WL_ERR_INPUT,
                           "67200 samples at 16000 Hz (4.2 s) exceed the model's window of 48000 samples "
                           "at 16 kHz (3 s)");
    /* At 44.1 kHz the duration is compared; the resampled length never exceeds the window. */
    write_wav("build/tmp/3s-cd.wav", 44100, 1, 3 * 44100, 0.5f);
    assert_int_equal(wl_audio_load("build/tmp/3s-cd.wav", 48000, &s, &n, err, sizeof err), WL_OK);
    assert_true(n >= 47999 && n <= 48000);
    free(s);
    write_wav("build/tmp/3s+1-cd.wav", 44100, 1, 3 * 44100 + 1, 0.5f);
    expect_audio_error_max("build/tmp/3s+1-cd.wav", 48000, WL_ERR_INPUT, "132301 samples at 44100 Hz (3.00002268 s) "
                           "exceed the model's window of 48000 samples at 16 kHz (3 s)");
    free(mel);
}

/* The synthetic checkpoint cut to a 3 s window: 150 encoder positions (the first 150 rows of
 * the position table), 300 mel frames. */
static void write_3s_model(const char *dir)
{
    link_synthetic(dir);
    replace_file(dir, "preprocessor_config.json", WINDOW_3S);
    replace_file(dir, "config.json", "'s/\"max_source_positions\": 1500,/\"max_source_positions\": 150,/'");
    wl_st_file f;
    assert_int_equal(wl_st_open(&f, SYNTH "/model.safetensors", err, sizeof err), 0);
    wl_st_tensor *ts = calloc((size_t)f.n, sizeof *ts);
    for (int i = 0; i < f.n; i++) {
        ts[i] = f.tensors[i];
        if (strcmp(ts[i].name, "model.encoder.embed_positions.weight") == 0)
            ts[i].shape[0] = 150, ts[i].nbytes = (size_t)150 * ts[i].shape[1] * sizeof(float);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    assert_int_equal(remove(path), 0); /* the link, so the synthetic file is not overwritten */
    assert_int_equal(wl_st_write(path, ts, f.n, err, sizeof err), 0);
    free(ts);
    wl_st_close(&f);
}

typedef struct {
    int64_t mel[2], conv1[2], conv2[2], enc_out[2];
} window_shapes;

static void record_shapes(void *user, const char *stage, const float *data, int ndim, const int64_t *shape)
{
    (void)data, (void)ndim;
    window_shapes *w = user;
    int64_t *to = strcmp(stage, "mel") == 0     ? w->mel
                  : strcmp(stage, "conv1") == 0 ? w->conv1
                  : strcmp(stage, "conv2") == 0 ? w->conv2
                  : strcmp(stage, "enc.out") == 0 ? w->enc_out
                                                  : NULL;
    if (to) to[0] = shape[0], to[1] = shape[1];
}

static void test_3s_window_model(void **state)
{
    (void)state;
    write_3s_model("build/tmp/window3s");
    window_shapes got = {0};
    wl_params p = wl_default_params();
    p.n_threads = 1, p.on_stage = record_shapes, p.user = &got;
    wl_model *m;
    if (wl_model_load("build/tmp/window3s", p, &m, err, sizeof err)) fail_msg("%s", err);
    wl_dims d = wl_model_dims(m);
    assert_int_equal(d.n_samples, 48000);
    assert_int_equal(d.n_frames, 300);
    assert_int_equal(d.n_audio_ctx, 150);
    float *s, *mel = malloc((size_t)d.n_mels * d.n_frames * sizeof(float));
    float *ref = malloc((size_t)D.n_mels * D.n_frames * sizeof(float));
    float *enc = malloc((size_t)d.n_audio_ctx * d.d_model * sizeof(float));
    size_t n;
    if (wl_audio_load(CLIP, (size_t)d.n_samples, &s, &n, err, sizeof err) || wl_mel(m, s, n, mel, err, sizeof err) ||
        wl_encode(m, mel, enc, err, sizeof err) || wl_mel(M, s, n, ref, err, sizeof err))
        fail_msg("%s", err);
    assert_true(got.mel[0] == d.n_mels && got.mel[1] == 300 && got.conv1[0] == d.d_model && got.conv1[1] == 300);
    assert_true(got.conv2[0] == d.d_model && got.conv2[1] == 150 && got.enc_out[0] == 150 && got.enc_out[1] == d.d_model);
    for (size_t i = 0; i < (size_t)d.n_audio_ctx * d.d_model; i++) assert_true(isfinite(enc[i]));
    /* The clip ends well inside 3 s, so the 30 s mel's first 300 frames are the 3 s mel: the
     * extra frames are silence, below the max - 8 floor. */
    double worst = 0;
    for (int j = 0; j < d.n_mels; j++)
        for (int t = 0; t < d.n_frames; t++)
            worst = fmax(worst, fabs(mel[j * d.n_frames + t] - ref[j * D.n_frames + t]));
    printf("  3 s window: mel [%d, 300] vs the 30 s mel's first 300 frames: max abs diff %.3g\n", d.n_mels, worst);
    assert_true(worst <= 1e-6);
    assert_int_equal(wl_mel(m, s, 48001, mel, err, sizeof err), WL_ERR_INPUT);
    assert_non_null(strstr(err, "over the model's window of 48000 (3 s)"));
    write_wav("build/tmp/3.5s.wav", 16000, 1, 56000, 0.1f);
    expect_audio_error_max("build/tmp/3.5s.wav", (size_t)d.n_samples, WL_ERR_INPUT,
                           "56000 samples at 16000 Hz (3.5 s) exceed the model's window of 48000 samples at 16 kHz (3 s)");
    free(s), free(mel), free(ref), free(enc);
    wl_model_free(m);
}

static void test_decoder_input_limits(void **state)
{
    (void)state;
    float *enc = encode_clip(M, CLIP), *logits = malloc((size_t)D.n_vocab * sizeof(float));
    wl_decoder *d;
    assert_int_equal(wl_decoder_new(M, enc, &d, err, sizeof err), WL_OK);
    int32_t bad = D.n_vocab;
    assert_int_equal(wl_decoder_feed(d, &bad, 1, logits, err, sizeof err), WL_ERR_INPUT);
    assert_non_null(strstr(err, "outside the vocabulary"));
    int32_t tok = 50257; /* one token a call up to the last position (logits only at the ends: they cost a step's time) */
    for (int i = 0; i < D.n_text_ctx; i++)
        assert_int_equal(wl_decoder_feed(d, &tok, 1, i == 0 || i == D.n_text_ctx - 1 ? logits : NULL, err, sizeof err), WL_OK);
    assert_int_equal(wl_decoder_feed(d, &tok, 1, logits, err, sizeof err), WL_ERR_INPUT);
    assert_non_null(strstr(err, "context"));
    wl_decoder_free(d);
    free(enc), free(logits);
}

/* A tiny Whisper (d_model 8, one layer each side, 3 s window) whose generated weights get elements
 * first..first+count-1 of tensor `name` overwritten with the given float32 bits. */
static void write_tiny_model(const char *name, int first, int count, uint32_t bits)
{
    const char *dir = "build/tmp/tinyw";
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen("build/tmp/tinyw/config.json", "w");
    fputs("{\"num_mel_bins\": 80, \"d_model\": 8, \"vocab_size\": 64, \"encoder_layers\": 1,"
          " \"encoder_attention_heads\": 2, \"encoder_ffn_dim\": 16, \"decoder_layers\": 1,"
          " \"decoder_attention_heads\": 2, \"decoder_ffn_dim\": 16, \"max_source_positions\": 150,"
          " \"max_target_positions\": 8}", f);
    fclose(f);
    f = fopen("build/tmp/tinyw/preprocessor_config.json", "w");
    fputs("{\"sampling_rate\": 16000, \"n_fft\": 400, \"hop_length\": 160, \"feature_size\": 80,"
          " \"chunk_length\": 3, \"n_samples\": 48000, \"nb_max_frames\": 300}", f);
    fclose(f);
    assert_int_equal(gen_write_synthetic("build/tmp/tinyw/config.json", "build/tmp/tinyw/model.safetensors", NULL,
                                         NULL, err, sizeof err), 0);
    wl_model *m = NULL;
    if (wl_model_load(dir, wl_default_params(), &m, err, sizeof err)) fail_msg("clean tiny model: %s", err);
    wl_model_free(m);
    wl_st_file st;
    assert_int_equal(wl_st_open(&st, "build/tmp/tinyw/model.safetensors", err, sizeof err), 0);
    const wl_st_tensor *t = wl_st_find(&st, name);
    assert_non_null(t);
    long off = (long)((const char *)t->data - (const char *)st.map) + 4 * first;
    wl_st_close(&st);
    f = fopen("build/tmp/tinyw/model.safetensors", "r+b");
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    for (int i = 0; i < count; i++) assert_int_equal(fwrite(&bits, 4, 1, f), 1);
    fclose(f);
}

static void test_non_finite_weights(void **state)
{
    (void)state;
    write_tiny_model("model.decoder.layers.0.fc1.weight", 5, 1, 0x7FC00000u); /* NaN */
    expect_model_error("build/tmp/tinyw", "'model.decoder.layers.0.fc1.weight' element 5 is NaN or infinite");
    write_tiny_model("model.decoder.layers.0.fc1.weight", 5, 1, 0xFF800000u); /* -Inf */
    expect_model_error("build/tmp/tinyw", "element 5 is NaN or infinite");
}

/* A logit that overflows in the second row of a feed only: token 5's embedding holds 2e38 in
 * one channel c, so at row 1 (token 5) that channel dominates the final LayerNorm's input and
 * comes out near sqrt(d_model - 1) times its weight, and the tied projection's logit 5 overflows;
 * row 0 (token 1) meets the 2e38 only as h0[c] * 2e38, finite while |h0[c]| < 1.7 (checked:
 * a channel where it is not is skipped). Nothing spreads back to row 0: the overflow is in the
 * last product. The feed must fail naming row 1. */
static void test_non_finite_logit_after_the_first_row(void **state)
{
    (void)state;
    const float huge = 2e38f;
    uint32_t bits;
    memcpy(&bits, &huge, sizeof bits);
    int found = 0;
    for (int c = 0; c < 8 && !found; c++) {
        write_tiny_model("model.decoder.embed_tokens.weight", 5 * 8 + c, 1, bits);
        wl_model *m = NULL;
        if (wl_model_load("build/tmp/tinyw", wl_default_params(), &m, err, sizeof err)) fail_msg("%s", err);
        float *enc = t_encode(m, CLIP, NULL, err, sizeof err), logits[2 * 64];
        assert_non_null(enc);
        wl_decoder *dec = NULL;
        const int32_t toks[2] = {1, 5};
        assert_int_equal(wl_decoder_new(m, enc, &dec, err, sizeof err), WL_OK);
        if (wl_decoder_feed(dec, toks, 1, logits, err, sizeof err) == WL_OK) { /* row 0 alone is finite */
            wl_decoder_reset(dec);
            wl_status st = wl_decoder_feed(dec, toks, 2, logits, err, sizeof err);
            printf("  2e38 in channel %d of token 5's embedding, tokens 1 5 fed together: %s\n", c,
                   st ? err : "accepted");
            if (st == WL_OK || !strstr(err, "of row 1 is not finite")) fail_msg("channel %d: '%s'", c, st ? err : "no error");
            found = 1;
        }
        wl_decoder_free(dec);
        free(enc);
        wl_model_free(m);
    }
    assert_true(found);
}

/* Finite but huge weights (3e38) load, then overflow inside the network: the run must stop with
 * an error naming the stage, not decode NaN logits into no words. */
static void test_overflowing_weights(void **state)
{
    (void)state;
    static const char *names[] = {"model.encoder.conv1.weight", "model.decoder.layer_norm.weight"};
    for (int k = 0; k < 2; k++) {
        write_tiny_model(names[k], 0, 8, 0x7F61B1E6u); /* 3.0e38 */
        wl_model *m = NULL;
        if (wl_model_load("build/tmp/tinyw", wl_default_params(), &m, err, sizeof err)) fail_msg("%s", err);
        float *enc = t_encode(m, CLIP, NULL, err, sizeof err);
        wl_decoder *dec = NULL;
        float logits[64];
        int32_t tok = 1;
        int failed = !enc || wl_decoder_new(m, enc, &dec, err, sizeof err) ||
                     wl_decoder_feed(dec, &tok, 1, logits, err, sizeof err);
        if (!failed) fail_msg("%s = 3e38: the run succeeded", names[k]);
        if (!strstr(err, "not finite")) fail_msg("%s = 3e38: '%s'", names[k], err);
        printf("  %s = 3e38: %s\n", names[k], err);
        wl_decoder_free(dec);
        free(enc);
        wl_model_free(m);
    }
}

/* A 30 s window silent but for a tone in its last 100 samples: only the last kept frame (2999,
 * which reaches 40 samples into the end's reflection) hears it, so the loudest value of the
 * whole mel is there. That frame is computed again here from its definition (periodic Hann, a
 * plain DFT in double, |X|^2, the Slaney filters, log10 clamped at 1e-10), and every other frame
 * must be the floor, (top - 8 + 4) / 4, with top that frame's largest log10. */
static void test_mel_loudest_at_the_end(void **state)
{
    (void)state;
    const int N = D.n_samples, F = D.n_frames, NM = D.n_mels, PAD = WL_N_FFT / 2;
    float *x = calloc((size_t)N, sizeof *x), *mel = malloc((size_t)NM * F * sizeof *mel);
    float *filt = malloc((size_t)NM * WL_N_BINS * sizeof *filt);
    assert_true(x && mel && filt && F == N / WL_HOP);
    for (int i = N - 100; i < N; i++) x[i] = (float)(0.5 * sin(2 * M_PI * 1000.0 * i / WL_SAMPLE_RATE));
    if (wl_mel(M, x, (size_t)N, mel, err, sizeof err)) fail_msg("%s", err);
    wl_mel_filters(NM, filt);
    const int t = F - 1;
    double frame[WL_N_FFT], power[WL_N_BINS], logmel[1024], top = -INFINITY;
    for (int i = 0; i < WL_N_FFT; i++) {
        int k = t * WL_HOP - PAD + i; /* reflect without repeating the edge sample */
        k = k < 0 ? -k : k >= N ? 2 * (N - 1) - k : k;
        frame[i] = x[k] * (0.5 - 0.5 * cos(2 * M_PI * i / WL_N_FFT));
    }
    for (int b = 0; b < WL_N_BINS; b++) {
        double re = 0, im = 0;
        for (int i = 0; i < WL_N_FFT; i++)
            re += frame[i] * cos(2 * M_PI * b * i / WL_N_FFT), im -= frame[i] * sin(2 * M_PI * b * i / WL_N_FFT);
        power[b] = re * re + im * im;
    }
    for (int j = 0; j < NM; j++) {
        double e = 0;
        for (int b = 0; b < WL_N_BINS; b++) e += (double)filt[j * WL_N_BINS + b] * power[b];
        logmel[j] = log10(e > 1e-10 ? e : 1e-10);
        top = fmax(top, logmel[j]);
    }
    double worst = 0, floor_v = (top - 8.0 + 4.0) / 4.0;
    for (int j = 0; j < NM; j++) {
        double want = (fmax(logmel[j], top - 8.0) + 4.0) / 4.0;
        worst = fmax(worst, fabs(mel[(size_t)j * F + t] - want));
        for (int f = 0; f < t; f++)
            if (fabs(mel[(size_t)j * F + f] - floor_v) > 1e-6)
                fail_msg("mel[%d][%d] = %.7f, not the floor %.7f (top %.6f, from the last frame)", j, f,
                         mel[(size_t)j * F + f], floor_v, top);
    }
    printf("  tone in the last 100 samples: top %.4f at frame %d; that frame within %.2g of a plain DFT\n", top, t,
           worst);
    assert_true(worst < 1e-6); /* a few float ulps at ~1; the two transforms differ far below that */
    free(x), free(mel), free(filt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mel_range_is_two),
        cmocka_unit_test(test_mel_filter_facts),
        cmocka_unit_test(test_mel_loudest_at_the_end),
        cmocka_unit_test(test_step_by_step_equals_whole_sequence),
        cmocka_unit_test(test_runs_together_equal_each_alone),
        cmocka_unit_test(test_half_conversions),
        cmocka_unit_test(test_f16_and_bf16_checkpoints),
        cmocka_unit_test(test_bad_model_folders),
        cmocka_unit_test(test_bad_audio),
        cmocka_unit_test(test_audio_conversions),
        cmocka_unit_test(test_preprocessor_config_checked),
        cmocka_unit_test(test_audio_window),
        cmocka_unit_test(test_3s_window_model),
        cmocka_unit_test(test_decoder_input_limits),
        cmocka_unit_test(test_non_finite_weights),
        cmocka_unit_test(test_overflowing_weights),
        cmocka_unit_test(test_non_finite_logit_after_the_first_row),
    };
    return cmocka_run_group_tests_name("engine properties and bad input", tests, setup, teardown);
}
