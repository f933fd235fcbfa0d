/* preprocessor_config.json's padding_value: HF's feature extractor pads the audio to the window
 * with it (np.pad, constant, on the right) before the STFT. So the mel of a short clip from a
 * model folder whose padding_value is p must be, bit for bit, the mel of that clip extended by
 * hand with p to the whole window (where no padding is left to do). p = 0 is the zero padding
 * every golden was made with. A padding_value that is not a sample, or left padding, is refused. */
#include "../engine/whisperlab.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define MICRO "build/whisper-micro.en"
#define DIR "build/tmp/padding"
#define CLIP "data/audio/clip_01.wav"

static char err[1024];

/* A copy of the micro model (its weights linked) whose preprocessor_config.json has `line` in
 * place of its padding_value line. */
static void model_with(const char *line)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "rm -rf " DIR " && mkdir -p " DIR " && cp " MICRO "/*.json " MICRO "/*.txt " DIR "/ && "
             "ln -s \"$PWD/" MICRO "/model.safetensors\" " DIR "/ && "
             "sed -i 's/\"padding_value\": 0.0,/%s/' " DIR "/preprocessor_config.json && "
             "grep -q '%s' " DIR "/preprocessor_config.json", line, line);
    if (system(cmd)) fail_msg("cannot make the model copy with %s", line);
}

/* The mel of samples[0..n) through the model in dir. */
static float *mel_of(const char *dir, const float *samples, size_t n, wl_dims *d)
{
    wl_model *m;
    wl_state *ms = NULL;
    wl_params p = wl_default_params();
    p.n_threads = 1;
    if (wl_model_load(dir, p, &m, err, sizeof err) || wl_state_new(m, NULL, NULL, &ms, err, sizeof err)) fail_msg("%s", err);
    *d = wl_model_dims(m);
    float *mel = malloc(sizeof *mel * (size_t)d->n_mels * d->n_frames);
    assert_non_null(mel);
    if (wl_mel(ms, samples, n, mel, err, sizeof err)) fail_msg("%s", err);
    wl_state_free(ms);
    wl_model_free(m);
    return mel;
}

static void expect_padding(float p, const char *line)
{
    float *x;
    size_t n;
    if (wl_audio_load(CLIP, 48000, &x, &n, err, sizeof err)) fail_msg("%s", err);
    wl_dims d;
    model_with(line);
    float *padded = mel_of(DIR, x, n, &d);
    assert_true(n < (size_t)d.n_samples); /* the clip leaves padding to do */
    float *whole = malloc(sizeof *whole * (size_t)d.n_samples);
    assert_non_null(whole);
    memcpy(whole, x, n * sizeof *x);
    for (size_t i = n; i < (size_t)d.n_samples; i++) whole[i] = p;
    float *by_hand = mel_of(MICRO, whole, (size_t)d.n_samples, &d);
    size_t total = (size_t)d.n_mels * d.n_frames, differ = 0;
    for (size_t i = 0; i < total; i++) differ += memcmp(&padded[i], &by_hand[i], sizeof(float)) != 0;
    printf("  padding_value %g: %zu of %zu mel values differ from the hand-padded clip's\n", p, differ, total);
    assert_int_equal(differ, 0);
    if (p != 0) { /* and the padding mattered: the zero-padded mel differs */
        float *zero = mel_of(MICRO, x, n, &d);
        differ = 0;
        for (size_t i = 0; i < total; i++) differ += zero[i] != padded[i];
        printf("  against zero padding: %zu differ\n", differ);
        assert_true(differ > 0);
        free(zero);
    }
    free(x), free(whole), free(padded), free(by_hand);
}

static void test_zero_padding(void **state) { (void)state, expect_padding(0.0f, "\"padding_value\": 0,"); }
static void test_quarter_padding(void **state) { (void)state, expect_padding(0.25f, "\"padding_value\": 0.25,"); }
/* a value float32 rounds: the pad is the float32 sample HF's np.pad writes into a float32 array */
static void test_tenth_padding(void **state) { (void)state, expect_padding(-0.1f, "\"padding_value\": -0.1,"); }

static void expect_refused(const char *line, const char *why)
{
    model_with(line);
    wl_model *m = NULL;
    if (!wl_model_load(DIR, wl_default_params(), &m, err, sizeof err)) {
        wl_model_free(m);
        fail_msg("%s was accepted", line);
    }
    if (!strstr(err, DIR "/preprocessor_config.json") || !strstr(err, why)) fail_msg("%s: '%s'", line, err);
    printf("  %s\n", err);
}

static void test_bad_padding(void **state)
{
    (void)state;
    expect_refused("\"padding_value\": \"abc\",", "\"padding_value\" must be a number in [-65536, 65536]");
    expect_refused("\"padding_value\": null,", "\"padding_value\" must be a number");
    expect_refused("\"padding_value\": 1e30,", "\"padding_value\" must be a number");
    expect_refused("\"padding_value\": 0.0, \"padding_side\": \"left\",", "\"padding_side\" must be \"right\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_padding),
        cmocka_unit_test(test_quarter_padding),
        cmocka_unit_test(test_tenth_padding),
        cmocka_unit_test(test_bad_padding),
    };
    return cmocka_run_group_tests_name("preprocessor_config.json padding_value", tests, NULL, NULL);
}
