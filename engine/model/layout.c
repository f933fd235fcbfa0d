#include "layout.h"
#include "../base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    wl_tensor_spec *specs;
    int max, n;
} builder;

static void add(builder *b, wl_tensor_kind kind, int ndim, int64_t d0, int64_t d1, int64_t d2,
                const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void add(builder *b, wl_tensor_kind kind, int ndim, int64_t d0, int64_t d1, int64_t d2,
                const char *fmt, ...)
{
    if (b->n < b->max) {
        wl_tensor_spec *s = &b->specs[b->n];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->name, sizeof s->name, fmt, ap);
        va_end(ap);
        s->ndim = ndim;
        s->shape[0] = d0;
        s->shape[1] = d1;
        s->shape[2] = d2;
        s->kind = kind;
    }
    b->n++;
}

static void add_ln(builder *b, int d, const char *prefix)
{
    add(b, WL_KIND_LN_WEIGHT, 1, d, 0, 0, "%s.weight", prefix);
    add(b, WL_KIND_LN_BIAS, 1, d, 0, 0, "%s.bias", prefix);
}

/* q, v, out projections have a bias; k has none (HF WhisperAttention). */
static void add_attn(builder *b, int d, const char *prefix)
{
    add(b, WL_KIND_WEIGHT, 2, d, d, 0, "%s.k_proj.weight", prefix);
    static const char *biased[] = {"v_proj", "q_proj", "out_proj"};
    for (int i = 0; i < 3; i++) {
        add(b, WL_KIND_WEIGHT, 2, d, d, 0, "%s.%s.weight", prefix, biased[i]);
        add(b, WL_KIND_BIAS, 1, d, 0, 0, "%s.%s.bias", prefix, biased[i]);
    }
}

static void add_ffn(builder *b, int d, int ffn, const char *prefix)
{
    add(b, WL_KIND_WEIGHT, 2, ffn, d, 0, "%s.fc1.weight", prefix);
    add(b, WL_KIND_BIAS, 1, ffn, 0, 0, "%s.fc1.bias", prefix);
    add(b, WL_KIND_WEIGHT, 2, d, ffn, 0, "%s.fc2.weight", prefix);
    add(b, WL_KIND_BIAS, 1, d, 0, 0, "%s.fc2.bias", prefix);
}

int wl_layout(const wl_config *c, wl_tensor_spec *specs, int max)
{
    builder b = {specs, max, 0};
    const int d = c->d_model;
    char p[64];

    add(&b, WL_KIND_WEIGHT, 3, d, c->n_mels, 3, "model.encoder.conv1.weight");
    add(&b, WL_KIND_BIAS, 1, d, 0, 0, "model.encoder.conv1.bias");
    add(&b, WL_KIND_WEIGHT, 3, d, d, 3, "model.encoder.conv2.weight");
    add(&b, WL_KIND_BIAS, 1, d, 0, 0, "model.encoder.conv2.bias");
    add(&b, WL_KIND_SINUSOIDS, 2, c->n_audio_ctx, d, 0, "model.encoder.embed_positions.weight");
    for (int l = 0; l < c->enc_layers; l++) {
        snprintf(p, sizeof p, "model.encoder.layers.%d", l);
        char q[96];
        snprintf(q, sizeof q, "%s.self_attn", p);
        add_attn(&b, d, q);
        snprintf(q, sizeof q, "%s.self_attn_layer_norm", p);
        add_ln(&b, d, q);
        add_ffn(&b, d, c->enc_ffn, p);
        snprintf(q, sizeof q, "%s.final_layer_norm", p);
        add_ln(&b, d, q);
    }
    add_ln(&b, d, "model.encoder.layer_norm");

    add(&b, WL_KIND_WEIGHT, 2, c->n_vocab, d, 0, "model.decoder.embed_tokens.weight");
    add(&b, WL_KIND_WEIGHT, 2, c->n_text_ctx, d, 0, "model.decoder.embed_positions.weight");
    for (int l = 0; l < c->dec_layers; l++) {
        snprintf(p, sizeof p, "model.decoder.layers.%d", l);
        char q[96];
        snprintf(q, sizeof q, "%s.self_attn", p);
        add_attn(&b, d, q);
        snprintf(q, sizeof q, "%s.self_attn_layer_norm", p);
        add_ln(&b, d, q);
        snprintf(q, sizeof q, "%s.encoder_attn", p);
        add_attn(&b, d, q);
        snprintf(q, sizeof q, "%s.encoder_attn_layer_norm", p);
        add_ln(&b, d, q);
        add_ffn(&b, d, c->dec_ffn, p);
        snprintf(q, sizeof q, "%s.final_layer_norm", p);
        add_ln(&b, d, q);
    }
    add_ln(&b, d, "model.decoder.layer_norm");
    return b.n <= max ? b.n : -1;
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
