#include "clip_synth.h"
#include "../engine/base/util.h"

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
    int n_words;
    int word_sample[CLIP_MAX_WORDS]; /* native-rate sample where each word starts */
} pcm_buffer;

static int on_audio(short *wav, int n, espeak_EVENT *events)
{
    pcm_buffer *b = events->user_data;
    for (espeak_EVENT *e = events; e->type != espeakEVENT_LIST_TERMINATED; e++)
        if (e->type == espeakEVENT_WORD && b->n_words < CLIP_MAX_WORDS)
            b->word_sample[b->n_words++] = e->sample;
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

const clip_voice CLIP_LAB_VOICE = {CLIP_VOICE, CLIP_RATE_WPM, CLIP_PITCH, CLIP_RANGE};

static int synth_init(const clip_voice *v, char *err, size_t errlen)
{
    native_rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, 0);
    if (native_rate <= 0)
        return wl_fail(err, errlen, "espeak-ng: initialisation failed (is espeak-ng-data installed?)");
    espeak_SetSynthCallback(on_audio);
    if (espeak_SetVoiceByName(v->name) != EE_OK)
        return wl_fail(err, errlen, "espeak-ng: voice '%s' not found", v->name);
    espeak_SetParameter(espeakRATE, v->rate_wpm, 0);
    espeak_SetParameter(espeakPITCH, v->pitch, 0);
    espeak_SetParameter(espeakRANGE, v->range, 0);
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

static int synth(const char *text, clip_audio *a, char *err, size_t errlen)
{
    static pcm_buffer b; /* static: the word table is large for a child's stack frame */
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
    a->pcm = malloc(done * sizeof *a->pcm);
    for (size_t i = 0; i < done; i++) a->pcm[i] = to_int16(out[i]);
    free(out);
    a->n = done;
    a->n_words = b.n_words;
    for (int i = 0; i < b.n_words; i++)
        a->word_start[i] = (double)b.word_sample[i] / native_rate;
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

/* Writes all of buf to fd; 0 on success. */
static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w, len -= (size_t)w;
    }
    return 0;
}

/* Reads exactly len bytes from fd; 0 on success. */
static int read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t r = read(fd, p, len);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r, len -= (size_t)r;
    }
    return 0;
}

int clip_speak(const clip_voice *v, const char *text, clip_audio *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    int fd[2];
    if (pipe(fd)) return wl_fail(err, errlen, "pipe failed: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]), close(fd[1]);
        return wl_fail(err, errlen, "fork failed: %s", strerror(errno));
    }
    if (pid == 0) { /* the child speaks and sends the result back: header, words, samples */
        close(fd[0]);
        clip_audio c;
        char msg[512];
        int rc = synth_init(v, msg, sizeof msg) || synth(text, &c, msg, sizeof msg);
        if (rc) fprintf(stderr, "%s\n", msg);
        else rc = write_all(fd[1], &c, sizeof c) || write_all(fd[1], c.pcm, c.n * sizeof *c.pcm);
        _exit(rc ? 1 : 0);
    }
    close(fd[1]);
    int rc = read_all(fd[0], a, sizeof *a);
    a->pcm = NULL;
    if (!rc && a->n > 0 && a->n < ((size_t)1 << 31) && a->n_words >= 0 &&
        a->n_words <= CLIP_MAX_WORDS) {
        a->pcm = malloc(a->n * sizeof *a->pcm);
        rc = !a->pcm || read_all(fd[0], a->pcm, a->n * sizeof *a->pcm);
    } else {
        rc = -1;
    }
    close(fd[0]);
    int status;
    int ok = waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (rc || !ok) {
        free(a->pcm);
        a->pcm = NULL;
        return wl_fail(err, errlen, "speaking \"%s\" with voice %s failed", text, v->name);
    }
    return 0;
}

int clip_render(const char *text, const char *path, char *err, size_t errlen)
{
    clip_audio a;
    char msg[512];
    if (clip_speak(&CLIP_LAB_VOICE, text, &a, msg, sizeof msg))
        return wl_fail(err, errlen, "%s: %s", path, msg);
    int rc = write_wav(path, a.pcm, a.n, err, errlen);
    free(a.pcm);
    return rc;
}
