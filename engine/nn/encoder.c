/* The audio encoder: conv stem, sinusoidal positions, pre-LN transformer layers, final norm.
 *
 * Activations are time-major ([T, C]) from the conv stem on, and the threads split the time
 * steps: everything but attention is row-wise, so each thread runs the whole chain on its own
 * rows with single-threaded products (no hand-offs between a library's threads inside every
 * product). The threads meet where a row needs other rows: after the mel transpose and conv1
 * (conv2 reads neighbouring frames) and after Q/K/V in each layer (attention reads every key). */
#include "../kernels/gemm.h"
#include "state.h"
#include "ops.h"
#include "../kernels/parallel.h"
#include "../base/util.h"
#include "../kernels/vmath.h"
#include "../model/stages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const wl_model *m;
    const wl_enc_layer *L;
    float *xm, *c1, *h, *x, *q, *k, *v, *a, *slots;
    const float *w1, *w2;
    size_t slot_floats; /* each thread's scratch (wl_parallel_slot): conv taps, the FFN's hidden rows */
} enc_job;

/* Threads split the time steps in blocks of ROW_BLOCK (wl_parallel_for_aligned), and every
 * step of a layer runs on one block at a time: a library may give a row other bits in a product
 * of another number of rows (see ops.c), so each product's rows are fixed by where its block lies,
 * whatever the thread count. ROW_BLOCK is a multiple of CONV_BLOCK and of attention's query
 * blocks. A block's feed-forward hidden layer (ROW_BLOCK x enc_ffn) sits in its thread's scratch. */
enum { ROW_BLOCK = 96 };

enum { CONV_BLOCK = 96 }; /* output frames gathered at a time: their taps stay in L2 */
_Static_assert(ROW_BLOCK % CONV_BLOCK == 0, "a slice's conv blocks must not cross into the next slice");

/* Conv1d, kernel 3, padding 1, on time-major frames: out[t] = b + W . [in[s t - 1], in[s t],
 * in[s t + 1]] for t in [t0, t1), stride s. in has a zero frame before its first (and after its
 * last), so output t's three taps are the 3 C_in contiguous floats from padded row s t: a block
 * of outputs copies its taps side by side (a small im2col that stays in cache) and takes one
 * product with K = 3 C_in. Wk is the weight as (C_out, 3, C_in). taps: CONV_BLOCK K floats. */
static void conv_rows(float *out, const float *in_padded, const float *Wk, const float *b, int C_in, int C_out,
                      int stride, int t0, int t1, float *taps)
{
    const int K = 3 * C_in;
    for (int r0 = t0; r0 < t1; r0 += CONV_BLOCK) {
        int R = t1 - r0 < CONV_BLOCK ? t1 - r0 : CONV_BLOCK;
        for (int r = 0; r < R; r++)
            memcpy(taps + (int64_t)r * K, in_padded + (int64_t)(r0 + r) * stride * C_in, sizeof(float) * K);
        float *o = out + (int64_t)r0 * C_out;
        wl_sgemm(1, R, C_out, K, taps, K, Wk, K, o, C_out);
        for (int r = 0; r < R; r++) wl_vadd(o + (int64_t)r * C_out, b, C_out);
        wl_vgelu(o, (int64_t)R * C_out);
    }
}

static float *slot_scratch(const enc_job *j) { return j->slots + (size_t)wl_parallel_slot() * j->slot_floats; }

static void conv1_rows(void *p, int t0, int t1)
{
    const enc_job *j = p;
    const wl_config *c = &j->m->c;
    conv_rows(j->c1 + c->d_model, j->xm, j->w1, j->m->w.conv1.b, c->n_mels, c->d_model, 1, t0, t1, slot_scratch(j));
}

/* conv2 with stride 2 (into x), then the stored positions: the layers' input h. */
static void conv2_rows(void *p, int t0, int t1)
{
    const enc_job *j = p;
    const int C = j->m->c.d_model;
    conv_rows(j->x, j->c1, j->w2, j->m->w.conv2.b, C, C, 2, t0, t1, slot_scratch(j));
    for (int64_t i = (int64_t)t0 * C; i < (int64_t)t1 * C; i++) j->h[i] = j->x[i] + j->m->w.enc_pos[i];
}

/* Self-attention's input side for the rows of each block in [t0, t1): LayerNorm, then Q
 * (scaled), K (channel-major, [C, T], for wl_attention_kt) and V. */
static void qkv_rows(void *p, int t0, int t1)
{
    const enc_job *j = p;
    const wl_config *c = &j->m->c;
    const int C = c->d_model;
    for (int b = t0; b < t1; b += ROW_BLOCK) {
        const int R = t1 - b < ROW_BLOCK ? t1 - b : ROW_BLOCK;
        const int64_t o = (int64_t)b * C;
        wl_layernorm(j->x + o, j->h + o, j->L->attn_ln, R, C);
        wl_query(j->q + o, j->x + o, j->L->attn.q, R, C, c->enc_heads);
        wl_linear_cm(j->k + b, c->n_audio_ctx, j->x + o, j->L->attn.k, R, C, C);
        wl_linear(j->v + o, j->x + o, j->L->attn.v, R, C, C);
    }
}

/* The rest of the layer for each block in [t0, t1): attention over all keys, output
 * projection, residual, then the feed-forward sublayer. */
static void attend_ffn_rows(void *p, int t0, int t1)
{
    const enc_job *j = p;
    const wl_config *c = &j->m->c;
    const int C = c->d_model, T = c->n_audio_ctx, F = c->enc_ffn;
    for (int b = t0; b < t1; b += ROW_BLOCK) {
        const int R = t1 - b < ROW_BLOCK ? t1 - b : ROW_BLOCK;
        const int64_t o = (int64_t)b * C;
        wl_attention_kt(j->a + o, NULL, j->q + o, j->k, j->v, R, T, C, c->enc_heads);
        wl_linear(j->x + o, j->a + o, j->L->attn.o, R, C, C);
        wl_vadd(j->h + o, j->x + o, (int64_t)R * C);
        wl_ffn_block(j->h + o, &j->L->ffn_ln, j->L->fc1, j->L->fc2, R, C, F, slot_scratch(j));
    }
}

/* A time-major [T, C] stage passed to the callback as HF's [C, T]. */
static void emit_channels_first(const wl_state *s, wl_stage stage, const float *x, int T, int C, float *scratch)
{
    if (!s->on_stage) return;
    for (int t = 0; t < T; t++)
        for (int d = 0; d < C; d++) scratch[(int64_t)d * T + t] = x[(int64_t)t * C + d];
    wl_emit(s, stage, 0, scratch, 2, C, T, 0);
}

wl_status wl_encode(wl_state *s, const float *mel, float *out, char *err, size_t errlen)
{
    const wl_model *m = s->m;
    const wl_config *c = &m->c;
    /* NF = 2 * T (checked at load): conv2's stride 2 lands exactly on the positions. */
    const int T = c->n_audio_ctx, C = c->d_model, NF = c->n_frames, NM = c->n_mels, F = c->enc_ffn;
    int64_t TC = (int64_t)T * C;
    /* The workspace: the padded mel [NF + 2, NM] and conv1 output [NF + 2, C], h, x, q, v, a
     * [T, C], k [C, T] (q to a, 4 T C, also hold the callback's channels-first copy of conv1,
     * C NF = 2 T C), and each thread's scratch. It is the state's shared workspace, which the
     * cross K/V cache's slots give up for it (their clips then forgotten), else while a decoder
     * reads them, a buffer of the encoder's own. Each is allocated once and kept. */
    enc_job j = {.m = m};
    const size_t taps = (size_t)CONV_BLOCK * 3 * (NM > C ? NM : C), hidden = (size_t)ROW_BLOCK * (C + F);
    const int slots = wl_parallel_threads();
    j.slot_floats = ((taps > hidden ? taps : hidden) + 15) / 16 * 16; /* each on a cache line */
    size_t need = (size_t)(NF + 2) * NM + (size_t)(NF + 2) * C + 6 * (size_t)TC + (size_t)slots * j.slot_floats;
    float *ws = NULL;
    if (!wl_cross_cache_yield(&s->kv)) {
        size_t xkv = wl_cross_cache_floats(c); /* room for the slots too: the decoders never move it */
        ws = wl_kept_buffer(&s->shared_ws, &s->shared_ws_cap, need > xkv ? need : xkv);
    } else
        ws = wl_kept_buffer(&s->enc_ws, &s->enc_ws_cap, need);
    if (!ws) return wl_fail(err, errlen, "encoder: out of memory"), WL_ERR_NOMEM;
    j.xm = ws, j.c1 = j.xm + (size_t)(NF + 2) * NM, j.h = j.c1 + (size_t)(NF + 2) * C;
    j.x = j.h + TC, j.q = j.x + TC, j.k = j.q + TC, j.v = j.k + TC, j.a = j.v + TC, j.slots = j.a + TC;
    j.w1 = m->conv_taps, j.w2 = j.w1 + (size_t)3 * C * NM;
    /* the zero frames around the mel and conv1's output (the workspace held other numbers) */
    memset(j.xm, 0, (size_t)NM * sizeof(float)), memset(j.xm + (size_t)(NF + 1) * NM, 0, (size_t)NM * sizeof(float));
    memset(j.c1, 0, (size_t)C * sizeof(float)), memset(j.c1 + (size_t)(NF + 1) * C, 0, (size_t)C * sizeof(float));

    for (int f = 0; f < NF; f++) /* mel [NM, NF] -> frames [NF, NM] after one zero frame */
        for (int b = 0; b < NM; b++) j.xm[(int64_t)(f + 1) * NM + b] = mel[(int64_t)b * NF + f];
    wl_parallel_for_aligned(NF, ROW_BLOCK, conv1_rows, &j);
    emit_channels_first(s, WL_STAGE_CONV1, j.c1 + C, NF, C, j.q);
    wl_parallel_for_aligned(T, ROW_BLOCK, conv2_rows, &j);
    emit_channels_first(s, WL_STAGE_CONV2, j.x, T, C, j.q);
    wl_emit(s, WL_STAGE_ENC_EMBED, 0, j.h, 2, T, C, 0);
    for (int l = 0; l < c->enc_layers; l++) {
        j.L = &m->w.enc[l];
        wl_parallel_for_aligned(T, ROW_BLOCK, qkv_rows, &j);
        wl_parallel_for_aligned(T, ROW_BLOCK, attend_ffn_rows, &j);
        wl_emit(s, WL_STAGE_ENC_LAYER, l, j.h, 2, T, C, 0);
    }
    wl_layernorm(out, j.h, m->w.enc_ln, T, C);
    if (wl_oom_take()) return wl_fail(err, errlen, "encoder: out of memory"), WL_ERR_NOMEM;
    wl_emit(s, WL_STAGE_ENC_OUT, 0, out, 2, T, C, 0);
    int64_t bad = wl_first_non_finite(out, TC);
    if (bad >= 0)
        return wl_fail(err, errlen, "encoder: output at position %lld is not finite: the weights overflow float32",
                       (long long)(bad / C)), WL_ERR_FORMAT;
    return WL_OK;
}
