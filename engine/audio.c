/* Audio input: libsndfile for any format it reads, libsoxr to resample to 16 kHz. */
#include "util.h"
#include "whisperlab.h"

#include <sndfile.h>
#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libsndfile reads a WAV whose data chunk is cut short without complaint, but its log says
 * "data : <declared> (should be <present>)". A declared size larger than what is present
 * (other than the 0 / 0xFFFFFFFF placeholders of streamed files) means a truncated file. */
static int truncated_wav(SNDFILE *f)
{
    char log[8192];
    sf_command(f, SFC_GET_LOG_INFO, log, sizeof log);
    const char *p = strstr(log, "\ndata : ");
    unsigned long long declared, present;
    if (!p || sscanf(p, "\ndata : %llu (should be %llu)", &declared, &present) != 2) return 0;
    return declared > present && declared != 0 && declared != 0xFFFFFFFFull;
}

wl_status wl_audio_load(const char *path, size_t max_samples, float **samples, size_t *n, char *err,
                        size_t errlen)
{
    *samples = NULL;
    *n = 0;
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) {
        wl_fail(err, errlen, "%s: cannot read audio: %s", path, sf_strerror(NULL));
        return WL_ERR_FORMAT;
    }
    if (truncated_wav(f)) {
        sf_close(f);
        wl_fail(err, errlen, "%s: truncated audio file (the data chunk is shorter than its header says)", path);
        return WL_ERR_FORMAT;
    }
    if (info.frames <= 0 || info.channels <= 0 || info.samplerate <= 0) {
        sf_close(f);
        wl_fail(err, errlen, "%s: empty audio (no samples)", path);
        return WL_ERR_INPUT;
    }
    /* frames / rate > max_samples / 16000 as products, exact in double below 5e11 frames. */
    if ((double)info.frames * WL_SAMPLE_RATE > (double)max_samples * info.samplerate) {
        sf_close(f);
        wl_fail(err, errlen, "%s: %.2f s of audio (%lld samples at %d Hz); whisperlab handles at most %g s, "
                "the model's window (%zu samples at 16 kHz; long-form is out of scope)", path,
                (double)info.frames / info.samplerate, (long long)info.frames, info.samplerate,
                (double)max_samples / WL_SAMPLE_RATE, max_samples);
        return WL_ERR_INPUT;
    }
    size_t frames = (size_t)info.frames, ch = (size_t)info.channels;
    float *inter = malloc(frames * ch * sizeof *inter), *mono = malloc(frames * sizeof *mono);
    if (!inter || !mono) {
        free(inter), free(mono), sf_close(f);
        wl_fail(err, errlen, "%s: out of memory", path);
        return WL_ERR_NOMEM;
    }
    /* libsndfile scales integer PCM to [-1, 1) by 1/32768 for 16-bit: int16 / 32768. */
    sf_count_t got = sf_readf_float(f, inter, (sf_count_t)frames);
    sf_close(f);
    if (got != (sf_count_t)frames) {
        free(inter), free(mono);
        wl_fail(err, errlen, "%s: truncated audio (read %lld of %zu frames)", path, (long long)got, frames);
        return WL_ERR_FORMAT;
    }
    for (size_t i = 0; i < frames; i++) { /* channel mean, as librosa's to_mono */
        float s = 0;
        for (size_t c = 0; c < ch; c++) s += inter[i * ch + c];
        mono[i] = ch == 1 ? s : s / (float)ch;
    }
    free(inter);
    if (info.samplerate == WL_SAMPLE_RATE) {
        *samples = mono, *n = frames;
        return WL_OK;
    }
    /* librosa.load's default resampler is soxr "HQ". */
    size_t cap = (size_t)((double)frames * WL_SAMPLE_RATE / info.samplerate) + 16, done = 0;
    float *out = malloc(cap * sizeof *out);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    soxr_error_t e = out ? soxr_oneshot(info.samplerate, WL_SAMPLE_RATE, 1, mono, frames, NULL, out,
                                        cap, &done, NULL, &q, NULL)
                         : "out of memory";
    free(mono);
    if (e || done == 0) {
        free(out);
        wl_fail(err, errlen, "%s: resampling %d Hz to 16 kHz failed: %s", path, info.samplerate,
                e ? e : "no output");
        return WL_ERR_FORMAT;
    }
    /* The duration fits the window, so any excess is the resampler's rounding. */
    *samples = out, *n = done < max_samples ? done : max_samples;
    return WL_OK;
}
