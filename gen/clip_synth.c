#include "clip_synth.h"
#include "../engine/util.h"

#include <errno.h>
#include <espeak-ng/speak_lib.h>
#include <sndfile.h>
#include <soxr.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int native_rate;

typedef struct {
    short *buf;
    size_t n, cap;
} pcm_buffer;

static int on_audio(short *wav, int n, espeak_EVENT *events)
{
    pcm_buffer *b = events->user_data;
    if (!wav || n <= 0) return 0;
    if (b->n + (size_t)n > b->cap) {
        size_t cap = (b->n + (size_t)n) * 2;
        short *nb = realloc(b->buf, cap * sizeof *nb);
        if (!nb) return 1; /* stops synthesis; reported below as empty output */
        b->buf = nb, b->cap = cap;
    }
    memcpy(b->buf + b->n, wav, (size_t)n * sizeof *wav);
    b->n += (size_t)n;
    return 0;
}

const char *clip_espeak_version(void) { return espeak_Info(NULL); }

static int synth_init(char *err, size_t errlen)
{
    native_rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, 0);
    if (native_rate <= 0)
        return wl_fail(err, errlen, "espeak-ng: initialisation failed (is espeak-ng-data installed?)");
    espeak_SetSynthCallback(on_audio);
    if (espeak_SetVoiceByName(CLIP_VOICE) != EE_OK)
        return wl_fail(err, errlen, "espeak-ng: voice '%s' not found", CLIP_VOICE);
    espeak_SetParameter(espeakRATE, CLIP_RATE_WPM, 0);
    espeak_SetParameter(espeakPITCH, CLIP_PITCH, 0);
    espeak_SetParameter(espeakRANGE, CLIP_RANGE, 0);
    espeak_SetParameter(espeakVOLUME, CLIP_VOLUME, 0);
    espeak_SetParameter(espeakPUNCTUATION, espeakPUNCT_NONE, 0);
    espeak_SetParameter(espeakCAPITALS, 0, 0);
    espeak_SetParameter(espeakWORDGAP, 0, 0);
    return 0;
}

/* Nearest int16 of x * 32768, clipped; no libm so the rounding is the same everywhere. */
static int16_t to_int16(float x)
{
    double v = (double)x * 32768.0;
    long r = (long)(v < 0 ? v - 0.5 : v + 0.5);
    return (int16_t)(r > 32767 ? 32767 : r < -32768 ? -32768 : r);
}

static int synth(const char *text, int16_t **pcm, size_t *n, char *err, size_t errlen)
{
    pcm_buffer b = {0};
    espeak_ERROR e = espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8,
                                  NULL, &b);
    if (e != EE_OK || b.n == 0) {
        free(b.buf);
        return wl_fail(err, errlen, "espeak-ng: synthesis of \"%s\" failed", text);
    }
    float *in = malloc(b.n * sizeof *in);
    size_t cap = b.n * CLIP_SAMPLE_RATE / (size_t)native_rate + 64, done = 0;
    float *out = malloc(cap * sizeof *out);
    for (size_t i = 0; i < b.n; i++) in[i] = (float)b.buf[i] / 32768.0f;
    free(b.buf);
    /* One thread: soxr's output must not depend on how work is split. */
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    soxr_runtime_spec_t rt = soxr_runtime_spec(1);
    soxr_error_t se = soxr_oneshot(native_rate, CLIP_SAMPLE_RATE, 1, in, b.n, NULL, out, cap,
                                   &done, NULL, &q, &rt);
    free(in);
    if (se) {
        free(out);
        return wl_fail(err, errlen, "libsoxr: %s", se);
    }
    *pcm = malloc(done * sizeof **pcm);
    for (size_t i = 0; i < done; i++) (*pcm)[i] = to_int16(out[i]);
    free(out);
    *n = done;
    return 0;
}

static int write_wav(const char *path, const int16_t *pcm, size_t n, char *err, size_t errlen)
{
    SF_INFO info = {.samplerate = CLIP_SAMPLE_RATE, .channels = 1,
                    .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) return wl_fail(err, errlen, "%s: cannot create WAV: %s", path, sf_strerror(NULL));
    sf_count_t w = sf_write_short(f, pcm, (sf_count_t)n);
    int rc = sf_close(f);
    if (w != (sf_count_t)n || rc)
        return wl_fail(err, errlen, "%s: write failed", path);
    return 0;
}

int clip_render(const char *text, const char *path, char *err, size_t errlen)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return wl_fail(err, errlen, "%s: fork failed: %s", path, strerror(errno));
    if (pid == 0) {
        int16_t *pcm = NULL;
        size_t n = 0;
        char msg[512];
        int rc = synth_init(msg, sizeof msg) || synth(text, &pcm, &n, msg, sizeof msg) ||
                 write_wav(path, pcm, n, msg, sizeof msg);
        if (rc) fprintf(stderr, "%s\n", msg);
        _exit(rc ? 1 : 0);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return wl_fail(err, errlen, "%s: speaking \"%s\" failed", path, text);
    return 0;
}
