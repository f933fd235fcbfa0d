/* whisperlab: a small reference engine for Whisper, checked stage by stage against HF.
 *
 * Data flow: wl_audio_load (any libsndfile format -> 16 kHz mono float) -> wl_mel (log-mel
 * [n_mels, n_frames]) -> wl_encode (encoder output [n_audio_ctx, d_model]) -> a wl_decoder (cross
 * K/V from the encoder output, a KV cache) fed tokens one step or a whole sequence at a time,
 * giving logits [n, n_vocab]. The audio window (n_samples, n_frames in wl_dims) comes from the
 * model folder's preprocessor_config.json: 30 s and 3000 frames for tiny.en.
 *
 * A wl_model holds the weights and is read-only once loaded; a wl_state over it holds everything a
 * call writes (workspaces, the cross K/V of the last clips, spare decoder buffers). A state serves
 * one call at a time; states over one model may run at once on different threads, each giving the
 * bits it gives alone.
 *
 * Every function returns WL_OK or an error status with a one-line message in err; nothing here
 * exits the process. Stage tensors (named by the table in model/stages.c: "mel", "conv1",
 * "enc.layer.2", "cross_attn.3", ...) are passed to a state's optional callback as they are
 * computed. */
#ifndef WHISPERLAB_H
#define WHISPERLAB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The engine's version (recorded in every report's manifest). */
#define WL_VERSION "0.5.0"

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
    int n_threads;        /* the engine's threads (process-wide); 0: OpenBLAS's choice
                             (OPENBLAS_NUM_THREADS, or the cores) */
} wl_params;

/* Dimensions from config.json and preprocessor_config.json (see wl_model_dims). */
typedef struct {
    int n_mels, d_model, n_vocab;
    int enc_layers, enc_heads, n_audio_ctx;
    int dec_layers, dec_heads, n_text_ctx;
    int n_samples; /* the audio window in 16 kHz samples (480000 = 30 s for tiny.en) */
    int n_frames;  /* mel frames of the window: n_samples / WL_HOP = 2 * n_audio_ctx (3000) */
    double seconds_per_position; /* of audio per encoder position: n_samples / n_audio_ctx / 16 kHz (0.02) */
} wl_dims;

typedef struct wl_model wl_model;
typedef struct wl_state wl_state;
typedef struct wl_decoder wl_decoder;

/* Decoder rows fed as one batch at most: wl_decoder_feed_many reads the weights once per batch. */
#define WL_STEP_ROWS 16

/* Audio constants of the Whisper front end. */
#define WL_SAMPLE_RATE 16000
#define WL_N_FFT 400
#define WL_HOP 160
/* The largest sample magnitude read: float audio is full scale at 1.0, and 65536 still admits
 * 16-bit values stored unscaled as floats (HF takes those as they are). Far beyond it (1e30) a
 * file is broken: HF's float32 power spectrum overflows from about 9e16 (200 window-weighted
 * samples, squared), and every frame would be infinite. */
#define WL_MAX_SAMPLE 65536.0

wl_params wl_default_params(void);

/* Loads a HuggingFace Whisper folder (config.json, model.safetensors in F32, F16 or BF16, and
 * preprocessor_config.json, which must agree with config.json and the front end above). */
wl_status wl_model_load(const char *dir, wl_params params, wl_model **model, char *err, size_t errlen);
void wl_model_free(wl_model *model);
wl_dims wl_model_dims(const wl_model *model);
/* The engine's threads in effect (wl_params.n_threads of the last load). */
int wl_threads(void);

/* A run state over model (which must outlive it), stage tensors passed to on_stage (may be NULL)
 * with user. Free its decoders before it. */
wl_status wl_state_new(const wl_model *model, wl_stage_fn on_stage, void *user, wl_state **state, char *err,
                       size_t errlen);
void wl_state_free(wl_state *state);
const wl_model *wl_state_model(const wl_state *state);

/* Fixes glibc malloc's thresholds for the engine's allocations, blocks of up to a few MB made
 * and freed again for every clip: from 4 MB up a block is mapped and unmapped, and freed memory
 * is kept up to 128 MB. Left to itself, glibc raises its mapping threshold as large blocks are
 * freed, and where it ends depends on the order in which threads free them, so a program's peak
 * RSS would vary between identical runs. Process-wide: a program calls it once, before its first
 * allocation of note. */
void wl_tune_malloc(void);

/* Reads any file libsndfile reads, averages channels to mono and resamples to 16 kHz with
 * libsoxr HQ (as librosa.load does); 16-bit PCM becomes int16 / 32768. Audio longer than
 * max_samples at 16 kHz (pass the model's wl_dims.n_samples) or empty is an error; *n is at most
 * max_samples. *samples is malloc'd. */
wl_status wl_audio_load(const char *path, size_t max_samples, float **samples, size_t *n, char *err,
                        size_t errlen);

/* Log-mel spectrogram of at most n_samples of 16 kHz audio, as HF's WhisperFeatureExtractor
 * (padded to the window): mel [n_mels, n_frames]. */
wl_status wl_mel(wl_state *state, const float *samples, size_t n, float *mel, char *err,
                 size_t errlen);

/* Encoder: mel [n_mels, n_frames] -> out [n_audio_ctx, d_model]. */
wl_status wl_encode(wl_state *state, const float *mel, float *out, char *err, size_t errlen);

/* A decoder over one encoder output (cross-attention K/V computed here, or taken from the state's
 * cache of the last clips). */
wl_status wl_decoder_new(wl_state *state, const float *enc_out, wl_decoder **dec, char *err,
                         size_t errlen);
void wl_decoder_free(wl_decoder *dec);
/* Forgets all tokens fed so far (keeps the cross-attention K/V). */
void wl_decoder_reset(wl_decoder *dec);
/* Tokens fed so far (the position of the next one). */
int wl_decoder_pos(const wl_decoder *dec);
/* Feeds n tokens at positions pos..pos+n-1 (causal, through the KV cache) and writes their
 * logits [n, n_vocab] (logits may be NULL: only the stages and cross-attention are wanted).
 * n = 1 is one generation step; n = T from pos 0 is teacher forcing. */
wl_status wl_decoder_feed(wl_decoder *dec, const int32_t *tokens, int n, float *logits, char *err,
                          size_t errlen);
/* Feeds tokens[i] to decs[i] for i < n_dec (decoders of one state: the beams of a beam search,
 * or several searches, over one clip or several) and writes their logits [n_dec, n_vocab],
 * reading the weights once per WL_STEP_ROWS rows. Each row's results are bitwise those of feeding it
 * alone: the batch changes the speed, never the numbers. */
wl_status wl_decoder_feed_many(wl_decoder **decs, const int32_t *tokens, int n_dec, float *logits, char *err,
                               size_t errlen);

/* Feeds counts[i] tokens to decs[i] for i < n_dec (tokens one decoder's after another; decoders
 * of one state: several searches' prompts) in one batch, and writes the logits of each decoder's
 * last token [n_dec, n_vocab]. With at most 16 tokens in all, each decoder's numbers are bitwise
 * those of wl_decoder_feed alone; with more, the products take sgemm, whose bits may depend on
 * the batch. */
wl_status wl_decoder_feed_runs(wl_decoder **decs, const int *counts, int n_dec, const int32_t *tokens,
                               float *logits, char *err, size_t errlen);

/* Cross-attention of the last wl_decoder_feed call: [dec_layers][dec_heads][n][n_audio_ctx]
 * (softmaxed), *n = that call's token count. Valid until the next feed; NULL before any. */
const float *wl_decoder_cross_attn(const wl_decoder *dec, int *n);
/* A second decoder over the same encoder output, sharing its cross-attention K/V (free it
 * before src), with a copy of src's tokens so far. For beam search. */
wl_status wl_decoder_fork(const wl_decoder *src, wl_decoder **out, char *err, size_t errlen);
/* Makes dst continue from src's tokens (both from one wl_decoder_fork family). */
wl_status wl_decoder_copy(wl_decoder *dst, const wl_decoder *src, char *err, size_t errlen);

/* ---- Generation: HF generate() for short-form audio ----------------------------------------- */

/* The model's generation_config.json (and config.json's median_filter_width); where a key is
 * absent, HF's GenerationConfig default applies. */
typedef struct {
    int32_t decoder_start; /* decoder_start_token_id, e.g. 50257 <|startoftranscript|> */
    int32_t eos;           /* eos_token_id, e.g. 50256 <|endoftext|> */
    int32_t no_timestamps; /* no_timestamps_token_id, e.g. 50362; -1 if absent (no timestamps) */
    int32_t timestamp_begin; /* no_timestamps + 1: <|0.00|> */
    int max_initial_timestamp_index; /* e.g. 50 (1.00 s); -1 if absent (no limit) */
    int max_length;        /* e.g. 448, prompt included (HF default 20) */
    double length_penalty; /* beam score = sum of log-probs / generated length^this (1.0) */
    int early_stopping;    /* beam search stops as soon as it has num_beams hypotheses (false) */
    int is_multilingual;   /* language detection is not done: such models are refused */
    int32_t *prompt;       /* decoder_start, then forced_decoder_ids in position order */
    int n_prompt;
    int32_t *suppress, *begin_suppress; /* suppress_tokens, begin_suppress_tokens */
    int n_suppress, n_begin_suppress;
    int32_t *alignment_heads; /* [n_alignment_heads][2]: (layer, head) */
    int n_alignment_heads;
    int median_filter_width; /* config.json, e.g. 7 */
} wl_gen_config;

wl_status wl_gen_config_load(const char *dir, wl_gen_config *cfg, char *err, size_t errlen);
void wl_gen_config_free(wl_gen_config *cfg);

typedef struct {
    int beams;            /* 1: greedy; N > 1: beam search with N beams */
    int timestamps;       /* return_timestamps: no <|notimestamps|> in the prompt, timestamp rules */
    int max_new_tokens;   /* 0: stop at max_length only */
    int token_timestamps; /* return_token_timestamps: DTW over the alignment heads */
    int num_frames;       /* > 0: mel frames of the audio; the DTW is cropped to them (generate's
                             num_frames); 0 uses the whole window, as generate() without it */
    const int32_t *forced; /* for parity checks: follow these generated tokens instead of searching, */
    int n_forced;          /* recording each step as the search with `beams` would (else NULL, 0) */
    int no_cross_attn;     /* 1: the result has no cross_attn (NULL): not kept step by step, and no
                              final pass for beam search; token_timestamps needs it (0) */
} wl_gen_opts;

#define WL_TOP 5

/* One generated token, for the lab. */
typedef struct {
    int32_t token;
    float logprob;  /* as compute_transition_scores gives it: greedy, the log-softmax of the
                       processed scores (renormalised over allowed tokens); beam, the processed
                       log-probs (normalised before suppression) */
    int32_t top_id[WL_TOP]; /* the best alternatives after the logits processors, best first */
    float top_logprob[WL_TOP];
    int is_timestamp;
} wl_step;

typedef struct {
    int32_t *tokens;     /* HF's sequences: prompt, generated tokens (end-of-text included) */
    int n_tokens, n_prompt;
    wl_step *steps;      /* [n_tokens - n_prompt]: steps[i] chose tokens[n_prompt + i] */
    int n_steps;
    double score;        /* beam: sequences_scores; greedy: the mean step log-prob */
    float *token_time;   /* [n_tokens] seconds, as return_token_timestamps gives them (greedy); for
                            beam search the same computation over the winner's rows (HF 4.43
                            misaligns beam rows, so it has no golden there); or NULL */
    float *cross_attn;   /* [n_tokens - 1][dec_layers][dec_heads][n_audio_ctx]: the
                            cross-attention of the query at position r, which predicted token r+1;
                            greedy and forced paths keep each step's rows, beam search takes one
                            teacher-forced pass over the winner's tokens */
    int layers, heads, n_audio_ctx;
} wl_result;

/* Decodes one encoder output as HF's generate() does for a short-form clip. */
wl_status wl_generate(wl_state *state, const wl_gen_config *cfg, const float *enc_out,
                      const wl_gen_opts *opts, wl_result **out, char *err, size_t errlen);
/* Runs n searches together, search i over enc_out[i] with opts[i] (say greedy, timestamps and
 * beam search over one clip): every step feeds all of their rows through the decoder as one
 * batch, so the weights are read once per step instead of once per search. results[i] is
 * bitwise what wl_generate(state, cfg, enc_out[i], &opts[i]) gives. */
wl_status wl_generate_many(wl_state *state, const wl_gen_config *cfg, const float *const *enc_out,
                           const wl_gen_opts *opts, int n, wl_result **results, char *err, size_t errlen);
void wl_result_free(wl_result *r);

/* Token-level timestamps from cross-attention rows [n_rows][layers][heads][n_audio_ctx] (rows
 * as in wl_result): the alignment heads, z-scored over rows, median-filtered along time, averaged,
 * then DTW (HF's _extract_token_timestamps). time[0] = 0, time[1..n_rows] = start of each row's
 * path. n_frames > 0 crops the encoder positions to n_frames / 2; time_per_pos is seconds per
 * encoder position. Returns 0, or -1 when out of memory. */
int wl_token_timestamps(const float *cross_attn, int n_rows, int layers, int heads, int n_audio_ctx,
                        const wl_gen_config *cfg, int n_frames, double time_per_pos, float *time);

/* DTW over cost[n_rows][n_cols] (HF's _dynamic_time_warping): the path from (0,0) to the end as
 * (row, col) pairs, *len of them (at most n_rows + n_cols). Returns 0, or -1 when out of memory. */
int wl_dtw(const double *cost, int n_rows, int n_cols, int *path_row, int *path_col, int *len);

/* ---- Tokenizer: GPT-2 byte-level BPE, as HF's slow WhisperTokenizer ---------------------- */

typedef struct wl_tokenizer wl_tokenizer;

/* Loads vocab.json, merges.txt, added_tokens.json, special_tokens_map.json and (if present)
 * tokenizer_config.json's added tokens from a HF model folder. */
wl_status wl_tokenizer_load(const char *dir, wl_tokenizer **tok, char *err, size_t errlen);
/* The tokenizer of the folder dir against its generation_config.json (cfg): the same eos id, the
 * same <|notimestamps|> and first timestamp token, and every prompt id a special token (never
 * printed). WL_ERR_FORMAT with a line naming the file that disagrees. */
wl_status wl_tokenizer_check(const wl_tokenizer *tok, const wl_gen_config *cfg, const char *dir, char *err,
                             size_t errlen);
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

/* The first id below n_vocab (the model's vocabulary) that has no token, neither in vocab.json nor
 * an added token, or -1: a tokenizer that cannot spell every id would silently drop text. */
int32_t wl_tokenizer_first_gap(const wl_tokenizer *tok, int32_t n_vocab);

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
