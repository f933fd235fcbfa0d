#include "edge_clips.h"
#include "../engine/base/util.h"

#include <sndfile.h>
#include <soxr.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const EDGE_FILES[EDGE_N_CLIPS] = {"edge_quiet.wav", "edge_30s.wav", "edge_stereo_44k.wav",
                                              "edge_8k.wav"};

int edge_clip_uses_soxr(int i) { return i == 2 || i == 3; }

/* The 29 clips laid into the 30 s clip, in data/clips.json's order. */
static const char *const ALL_CLIPS[] = {
    "clip_01.wav", "clip_02.wav", "clip_03.wav", "clip_04.wav", "clip_05.wav", "clip_06.wav",
    "clip_07.wav", "clip_08.wav", "clip_09.wav", "clip_10.wav", "clip_11.wav", "clip_12.wav",
    "clip_13.wav", "clip_14.wav", "clip_15.wav", "clip_16.wav", "clip_17.wav", "clip_18.wav",
    "clip_19.wav", "clip_20.wav", "clip_21.wav", "clip_22.wav", "clip_23.wav", "clip_24.wav",
    "err_01.wav",  "err_02.wav",  "err_03.wav",  "err_04.wav",  "err_05.wav"};
#define N_ALL (sizeof ALL_CLIPS / sizeof ALL_CLIPS[0])

typedef struct {
    int16_t *pcm;
    size_t n;
} pcm16;

/* A lab clip: 16 kHz mono 16-bit PCM, as gen/make_clips writes them. */
static int read_lab(const char *dir, const char *file, pcm16 *out, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) return wl_fail(err, errlen, "%s: %s", path, sf_strerror(NULL));
    if (info.samplerate != 16000 || info.channels != 1 || info.format != (SF_FORMAT_WAV | SF_FORMAT_PCM_16) ||
        info.frames <= 0) {
        sf_close(f);
        return wl_fail(err, errlen, "%s: not a 16 kHz mono 16-bit PCM WAV", path);
    }
    out->n = (size_t)info.frames;
    out->pcm = malloc(out->n * sizeof *out->pcm);
    sf_count_t got = out->pcm ? sf_readf_short(f, out->pcm, (sf_count_t)out->n) : 0;
    sf_close(f);
    if (got != (sf_count_t)out->n) {
        free(out->pcm);
        return wl_fail(err, errlen, "%s: short read", path);
    }
    return 0;
}

static int write_wav(const char *dir, const char *file, int rate, int channels, const int16_t *pcm,
                     size_t frames, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    SF_INFO info = {.samplerate = rate, .channels = channels, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) return wl_fail(err, errlen, "%s: cannot create WAV: %s", path, sf_strerror(NULL));
    sf_count_t w = sf_writef_short(f, pcm, (sf_count_t)frames);
    int rc = sf_close(f);
    if (w != (sf_count_t)frames || rc) return wl_fail(err, errlen, "%s: write failed", path);
    return 0;
}

/* Nearest int16 of v (in int16 units), halves away from zero, clipped; as gen/clip_synth.c. */
static int16_t round16(double v)
{
    long r = (long)(v < 0 ? v - 0.5 : v + 0.5);
    return (int16_t)(r > 32767 ? 32767 : r < -32768 ? -32768 : r);
}

/* A lab clip resampled from 16 kHz to rate with libsoxr HQ, one thread, float32 in [-1, 1). */
static float *resample(const pcm16 *in, int rate, size_t *n, char *err, size_t errlen)
{
    float *x = malloc(in->n * sizeof *x);
    size_t cap = (size_t)((double)in->n * rate / 16000) + 64;
    float *y = malloc(cap * sizeof *y);
    if (!x || !y) {
        free(x), free(y);
        wl_fail(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < in->n; i++) x[i] = (float)in->pcm[i] / 32768.0f;
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    soxr_runtime_spec_t rt = soxr_runtime_spec(1);
    soxr_error_t e = soxr_oneshot(16000, rate, 1, x, in->n, NULL, y, cap, n, NULL, &q, &rt);
    free(x);
    if (e || *n == 0) {
        free(y);
        wl_fail(err, errlen, "libsoxr: %s", e ? e : "no output");
        return NULL;
    }
    return y;
}

static int make_quiet(const char *audio, const char *out, char *err, size_t errlen)
{
    pcm16 c;
    if (read_lab(audio, "clip_23.wav", &c, err, errlen)) return -1;
    for (size_t i = 0; i < c.n; i++) c.pcm[i] = round16(c.pcm[i] * EDGE_QUIET_GAIN);
    int rc = write_wav(out, EDGE_FILES[0], 16000, 1, c.pcm, c.n, err, errlen);
    free(c.pcm);
    return rc;
}

static int make_30s(const char *audio, const char *out, char *err, size_t errlen)
{
    pcm16 c[N_ALL];
    size_t first[N_ALL], len[N_ALL], speech = 0;
    int rc = 0;
    size_t loaded = 0;
    for (; loaded < N_ALL && !rc; loaded++) {
        if ((rc = read_lab(audio, ALL_CLIPS[loaded], &c[loaded], err, errlen))) break;
        size_t a = 0, b = c[loaded].n;
        while (a < b && c[loaded].pcm[a] == 0) a++;
        while (b > a && c[loaded].pcm[b - 1] == 0) b--;
        first[loaded] = a, len[loaded] = b - a, speech += b - a;
    }
    if (!rc && speech > EDGE_WINDOW) rc = wl_fail(err, errlen, "the clips hold %zu samples, more than 30 s", speech);
    int16_t *w = rc ? NULL : calloc(EDGE_WINDOW, sizeof *w);
    if (!rc && !w) rc = wl_fail(err, errlen, "out of memory");
    if (!rc) {
        /* Equal gaps (the remainder spread over the first ones): clip 0 starts at sample 0 and
         * the last clip ends at the window's last sample, so both reflect paddings see speech. */
        size_t gap = (EDGE_WINDOW - speech) / (N_ALL - 1), extra = (EDGE_WINDOW - speech) % (N_ALL - 1), at = 0;
        for (size_t i = 0; i < N_ALL; i++) {
            memcpy(w + at, c[i].pcm + first[i], len[i] * sizeof *w);
            at += len[i];
            if (i + 1 < N_ALL) at += gap + (i < extra);
        }
        rc = at == EDGE_WINDOW ? write_wav(out, EDGE_FILES[1], 16000, 1, w, EDGE_WINDOW, err, errlen)
                               : wl_fail(err, errlen, "30 s clip: laid out %zu samples", at);
    }
    for (size_t i = 0; i < loaded && i < N_ALL; i++) free(c[i].pcm);
    free(w);
    return rc;
}

static int make_stereo(const char *audio, const char *out, char *err, size_t errlen)
{
    enum { RATE = 44100, DELAY = RATE / 10 };
    pcm16 l, r;
    if (read_lab(audio, "clip_15.wav", &l, err, errlen)) return -1;
    if (read_lab(audio, "clip_19.wav", &r, err, errlen)) return free(l.pcm), -1;
    size_t nl = 0, nr = 0;
    float *yl = resample(&l, RATE, &nl, err, errlen), *yr = yl ? resample(&r, RATE, &nr, err, errlen) : NULL;
    free(l.pcm), free(r.pcm);
    int rc = -1;
    if (yl && yr) {
        size_t frames = nl > DELAY + nr ? nl : DELAY + nr;
        int16_t *w = calloc(2 * frames, sizeof *w);
        if (!w) rc = wl_fail(err, errlen, "out of memory");
        else {
            for (size_t i = 0; i < nl; i++) w[2 * i] = round16((double)yl[i] * 32768.0);
            for (size_t i = 0; i < nr; i++) w[2 * (DELAY + i) + 1] = round16((double)yr[i] * 0.5 * 32768.0);
            rc = write_wav(out, EDGE_FILES[2], RATE, 2, w, frames, err, errlen);
            free(w);
        }
    }
    free(yl), free(yr);
    return rc;
}

static int make_8k(const char *audio, const char *out, char *err, size_t errlen)
{
    pcm16 c;
    if (read_lab(audio, "clip_22.wav", &c, err, errlen)) return -1;
    size_t n = 0;
    float *y = resample(&c, 8000, &n, err, errlen);
    free(c.pcm);
    if (!y) return -1;
    int16_t *w = malloc(n * sizeof *w);
    int rc = w ? 0 : wl_fail(err, errlen, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) w[i] = round16((double)y[i] * 32768.0);
    if (!rc) rc = write_wav(out, EDGE_FILES[3], 8000, 1, w, n, err, errlen);
    free(w), free(y);
    return rc;
}

int edge_clip_write(int i, const char *audio_dir, const char *out_dir, char *err, size_t errlen)
{
    switch (i) {
    case 0: return make_quiet(audio_dir, out_dir, err, errlen);
    case 1: return make_30s(audio_dir, out_dir, err, errlen);
    case 2: return make_stereo(audio_dir, out_dir, err, errlen);
    case 3: return make_8k(audio_dir, out_dir, err, errlen);
    default: return wl_fail(err, errlen, "no edge clip %d", i);
    }
}
