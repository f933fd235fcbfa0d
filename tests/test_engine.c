/* Engine properties that need no golden file (its handling of bad input is test_engine_inputs'):
 * - the log-mel's range is exactly 2.0 (the max - 8 floor) on every lab clip, and its filterbank
 *   has the shape HF's has;
 * - feeding tokens one step at a time gives the logits of the whole-sequence (teacher-forced) pass;
 * - an F16 (or BF16) checkpoint gives exactly what an F32 checkpoint of the same rounded values
 *   gives, and stays within f16 rounding of the original;
 * - runs of tokens fed to several decoders at once give what each gives alone. */
#include "engine_fixture.h"
#include "../engine/io/half.h"
#include "../gen/synthetic_checkpoint.h"
#include "../engine/frontend/mel.h"
#include "../engine/io/safetensors.h"

#include <math.h>
#include <string.h>

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
        if (wl_audio_load(wav, (size_t)D.n_samples, &s, &n, err, sizeof err) || wl_mel(ST, s, n, mel, err, sizeof err))
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
    float *enc = encode_clip(ST, CLIP);
    /* 80 tokens: more than one block of 48 query rows in the attention (ATTN_ROWS in ops.c), so
     * the causal mask is checked in a block that does not start at row 0 */
    int32_t tokens[80] = {50257, 50362, 314, 670, 13, 50256, 220, 1312, 50363, 51000};
    const int T = sizeof tokens / sizeof tokens[0];
    for (int t = 10; t < T; t++) tokens[t] = 220 + 613 * t % 50000; /* arbitrary text tokens */
    float *whole = malloc((size_t)T * D.n_vocab * sizeof(float));
    float *step = malloc((size_t)T * D.n_vocab * sizeof(float));
    wl_decoder *a, *b;
    assert_int_equal(wl_decoder_new(ST, enc, &a, err, sizeof err), WL_OK);
    assert_int_equal(wl_decoder_new(ST, enc, &b, err, sizeof err), WL_OK);
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
    assert_int_equal(wl_decoder_new(ST, enc, &c, err, sizeof err), WL_OK);
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
    assert_int_equal(wl_decoder_new(ST, enc, &c, err, sizeof err), WL_OK);
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
    float *enc = encode_clip(ST, CLIP);
    const int32_t tokens[] = {50257, 50362, 50257, 50257, 50362, 314, 670}; /* runs of 2, 1, 4 */
    const int counts[3] = {2, 1, 4}, V = D.n_vocab;
    wl_decoder *alone[3], *together[3];
    float *want = malloc((size_t)4 * V * sizeof(float)), *got = malloc((size_t)3 * V * sizeof(float));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(wl_decoder_new(ST, enc, &alone[i], err, sizeof err), WL_OK);
        assert_int_equal(wl_decoder_new(ST, enc, &together[i], err, sizeof err), WL_OK);
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
    wl_state *ms = NULL;
    wl_params p = wl_default_params();
    p.n_threads = 1;
    if (wl_model_load(dir, p, &m, err, sizeof err) || wl_state_new(m, NULL, NULL, &ms, err, sizeof err)) fail_msg("%s", err);
    float *enc = encode_clip(ms, CLIP);
    wl_state_free(ms);
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
    wl_state *ms = NULL;
    wl_params p = wl_default_params();
    p.n_threads = 1;
    if (wl_model_load(SMALL, p, &m, err, sizeof err) || wl_state_new(m, NULL, NULL, &ms, err, sizeof err)) fail_msg("%s", err);
    wl_dims d = wl_model_dims(m);
    float *ref = encode_clip(ms, CLIP);
    wl_state_free(ms);
    wl_model_free(m);
    check_half_precision(WL_F16, "f16", ref, (size_t)d.n_audio_ctx * d.d_model, 1e-2);
    check_half_precision(WL_BF16, "bf16", ref, (size_t)d.n_audio_ctx * d.d_model, 5e-2);
    free(ref);
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
    if (wl_mel(ST, x, (size_t)N, mel, err, sizeof err)) fail_msg("%s", err);
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
    };
    return cmocka_run_group_tests_name("engine properties", tests, setup, teardown);
}
