/* Audio input: libsndfile for any format it reads, libsoxr to resample to 16 kHz. */
#include "../base/util.h"
#include "../whisperlab.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* Sample rates and channel counts a real recording can have; outside them the header is wrong
 * (and would drive huge allocations or a pointless resample). */
#define MIN_RATE 1000
#define MAX_RATE 384000
#define MAX_CHANNELS 64

static wl_status bad_rate_or_channels(const char *path, long rate, long channels, char *err, size_t errlen)
{
    wl_fail(err, errlen, "%s: %ld Hz, %ld channel%s; whisperlab reads %d..%d Hz with 1..%d channels", path, rate,
            channels, channels == 1 ? "" : "s", MIN_RATE, MAX_RATE, MAX_CHANNELS);
    return WL_ERR_FORMAT;
}

/* When libsndfile refuses a WAV, its reason can be generic ("Internal error : SF_INFO struct
 * incomplete" for a sample rate of 0). Reads the rate and channel count from the "fmt " chunk
 * itself; returns 1 and sets them when the file is a RIFF/WAVE with a complete fmt chunk. */
static int wav_fmt(const char *path, long *rate, long *channels)
{
    unsigned char b[4096];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(b, 1, sizeof b, f) : 0;
    if (f) fclose(f);
    if (n < 12 || memcmp(b, "RIFF", 4) || memcmp(b + 8, "WAVE", 4)) return 0;
    for (size_t at = 12; at + 8 <= n;) { /* chunks: 4-byte id, u32le size, data padded to even */
        size_t size = b[at + 4] | b[at + 5] << 8 | b[at + 6] << 16 | (size_t)b[at + 7] << 24;
        if (!memcmp(b + at, "fmt ", 4)) {
            if (size < 8 || at + 16 > n) return 0;
            *channels = b[at + 10] | b[at + 11] << 8;
            *rate = (long)(b[at + 12] | b[at + 13] << 8 | b[at + 14] << 16 | (unsigned long)b[at + 15] << 24);
            return 1;
        }
        if (size > n) return 0;
        at += 8 + size + (size & 1);
    }
    return 0;
}

/* A RIFF/WAVE chunk before "data" that claims more bytes than the file holds: libsndfile 1.2.0
 * can spin for minutes on such a header (a LIST chunk of 0xFFFFFFFF bytes, found by fuzzing),
 * so the chunk list is walked here first. Returns 1 with err set when the file is malformed. */
static int wav_chunk_overrun(const char *path, long long file_size, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    unsigned char h[12];
    int bad = 0;
    if (!f) return 0; /* sf_open will say why */
    if (fread(h, 1, 12, f) == 12 && !memcmp(h, "RIFF", 4) && !memcmp(h + 8, "WAVE", 4)) {
        for (long long at = 12; at + 8 <= file_size && !bad; ) {
            if (fseek(f, (long)at, SEEK_SET) || fread(h, 1, 8, f) != 8) break;
            if (!memcmp(h, "data", 4)) break; /* its size is checked after sf_open */
            long long size = h[4] | h[5] << 8 | h[6] << 16 | (long long)h[7] << 24;
            if (size > file_size - at - 8) {
                char id[5];
                for (int i = 0; i < 4; i++) id[i] = h[i] >= 0x20 && h[i] < 0x7f ? (char)h[i] : '?';
                id[4] = 0;
                wl_fail(err, errlen, "%s: malformed WAV: chunk '%s' at byte %lld claims %lld bytes, but %lld remain",
                        path, id, at, size, file_size - at - 8);
                bad = 1;
            }
            at += 8 + size + (size & 1);
        }
    }
    fclose(f);
    return bad;
}

/* Reads every frame, averaging channels to mono as librosa's to_mono does, a block at a time so
 * memory is the mono signal only. Non-finite samples are an error, never silence. */
static wl_status read_mono(SNDFILE *f, const char *path, size_t frames, size_t ch, float *mono, char *err,
                           size_t errlen)
{
    enum { BLOCK = 4096 };
    float *block = malloc((size_t)BLOCK * ch * sizeof *block);
    if (!block) return wl_fail(err, errlen, "%s: out of memory", path), WL_ERR_NOMEM;
    size_t done = 0;
    wl_status st = WL_OK;
    while (done < frames && st == WL_OK) {
        size_t want = frames - done < BLOCK ? frames - done : BLOCK;
        /* libsndfile scales integer PCM to [-1, 1): int16 / 32768. */
        sf_count_t got = sf_readf_float(f, block, (sf_count_t)want);
        if (got <= 0) {
            st = WL_ERR_FORMAT;
            wl_fail(err, errlen, "%s: truncated audio (read %zu of %zu frames)", path, done, frames);
            break;
        }
        for (size_t i = 0; i < (size_t)got; i++) {
            float s = 0;
            for (size_t c = 0; c < ch; c++) {
                float v = block[i * ch + c];
                if (!isfinite(v)) {
                    st = WL_ERR_FORMAT;
                    wl_fail(err, errlen, "%s: sample %zu (channel %zu) is %s; audio must be finite", path,
                            done + i, c, isnan(v) ? "NaN" : "infinite");
                    break;
                }
                if (fabsf(v) > WL_MAX_SAMPLE) {
                    st = WL_ERR_FORMAT;
                    wl_fail(err, errlen, "%s: sample %zu (channel %zu) is %g; whisperlab reads samples within "
                            "+-%g (full scale is 1)", path, done + i, c, (double)v, WL_MAX_SAMPLE);
                    break;
                }
                s += v;
            }
            if (st) break; /* the first bad sample is the one named */
            mono[done + i] = ch == 1 ? s : s / (float)ch;
        }
        done += (size_t)got;
    }
    free(block);
    return st;
}

/* Finite samples near the float32 limit (in a float or double file) can still overflow when the
 * channels are summed or in the resampler's filter: such audio is refused like NaN or infinity. */
static wl_status check_finite(const char *path, const float *x, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return wl_fail(err, errlen, "%s: 16 kHz mono sample %zu overflows float32 (samples near 3.4e38 "
                           "mixed or resampled); audio must be finite", path, i), WL_ERR_FORMAT;
    return WL_OK;
}

wl_status wl_audio_load(const char *path, size_t max_samples, float **samples, size_t *n, char *err,
                        size_t errlen)
{
    *samples = NULL;
    *n = 0;
    struct stat fs;
    if (stat(path, &fs) != 0) {
        wl_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return WL_ERR_IO;
    }
    if (!S_ISREG(fs.st_mode)) { /* a directory or device is not audio; a FIFO would block */
        wl_fail(err, errlen, "%s: not a regular file", path);
        return WL_ERR_IO;
    }
    if (fs.st_size == 0) {
        wl_fail(err, errlen, "%s: empty file (0 bytes), not audio", path);
        return WL_ERR_FORMAT;
    }
    if (wav_chunk_overrun(path, (long long)fs.st_size, err, errlen)) return WL_ERR_FORMAT;
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) {
        long rate, channels;
        if (wav_fmt(path, &rate, &channels) &&
            (rate < MIN_RATE || rate > MAX_RATE || channels < 1 || channels > MAX_CHANNELS))
            return bad_rate_or_channels(path, rate, channels, err, errlen);
        wl_fail(err, errlen, "%s: cannot read audio: %s", path, sf_strerror(NULL));
        return WL_ERR_FORMAT;
    }
    if (truncated_wav(f)) {
        sf_close(f);
        wl_fail(err, errlen, "%s: truncated audio file (the data chunk is shorter than its header says)", path);
        return WL_ERR_FORMAT;
    }
    if (info.samplerate < MIN_RATE || info.samplerate > MAX_RATE || info.channels < 1 ||
        info.channels > MAX_CHANNELS) {
        sf_close(f);
        return bad_rate_or_channels(path, info.samplerate, info.channels, err, errlen);
    }
    if (info.frames <= 0) {
        sf_close(f);
        wl_fail(err, errlen, "%s: empty audio (no samples)", path);
        return WL_ERR_INPUT;
    }
    /* frames / rate > max_samples / 16000 as products, exact in double below 5e11 frames. The
     * message gives exact sample counts and 9 digits of seconds: one sample over a 30 s window
     * reads 30.0000625 s, never a rounded "30.00 s" beside "at most 30 s". */
    if ((double)info.frames * WL_SAMPLE_RATE > (double)max_samples * info.samplerate) {
        sf_close(f);
        wl_fail(err, errlen, "%s: %lld samples at %d Hz (%.9g s) exceed the model's window of %zu samples at "
                "16 kHz (%g s); long-form audio is out of scope", path, (long long)info.frames, info.samplerate,
                (double)info.frames / info.samplerate, max_samples, (double)max_samples / WL_SAMPLE_RATE);
        return WL_ERR_INPUT;
    }
    size_t frames = (size_t)info.frames;
    float *mono = malloc(frames * sizeof *mono);
    if (!mono) {
        sf_close(f);
        wl_fail(err, errlen, "%s: out of memory", path);
        return WL_ERR_NOMEM;
    }
    wl_status st = read_mono(f, path, frames, (size_t)info.channels, mono, err, errlen);
    sf_close(f);
    if (st != WL_OK) {
        free(mono);
        return st;
    }
    if (info.samplerate == WL_SAMPLE_RATE) {
        if ((st = check_finite(path, mono, frames, err, errlen)) != WL_OK) return free(mono), st;
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
    if (done > max_samples) done = max_samples;
    if ((st = check_finite(path, out, done, err, errlen)) != WL_OK) return free(out), st;
    *samples = out, *n = done;
    return WL_OK;
}
