/* The engine's handling of bad input through its API (test_bad_inputs and test_bad_models go
 * through the command), and its audio window:
 * - corrupt, truncated, empty, too long or missing inputs give a clear error naming the file;
 * - the audio window comes from preprocessor_config.json, checked against config.json: exactly
 *   the window is accepted, a model with a 3 s window runs end to end;
 * - weights that are not finite, or that overflow inside the network, stop the run with an error
 *   naming the tensor or the stage. */
#include "engine_fixture.h"
#include "../gen/synthetic_checkpoint.h"
#include "../engine/io/safetensors.h"

#include <math.h>
#include <sndfile.h>
#include <string.h>

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
    assert_int_equal(wl_mel(ST, s, n, mel, err, sizeof err), WL_OK);
    assert_int_equal(wl_mel(ST, s, n + 1, mel, err, sizeof err), WL_ERR_INPUT);
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
    p.n_threads = 1;
    wl_model *m;
    wl_state *ms = NULL;
    if (wl_model_load("build/tmp/window3s", p, &m, err, sizeof err) || wl_state_new(m, record_shapes, &got, &ms, err, sizeof err)) fail_msg("%s", err);
    wl_dims d = wl_model_dims(m);
    assert_int_equal(d.n_samples, 48000);
    assert_int_equal(d.n_frames, 300);
    assert_int_equal(d.n_audio_ctx, 150);
    float *s, *mel = malloc((size_t)d.n_mels * d.n_frames * sizeof(float));
    float *ref = malloc((size_t)D.n_mels * D.n_frames * sizeof(float));
    float *enc = malloc((size_t)d.n_audio_ctx * d.d_model * sizeof(float));
    size_t n;
    if (wl_audio_load(CLIP, (size_t)d.n_samples, &s, &n, err, sizeof err) || wl_mel(ms, s, n, mel, err, sizeof err) ||
        wl_encode(ms, mel, enc, err, sizeof err) || wl_mel(ST, s, n, ref, err, sizeof err))
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
    assert_int_equal(wl_mel(ms, s, 48001, mel, err, sizeof err), WL_ERR_INPUT);
    assert_non_null(strstr(err, "over the model's window of 48000 (3 s)"));
    write_wav("build/tmp/3.5s.wav", 16000, 1, 56000, 0.1f);
    expect_audio_error_max("build/tmp/3.5s.wav", (size_t)d.n_samples, WL_ERR_INPUT,
                           "56000 samples at 16000 Hz (3.5 s) exceed the model's window of 48000 samples at 16 kHz (3 s)");
    free(s), free(mel), free(ref), free(enc);
    wl_state_free(ms);
    wl_model_free(m);
}

static void test_decoder_input_limits(void **state)
{
    (void)state;
    float *enc = encode_clip(ST, CLIP), *logits = malloc((size_t)D.n_vocab * sizeof(float));
    wl_decoder *d;
    assert_int_equal(wl_decoder_new(ST, enc, &d, err, sizeof err), WL_OK);
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
        wl_state *ms = NULL;
        if (wl_model_load("build/tmp/tinyw", wl_default_params(), &m, err, sizeof err) || wl_state_new(m, NULL, NULL, &ms, err, sizeof err)) fail_msg("%s", err);
        float *enc = t_encode(ms, CLIP, NULL, err, sizeof err), logits[2 * 64];
        assert_non_null(enc);
        wl_decoder *dec = NULL;
        const int32_t toks[2] = {1, 5};
        assert_int_equal(wl_decoder_new(ms, enc, &dec, err, sizeof err), WL_OK);
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
        wl_state_free(ms);
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
        wl_state *ms = NULL;
        if (wl_model_load("build/tmp/tinyw", wl_default_params(), &m, err, sizeof err) || wl_state_new(m, NULL, NULL, &ms, err, sizeof err)) fail_msg("%s", err);
        float *enc = t_encode(ms, CLIP, NULL, err, sizeof err);
        wl_decoder *dec = NULL;
        float logits[64];
        int32_t tok = 1;
        int failed = !enc || wl_decoder_new(ms, enc, &dec, err, sizeof err) ||
                     wl_decoder_feed(dec, &tok, 1, logits, err, sizeof err);
        if (!failed) fail_msg("%s = 3e38: the run succeeded", names[k]);
        if (!strstr(err, "not finite")) fail_msg("%s = 3e38: '%s'", names[k], err);
        printf("  %s = 3e38: %s\n", names[k], err);
        wl_decoder_free(dec);
        free(enc);
        wl_state_free(ms);
        wl_model_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
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
    return cmocka_run_group_tests_name("engine: bad input and the audio window", tests, setup, teardown);
}
