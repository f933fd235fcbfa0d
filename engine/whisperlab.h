/* whisperlab: a small reference engine for Whisper, checked stage by stage against HF.
 *
 * Data flow: wl_audio_load (any libsndfile format -> 16 kHz mono float) -> wl_mel (log-mel
 * [n_mels, n_frames]) -> wl_encode (encoder output [n_audio_ctx, d_model]) -> a wl_decoder (cross
 * K/V from the encoder output, a KV cache) fed tokens one step or a whole sequence at a time,
 * giving logits [n, n_vocab]. The audio window (n_samples, n_frames in wl_dims) comes from the
 * model folder's preprocessor_config.json: 30 s and 3000 frames for tiny.en.
 *
 * Every function returns WL_OK or an error status with a one-line message in err; nothing here
 * exits the process. Stage tensors (named as in golden/README.md: "mel", "conv1", "enc.layer.2",
 * "cross_attn.3", ...) are passed to an optional callback as they are computed. */
#ifndef WHISPERLAB_H
#define WHISPERLAB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    WL_OK = 0,
    WL_ERR_IO = 1,     /* a file could not be opened or read */
    WL_ERR_FORMAT = 2, /* a file's contents are invalid (bad WAV, safetensors, JSON, shapes) */
    WL_ERR_INPUT = 3,  /* an argument is out of range (audio too long or empty, bad token) */
    WL_ERR_NOMEM = 4,
} wl_status;

/* Called with each stage tensor as it is computed; data is valid only during the call.
 * Decoder stages cover the tokens of that call (shape [n, ...]). */
typedef void (*wl_stage_fn)(void *user, const char *stage, const float *data, int ndim,
                            const int64_t *shape);

typedef struct {
    int n_threads;        /* OpenBLAS threads; 0 leaves OpenBLAS's own choice */
    wl_stage_fn on_stage; /* NULL: no stage callbacks */
    void *user;           /* passed to on_stage */
} wl_params;

/* Dimensions from config.json and preprocessor_config.json (see wl_model_dims). */
typedef struct {
    int n_mels, d_model, n_vocab;
    int enc_layers, enc_heads, n_audio_ctx;
    int dec_layers, dec_heads, n_text_ctx;
    int n_samples; /* the audio window in 16 kHz samples (480000 = 30 s for tiny.en) */
    int n_frames;  /* mel frames of the window: n_samples / WL_HOP = 2 * n_audio_ctx (3000) */
} wl_dims;

typedef struct wl_model wl_model;
typedef struct wl_decoder wl_decoder;

/* Audio constants of the Whisper front end. */
#define WL_SAMPLE_RATE 16000
#define WL_N_FFT 400
#define WL_HOP 160

wl_params wl_default_params(void);

/* Loads a HuggingFace Whisper folder (config.json, model.safetensors in F32, F16 or BF16, and
 * preprocessor_config.json, which must agree with config.json and the front end above). */
wl_status wl_model_load(const char *dir, wl_params params, wl_model **model, char *err, size_t errlen);
void wl_model_free(wl_model *model);
wl_dims wl_model_dims(const wl_model *model);
/* OpenBLAS threads in effect. */
int wl_threads(void);

/* Reads any file libsndfile reads, averages channels to mono and resamples to 16 kHz with
 * libsoxr HQ (as librosa.load does); 16-bit PCM becomes int16 / 32768. Audio longer than
 * max_samples at 16 kHz (pass the model's wl_dims.n_samples) or empty is an error; *n is at most
 * max_samples. *samples is malloc'd. */
wl_status wl_audio_load(const char *path, size_t max_samples, float **samples, size_t *n, char *err,
                        size_t errlen);

/* Log-mel spectrogram of at most n_samples of 16 kHz audio, as HF's WhisperFeatureExtractor
 * (padded to the window): mel [n_mels, n_frames]. */
wl_status wl_mel(const wl_model *model, const float *samples, size_t n, float *mel, char *err,
                 size_t errlen);

/* Encoder: mel [n_mels, n_frames] -> out [n_audio_ctx, d_model]. */
wl_status wl_encode(wl_model *model, const float *mel, float *out, char *err, size_t errlen);

/* A decoder over one encoder output (copied; cross-attention K/V are computed here, once). */
wl_status wl_decoder_new(wl_model *model, const float *enc_out, wl_decoder **dec, char *err,
                         size_t errlen);
void wl_decoder_free(wl_decoder *dec);
/* Forgets all tokens fed so far (keeps the cross-attention K/V). */
void wl_decoder_reset(wl_decoder *dec);
/* Tokens fed so far (the position of the next one). */
int wl_decoder_pos(const wl_decoder *dec);
/* Feeds n tokens at positions pos..pos+n-1 (causal, through the KV cache) and writes their
 * logits [n, n_vocab]. n = 1 is one generation step; n = T from pos 0 is teacher forcing. */
wl_status wl_decoder_feed(wl_decoder *dec, const int32_t *tokens, int n, float *logits, char *err,
                          size_t errlen);

/* ---- Tokenizer: GPT-2 byte-level BPE, as HF's slow WhisperTokenizer ---------------------- */

typedef struct wl_tokenizer wl_tokenizer;

/* Loads vocab.json, merges.txt, added_tokens.json, special_tokens_map.json and (if present)
 * tokenizer_config.json's added tokens from a HF model folder. */
wl_status wl_tokenizer_load(const char *dir, wl_tokenizer **tok, char *err, size_t errlen);
void wl_tokenizer_free(wl_tokenizer *tok);

/* Encodes n bytes of UTF-8 text (tokenizer.encode(text, add_special_tokens=False)): added and
 * special tokens written in the text ("<|endoftext|>", "<|1.00|>") become their ids, the rest is
 * BPE. *ids is malloc'd (also when *n_ids is 0). Invalid UTF-8 is WL_ERR_INPUT. */
wl_status wl_tokenize(const wl_tokenizer *tok, const char *text, size_t n, int32_t **ids, int *n_ids,
                      char *err, size_t errlen);

enum {
    WL_DECODE_SKIP_SPECIAL = 1, /* skip_special_tokens=True (also drops a <|startofprev|> prompt) */
    WL_DECODE_TIMESTAMPS = 2,   /* decode_with_timestamps=True: timestamps written as <|1.50|> */
};
/* Decodes ids to a malloc'd UTF-8 string as tokenizer.decode does (timestamps removed unless
 * WL_DECODE_TIMESTAMPS; split UTF-8 becomes U+FFFD; unknown ids give ""). NULL only when out of
 * memory. */
char *wl_detokenize(const wl_tokenizer *tok, const int32_t *ids, int n, int flags);

/* A piece of text between two timestamps (decode(..., output_offsets=True)["offsets"]). */
typedef struct {
    char *text;
    double start, end; /* seconds */
} wl_text_piece;
/* The pieces of a timestamped sequence; returns their count (0 without timestamp pairs) or -1
 * when out of memory. Free with wl_text_pieces_free. */
int wl_text_pieces(const wl_tokenizer *tok, const int32_t *ids, int n, wl_text_piece **pieces);
void wl_text_pieces_free(wl_text_piece *pieces, int n);

/* The id of a token given as text ("<|endoftext|>", "Ġthe"), or -1. */
int32_t wl_token_id(const wl_tokenizer *tok, const char *text);
/* 1 for the ids of special_tokens_map.json (skipped by WL_DECODE_SKIP_SPECIAL). */
int wl_token_is_special(const wl_tokenizer *tok, int32_t id);
/* The first timestamp token (<|0.00|>): one past the last special token. */
int32_t wl_tokenizer_timestamp_begin(const wl_tokenizer *tok);

#ifdef __cplusplus
}
#endif

#endif
