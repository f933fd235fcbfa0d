#include "encode.h"

#include <stdlib.h>

float *wl_test_encode(wl_model *m, const char *wav, size_t *n_samples, char *err, size_t errlen)
{
    wl_dims d = wl_model_dims(m);
    float *samples = NULL, *mel = malloc((size_t)d.n_mels * d.n_frames * sizeof(float));
    float *enc = malloc((size_t)d.n_audio_ctx * d.d_model * sizeof(float));
    size_t n = 0;
    if (!mel || !enc || wl_audio_load(wav, (size_t)d.n_samples, &samples, &n, err, errlen) ||
        wl_mel(m, samples, n, mel, err, errlen) || wl_encode(m, mel, enc, err, errlen)) {
        free(samples), free(mel), free(enc);
        return NULL;
    }
    if (n_samples) *n_samples = n;
    free(samples), free(mel);
    return enc;
}
