#include "layout.h"
#include "../base/util.h"

#include <stdio.h>
#include <string.h>

/* A dimension of a tensor's shape, as the config names it. */
typedef enum { NO_DIM, D_MODEL, N_MELS, TAPS, AUDIO_CTX, TEXT_CTX, VOCAB, ENC_FFN, DEC_FFN } dim;

/* One tensor: its key (after its layer's prefix), kind, shape, and where its float pointer goes. */
typedef struct {
    const char *key;
    wl_tensor_kind kind;
    dim shape[3]; /* as many dimensions as come before NO_DIM */
    size_t offset;
} row;

#define MODEL(field) offsetof(wl_weights, field)
#define ENC(field) offsetof(wl_enc_layer, field)
#define DEC(field) offsetof(wl_dec_layer, field)

/* The rows in the checkpoint's order (HF's: a module's tensors in the order it declares them). An
 * attention's q, v and out projections have a bias, k has none (HF WhisperAttention). */
static const row encoder_stem[] = {
    {"model.encoder.conv1.weight", WL_KIND_WEIGHT, {D_MODEL, N_MELS, TAPS}, MODEL(conv1.w)},
    {"model.encoder.conv1.bias", WL_KIND_BIAS, {D_MODEL}, MODEL(conv1.b)},
    {"model.encoder.conv2.weight", WL_KIND_WEIGHT, {D_MODEL, D_MODEL, TAPS}, MODEL(conv2.w)},
    {"model.encoder.conv2.bias", WL_KIND_BIAS, {D_MODEL}, MODEL(conv2.b)},
    {"model.encoder.embed_positions.weight", WL_KIND_SINUSOIDS, {AUDIO_CTX, D_MODEL}, MODEL(enc_pos)},
};

static const row encoder_layer[] = {
    {"self_attn.k_proj.weight", WL_KIND_WEIGHT, {D_MODEL, D_MODEL}, ENC(attn.k.w)},
    {"self_attn.v_proj.weight", WL_KIND_WEIGHT, {D_MODEL, D_MODEL}, ENC(attn.v.w)},
    {"self_attn.v_proj.bias", WL_KIND_BIAS, {D_MODEL}, ENC(attn.v.b)},
    {"self_attn.q_proj.weight", WL_KIND_WEIGHT, {D_MODEL, D_MODEL}, ENC(attn.q.w)},
    {"self_attn.q_proj.bias", WL_KIND_BIAS, {D_MODEL}, ENC(attn.q.b)},
    {"self_attn.out_proj.weight", WL_KIND_WEIGHT, {D_MODEL, D_MODEL}, ENC(attn.o.w)},
    {"self_attn.out_proj.bias", WL_KIND_BIAS, {D_MODEL}, ENC(attn.o.b)},
    {"self_attn_layer_norm.weight", WL_KIND_LN_WEIGHT, {D_MODEL}, ENC(attn_ln.w)},
    {"self_attn_layer_norm.bias", WL_KIND_LN_BIAS, {D_MODEL}, ENC(attn_ln.b)},
    {"fc1.weight", WL_KIND_WEIGHT, {ENC_FFN, D_MODEL}, ENC(fc1.w)},
    {"fc1.bias", WL_KIND_BIAS, {ENC_FFN}, ENC(fc1.b)},
    {"fc2.weight", WL_KIND_WEIGHT, {D_MODEL, ENC_FFN}, ENC(fc2.w)},
    {"fc2.bias", WL_KIND_BIAS, {D_MODEL}, ENC(fc2.b)},
    {"final_layer_norm.weight", WL_KIND_LN_WEIGHT, {D_MODEL}, ENC(ffn_ln.w)},
    {"final_layer_norm.bias", WL_KIND_LN_BIAS, {D_MODEL}, ENC(ffn_ln.b)},
};

static const row encoder_end[] = {
    {"model.encoder.layer_norm.weight", WL_KIND_LN_WEIGHT, {D_MODEL}, MODEL(enc_ln.w)},
    {"model.encoder.layer_norm.bias", WL_KIND_LN_BIAS, {D_MODEL}, MODEL(enc_ln.b)},
};

static const row decoder_stem[] = {
    {"model.decoder.embed_tokens.weight", WL_KIND_WEIGHT, {VOCAB, D_MODEL}, MODEL(tok_emb)},
    {"model.decoder.embed_positions.weight", WL_KIND_WEIGHT, {TEXT_CTX, D_MODEL}, MODEL(dec_pos)},
};

static const row decoder_layer[] = {
    {"self_attn.k_proj.weight", WL_KIND_WEIGHT, {D_MODEL, D_MODEL}, DEC(attn.k.w)},
    {"self_attn.v_proj.weight", WL_KIND_WEIGHT, {D_MODEL, D_MODEL}, DEC(attn.v.w)},
    {"self_attn.v_proj.bias", WL_KIND_BIAS, {D_MODEL}, DEC(attn.v.b)},
    {"self_attn.q_proj.weight", WL_KIND_WEIGHT, {D_MODEL, D_MODEL}, DEC(attn.q.w)},
    {"self_attn.q_proj.bias", WL_KIND_BIAS, {D_MODEL}, DEC(attn.q.b)},
    {"self_attn.out_proj.weight", WL_KIND_WEIGHT, {D_MODEL, D_MODEL}, DEC(attn.o.w)},
    {"self_attn.out_proj.bias", WL_KIND_BIAS, {D_MODEL}, DEC(attn.o.b)},
    {"self_attn_layer_norm.weight", WL_KIND_LN_WEIGHT, {D_MODEL}, DEC(attn_ln.w)},
    {"self_attn_layer_norm.bias", WL_KIND_LN_BIAS, {D_MODEL}, DEC(attn_ln.b)},
    {"encoder_attn.k_proj.weight", WL_KIND_WEIGHT, {D_MODEL, D_MODEL}, DEC(cross.k.w)},
    {"encoder_attn.v_proj.weight", WL_KIND_WEIGHT, {D_MODEL, D_MODEL}, DEC(cross.v.w)},
    {"encoder_attn.v_proj.bias", WL_KIND_BIAS, {D_MODEL}, DEC(cross.v.b)},
    {"encoder_attn.q_proj.weight", WL_KIND_WEIGHT, {D_MODEL, D_MODEL}, DEC(cross.q.w)},
    {"encoder_attn.q_proj.bias", WL_KIND_BIAS, {D_MODEL}, DEC(cross.q.b)},
    {"encoder_attn.out_proj.weight", WL_KIND_WEIGHT, {D_MODEL, D_MODEL}, DEC(cross.o.w)},
    {"encoder_attn.out_proj.bias", WL_KIND_BIAS, {D_MODEL}, DEC(cross.o.b)},
    {"encoder_attn_layer_norm.weight", WL_KIND_LN_WEIGHT, {D_MODEL}, DEC(cross_ln.w)},
    {"encoder_attn_layer_norm.bias", WL_KIND_LN_BIAS, {D_MODEL}, DEC(cross_ln.b)},
    {"fc1.weight", WL_KIND_WEIGHT, {DEC_FFN, D_MODEL}, DEC(fc1.w)},
    {"fc1.bias", WL_KIND_BIAS, {DEC_FFN}, DEC(fc1.b)},
    {"fc2.weight", WL_KIND_WEIGHT, {D_MODEL, DEC_FFN}, DEC(fc2.w)},
    {"fc2.bias", WL_KIND_BIAS, {D_MODEL}, DEC(fc2.b)},
    {"final_layer_norm.weight", WL_KIND_LN_WEIGHT, {D_MODEL}, DEC(ffn_ln.w)},
    {"final_layer_norm.bias", WL_KIND_LN_BIAS, {D_MODEL}, DEC(ffn_ln.b)},
};

static const row decoder_end[] = {
    {"model.decoder.layer_norm.weight", WL_KIND_LN_WEIGHT, {D_MODEL}, MODEL(dec_ln.w)},
    {"model.decoder.layer_norm.bias", WL_KIND_LN_BIAS, {D_MODEL}, MODEL(dec_ln.b)},
};

#define ROWS(a) a, (int)(sizeof a / sizeof a[0])

/* The checkpoint: the parts in order, a layer part once per layer with its prefix before each key. */
static const struct {
    const row *rows;
    int n;
    wl_tensor_home home;
    const char *prefix; /* printf format of the layer's prefix, given the layer */
} parts[] = {
    {ROWS(encoder_stem), WL_IN_MODEL, ""},
    {ROWS(encoder_layer), WL_IN_ENC_LAYER, "model.encoder.layers.%d."},
    {ROWS(encoder_end), WL_IN_MODEL, ""},
    {ROWS(decoder_stem), WL_IN_MODEL, ""},
    {ROWS(decoder_layer), WL_IN_DEC_LAYER, "model.decoder.layers.%d."},
    {ROWS(decoder_end), WL_IN_MODEL, ""},
};

static int64_t dim_size(const wl_config *c, dim d)
{
    switch (d) {
    case D_MODEL: return c->d_model;
    case N_MELS: return c->n_mels;
    case TAPS: return 3;
    case AUDIO_CTX: return c->n_audio_ctx;
    case TEXT_CTX: return c->n_text_ctx;
    case VOCAB: return c->n_vocab;
    case ENC_FFN: return c->enc_ffn;
    case DEC_FFN: return c->dec_ffn;
    case NO_DIM: break;
    }
    return 0;
}

int wl_layout(const wl_config *c, wl_tensor_spec *specs, int max)
{
    int n = 0;
    for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
        int layers = parts[p].home == WL_IN_ENC_LAYER   ? c->enc_layers
                     : parts[p].home == WL_IN_DEC_LAYER ? c->dec_layers
                                                        : 1;
        for (int l = 0; l < layers; l++)
            for (int r = 0; r < parts[p].n; r++, n++) {
                if (n >= max) continue; /* counted, not written */
                const row *w = &parts[p].rows[r];
                wl_tensor_spec *s = &specs[n];
                memset(s, 0, sizeof *s);
                char prefix[32];
                snprintf(prefix, sizeof prefix, parts[p].prefix, l);
                snprintf(s->name, sizeof s->name, "%s%s", prefix, w->key);
                for (s->ndim = 0; s->ndim < 3 && w->shape[s->ndim] != NO_DIM; s->ndim++)
                    s->shape[s->ndim] = dim_size(c, w->shape[s->ndim]);
                s->kind = w->kind;
                s->home = parts[p].home;
                s->layer = l;
                s->offset = w->offset;
            }
    }
    return n <= max ? n : -1;
}

const float **wl_spec_slot(wl_weights *w, const wl_tensor_spec *s)
{
    char *base = s->home == WL_IN_ENC_LAYER   ? (char *)&w->enc[s->layer]
                 : s->home == WL_IN_DEC_LAYER ? (char *)&w->dec[s->layer]
                                              : (char *)w;
    return (const float **)(base + s->offset);
}

int64_t wl_spec_numel(const wl_tensor_spec *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->ndim; i++) n *= s->shape[i];
    return n;
}

static void shape_str(char *buf, size_t len, int ndim, const int64_t *shape)
{
    size_t k = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < ndim && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (k < len) snprintf(buf + k, len - k, ")");
}

int wl_layout_check(const wl_st_file *f, const wl_config *c, char *err, size_t errlen)
{
    enum { MAX = 4096 };
    static wl_tensor_spec specs[MAX];
    int n = wl_layout(c, specs, MAX);
    if (n < 0) return wl_fail(err, errlen, "%s: config implies too many tensors", f->path);
    for (int i = 0; i < n; i++) {
        const wl_st_tensor *t = wl_st_find(f, specs[i].name);
        if (!t) return wl_fail(err, errlen, "%s: missing tensor '%s'", f->path, specs[i].name);
        int same = t->ndim == specs[i].ndim;
        for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == specs[i].shape[d];
        if (!same) {
            char got[96], want[96];
            shape_str(got, sizeof got, t->ndim, t->shape);
            shape_str(want, sizeof want, specs[i].ndim, specs[i].shape);
            return wl_fail(err, errlen, "%s: tensor '%s' has shape %s, expected %s", f->path,
                           t->name, got, want);
        }
        if (t->dtype != WL_F32 && t->dtype != WL_F16 && t->dtype != WL_BF16)
            return wl_fail(err, errlen, "%s: tensor '%s' has dtype %s, expected F32, F16 or BF16",
                           f->path, t->name, wl_dtype_name(t->dtype));
    }
    for (int i = 0; i < f->n; i++) {
        int known = 0;
        for (int j = 0; j < n && !known; j++) known = strcmp(f->tensors[i].name, specs[j].name) == 0;
        if (!known) return wl_fail(err, errlen, "%s: unknown tensor '%s'", f->path, f->tensors[i].name);
    }
    return 0;
}
