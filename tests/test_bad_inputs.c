/* A catalogue of bad inputs given on the command line, run end to end through the real whisperlab
 * command (bad_catalogue.h says what every case must give): broken, hostile or unusual audio
 * files, output paths and options. Valid but unusual audio (24/32-bit, float, FLAC, 6 channels,
 * 96 kHz, exactly the window) must be accepted and give the clean clip's text, so "accepted"
 * never means "silently wrong"; 8-bit audio, whose noise the small model hears, must give the
 * text of exactly its decoded samples. */
#define ROOT "build/tmp/bad"
#define CATALOGUE_USES_30S_MODEL /* two cases run the 30 s model (%S) */
#include "bad_catalogue.h"

/* Rows name only the builder parameters they use; the rest are zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <soxr.h>

/* ---- builders -------------------------------------------------------------------------- */

/* The clip at `rate` (resampled with libsoxr HQ for ordinary rates; for absurd rates, whose
 * files are refused before reading, the samples are just relabelled), padded with silence or cut
 * to c->frames, on every channel, written with libsndfile in c->format. */
static void audio(const bad_case *c, const char *dir)
{
    int rate = c->rate ? c->rate : 16000, ch = c->channels ? c->channels : 1;
    long n = clip_n;
    float *mono = clip;
    if (rate != 16000 && rate >= 8000 && rate <= 192000) {
        size_t cap = (size_t)((double)clip_n * rate / 16000) + 64, done = 0;
        mono = malloc(cap * sizeof *mono);
        soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
        assert_null(soxr_oneshot(16000, rate, 1, clip, (size_t)clip_n, NULL, mono, cap, &done, NULL, &q, NULL));
        n = (long)done;
    }
    long frames = c->frames > 0 ? c->frames : c->frames < 0 ? 0 : n; /* < 0: no frames at all */
    float *buf = calloc((size_t)frames * ch + 1, sizeof *buf);
    for (long i = 0; i < frames && i < n; i++)
        for (int k = 0; k < ch; k++) buf[i * ch + k] = mono[i];
    if (c->poke_at > 0) buf[c->poke_at * ch + c->poke_ch] = c->poke;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file_of(c));
    SF_INFO info = {.samplerate = rate, .channels = ch, .format = c->format ? c->format : SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) fail_msg("libsndfile cannot write %s: %s", path, sf_strerror(NULL));
    /* 16-bit PCM of the 16 kHz clip is written from the stored samples: bit-exact. */
    if ((info.format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_16 && mono == clip && ch == 1 && c->poke_at == 0) {
        short *s = calloc((size_t)frames + 1, sizeof *s);
        memcpy(s, clip16, (size_t)(frames < n ? frames : n) * sizeof *s);
        assert_int_equal(sf_writef_short(f, s, frames), frames);
        free(s);
    } else {
        assert_int_equal(sf_writef_float(f, buf, frames), frames);
    }
    sf_close(f);
    if (mono != clip) free(mono);
    free(buf);
}

/* audio(), plus ref.wav: float samples of what libsndfile decodes from it. A lossy format (8-bit
 * PCM) changes what the small model hears, so its text is compared with the text of exactly the
 * decoded samples rather than with the clean clip's. */
static void audio_with_ref(const bad_case *c, const char *dir)
{
    audio(c, dir);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file_of(c));
    SF_INFO in = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &in);
    assert_non_null(f);
    float *buf = malloc((size_t)in.frames * in.channels * sizeof *buf);
    assert_int_equal(sf_readf_float(f, buf, in.frames), in.frames);
    sf_close(f);
    snprintf(path, sizeof path, "%s/ref.wav", dir);
    SF_INFO out = {.samplerate = in.samplerate, .channels = in.channels, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    f = sf_open(path, SFM_WRITE, &out);
    assert_non_null(f);
    assert_int_equal(sf_writef_float(f, buf, in.frames), in.frames);
    sf_close(f);
    free(buf);
}

/* A copy of the clip's bytes, cut to c->keep and patched. */
static void clip_bytes(const bad_case *c, const char *dir)
{
    size_t len;
    unsigned char *b = (unsigned char *)read_all(CLIP, &len);
    if (c->keep) len = c->keep > 0 ? (size_t)c->keep : len - (size_t)-c->keep;
    for (int i = 0; i < c->patch_size; i++) b[c->patch_off + i] = (unsigned char)(c->patch_val >> (8 * i));
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file_of(c));
    write_all(path, b, len);
    free(b);
}

static void text(const bad_case *c, const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file_of(c));
    write_all(path, c->to, strlen(c->to));
}

/* Destinations for --out: a regular file, a FIFO, a folder, links to the clip copy, and a
 * folder without write permission. */
static void out_targets(const bad_case *c, const char *dir)
{
    (void)c;
    sh("cd '%s' && echo x > afile && mkfifo fifo && mkdir adir ro && ln -s \"$OLDPWD\"/" CLIP " clip-link.wav && "
       "ln \"$OLDPWD\"/" CLIP " clip-hardlink.wav && chmod 555 ro", dir);
}

/* ---- the catalogue --------------------------------------------------------------------- */

#define DUMP "dump --audio %C/a.wav --out %O --model %M"
#define OK_RUN "transcribe --model %M %C/a.wav"
#define OK_RUN_FLAC "transcribe --model %M %C/a.flac"
#define PCM16 (SF_FORMAT_WAV | SF_FORMAT_PCM_16)
#define FLOAT (SF_FORMAT_WAV | SF_FORMAT_FLOAT)

static const bad_case AUDIO[] = {
    {"audio_empty_file", text, DUMP, 1, "%C/a.wav", "empty file (0 bytes)", .to = ""},
    {"audio_text_named_wav", text, DUMP, 1, "%C/a.wav", "Format not recognised", .to = "hello, not audio\n"},
    {"audio_header_cut_at_20", clip_bytes, DUMP, 1, "%C/a.wav", "chunk 'fmt ' at byte 12 claims 16 bytes, but 0 remain", .keep = 20},
    {"audio_header_only", clip_bytes, DUMP, 1, "%C/a.wav", "truncated audio file", .keep = 44},
    {"audio_data_cut", clip_bytes, DUMP, 1, "%C/a.wav", "truncated audio file", .keep = 1000},
    /* a chunk longer than the file: libsndfile 1.2.0 spins on such a LIST chunk (the audio fuzzer's
     * timeout, kept in tests/fuzz/regressions/audio/) */
    {"audio_chunk_overruns_file", clip_bytes, DUMP, 1, "%C/a.wav", "chunk 'fmt ' at byte 12 claims 4294967295 bytes",
     .patch_off = 16, .patch_size = 4, .patch_val = 0xFFFFFFFF},
    {"audio_data_size_2g", clip_bytes, DUMP, 1, "%C/a.wav", "truncated audio file", .patch_off = 40,
     .patch_size = 4, .patch_val = 0x7FFFFFFF},
    {"audio_rate_0", clip_bytes, DUMP, 1, "%C/a.wav", "a.wav: 0 Hz, 1 channel", .patch_off = 24, .patch_size = 4, .patch_val = 0},
    {"audio_rate_1", audio, DUMP, 1, "%C/a.wav", "1 Hz, 1 channel", .rate = 1, .frames = 2},
    {"audio_rate_999", audio, DUMP, 1, "%C/a.wav", "999 Hz", .rate = 999},
    {"audio_rate_384001", audio, DUMP, 1, "%C/a.wav", "384001 Hz", .rate = 384001},
    {"audio_channels_0", clip_bytes, DUMP, 1, "%C/a.wav", "16000 Hz, 0 channels", .patch_off = 22, .patch_size = 2},
    {"audio_channels_65", audio, DUMP, 1, "%C/a.wav", "65 channels", .channels = 65, .frames = 100},
    {"audio_bits_0", clip_bytes, DUMP, 1, "%C/a.wav", "unimplemented format", .patch_off = 34, .patch_size = 2},
    {"audio_no_samples", audio, DUMP, 1, "%C/a.wav", "empty audio (no samples)", .frames = -1},
    {"audio_nan_sample", audio, DUMP, 1, "%C/a.wav", "sample 100 (channel 0) is NaN", .format = FLOAT,
     .poke_at = 100, .poke = NAN},
    {"audio_inf_sample", audio, DUMP, 1, "%C/a.wav", "sample 5000 (channel 1) is infinite", .format = FLOAT,
     .channels = 2, .poke_at = 5000, .poke_ch = 1, .poke = -INFINITY},
    {"audio_huge_sample", audio, DUMP, 1, "%C/a.wav", "sample 100 (channel 0) is 1e+30; whisperlab reads samples "
     "within +-65536", .format = FLOAT, .poke_at = 100, .poke = 1e30f},
    {"audio_sample_past_bound", audio, DUMP, 1, "%C/a.wav", "sample 2000 (channel 0) is -65537;", .format = FLOAT,
     .poke_at = 2000, .poke = -65537.0f},
    {"audio_huge_sample_channel_1", audio, DUMP, 1, "%C/a.wav", "sample 7000 (channel 1) is 1e+30;", .format = FLOAT,
     .channels = 2, .poke_at = 7000, .poke_ch = 1, .poke = 1e30f},
    {"audio_window_plus_1", audio, DUMP, 1, "%C/a.wav",
     "48001 samples at 16000 Hz (3.0000625 s) exceed the model's window of 48000 samples at 16 kHz (3 s)", .frames = 48001},
    {"audio_window_plus_1_44k", audio, DUMP, 1, "%C/a.wav", "132301 samples at 44100 Hz (3.00002268 s) exceed",
     .rate = 44100, .frames = 132301},
    {"audio_30s_window_plus_1", audio, "dump --audio %C/a.wav --out %O --model %S", 1, "%C/a.wav",
     "480001 samples at 16000 Hz (30.0000625 s) exceed the model's window of 480000 samples at 16 kHz (30 s)",
     .frames = 480001},
    {"audio_missing", NULL, DUMP, 1, "%C/a.wav", "cannot open: No such file or directory"},
    {"audio_directory", directory, DUMP, 1, "%C/a.wav", "not a regular file"},
    {"audio_fifo", fifo, DUMP, 1, "%C/a.wav", "not a regular file"},
    {"audio_dev_zero", NULL, "dump --audio /dev/zero --out %O --model %M", 1, "/dev/zero", "not a regular file"},
    {"audio_symlink_loop", symlink_loop, DUMP, 1, "%C/a.wav", "Too many levels of symbolic links"},
    {"audio_newline_in_name", NULL, "dump --audio '%C/a\nb.wav' --out %O --model %M", 1, "%C/a\\nb.wav", "cannot open"},
    {"audio_bad_among_good", text, "transcribe --model %M %A %C/a.wav", 1, "%C/a.wav", "Format not recognised",
     .to = "RIFF"},
    {"audio_inspect_text", text, "inspect --model %M %C/a.wav", 1, "%C/a.wav", "Format not recognised",
     .to = "not audio"},
};

/* Unusual but valid: decoded to the clip's own text. */
static const bad_case ACCEPTED[] = {
    {"ok_pcm_u8", audio_with_ref, "transcribe --model %M %C/a.wav %C/ref.wav", 0, NULL, "a.wav: ",
     .format = SF_FORMAT_WAV | SF_FORMAT_PCM_U8, .same_text = 1},
    {"ok_pcm_24", audio, OK_RUN, 0, NULL, "%T", .format = SF_FORMAT_WAV | SF_FORMAT_PCM_24},
    {"ok_pcm_32", audio, OK_RUN, 0, NULL, "%T", .format = SF_FORMAT_WAV | SF_FORMAT_PCM_32},
    {"ok_float", audio, OK_RUN, 0, NULL, "%T", .format = FLOAT},
    {"ok_double", audio, OK_RUN, 0, NULL, "%T", .format = SF_FORMAT_WAV | SF_FORMAT_DOUBLE},
    {"ok_flac", audio, OK_RUN_FLAC, 0, NULL, "%T", .file = "a.flac", .format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
    {"ok_6_channels", audio, OK_RUN, 0, NULL, "%T", .channels = 6},
    {"ok_96k", audio, OK_RUN, 0, NULL, "%T", .rate = 96000},
    {"ok_44k1", audio, OK_RUN, 0, NULL, "%T", .rate = 44100},
    {"ok_exactly_3s", audio, OK_RUN, 0, NULL, "%T", .frames = 48000},
    {"ok_exactly_3s_44k", audio, OK_RUN, 0, NULL, "%T", .rate = 44100, .frames = 132300},
    {"ok_exactly_30s_model", audio, "transcribe --max-new-tokens 2 --json --model %S %C/a.wav", 0, NULL,
     "\"tokens\":", .frames = 480000},
};

#define OUT_ARGS(o) "dump --audio %A --model %M --out " o
static const bad_case OUTPUTS[] = {
    {"out_no_such_dir", out_targets, OUT_ARGS("%C/no/such/x.st"), 1, "%C/no/such/x.st", "cannot create"},
    {"out_under_a_file", out_targets, OUT_ARGS("%C/afile/x.st"), 1, "%C/afile/x.st", "Not a directory"},
    {"out_unwritable_dir", out_targets, OUT_ARGS("%U/x.st"), 1, "%U/x.st", "cannot create"},
    {"out_onto_input", out_targets, OUT_ARGS("%A"), 2, "%A", "is the input audio"},
    {"out_onto_input_symlink", out_targets, OUT_ARGS("%C/clip-link.wav"), 2, "%C/clip-link.wav", "is the input audio"},
    {"out_onto_input_hardlink", out_targets, OUT_ARGS("%C/clip-hardlink.wav"), 2, "%C/clip-hardlink.wav",
     "is the input audio"},
    {"out_onto_model", out_targets, OUT_ARGS("%M/model.safetensors"), 2, "%M/model.safetensors",
     "is the model's model.safetensors"},
    {"out_is_a_dir", out_targets, OUT_ARGS("%C/adir"), 2, "%C/adir", "not a regular file"},
    {"out_is_a_fifo", out_targets, OUT_ARGS("%C/fifo"), 2, "%C/fifo", "not a regular file"},
    {"out_empty", out_targets, OUT_ARGS("''"), 2, "--out", "empty"},
};

static const bad_case OPTIONS[] = {
    {"opt_unknown", NULL, "info --modle x", 2, "'--modle'", "unknown option"},
    {"opt_missing_value", NULL, "info --model", 2, "--model", "needs a value"},
    {"opt_given_twice", NULL, "info --model %M --threads 1 --threads 2", 2, "--threads", "given twice"},
    {"opt_transcribe_given_twice", NULL, "transcribe --model %M --beams 2 --beams 3 %A", 2, "--beams", "given twice"},
    {"opt_threads_negative", NULL, "info --model %M --threads -1", 2, "--threads '-1'", "expected an integer in 0..256"},
    {"opt_threads_word", NULL, "info --model %M --threads abc", 2, "--threads 'abc'", "expected an integer"},
    {"opt_threads_huge", NULL, "info --model %M --threads 100000", 2, "--threads '100000'", "expected an integer"},
    {"opt_threads_empty", NULL, "info --model %M --threads ''", 2, "--threads ''", "expected an integer"},
    {"opt_threads_fraction", NULL, "dump --audio %A --out %O --model %M --threads 1.5", 2, "--threads '1.5'",
     "expected an integer"},
    {"opt_beams_0", NULL, "transcribe --model %M --beams 0 %A", 2, "--beams '0'", "expected an integer in 1..64"},
    {"opt_beams_65", NULL, "transcribe --model %M --beams 65 %A", 2, "--beams '65'", "expected an integer in 1..64"},
    {"opt_max_new_negative", NULL, "transcribe --model %M --max-new-tokens -1 %A", 2, "--max-new-tokens '-1'",
     "expected an integer"},
    {"opt_max_new_overflow", NULL, "transcribe --model %M --max-new-tokens 99999999999999999999 %A", 2,
     "--max-new-tokens '99999999999999999999'", "expected an integer"},
    {"opt_transcribe_unknown", NULL, "transcribe --model %M --bems 5 %A", 2, "--bems", "unknown"},
    {"opt_transcribe_no_value", NULL, "transcribe %A --model", 2, "--model", "incomplete option"},
    {"opt_transcribe_no_file", NULL, "transcribe --model %M", 2, "transcribe", "no audio file given"},
    {"opt_inspect_two_files", NULL, "inspect --model %M %A %A", 2, "inspect", "exactly one audio file"},
    {"opt_tokens_empty", NULL, "dump --audio %A --out %O --model %M --tokens ''", 2, "--tokens", "no token ids"},
    {"opt_tokens_negative", NULL, "dump --audio %A --out %O --model %M --tokens 50257,-1", 2, "'-1'",
     "is not a token id"},
    {"opt_tokens_overflow", NULL, "dump --audio %A --out %O --model %M --tokens 4294967296", 2, "'4294967296'",
     "is not a token id"},
    {"opt_tokens_double_comma", NULL, "dump --audio %A --out %O --model %M --tokens 50257,,1", 2, "--tokens",
     "is not a token id"},
    {"opt_tokens_outside_vocab", NULL, "dump --audio %A --out %O --model %M --tokens 50257,51864", 2, "--tokens",
     "token 51864 is outside the model's vocabulary (51864 tokens)"},
    {"opt_stages_unknown", NULL, "dump --audio %A --out %O --model %M --stages mel,bogus", 2, "'bogus'",
     "is not a stage of this model"},
    {"opt_stages_layer_9", NULL, "dump --audio %A --out %O --model %M --stages enc.layer.9", 2, "'enc.layer.9'",
     "is not a stage of this model"},
    {"opt_stages_empty", NULL, "dump --audio %A --out %O --model %M --stages ''", 2, "--stages", "no stage names"},
    {"opt_dump_no_out", NULL, "dump --audio %A --model %M", 2, "--out", "dump needs --audio and --out"},
    {"opt_unknown_command", NULL, "transcibe %A", 2, "'transcibe'", "unknown command"},
};

static void test_audio(void **state) { (void)state, run_table(AUDIO, N_OF(AUDIO)); }
static void test_accepted_audio(void **state) { (void)state, run_table(ACCEPTED, N_OF(ACCEPTED)); }
static void test_outputs(void **state) { (void)state, run_table(OUTPUTS, N_OF(OUTPUTS)); }
static void test_options(void **state) { (void)state, run_table(OPTIONS, N_OF(OPTIONS)); }

/* The catalogue promises at least 60 rejected inputs; case names are folder names, so unique. */
static void test_catalogue_size(void **state)
{
    (void)state;
    const catalogue_part all[] = {
        {AUDIO, N_OF(AUDIO)}, {ACCEPTED, N_OF(ACCEPTED)}, {OUTPUTS, N_OF(OUTPUTS)}, {OPTIONS, N_OF(OPTIONS)},
    };
    expect_catalogue(all, N_OF(all));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue_size),
        cmocka_unit_test(test_audio),
        cmocka_unit_test(test_accepted_audio),
        cmocka_unit_test(test_outputs),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests_name("bad inputs through the whisperlab command: audio, outputs, options", tests, setup, teardown);
}
