/* The text decoder: token + learned positions, causal self-attention through a KV cache,
 * cross-attention over the encoder output (K/V projected once), FFN, final norm, and logits
 * against the tied token embedding. */
#include "state.h"
#include "ops.h"
#include "../kernels/parallel.h"
#include "../base/util.h"
#include "../kernels/vmath.h"
#include "../model/stages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wl_decoder {
    wl_state *s;
    int pos;       /* tokens fed so far */
    float **k_self, **v_self;   /* per layer (kv_cap, d), grown as tokens come, up to n_text_ctx */
    int kv_cap;                 /* positions allocated in each of them */
    float **k_cross, **v_cross; /* per layer (d, n_audio_ctx): channel-major (wl_cross_attention) */
    int owns_cross;             /* 1: its own; 0: a slot of the state's cache, or a fork's pointers
                                   into the decoder it came from */
    wl_cross_slot *slot;        /* the state's cache slot it reads (counted in the slot's users), or NULL */
    float *xattn;               /* (dec_layers, H, xattn_n, n_audio_ctx): the last feed's cross-attention */
    int xattn_n;
    size_t xattn_cap;           /* floats allocated */
};

/* Positions of self-attention K/V a new decoder starts with; feeds beyond them grow it (to at
 * least twice as many, at most n_text_ctx), so a short transcript does not hold 448 positions.
 * 32 holds a prompt and 24 new tokens (a beam search holds 2 x beams decoders). */
enum { KV_START = 32 };

/* d's self-attention K/V (and cross-attention buffer) from the state's spares, else new.
 * Returns 0, or -1 when out of memory. */
static int take_buffers(wl_decoder *d)
{
    const wl_config *c = &d->s->m->c;
    wl_decoder_buffers b;
    if (wl_spare_take(&d->s->kv, &b)) {
        d->k_self = b.k_self, d->v_self = b.v_self, d->kv_cap = b.kv_cap;
        d->xattn = b.xattn, d->xattn_cap = b.xattn_cap;
        return 0;
    }
    d->kv_cap = c->n_text_ctx < KV_START ? c->n_text_ctx : KV_START;
    d->k_self = wl_layers_alloc(c->dec_layers, (int64_t)d->kv_cap * c->d_model);
    d->v_self = wl_layers_alloc(c->dec_layers, (int64_t)d->kv_cap * c->d_model);
    return d->k_self && d->v_self ? 0 : -1;
}

/* Room for `positions` tokens in d's self-attention K/V. Returns 0, or -1 when out of memory
 * (d unchanged but for the layers already grown, which keep their contents). */
static int reserve_kv(wl_decoder *d, int positions)
{
    const wl_config *c = &d->s->m->c;
    if (positions <= d->kv_cap) return 0;
    int cap = 2 * d->kv_cap > positions ? 2 * d->kv_cap : positions;
    cap = cap < c->n_text_ctx ? cap : c->n_text_ctx;
    size_t bytes = (size_t)cap * c->d_model * sizeof(float);
    for (int l = 0; l < c->dec_layers; l++) {
        float *k = realloc(d->k_self[l], bytes);
        if (k) d->k_self[l] = k;
        float *v = k ? realloc(d->v_self[l], bytes) : NULL;
        if (v) d->v_self[l] = v;
        if (!k || !v) return -1;
    }
    d->kv_cap = cap;
    return 0;
}

void wl_decoder_free(wl_decoder *d)
{
    if (!d) return;
    const wl_config *c = &d->s->m->c;
    const int L = c->dec_layers;
    wl_decoder_buffers b = {d->k_self, d->v_self, d->kv_cap, d->xattn, d->xattn_cap};
    if (!wl_spare_keep(&d->s->kv, c, &b)) wl_layers_free(d->k_self, L), wl_layers_free(d->v_self, L), free(d->xattn);
    if (d->owns_cross) wl_layers_free(d->k_cross, L), wl_layers_free(d->v_cross, L);
    else free(d->k_cross), free(d->v_cross); /* arrays of pointers into the cache or a source decoder */
    if (d->slot) d->slot->users--;
    free(d);
}

/* Points d at slot s's cross K/V (s counts d among its users). Returns 0, or -1 when out of memory. */
static int read_slot(wl_decoder *d, wl_cross_slot *s)
{
    const int L = d->s->m->c.dec_layers;
    d->k_cross = calloc((size_t)L, sizeof *d->k_cross);
    d->v_cross = calloc((size_t)L, sizeof *d->v_cross);
    if (!d->k_cross || !d->v_cross) return free(d->k_cross), free(d->v_cross), d->k_cross = d->v_cross = NULL, -1;
    memcpy(d->k_cross, s->k, (size_t)L * sizeof *s->k);
    memcpy(d->v_cross, s->v, (size_t)L * sizeof *s->v);
    d->slot = s, s->users++;
    return 0;
}

wl_status wl_decoder_new(wl_state *st, const float *enc_out, wl_decoder **out, char *err, size_t errlen)
{
    const wl_model *m = st->m;
    const wl_config *c = &m->c;
    int L = c->dec_layers, C = c->d_model, S = c->n_audio_ctx;
    wl_decoder *d = calloc(1, sizeof *d);
    *out = NULL;
    int cached = 0;
    if (d) {
        d->s = st;
        take_buffers(d);
        wl_cross_slot *s = wl_cross_cache_slot(&st->kv, m, &st->shared_ws, &st->shared_ws_cap, enc_out);
        if (!(cached = s && !read_slot(d, s))) {
            d->owns_cross = 1;
            d->k_cross = wl_layers_alloc(L, (int64_t)S * C);
            d->v_cross = wl_layers_alloc(L, (int64_t)S * C);
        }
    }
    if (!d || !d->k_self || !d->v_self || !d->k_cross || !d->v_cross) {
        wl_decoder_free(d);
        return wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM;
    }
    if (!cached) wl_cross_project(m, enc_out, d->k_cross, d->v_cross);
    *out = d;
    return WL_OK;
}

wl_status wl_decoder_fork(const wl_decoder *src, wl_decoder **out, char *err, size_t errlen)
{
    const wl_config *c = &src->s->m->c;
    int L = c->dec_layers;
    wl_decoder *d = calloc(1, sizeof *d);
    *out = NULL;
    if (d) {
        d->s = src->s;
        take_buffers(d);
        d->k_cross = calloc((size_t)L, sizeof *d->k_cross);
        d->v_cross = calloc((size_t)L, sizeof *d->v_cross);
    }
    if (!d || !d->k_self || !d->v_self || !d->k_cross || !d->v_cross) {
        wl_decoder_free(d);
        return wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM;
    }
    memcpy(d->k_cross, src->k_cross, (size_t)L * sizeof *d->k_cross); /* shared, read-only */
    memcpy(d->v_cross, src->v_cross, (size_t)L * sizeof *d->v_cross);
    if ((d->slot = src->slot)) d->slot->users++; /* the slot outlives the source while the fork reads it */
    wl_status st = wl_decoder_copy(d, src, err, errlen);
    if (st) return wl_decoder_free(d), st;
    *out = d;
    return WL_OK;
}

wl_status wl_decoder_copy(wl_decoder *dst, const wl_decoder *src, char *err, size_t errlen)
{
    const wl_config *c = &src->s->m->c;
    if (dst == src) return WL_OK;
    if (reserve_kv(dst, src->pos)) return wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM;
    size_t n = (size_t)src->pos * c->d_model * sizeof(float);
    for (int l = 0; l < c->dec_layers; l++) {
        memcpy(dst->k_self[l], src->k_self[l], n);
        memcpy(dst->v_self[l], src->v_self[l], n);
    }
    dst->pos = src->pos;
    return WL_OK;
}

const float *wl_decoder_cross_attn(const wl_decoder *d, int *n)
{
    *n = d->xattn ? d->xattn_n : 0;
    return d->xattn;
}

void wl_decoder_reset(wl_decoder *d) { d->pos = 0; }
int wl_decoder_pos(const wl_decoder *d) { return d->pos; }

/* Makes room for rows of cross-attention per layer in d->xattn. */
static int reserve_xattn(wl_decoder *d, int rows)
{
    const wl_config *c = &d->s->m->c;
    size_t need = (size_t)c->dec_layers * c->dec_heads * rows * c->n_audio_ctx;
    if (need > d->xattn_cap) {
        free(d->xattn);
        d->xattn = malloc(need * sizeof(float));
        d->xattn_cap = d->xattn ? need : 0;
    }
    return d->xattn ? 0 : -1;
}

static int same_cross(const wl_decoder *a, const wl_decoder *b, int l)
{
    return a->k_cross[l] == b->k_cross[l] && a->v_cross[l] == b->v_cross[l];
}

/* Layer l's cross-attention for n rows in runs (run i: count[i] rows of decs[i] from row
 * start[i]; q, out: [n, d_model]). Runs whose decoders read the same cross K/V (one clip's
 * decoders on the model's cache, or forks of one decoder) go through wl_cross_attention together,
 * so each block of keys serves all of their rows from cache; a row's numbers are those it would
 * get alone (for at most WL_STEP_ROWS rows together: see head_scores). Each run's probabilities
 * [H][count][S] go to its decoder's xattn. Scratch: qg [2n, d_model], probs [H, n, S], group [runs]. */
static void cross_attention_runs(wl_decoder **decs, const int *count, const int *start, int runs, int n, int l,
                                 const float *q, float *out, float *qg, float *probs, int *group)
{
    const wl_config *c = &decs[0]->s->m->c;
    const int C = c->d_model, H = c->dec_heads, S = c->n_audio_ctx;
    const size_t row_bytes = (size_t)C * sizeof(float);
    for (int i = 0; i < runs; i++) group[i] = -1;
    for (int i = 0; i < runs; i++) {
        if (group[i] >= 0) continue;
        int ng = 0;
        for (int j = i; j < runs; j++)
            if (same_cross(decs[j], decs[i], l)) {
                group[j] = ng;
                memcpy(qg + (int64_t)ng * C, q + (int64_t)start[j] * C, count[j] * row_bytes);
                ng += count[j];
            }
        float *ag = qg + (int64_t)n * C;
        wl_cross_attention(ag, probs, qg, decs[i]->k_cross[l], decs[i]->v_cross[l], ng, S, C, H);
        for (int j = i; j < runs; j++) {
            if (!same_cross(decs[j], decs[i], l)) continue;
            const int g = group[j], k = count[j];
            memcpy(out + (int64_t)start[j] * C, ag + (int64_t)g * C, k * row_bytes);
            for (int hd = 0; hd < H; hd++) /* into the decoder's [L][H][k][S] */
                memcpy(decs[j]->xattn + (((size_t)l * H + hd) * k) * S, probs + ((int64_t)hd * ng + g) * S,
                       (size_t)k * S * sizeof(float));
        }
    }
}

/* The rows of one decoder call: run i is cnt[i] tokens of decs[i], rows start[i] .. start[i] +
 * cnt[i] - 1; row r belongs to run row_run[r] and sits at position pos[r] of its decoder. */
typedef struct {
    wl_decoder **decs;
    int runs, n;
    int *start, *cnt, *row_run, *pos, *group; /* group: cross_attention_runs' scratch */
} call_rows;

static void rows_free(call_rows *r) { free(r->start), free(r->cnt), free(r->row_run), free(r->pos), free(r->group); }

/* Lays out n rows in runs (count NULL: one each) and checks them: every decoder of state st,
 * within its context, every token in the vocabulary. */
static wl_status rows_plan(call_rows *r, wl_decoder **decs, const int *count, int runs, const int32_t *tokens,
                           int n, const wl_state *st, char *err, size_t errlen)
{
    const wl_config *c = &st->m->c;
    *r = (call_rows){decs, runs, n, malloc((size_t)runs * sizeof(int)), malloc((size_t)runs * sizeof(int)),
                     malloc((size_t)n * sizeof(int)), malloc((size_t)n * sizeof(int)), malloc((size_t)runs * sizeof(int))};
    if (!r->start || !r->cnt || !r->row_run || !r->pos || !r->group)
        return wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM;
    int rows = 0;
    for (int i = 0; i < runs; i++) {
        r->cnt[i] = count ? count[i] : 1, r->start[i] = rows;
        if (r->cnt[i] <= 0 || rows + r->cnt[i] > n) {
            rows = -1;
            break;
        }
        if (decs[i]->s != st || decs[i]->pos + r->cnt[i] > c->n_text_ctx)
            return wl_fail(err, errlen, "decoder: %d tokens at position %d exceed the %d-token context", r->cnt[i],
                           decs[i]->pos, c->n_text_ctx), WL_ERR_INPUT;
        for (int k = 0; k < r->cnt[i]; k++) r->row_run[rows + k] = i, r->pos[rows + k] = decs[i]->pos + k;
        rows += r->cnt[i];
    }
    if (rows != n) return wl_fail(err, errlen, "decoder: %d tokens for %d decoders", n, runs), WL_ERR_INPUT;
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= c->n_vocab)
            return wl_fail(err, errlen, "decoder: token %d is outside the vocabulary (0..%d)", tokens[i],
                           c->n_vocab - 1), WL_ERR_INPUT;
    return WL_OK;
}

/* A call's activations in the state's decoder workspace: x, q, a [n, C], kv [2n, C], probs
 * [H, n, keys], ffn [n, C + FFN]. */
typedef struct {
    float *x, *q, *a, *kv, *probs, *ffn;
} call_scratch;

/* Layer l's causal self-attention sublayer, h += attn(LN(h)): each row's K/V join its decoder's
 * cache at its position, then each run attends over its own cache. */
static void self_attention(const call_rows *r, const wl_dec_layer *L, int l, float *h, const call_scratch *w, int C,
                           int H)
{
    const int n = r->n;
    const int64_t nC = (int64_t)n * C;
    wl_layernorm(w->x, h, L->attn_ln, n, C);
    wl_query(w->q, w->x, L->attn.q, n, C, H);
    wl_linear(w->kv, w->x, L->attn.k, n, C, C);
    wl_linear(w->kv + nC, w->x, L->attn.v, n, C, C);
    for (int i = 0; i < n; i++) {
        wl_decoder *d = r->decs[r->row_run[i]];
        memcpy(d->k_self[l] + (int64_t)r->pos[i] * C, w->kv + (int64_t)i * C, (size_t)C * sizeof(float));
        memcpy(d->v_self[l] + (int64_t)r->pos[i] * C, w->kv + nC + (int64_t)i * C, (size_t)C * sizeof(float));
    }
    for (int i = 0; i < r->runs; i++) {
        const wl_decoder *d = r->decs[i];
        const int64_t o = (int64_t)r->start[i] * C;
        wl_attention(w->a + o, w->probs, w->q + o, d->k_self[l], d->v_self[l], r->cnt[i], d->pos + r->cnt[i], C, H,
                     d->pos);
    }
    wl_linear(w->x, w->a, L->attn.o, n, C, C);
    wl_vadd(h, w->x, nC);
}

/* Layer l's cross-attention sublayer over the audio, h += cross(LN(h)); its probabilities
 * [H, n, S] are left in w->probs. */
static void cross_attention(const call_rows *r, const wl_dec_layer *L, int l, float *h, const call_scratch *w, int C,
                            int H)
{
    const int n = r->n;
    wl_layernorm(w->x, h, L->cross_ln, n, C);
    wl_query(w->q, w->x, L->cross.q, n, C, H);
    cross_attention_runs(r->decs, r->cnt, r->start, r->runs, n, l, w->q, w->a, w->kv, w->probs, r->group); /* kv: free here */
    wl_linear(w->x, w->a, L->cross.o, n, C, C);
    wl_vadd(h, w->x, (int64_t)n * C);
}

/* The decoder layers, out [n, d_model] after the final LayerNorm, for n rows in runs: run i is
 * count[i] tokens (count NULL: one each) of decs[i] at its next positions, the runs' rows one
 * after another. A run is causal over its decoder's cache; the runs share the matrix products
 * (the beams of a search, several searches' prompts). Stage callbacks fire for a single run only. */
static wl_status forward(wl_decoder **decs, const int *count, int runs, const int32_t *tokens, int n, float *out,
                         char *err, size_t errlen)
{
    wl_state *st = decs[0]->s;
    const wl_model *m = st->m;
    const wl_config *c = &m->c;
    const int C = c->d_model, H = c->dec_heads, S = c->n_audio_ctx, one = runs == 1;
    if (n <= 0) return wl_fail(err, errlen, "decoder: %d tokens for %d decoders", n, runs), WL_ERR_INPUT;
    call_rows r;
    wl_status status = rows_plan(&r, decs, count, runs, tokens, n, st, err, errlen);
    if (status) return rows_free(&r), status;
    const int keys = S > c->n_text_ctx ? S : c->n_text_ctx; /* the most keys a row attends to: one size per n */
    const int64_t nC = (int64_t)n * C;
    /* 64-byte aligned rows for wl_vmatmul */
    float *h = wl_kept_buffer(&st->dec_ws, &st->dec_ws_cap, (size_t)nC * 6 + (size_t)H * n * keys + (size_t)n * (C + c->dec_ffn));
    int nomem = !h;
    for (int i = 0; !nomem && i < runs; i++) /* the cross-attention is kept for the caller */
        nomem = reserve_xattn(decs[i], r.cnt[i]) || reserve_kv(decs[i], decs[i]->pos + r.cnt[i]);
    if (nomem) return rows_free(&r), wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM;
    call_scratch w;
    w.x = h + nC, w.q = w.x + nC, w.a = w.q + nC, w.kv = w.a + nC, w.probs = w.kv + 2 * nC;
    w.ffn = w.probs + (int64_t)H * n * keys;
    for (int i = 0; i < n; i++)
        for (int e = 0; e < C; e++)
            h[(int64_t)i * C + e] = m->w.tok_emb[(int64_t)tokens[i] * C + e] + m->w.dec_pos[(int64_t)r.pos[i] * C + e];
    if (one) wl_emit(st, WL_STAGE_DEC_EMBED, 0, h, 2, n, C, 0);
    for (int l = 0; l < c->dec_layers; l++) {
        const wl_dec_layer *L = &m->w.dec[l];
        self_attention(&r, L, l, h, &w, C, H);
        cross_attention(&r, L, l, h, &w, C, H);
        if (one) wl_emit(st, WL_STAGE_CROSS_ATTN, l, w.probs, 3, H, n, S);
        wl_ffn_block(h, &L->ffn_ln, L->fc1, L->fc2, n, C, c->dec_ffn, w.ffn);
        if (one) wl_emit(st, WL_STAGE_DEC_LAYER, l, h, 2, n, C, 0);
    }
    wl_layernorm(out, h, m->w.dec_ln, n, C);
    if (wl_oom_take()) /* a kernel could not get its buffer */
        return rows_free(&r), wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM;
    if (one) wl_emit(st, WL_STAGE_DEC_OUT, 0, out, 2, n, C, 0);
    for (int i = 0; i < runs; i++) decs[i]->pos += r.cnt[i], decs[i]->xattn_n = r.cnt[i];
    rows_free(&r);
    return WL_OK;
}

/* logits [n, n_vocab] = h . E^T against the tied token embedding, no bias. Non-finite values
 * (weights that overflow float32) are an error, never a silent empty transcript. */
static wl_status project(const wl_state *st, const float *h, int n, float *logits, char *err, size_t errlen)
{
    const wl_model *m = st->m;
    wl_linear_w tied = {m->w.tok_emb, NULL};
    wl_linear(logits, h, tied, n, m->c.d_model, m->c.n_vocab);
    if (wl_oom_take()) return wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM;
    wl_emit(st, WL_STAGE_LOGITS, 0, logits, 2, n, m->c.n_vocab, 0);
    int64_t bad = wl_first_non_finite(logits, (int64_t)n * m->c.n_vocab);
    if (bad >= 0)
        return wl_fail(err, errlen, "decoder: logit %lld of row %lld is not finite: the weights overflow float32",
                       (long long)(bad % m->c.n_vocab), (long long)(bad / m->c.n_vocab)), WL_ERR_FORMAT;
    return WL_OK;
}

wl_status wl_decoder_feed(wl_decoder *d, const int32_t *tokens, int n, float *logits, char *err, size_t errlen)
{
    float *h = n > 0 ? malloc((size_t)n * d->s->m->c.d_model * sizeof *h) : NULL;
    if (n > 0 && !h) return wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM;
    int count = n;
    wl_status st = forward(&d, &count, 1, tokens, n, h, err, errlen);
    if (!st && logits) st = project(d->s, h, n, logits, err, errlen);
    free(h);
    return st;
}

wl_status wl_decoder_feed_runs(wl_decoder **decs, const int *counts, int n_dec, const int32_t *tokens,
                               float *logits, char *err, size_t errlen)
{
    if (n_dec <= 0) return wl_fail(err, errlen, "decoder: %d decoders to feed", n_dec), WL_ERR_INPUT;
    const wl_state *s = decs[0]->s;
    const int C = s->m->c.d_model;
    int n = 0;
    for (int i = 0; i < n_dec; i++) n += counts[i] > 0 ? counts[i] : 0;
    float *h = malloc((size_t)(n > 0 ? n : 1) * C * sizeof *h);
    if (!h) return wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM;
    wl_status st = forward(decs, counts, n_dec, tokens, n, h, err, errlen);
    /* each run's last row moved up to row i: the projection's rows never depend on their number */
    for (int i = 0, end = 0; !st && i < n_dec; i++)
        end += counts[i], memmove(h + (size_t)i * C, h + (size_t)(end - 1) * C, (size_t)C * sizeof *h);
    if (!st) st = project(s, h, n_dec, logits, err, errlen);
    free(h);
    return st;
}

wl_status wl_decoder_feed_many(wl_decoder **decs, const int32_t *tokens, int n_dec, float *logits, char *err,
                               size_t errlen)
{
    if (n_dec <= 0) return wl_fail(err, errlen, "decoder: %d decoders to feed", n_dec), WL_ERR_INPUT;
    const wl_state *s = decs[0]->s;
    const wl_model *m = s->m;
    const int n_max = n_dec < WL_STEP_ROWS ? n_dec : WL_STEP_ROWS;
    float *h = malloc((size_t)n_max * m->c.d_model * sizeof *h);
    wl_status st = h ? WL_OK : (wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM);
    /* batches of the rows the few-row kernels take: one read of the weights serves a batch */
    for (int i = 0; !st && i < n_dec; i += n_max) {
        int n = n_dec - i < n_max ? n_dec - i : n_max;
        st = forward(decs + i, NULL, n, tokens + i, n, h, err, errlen);
        if (!st) st = project(s, h, n, logits + (size_t)i * m->c.n_vocab, err, errlen);
    }
    free(h);
    return st;
}
