/* Model dimensions read from a HuggingFace config.json (WhisperConfig). */
#ifndef WL_CONFIG_H
#define WL_CONFIG_H

#include <stddef.h>

struct cJSON;

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

/* What generation_config.json is checked against (gen_config.c), read from config.json without
 * refusing it for the model's keys: median_filter_width (the token timestamps' filter, WhisperConfig's
 * default 7; checked here: odd, in [1, 999]), and the decoder's dimensions, each -1 where config.json
 * holds no valid value (the model load reports those). Returns 0, or -1 with a message in err. */
typedef struct {
    int median_filter_width;
    long n_vocab, dec_layers, dec_heads, n_text_ctx;
} wl_config_gen;

int wl_config_for_generation(wl_config_gen *g, const char *path, char *err, size_t errlen);

/* An integer value of a HF JSON file (a token id or a count) within [lo, hi]; dflt when the key is
 * absent or null. A list takes its first element (eos_token_id may be a list). 50256.0 is refused
 * with 50256.5: both are floats to Python, which HF cannot use as an id or a length. Returns 0, or
 * -1 with a message naming path and key in err (which may be NULL). */
int wl_json_int(const struct cJSON *root, const char *key, long lo, long hi, long dflt, long *out, const char *path,
                char *err, size_t errlen);

#endif
