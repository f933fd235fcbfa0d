/* The front half of every engine test: an audio file through audio -> mel -> encoder. */
#ifndef WL_TEST_ENCODE_H
#define WL_TEST_ENCODE_H

#include "../engine/whisperlab.h"

/* The encoder output [n_audio_ctx, d_model] (malloc'd) of wav under model m, or NULL with err.
 * *n_samples (if non-NULL) gets the audio's length at 16 kHz. */
float *wl_test_encode(wl_model *m, const char *wav, size_t *n_samples, char *err, size_t errlen);

#endif
