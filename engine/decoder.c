/* The text decoder: token + learned positions, causal self-attention through a KV cache,
 * cross-attention over the encoder output (K/V projected once), FFN, final norm, and logits
 * against the tied token embedding. */
#include "model.h"
#include "ops.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wl_decoder {
    wl_model *m;
    int pos;       /* tokens fed so far */
    float **k_self, **v_self;   /* per layer (n_text_ctx, d) */
    float **k_cross, **v_cross; /* per layer (n_audio_ctx, d) */
};

static float **alloc_layers(int L, int64_t n)
{
    float **p = calloc((size_t)L, sizeof *p);
    for (int l = 0; p && l < L; l++)
        if (!(p[l] = malloc((size_t)n * sizeof(float)))) return NULL;
    return p;
}

static void free_layers(float **p, int L)
{
    for (int l = 0; p && l < L; l++) free(p[l]);
    free(p);
}

void wl_decoder_free(wl_decoder *d)
{
    if (!d) return;
    int L = d->m->c.dec_layers;
    free_layers(d->k_self, L), free_layers(d->v_self, L);
    free_layers(d->k_cross, L), free_layers(d->v_cross, L);
    free(d);
}

wl_status wl_decoder_new(wl_model *m, const float *enc_out, wl_decoder **out, char *err, size_t errlen)
{
    const wl_config *c = &m->c;
    int L = c->dec_layers, C = c->d_model, S = c->n_audio_ctx;
    wl_decoder *d = calloc(1, sizeof *d);
    *out = NULL;
    if (d) {
        d->m = m;
        d->k_self = alloc_layers(L, (int64_t)c->n_text_ctx * C);
        d->v_self = alloc_layers(L, (int64_t)c->n_text_ctx * C);
        d->k_cross = alloc_layers(L, (int64_t)S * C);
        d->v_cross = alloc_layers(L, (int64_t)S * C);
    }
    if (!d || !d->k_self || !d->v_self || !d->k_cross || !d->v_cross) {
        wl_decoder_free(d);
        return wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM;
    }
    for (int l = 0; l < L; l++) { /* cross K/V depend only on the audio: once per clip */
        wl_linear(d->k_cross[l], enc_out, m->dec[l].cross.k, S, C, C);
        wl_linear(d->v_cross[l], enc_out, m->dec[l].cross.v, S, C, C);
    }
    *out = d;
    return WL_OK;
}

void wl_decoder_reset(wl_decoder *d) { d->pos = 0; }
int wl_decoder_pos(const wl_decoder *d) { return d->pos; }

wl_status wl_decoder_feed(wl_decoder *d, const int32_t *tokens, int n, float *logits, char *err,
                          size_t errlen)
{
    wl_model *m = d->m;
    const wl_config *c = &m->c;
    const int C = c->d_model, H = c->dec_heads, S = c->n_audio_ctx, V = c->n_vocab, P = d->pos;
    if (n <= 0 || P + n > c->n_text_ctx)
        return wl_fail(err, errlen, "decoder: %d tokens at position %d exceed the %d-token context",
                       n, P, c->n_text_ctx), WL_ERR_INPUT;
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= V)
            return wl_fail(err, errlen, "decoder: token %d is outside the vocabulary (0..%d)",
                           tokens[i], V - 1), WL_ERR_INPUT;
    int64_t nC = (int64_t)n * C;
    int keys = P + n > S ? P + n : S;
    float *h = malloc((size_t)nC * sizeof(float)), *x = malloc((size_t)nC * sizeof(float));
    float *q = malloc((size_t)nC * sizeof(float)), *a = malloc((size_t)nC * sizeof(float));
    float *probs = malloc((size_t)H * n * keys * sizeof(float));
    float *scratch = malloc((size_t)n * (C + c->dec_ffn) * sizeof(float));
    wl_status st = WL_OK;
    if (!h || !x || !q || !a || !probs || !scratch) {
        st = WL_ERR_NOMEM;
        wl_fail(err, errlen, "decoder: out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++)
        for (int e = 0; e < C; e++)
            h[(int64_t)i * C + e] = m->tok_emb[(int64_t)tokens[i] * C + e] + m->dec_pos[(int64_t)(P + i) * C + e];
    wl_emit(m, "dec.embed", h, 2, n, C, 0);
    for (int l = 0; l < c->dec_layers; l++) {
        const wl_dec_layer *L = &m->dec[l];
        char name[32];
        /* Causal self-attention: this call's K/V rows join the cache at P..P+n-1. */
        wl_layernorm(x, h, L->attn_ln, n, C);
        wl_query(q, x, L->attn.q, n, C, H);
        wl_linear(d->k_self[l] + (int64_t)P * C, x, L->attn.k, n, C, C);
        wl_linear(d->v_self[l] + (int64_t)P * C, x, L->attn.v, n, C, C);
        wl_attention(a, probs, q, d->k_self[l], d->v_self[l], n, P + n, C, H, P);
        wl_linear(x, a, L->attn.o, n, C, C);
        wl_add(h, x, nC);
        /* Cross-attention over the audio. */
        wl_layernorm(x, h, L->cross_ln, n, C);
        wl_query(q, x, L->cross.q, n, C, H);
        wl_attention(a, probs, q, d->k_cross[l], d->v_cross[l], n, S, C, H, -1);
        snprintf(name, sizeof name, "cross_attn.%d", l);
        wl_emit(m, name, probs, 3, H, n, S);
        wl_linear(x, a, L->cross.o, n, C, C);
        wl_add(h, x, nC);
        wl_ffn_block(h, &L->ffn_ln, L->fc1, L->fc2, n, C, c->dec_ffn, scratch);
        snprintf(name, sizeof name, "dec.layer.%d", l);
        wl_emit(m, name, h, 2, n, C, 0);
    }
    wl_layernorm(x, h, m->dec_ln, n, C);
    wl_emit(m, "dec.out", x, 2, n, C, 0);
    wl_linear_w tied = {m->tok_emb, NULL}; /* logits = h . E^T, no bias */
    wl_linear(logits, x, tied, n, C, V);
    wl_emit(m, "logits", logits, 2, n, V, 0);
    d->pos += n;
done:
    free(h), free(x), free(q), free(a), free(probs), free(scratch);
    return st;
}
