/* The log-mel front end's parts (internal; the public entry is wl_mel in whisperlab.h). */
#ifndef WL_MEL_H
#define WL_MEL_H

#include "../whisperlab.h"

#include <stddef.h>

#define WL_N_BINS (WL_N_FFT / 2 + 1) /* 201 frequency bins, 40 Hz apart */

/* Slaney-normalised triangular mel filters, as HF's mel_filter_bank(201, n_mels, 0, 8000,
 * 16000, norm="slaney", mel_scale="slaney"): computed in double, stored as float
 * filters[n_mels][WL_N_BINS]. */
void wl_mel_filters(int n_mels, float *filters);

/* Log-mel of 16 kHz samples, padded with pad_value (preprocessor_config.json's padding_value) or
 * trimmed to n_samples, with the given filters: mel[n_mels][n_frames], n_frames <= n_samples /
 * WL_HOP (HF: equal). */
int wl_log_mel(const float *filters, int n_mels, int n_samples, int n_frames, float pad_value,
               const float *samples, size_t n, float *mel, char *err, size_t errlen);

#endif
