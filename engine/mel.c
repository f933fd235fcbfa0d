/* Log-mel spectrogram, step for step as HF's WhisperFeatureExtractor: pad/trim to the model's
 * window (n_samples; 30 s for tiny.en), centred STFT with reflect padding and a periodic Hann
 * window, power, drop the last frame, mel filters, log10 clamped at 1e-10, floor at max - 8,
 * (x + 4) / 4.
 * Computed in double and rounded once: HF's float32 STFT loses precision in bins far below the
 * peak, where it differs from the exact value by up to ~2e-5; we give the exact value. */
#include "whisperlab.h"
#include "mel.h"
#include "parallel.h"
#include "util.h"

#include <fftw3.h> /* before cblas.h, which pulls in complex.h and would change fftwf_complex */
#include <cblas.h>
#include <math.h>
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
    double *meld;
    int n_mels, n_frames;
} filter_job;

enum { FRAME_BLOCK = 256 }; /* frames per product: the same calls whatever the thread count */

/* meld[j][t] = sum_k filters[j][k] * power[t][k] for frames [t0, t1), one product per block of
 * FRAME_BLOCK frames (the frames are the output's columns, and where OpenBLAS splits columns
 * depends on their number): on the engine's threads, never OpenBLAS's own. */
static void filter_frames(void *p, int t0, int t1)
{
    const filter_job *j = p;
    for (int b = t0; b < t1; b += FRAME_BLOCK) {
        int n = t1 - b < FRAME_BLOCK ? t1 - b : FRAME_BLOCK;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, j->n_mels, n, WL_N_BINS, 1.0, j->filt, WL_N_BINS,
                    j->power + (size_t)b * WL_N_BINS, WL_N_BINS, 0.0, j->meld + b, j->n_frames);
    }
}

int wl_log_mel(const float *filters, int n_mels, int n_samples, int n_frames, const float *samples,
               size_t n, float *mel, char *err, size_t errlen)
{
    const int N = n_samples, PAD = WL_N_FFT / 2;
    if (n_mels > 1024) return wl_fail(err, errlen, "n_mels %d is too large", n_mels);
    /* The reflection needs more than PAD samples; HF's frames stop at n_samples / hop. */
    if (N <= PAD || n_frames < 1 || n_frames > N / WL_HOP)
        return wl_fail(err, errlen, "a window of %d samples has no %d mel frames", N, n_frames);
    double *padded = wl_alloc_big(((size_t)N + 2 * PAD) * sizeof *padded, 1);
    double *power = wl_alloc_big((size_t)n_frames * WL_N_BINS * sizeof *power, 0);
    double *filt = malloc((size_t)n_mels * WL_N_BINS * sizeof *filt);
    double *meld = wl_alloc_big((size_t)n_mels * n_frames * sizeof *meld, 0);
    double *frame = fftw_alloc_real(WL_N_FFT);
    fftw_complex *spec = fftw_alloc_complex(WL_N_BINS);
    if (!padded || !power || !filt || !meld || !frame || !spec) {
        free(padded), free(power), free(filt), free(meld), fftw_free(frame), fftw_free(spec);
        return wl_fail(err, errlen, "out of memory");
    }
    /* Trim or zero-pad to the window, then reflect by 200 at both ends (edge sample not repeated). */
    double *x = padded + PAD;
    for (size_t i = 0; i < n && i < (size_t)N; i++) x[i] = samples[i];
    for (int k = 1; k <= PAD; k++) {
        x[-k] = x[k];
        x[N - 1 + k] = x[N - 1 - k];
    }
    double window[WL_N_FFT]; /* periodic Hann, torch.hann_window(400) */
    for (int i = 0; i < WL_N_FFT; i++) window[i] = 0.5 - 0.5 * cos(2.0 * M_PI * i / WL_N_FFT);
    /* FFTW_ESTIMATE: the plan (and so the rounding) does not depend on timing. */
    fftw_plan plan = fftw_plan_dft_r2c_1d(WL_N_FFT, frame, spec, FFTW_ESTIMATE);
    for (int t = 0; t < n_frames; t++) { /* frame n_frames is dropped, as HF does */
        for (int i = 0; i < WL_N_FFT; i++) frame[i] = x[t * WL_HOP + i - PAD] * window[i];
        fftw_execute(plan);
        for (int k = 0; k < WL_N_BINS; k++)
            power[t * WL_N_BINS + k] = spec[k][0] * spec[k][0] + spec[k][1] * spec[k][1];
    }
    fftw_destroy_plan(plan);
    fftw_free(frame), fftw_free(spec), free(padded);
    /* mel[j][t] = sum_k filters[j][k] * power[t][k] */
    for (size_t i = 0; i < (size_t)n_mels * WL_N_BINS; i++) filt[i] = filters[i];
    filter_job fj = {filt, power, meld, n_mels, n_frames};
    wl_parallel_for_aligned(n_frames, FRAME_BLOCK, filter_frames, &fj);
    free(power), free(filt);
    size_t total = (size_t)n_mels * n_frames;
    double top = -INFINITY;
    for (size_t i = 0; i < total; i++) {
        meld[i] = log10(meld[i] > 1e-10 ? meld[i] : 1e-10);
        top = meld[i] > top ? meld[i] : top;
    }
    for (size_t i = 0; i < total; i++) mel[i] = (float)(((meld[i] > top - 8.0 ? meld[i] : top - 8.0) + 4.0) / 4.0);
    free(meld);
    return 0;
}
