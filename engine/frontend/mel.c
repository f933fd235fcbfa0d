/* Log-mel spectrogram, step for step as HF's WhisperFeatureExtractor: pad/trim to the model's
 * window (n_samples; 30 s for tiny.en), centred STFT with reflect padding and a periodic Hann
 * window, power, drop the last frame, mel filters, log10 clamped at 1e-10, floor at max - 8,
 * (x + 4) / 4.
 * Computed in double and rounded once: HF's float32 STFT loses precision in bins far below the
 * peak, where it differs from the exact value by up to ~2e-5; we give the exact value. */
#include "mel.h"

#include "../base/util.h"
#include "../kernels/parallel.h"
#include "../nn/state.h"
#include "../model/stages.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static double hz_to_mel(double f) /* Slaney: linear below 1 kHz, logarithmic above */
{
    return f < 1000.0 ? 3.0 * f / 200.0 : 15.0 + log(f / 1000.0) * (27.0 / log(6.4));
}

static double mel_to_hz(double m)
{
    return m < 15.0 ? 200.0 * m / 3.0 : 1000.0 * exp(log(6.4) / 27.0 * (m - 15.0));
}

void wl_mel_filters(int n_mels, float *filters)
{
    double f[1026]; /* n_mels + 2 filter edges, as numpy.linspace then mel_to_hz */
    double top = hz_to_mel(WL_SAMPLE_RATE / 2.0), step = top / (n_mels + 1);
    for (int i = 0; i < n_mels + 2; i++) f[i] = mel_to_hz(i == n_mels + 1 ? top : (double)i * step);
    for (int j = 0; j < n_mels; j++)
        for (int k = 0; k < WL_N_BINS; k++) {
            double fk = (double)k * (WL_SAMPLE_RATE / 2.0 / (WL_N_BINS - 1));
            double down = (fk - f[j]) / (f[j + 1] - f[j]), up = (f[j + 2] - fk) / (f[j + 2] - f[j + 1]);
            double w = fmax(0.0, fmin(down, up)) * (2.0 / (f[j + 2] - f[j]));
            filters[j * WL_N_BINS + k] = (float)w;
        }
}

typedef struct {
    const double *filt, *power;
    const int *lo, *hi; /* filter j is zero outside bins [lo[j], hi[j]) */
    double *meld, *block_top; /* block_top[b]: the largest log10 of frame block b */
    int n_mels, n_frames;
} filter_job;

enum { FRAME_BLOCK = 256 }; /* frames per block of block_top */

/* log10(meld[j][t]) clamped at 1e-10, for every filter j and frames [t0, t1), where
 * mel[j][t] = sum_k filters[j][k] * power[t][k], one fused multiply-add per bin in bin order from
 * +0: the bits of the dgemm this replaces (OpenBLAS's kernels chain one FMA per k). Its zero
 * weights are skipped: with finite, non-negative power, +0 + 0 * p adds nothing. Own code rather
 * than OpenBLAS: OpenBLAS spins forever when its buffer cannot be allocated, and this needs none. */
static void filter_frames(void *p, int t0, int t1)
{
    const filter_job *j = p;
    for (int b = t0; b < t1; b += FRAME_BLOCK) {
        int n = t1 - b < FRAME_BLOCK ? t1 - b : FRAME_BLOCK;
        double top = -INFINITY;
        for (int m = 0; m < j->n_mels; m++) {
            const double *w = j->filt + (size_t)m * WL_N_BINS;
            for (int t = b; t < b + n; t++) {
                const double *pw = j->power + (size_t)t * WL_N_BINS;
                double v = 0.0;
                for (int k = j->lo[m]; k < j->hi[m]; k++) v = fma(w[k], pw[k], v);
                v = log10(v > 1e-10 ? v : 1e-10);
                j->meld[(size_t)m * j->n_frames + t] = v;
                top = v > top ? v : top;
            }
        }
        j->block_top[b / FRAME_BLOCK] = top;
    }
}

typedef struct {
    fftw_plan plan;
    const double *x, *window; /* the padded audio from its first sample; the Hann window */
    double *power;
    double **frame;           /* per thread slot: a frame, and its spectrum */
    fftw_complex **spec;
} stft_job;

/* power[t][k] = |FFT(x[t hop - PAD ..] * window)[k]|^2 for frames [t0, t1): every frame through
 * the one plan (fftw_execute_dft_r2c is thread-safe) on its slot's buffers, which fftw_alloc
 * aligns as the plan's own were: the same codelets, so the same bits, on every thread. */
static void stft_frames(void *p, int t0, int t1)
{
    const stft_job *j = p;
    const int slot = wl_parallel_slot();
    double *frame = j->frame[slot];
    fftw_complex *spec = j->spec[slot];
    for (int t = t0; t < t1; t++) {
        for (int i = 0; i < WL_N_FFT; i++) frame[i] = j->x[t * WL_HOP + i - WL_N_FFT / 2] * j->window[i];
        fftw_execute_dft_r2c(j->plan, frame, spec);
        for (int k = 0; k < WL_N_BINS; k++)
            j->power[(size_t)t * WL_N_BINS + k] = spec[k][0] * spec[k][0] + spec[k][1] * spec[k][1];
    }
}

static pthread_mutex_t planner = PTHREAD_MUTEX_INITIALIZER;

enum { STFT_SLOTS = 64 }; /* thread slots with frame buffers; a pool of more runs the frames on one */

int wl_log_mel(const float *filters, int n_mels, int n_samples, int n_frames, float pad_value,
               const float *samples, size_t n, float *mel, char *err, size_t errlen)
{
    const int N = n_samples, PAD = WL_N_FFT / 2;
    if (n_mels > 1024) return wl_fail(err, errlen, "n_mels %d is too large", n_mels);
    /* The reflection needs more than PAD samples; HF's frames stop at n_samples / hop. */
    if (N <= PAD || n_frames < 1 || n_frames > N / WL_HOP)
        return wl_fail(err, errlen, "a window of %d samples has no %d mel frames", N, n_frames);
    const int slots = wl_parallel_threads() <= STFT_SLOTS ? wl_parallel_threads() : 1;
    const int n_blocks = (n_frames + FRAME_BLOCK - 1) / FRAME_BLOCK;
    double *padded = wl_alloc_big(((size_t)N + 2 * PAD) * sizeof *padded, 1);
    double *power = wl_alloc_big((size_t)n_frames * WL_N_BINS * sizeof *power, 0);
    double *filt = malloc((size_t)n_mels * WL_N_BINS * sizeof *filt);
    double *meld = wl_alloc_big((size_t)n_mels * n_frames * sizeof *meld, 0);
    double *block_top = malloc((size_t)n_blocks * sizeof *block_top);
    int *lo = malloc((size_t)n_mels * sizeof *lo), *hi = malloc((size_t)n_mels * sizeof *hi);
    double *frame[STFT_SLOTS] = {0};
    fftw_complex *spec[STFT_SLOTS] = {0};
    int ok = padded && power && filt && meld && block_top && lo && hi;
    for (int i = 0; i < slots; i++) ok = ok && (frame[i] = fftw_alloc_real(WL_N_FFT)) && (spec[i] = fftw_alloc_complex(WL_N_BINS));
    int rc = 0;
    if (!ok) {
        rc = wl_fail(err, errlen, "out of memory");
        goto done;
    }
    /* Trim or pad to the window (SEQ:_pad: np.pad with padding_value, on the right), then reflect by
     * 200 at both ends (edge sample not repeated). */
    double *x = padded + PAD;
    for (size_t i = 0; i < n && i < (size_t)N; i++) x[i] = samples[i];
    for (size_t i = n; pad_value != 0 && i < (size_t)N; i++) x[i] = pad_value;
    for (int k = 1; k <= PAD; k++) {
        x[-k] = x[k];
        x[N - 1 + k] = x[N - 1 - k];
    }
    double window[WL_N_FFT]; /* periodic Hann, torch.hann_window(400) */
    for (int i = 0; i < WL_N_FFT; i++) window[i] = 0.5 - 0.5 * cos(2.0 * M_PI * i / WL_N_FFT);
    /* FFTW_ESTIMATE: the plan (and so the rounding) does not depend on timing. FFTW's planner
     * is not thread-safe (its execute is): states on other threads plan one at a time. */
    pthread_mutex_lock(&planner);
    stft_job sj = {fftw_plan_dft_r2c_1d(WL_N_FFT, frame[0], spec[0], FFTW_ESTIMATE), x, window, power, frame, spec};
    pthread_mutex_unlock(&planner);
    if (slots > 1) wl_parallel_for(n_frames, 64, stft_frames, &sj); /* frame n_frames is dropped, as HF does */
    else stft_frames(&sj, 0, n_frames);
    pthread_mutex_lock(&planner);
    fftw_destroy_plan(sj.plan);
    pthread_mutex_unlock(&planner);
    /* log10 of mel[j][t] = sum_k filters[j][k] * power[t][k] */
    for (size_t i = 0; i < (size_t)n_mels * WL_N_BINS; i++) filt[i] = filters[i];
    for (int m = 0; m < n_mels; m++) {
        const double *w = filt + (size_t)m * WL_N_BINS;
        for (lo[m] = 0; lo[m] < WL_N_BINS && w[lo[m]] == 0.0;) lo[m]++;
        for (hi[m] = WL_N_BINS; hi[m] > lo[m] && w[hi[m] - 1] == 0.0;) hi[m]--;
    }
    filter_job fj = {filt, power, lo, hi, meld, block_top, n_mels, n_frames};
    wl_parallel_for_aligned(n_frames, FRAME_BLOCK, filter_frames, &fj);
    double top = -INFINITY; /* a maximum: the same whatever the blocks */
    for (int b = 0; b < n_blocks; b++) top = block_top[b] > top ? block_top[b] : top;
    size_t total = (size_t)n_mels * n_frames;
    for (size_t i = 0; i < total; i++) mel[i] = (float)(((meld[i] > top - 8.0 ? meld[i] : top - 8.0) + 4.0) / 4.0);
done:
    for (int i = 0; i < slots; i++) fftw_free(frame[i]), fftw_free(spec[i]);
    free(padded), free(power), free(filt), free(meld), free(block_top), free(lo), free(hi);
    return rc;
}

wl_status wl_mel(wl_state *s, const float *samples, size_t n, float *mel, char *err, size_t errlen)
{
    if (n == 0) return wl_fail(err, errlen, "empty audio"), WL_ERR_INPUT;
    const wl_model *m = s->m;
    const wl_config *c = &m->c;
    if (n > (size_t)c->n_samples)
        return wl_fail(err, errlen, "%zu samples is over the model's window of %d (%g s); long-form audio "
                       "is out of scope", n, c->n_samples, (double)c->n_samples / WL_SAMPLE_RATE), WL_ERR_INPUT;
    /* the filters are a few microseconds' work: made per call, the model holds none of the front end */
    float *filters = malloc((size_t)c->n_mels * WL_N_BINS * sizeof *filters);
    if (!filters) return wl_fail(err, errlen, "out of memory"), WL_ERR_NOMEM;
    wl_mel_filters(c->n_mels, filters);
    int rc = wl_log_mel(filters, c->n_mels, c->n_samples, c->n_frames, c->padding_value, samples, n, mel, err, errlen);
    free(filters);
    if (rc) return WL_ERR_NOMEM;
    wl_emit(s, WL_STAGE_MEL, 0, mel, 2, c->n_mels, c->n_frames, 0);
    return WL_OK;
}
