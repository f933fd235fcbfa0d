/* The model's weights and dimensions (internal). Pointers are float32 views: into the mmap'd
 * safetensors file when it holds aligned F32, else into converted copies. Shapes are (out, in)
 * for linear layers, as in the checkpoint. */
#ifndef WL_MODEL_H
#define WL_MODEL_H

#include "config.h"
#include "../io/safetensors.h"
#include "../whisperlab.h"

typedef struct {
    const float *w; /* (out, in) */
    const float *b; /* (out), NULL for k_proj */
} wl_linear_w;

typedef struct {
    const float *w, *b; /* (d_model) */
} wl_norm_w;

typedef struct {
    wl_linear_w q, k, v, o; /* *_proj; k has no bias */
} wl_attn_w;

typedef struct {
    wl_norm_w attn_ln;   /* self_attn_layer_norm */
    wl_attn_w attn;      /* self_attn */
    wl_norm_w ffn_ln;    /* final_layer_norm */
    wl_linear_w fc1, fc2;
} wl_enc_layer;

typedef struct {
    wl_norm_w attn_ln;   /* self_attn_layer_norm */
    wl_attn_w attn;      /* self_attn */
    wl_norm_w cross_ln;  /* encoder_attn_layer_norm */
    wl_attn_w cross;     /* encoder_attn */
    wl_norm_w ffn_ln;    /* final_layer_norm */
    wl_linear_w fc1, fc2;
} wl_dec_layer;

struct wl_model {
    wl_config c;
    wl_params params;
    wl_st_file file;
    float *converted;      /* the tensors that are not aligned F32 in the file, as floats, one buffer */
    size_t n_converted, cap_converted; /* floats of it handed out, and in all */
    float *mel_filters;    /* (n_mels, 201) */
    float *shared_ws;      /* the encoder's activations and the cross K/V cache's slots in turn: a
                              clip is encoded, then decoded, so the two are never wanted at once
                              (the lab's peak RSS less 22 MB). Allocated once, for the larger, and
                              kept: no allocation or page faults per clip (one encoder at a time) */
    size_t shared_ws_cap;  /* floats in shared_ws */
    float *enc_ws;         /* the encoder's own activations, only if it runs while a decoder reads
                              the cache (then kept) */
    size_t enc_ws_cap;     /* floats in enc_ws */
    float *enc_taps;       /* conv1's and conv2's weights split by tap, made by the first wl_encode */
    struct wl_cross_cache *cross; /* the last clips' cross K/V, shared by their decoders (decoder.c) */
    float *dec_ws;         /* a decoder call's activations, grown to the largest call and kept: no
                              allocation or page faults per step (one decoder call at a time) */
    size_t dec_ws_cap;     /* floats in dec_ws */
    struct wl_spare_buffers *spares; /* freed decoders' buffers, for the next ones (decoder.c) */
    wl_linear_w conv1;     /* weight (d, n_mels, 3) */
    wl_linear_w conv2;     /* weight (d, d, 3) */
    const float *enc_pos;  /* (n_audio_ctx, d) */
    wl_enc_layer *enc;     /* (enc_layers) */
    wl_norm_w enc_ln;
    const float *tok_emb;  /* (n_vocab, d); also the output projection (tied) */
    const float *dec_pos;  /* (n_text_ctx, d) */
    wl_dec_layer *dec;     /* (dec_layers) */
    wl_norm_w dec_ln;
};

/* Frees the cross K/V cache (decoder.c); called by wl_model_free. */
void wl_decoder_caches_free(wl_model *m);
/* Floats the cross K/V cache's slots take in m->shared_ws (decoder.c). */
size_t wl_cross_cache_floats(const wl_model *m);
/* The cache's slots hand m->shared_ws over (to the encoder): each forgets its clip. Returns 0,
 * or -1 (nothing changed) while a live decoder reads one of them (decoder.c). */
int wl_cross_cache_yield(wl_model *m);

/* Passes a stage tensor to the model's callback, if any. */
void wl_emit(const wl_model *m, const char *stage, const float *data, int ndim, int64_t d0,
             int64_t d1, int64_t d2);

#endif
