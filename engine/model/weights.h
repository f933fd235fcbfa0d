/* The weights of a layer as the network's operations take them (internal): float32 views, shapes
 * (out, in) for linear layers, as in the checkpoint. The loader converts tensors in the order of
 * the fields they fill (model.c), so a layer's fields are listed in the order its weights are to
 * lie in the converted buffer: the attention's projections, then the norms, then the FFN. */
#ifndef WL_WEIGHTS_H
#define WL_WEIGHTS_H

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
    wl_attn_w attn;      /* self_attn */
    wl_norm_w attn_ln;   /* self_attn_layer_norm */
    wl_norm_w ffn_ln;    /* final_layer_norm */
    wl_linear_w fc1, fc2;
} wl_enc_layer;

typedef struct {
    wl_attn_w attn;      /* self_attn */
    wl_attn_w cross;     /* encoder_attn */
    wl_norm_w attn_ln;   /* self_attn_layer_norm */
    wl_norm_w cross_ln;  /* encoder_attn_layer_norm */
    wl_norm_w ffn_ln;    /* final_layer_norm */
    wl_linear_w fc1, fc2;
} wl_dec_layer;

/* Every weight of the model, each filled by the loader from its row of the checkpoint's tensor
 * table (layout.c). */
typedef struct {
    wl_linear_w conv1;     /* weight (d, n_mels, 3) */
    wl_linear_w conv2;     /* weight (d, d, 3) */
    const float *enc_pos;  /* (n_audio_ctx, d) */
    wl_enc_layer *enc;     /* (enc_layers) */
    wl_norm_w enc_ln;
    const float *tok_emb;  /* (n_vocab, d); also the output projection (tied) */
    const float *dec_pos;  /* (n_text_ctx, d) */
    wl_dec_layer *dec;     /* (dec_layers) */
    wl_norm_w dec_ln;
} wl_weights;

#endif
