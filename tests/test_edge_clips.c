/* The edge clips (data/audio/edge/, made by gen/make_edge_clips from the lab clips): the list,
 * each file's format (quiet: peak <= -20 dBFS; exactly 480000 samples at 16 kHz; 44.1 kHz stereo
 * with channels that differ; 8 kHz), the committed hashes, byte-identical regeneration (the
 * resampled ones compared with the committed files when the installed libsoxr is the recorded
 * one), and the window's exact boundary: 30.000 s is accepted at 16, 8 and 44.1 kHz, one sample
 * more is rejected. */
#include "../engine/base/sha256.h"
#include "../engine/base/util.h"
#include "../engine/whisperlab.h"
#include "../gen/edge_clips.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <setjmp.h>
#include <sndfile.h>
#include <soxr.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define DIR "data/audio/edge"

static cJSON *LIST;

static int setup(void **state)
{
    (void)state;
    char err[512];
    size_t len;
    char *text = wl_read_file(DIR "/clips.json", &len, err, sizeof err);
    if (!text) return fprintf(stderr, "%s\n", err), -1;
    LIST = cJSON_ParseWithLength(text, len);
    free(text);
    return LIST && system("mkdir -p build/tmp/edge_a build/tmp/edge_b") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cJSON_Delete(LIST);
    return 0;
}

typedef struct {
    SF_INFO info;
    int16_t *pcm; /* interleaved */
} wav;

static wav read_wav(const char *path)
{
    wav w = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &w.info);
    if (!f) fail_msg("%s: %s", path, sf_strerror(NULL));
    w.pcm = malloc((size_t)w.info.frames * w.info.channels * sizeof *w.pcm);
    assert_int_equal(sf_readf_short(f, w.pcm, w.info.frames), w.info.frames);
    sf_close(f);
    return w;
}

static double peak_dbfs(const wav *w, int ch)
{
    int peak = 0;
    for (sf_count_t i = 0; i < w->info.frames; i++) {
        int v = abs(w->pcm[i * w->info.channels + ch]);
        peak = v > peak ? v : peak;
    }
    return 20 * log10(peak / 32768.0);
}

/* The list names the generator's files in its order, with the rate and channels they have. */
static void test_list_and_formats(void **state)
{
    (void)state;
    const cJSON *clips = cJSON_GetObjectItem(LIST, "clips");
    assert_int_equal(cJSON_GetArraySize(clips), EDGE_N_CLIPS);
    for (int i = 0; i < EDGE_N_CLIPS; i++) {
        const cJSON *c = cJSON_GetArrayItem(clips, i);
        char want[64], path[128];
        snprintf(want, sizeof want, "edge/%s", EDGE_FILES[i]);
        assert_string_equal(cJSON_GetObjectItem(c, "file")->valuestring, want);
        snprintf(path, sizeof path, "data/audio/%s", want);
        wav w = read_wav(path);
        assert_int_equal(w.info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
        assert_int_equal(w.info.samplerate, cJSON_GetObjectItem(c, "rate")->valueint);
        assert_int_equal(w.info.channels, cJSON_GetObjectItem(c, "channels")->valueint);
        printf("  %-10s %-24s %5d Hz x %d, %7lld frames (%.6f s), peak", cJSON_GetObjectItem(c, "id")->valuestring,
               EDGE_FILES[i], w.info.samplerate, w.info.channels, (long long)w.info.frames,
               (double)w.info.frames / w.info.samplerate);
        for (int ch = 0; ch < w.info.channels; ch++) printf(" %.1f", peak_dbfs(&w, ch));
        printf(" dBFS\n");
        switch (i) {
        case 0: assert_true(peak_dbfs(&w, 0) <= -20.0); break;
        case 1: assert_int_equal(w.info.frames, EDGE_WINDOW); break;
        case 2: {
            int differ = 0;
            for (sf_count_t k = 0; k < w.info.frames; k++) differ += w.pcm[2 * k] != w.pcm[2 * k + 1];
            assert_true(differ > w.info.frames / 2);
            assert_int_equal(w.info.samplerate, 44100);
            assert_int_equal(w.info.channels, 2);
            break;
        }
        case 3: assert_int_equal(w.info.samplerate, 8000); break;
        }
        if (i == 1) /* speech at both ends of the window: the reflect paddings see signal */
            assert_true(w.pcm[0] != 0 && w.pcm[EDGE_WINDOW - 1] != 0);
        free(w.pcm);
    }
}

static void test_committed_hashes(void **state)
{
    (void)state;
    FILE *f = fopen(DIR "/SHA256SUMS", "r");
    assert_non_null(f);
    char want[65], name[256], got[65], path[512], err[512];
    int n = 0;
    while (fscanf(f, "%64s %255s", want, name) == 2) {
        snprintf(path, sizeof path, DIR "/%s", name);
        if (wl_sha256_file(path, got, err, sizeof err)) fail_msg("%s", err);
        if (strcmp(got, want)) fail_msg("%s: SHA256 %s, SHA256SUMS says %s", path, got, want);
        printf("  %s  %s\n", got, name);
        n++;
    }
    fclose(f);
    assert_int_equal(n, EDGE_N_CLIPS);
}

static char *slurp(const char *path, size_t *len)
{
    char err[512];
    char *b = wl_read_file(path, len, err, sizeof err);
    if (!b) fail_msg("%s", err);
    return b;
}

static void test_regeneration_is_byte_identical(void **state)
{
    (void)state;
    char err[512], recorded[128] = "", installed[128];
    size_t len;
    char *text = slurp(DIR "/SOXR", &len);
    sscanf(text, "%127[^,]", recorded);
    free(text);
    snprintf(installed, sizeof installed, "%s", soxr_version());
    int same_soxr = strcmp(recorded, installed) == 0;
    printf("  %s installed, %s recorded: resampled clips %s\n", installed, recorded,
           same_soxr ? "compared with the committed files" : "not compared (other libsoxr)");
    for (int i = 0; i < EDGE_N_CLIPS; i++) {
        if (edge_clip_write(i, "data/audio", "build/tmp/edge_a", err, sizeof err) ||
            edge_clip_write(i, "data/audio", "build/tmp/edge_b", err, sizeof err))
            fail_msg("%s", err);
        char pa[256], pb[256], pc[256];
        snprintf(pa, sizeof pa, "build/tmp/edge_a/%s", EDGE_FILES[i]);
        snprintf(pb, sizeof pb, "build/tmp/edge_b/%s", EDGE_FILES[i]);
        snprintf(pc, sizeof pc, DIR "/%s", EDGE_FILES[i]);
        size_t la, lb, lc;
        char *a = slurp(pa, &la), *b = slurp(pb, &lb);
        if (la != lb || memcmp(a, b, la)) fail_msg("%s: two runs differ", EDGE_FILES[i]);
        if (same_soxr || !edge_clip_uses_soxr(i)) {
            char *c = slurp(pc, &lc);
            if (la != lc || memcmp(a, c, la)) fail_msg("%s: regenerated bytes differ from the committed file", pc);
            free(c);
        }
        free(a), free(b);
    }
}

/* A WAV of frames x channels at rate: a quiet tone, different per channel. */
static void write_tone(const char *path, int rate, int channels, sf_count_t frames)
{
    SF_INFO info = {.samplerate = rate, .channels = channels, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) fail_msg("%s: %s", path, sf_strerror(NULL));
    int16_t *pcm = malloc((size_t)frames * channels * sizeof *pcm);
    for (sf_count_t i = 0; i < frames; i++)
        for (int c = 0; c < channels; c++)
            pcm[i * channels + c] = (int16_t)(3000 * sin(2 * M_PI * (440.0 + 110 * c) * (double)i / rate));
    assert_int_equal(sf_writef_short(f, pcm, frames), frames);
    sf_close(f);
    free(pcm);
}

/* Exactly the 30 s window loads (the 30 s clip, and tones at 8 and 44.1 kHz stereo); one
 * sample more is an error that gives both lengths. */
static void test_window_boundary(void **state)
{
    (void)state;
    char err[512];
    float *s;
    size_t n;
    assert_int_equal(wl_audio_load(DIR "/edge_30s.wav", EDGE_WINDOW, &s, &n, err, sizeof err), WL_OK);
    assert_int_equal(n, EDGE_WINDOW);
    free(s);
    printf("  %s: %zu samples (30.000 s) accepted\n", DIR "/edge_30s.wav", n);
    const struct {
        int rate, channels;
        const char *over;
    } cases[] = {{16000, 1, "480001 samples at 16000 Hz (30.0000625 s) exceed"},
                 {8000, 1, "240001 samples at 8000 Hz (30.000125 s) exceed"},
                 {44100, 2, "1323001 samples at 44100 Hz (30.0000227 s) exceed"}};
    for (int k = 0; k < 3; k++) {
        sf_count_t frames = (sf_count_t)cases[k].rate * 30;
        write_tone("build/tmp/edge_window.wav", cases[k].rate, cases[k].channels, frames);
        assert_int_equal(wl_audio_load("build/tmp/edge_window.wav", EDGE_WINDOW, &s, &n, err, sizeof err), WL_OK);
        assert_true(n <= EDGE_WINDOW && n >= EDGE_WINDOW - 1);
        size_t accepted = n;
        free(s);
        write_tone("build/tmp/edge_window.wav", cases[k].rate, cases[k].channels, frames + 1);
        assert_int_equal(wl_audio_load("build/tmp/edge_window.wav", EDGE_WINDOW, &s, &n, err, sizeof err),
                         WL_ERR_INPUT);
        if (!strstr(err, cases[k].over)) fail_msg("%d Hz + 1 sample: '%s'", cases[k].rate, err);
        printf("  %5d Hz x %d: %lld frames accepted (%zu at 16 kHz), one more rejected\n", cases[k].rate,
               cases[k].channels, (long long)frames, accepted);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_and_formats),
        cmocka_unit_test(test_committed_hashes),
        cmocka_unit_test(test_regeneration_is_byte_identical),
        cmocka_unit_test(test_window_boundary),
    };
    return cmocka_run_group_tests_name("edge clips", tests, setup, teardown);
}
