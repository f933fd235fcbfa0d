/* The front half of every engine test: an audio file through audio -> mel -> encoder. */
#ifndef T_ENCODE_H
#define T_ENCODE_H

#include "../engine/whisperlab.h"

/* The encoder output [n_audio_ctx, d_model] (malloc'd) of wav through state s, or NULL with err.
 * *n_samples (if non-NULL) gets the audio's length at 16 kHz. */
float *t_encode(wl_state *s, const char *wav, size_t *n_samples, char *err, size_t errlen);

/* Encoder outputs shared by the test binaries of one `make verify` run, which points
 * WL_ENCODER_CACHE at a folder it has just emptied: test_stages puts each clip's output as it
 * checks it against HF, and test_decode takes it instead of encoding the clip again. The same
 * engine build, model, audio and thread count give the same bits (test_threads), so this is only
 * time saved. An entry is keyed by the model folder, its weights' size and mtime, the audio's
 * path, size and mtime, the thread count and the length; without the variable nothing is kept. */
void t_cache_put(const char *model_dir, const char *wav, int threads, const float *enc, size_t n);
/* The entry (malloc'd), or NULL when there is none for exactly this key. */
float *t_cache_get(const char *model_dir, const char *wav, int threads, size_t n);

#endif
