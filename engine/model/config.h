/* Model dimensions read from a HuggingFace config.json (WhisperConfig). */
#ifndef WL_CONFIG_H
#define WL_CONFIG_H

#include <stddef.h>

typedef struct {
    int n_mels;      /* num_mel_bins, e.g. 80 */
    int d_model;     /* e.g. 384 */
    int enc_layers;  /* e.g. 4 */
    int enc_heads;   /* e.g. 6 */
    int enc_ffn;     /* e.g. 1536 */
    int dec_layers;  /* e.g. 4 */
    int dec_heads;   /* e.g. 6 */
    int dec_ffn;     /* e.g. 1536 */
    int n_audio_ctx; /* max_source_positions, e.g. 1500 */
    int n_text_ctx;  /* max_target_positions, e.g. 448 */
    int n_vocab;     /* vocab_size, e.g. 51864 */
    int n_samples;   /* preprocessor_config.json n_samples: the audio window, e.g. 480000 (30 s) */
    int n_frames;    /* nb_max_frames: mel frames of the window, 2 * n_audio_ctx, e.g. 3000 */
    float padding_value; /* padding_value: the samples that fill the window after the audio, e.g. 0.0 */
} wl_config;

/* Reads and checks config.json. Returns 0, or -1 with a one-line message in err. */
int wl_config_load(wl_config *c, const char *path, char *err, size_t errlen);

/* Reads preprocessor_config.json into n_samples, n_frames and padding_value, checking it against the front end
 * (16 kHz, n_fft 400, hop 160), against itself and against c (read by wl_config_load first).
 * Returns 0, or -1 with a one-line message naming the file and the field. */
int wl_preprocessor_load(wl_config *c, const char *path, char *err, size_t errlen);

#endif
