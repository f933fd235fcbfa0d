/* The audio encoder: conv stem, sinusoidal positions, pre-LN transformer layers, final norm. */
#include "model.h"
#include "ops.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

wl_status wl_encode(wl_model *m, const float *mel, float *out, char *err, size_t errlen)
{
    const wl_config *c = &m->c;
    /* NF = 2 * T (checked at load): conv2's stride 2 lands exactly on the positions. */
    const int T = c->n_audio_ctx, C = c->d_model, F = c->enc_ffn, H = c->enc_heads, NF = c->n_frames;
    int64_t TC = (int64_t)T * C;
    /* one workspace per model: conv1 [C, NF], conv2, h, x, q, k, v, a [T, C], the FFN's
     * scratch [T, C + F] and the conv stem's im2col (the larger of the two convs) */
    size_t col = (size_t)3 * (c->n_mels * NF > C * T ? c->n_mels * NF : C * T);
    size_t need = (size_t)C * NF + 7 * (size_t)TC + (size_t)T * (C + F) + col;
    if (!m->enc_ws && !(m->enc_ws = malloc(need * sizeof(float))))
        return wl_fail(err, errlen, "encoder: out of memory"), WL_ERR_NOMEM;
    float *c1 = m->enc_ws, *c2 = c1 + (size_t)C * NF, *h = c2 + TC, *x = h + TC, *q = x + TC, *k = q + TC;
    float *v = k + TC, *a = v + TC, *scratch = a + TC, *im2col = scratch + (size_t)T * (C + F);
    wl_status st = WL_OK;
    wl_conv1d_k3(c1, mel, m->conv1, c->n_mels, NF, C, 1, im2col);
    wl_gelu(c1, (int64_t)C * NF);
    wl_emit(m, "conv1", c1, 2, C, NF, 0);
    wl_conv1d_k3(c2, c1, m->conv2, C, NF, C, 2, im2col);
    wl_gelu(c2, TC);
    wl_emit(m, "conv2", c2, 2, C, T, 0);
    for (int t = 0; t < T; t++) /* [C, T] -> [T, C], plus the stored positions */
        for (int d = 0; d < C; d++) h[(int64_t)t * C + d] = c2[(int64_t)d * T + t] + m->enc_pos[(int64_t)t * C + d];
    wl_emit(m, "enc.embed", h, 2, T, C, 0);
    for (int l = 0; l < c->enc_layers; l++) {
        const wl_enc_layer *L = &m->enc[l];
        wl_layernorm(x, h, L->attn_ln, T, C);
        wl_query(q, x, L->attn.q, T, C, H);
        wl_linear(k, x, L->attn.k, T, C, C);
        wl_linear(v, x, L->attn.v, T, C, C);
        wl_attention(a, NULL, q, k, v, T, T, C, H, -1);
        wl_linear(x, a, L->attn.o, T, C, C);
        wl_add(h, x, TC);
        wl_ffn_block(h, &L->ffn_ln, L->fc1, L->fc2, T, C, F, scratch);
        char name[32];
        snprintf(name, sizeof name, "enc.layer.%d", l);
        wl_emit(m, name, h, 2, T, C, 0);
    }
    wl_layernorm(out, h, m->enc_ln, T, C);
    wl_emit(m, "enc.out", out, 2, T, C, 0);
    int64_t bad = wl_first_non_finite(out, TC);
    if (bad >= 0) {
        st = WL_ERR_FORMAT;
        wl_fail(err, errlen, "encoder: output at position %lld is not finite: the weights overflow float32",
                (long long)(bad / C));
    }
    return st;
}
