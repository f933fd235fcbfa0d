/* The text decoder: token + learned positions, causal self-attention through a KV cache,
 * cross-attention over the encoder output (K/V projected once), FFN, final norm, and logits
 * against the tied token embedding. */
#include "../model/model.h"
#include "ops.h"
#include "../kernels/parallel.h"
#include "../base/util.h"
#include "../kernels/vmath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wl_decoder {
    wl_model *m;
    int pos;       /* tokens fed so far */
    float **k_self, **v_self;   /* per layer (kv_cap, d), grown as tokens come, up to n_text_ctx */
    int kv_cap;                 /* positions allocated in each of them */
    float **k_cross, **v_cross; /* per layer (d, n_audio_ctx): channel-major (wl_cross_attention) */
    int owns_cross;             /* 1: its own; 0: a slot of the model's cache, or a fork's pointers
                                   into the decoder it came from */
    struct cross_slot *slot;    /* the model's cache slot it reads (counted in the slot's users), or NULL */
    float *xattn;               /* (dec_layers, H, xattn_n, n_audio_ctx): the last feed's cross-attention */
    int xattn_n;
    size_t xattn_cap;           /* floats allocated */
};

static void free_layers(float **p, int L)
{
    for (int l = 0; p && l < L; l++) free(p[l]);
    free(p);
}

/* L arrays of n floats, or NULL (nothing left allocated). */
static float **alloc_layers(int L, int64_t n)
{
    float **p = calloc((size_t)L, sizeof *p);
    for (int l = 0; p && l < L; l++)
        if (!(p[l] = malloc((size_t)n * sizeof(float)))) return free_layers(p, l), NULL;
    return p;
}

/* The cross K/V of the last clips decoders were made for, kept by the model: a clip's decodes
 * (greedy, timestamps, beam search, teacher forcing) share one projection, and so do those of
 * clips decoded together (CROSS_SLOTS of them). A decoder for other audio recomputes a slot that
 * no live decoder reads (one already allocated first), else makes its own. The slots' K/V live in
 * the model's shared workspace, which an encode takes over (wl_cross_cache_yield) when no
 * decoder reads them: their clips are forgotten then. */
enum { CROSS_SLOTS = 2 };

struct cross_slot {
    float *enc;         /* (n_audio_ctx, d): the encoder output it was computed from */
    float **k, **v;     /* per layer (d, n_audio_ctx), in m->shared_ws */
    int users;          /* live decoders (and their forks) reading it */
    int valid;
    unsigned long used; /* the cache's clock when last handed out */
};

struct wl_cross_cache {
    struct cross_slot slot[CROSS_SLOTS];
    unsigned long clock;
};

/* The self-attention K/V and cross-attention buffers of freed decoders, kept by the model for
 * the next ones (a beam search forks and frees 2B decoders per clip): their pages are already
 * mapped, so a decode does not fault fresh memory in at every step. At most SPARES are kept, and
 * a cross-attention buffer only if it holds at most SPARE_XATTN_ROWS rows (a step's, a prompt's):
 * the many-row buffers of a whole sequence fed at once would otherwise stay, 3.5 MB each. */
enum { SPARES = 16, SPARE_XATTN_ROWS = 8 };

/* Positions of self-attention K/V a new decoder starts with; feeds beyond them grow it (to at
 * least twice as many, at most n_text_ctx), so a short transcript does not hold 448 positions.
 * 32 holds a prompt and 24 new tokens (a beam search holds 2 x beams decoders). */
enum { KV_START = 32 };

struct wl_spare_buffers {
    int n;
    struct {
        float **k_self, **v_self, *xattn;
        int kv_cap;
        size_t xattn_cap;
    } d[SPARES];
};

void wl_decoder_caches_free(wl_model *m)
{
    const int L = m->c.dec_layers;
    struct wl_cross_cache *x = m->cross;
    for (int i = 0; x && i < CROSS_SLOTS; i++) {
        free(x->slot[i].enc);
        free(x->slot[i].k), free(x->slot[i].v); /* pointers into m->shared_ws */
    }
    free(x);
    struct wl_spare_buffers *s = m->spares;
    for (int i = 0; s && i < s->n; i++) free_layers(s->d[i].k_self, L), free_layers(s->d[i].v_self, L), free(s->d[i].xattn);
    free(s);
    m->cross = NULL, m->spares = NULL;
}

/* d's self-attention K/V (and cross-attention buffer) from the model's spares, else new.
 * Returns 0, or -1 when out of memory. */
static int take_buffers(wl_decoder *d)
{
    const wl_config *c = &d->m->c;
    struct wl_spare_buffers *s = d->m->spares;
    if (s && s->n) {
        s->n--;
        d->k_self = s->d[s->n].k_self, d->v_self = s->d[s->n].v_self, d->kv_cap = s->d[s->n].kv_cap;
        d->xattn = s->d[s->n].xattn, d->xattn_cap = s->d[s->n].xattn_cap;
        return 0;
    }
    d->kv_cap = c->n_text_ctx < KV_START ? c->n_text_ctx : KV_START;
    d->k_self = alloc_layers(c->dec_layers, (int64_t)d->kv_cap * c->d_model);
    d->v_self = alloc_layers(c->dec_layers, (int64_t)d->kv_cap * c->d_model);
    return d->k_self && d->v_self ? 0 : -1;
}

/* Room for `positions` tokens in d's self-attention K/V. Returns 0, or -1 when out of memory
 * (d unchanged but for the layers already grown, which keep their contents). */
static int reserve_kv(wl_decoder *d, int positions)
{
    const wl_config *c = &d->m->c;
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
    wl_model *m = d->m;
    int L = m->c.dec_layers;
    if (!m->spares) m->spares = calloc(1, sizeof *m->spares);
    struct wl_spare_buffers *s = m->spares;
    if (s && s->n < SPARES && d->k_self && d->v_self) {
        size_t keep = (size_t)L * m->c.dec_heads * SPARE_XATTN_ROWS * m->c.n_audio_ctx;
        if (d->xattn_cap > keep) free(d->xattn), d->xattn = NULL, d->xattn_cap = 0;
        s->d[s->n].k_self = d->k_self, s->d[s->n].v_self = d->v_self, s->d[s->n].kv_cap = d->kv_cap;
        s->d[s->n].xattn = d->xattn, s->d[s->n].xattn_cap = d->xattn_cap;
        s->n++;
    } else {
        free_layers(d->k_self, L), free_layers(d->v_self, L);
        free(d->xattn);
    }
    if (d->owns_cross) free_layers(d->k_cross, L), free_layers(d->v_cross, L);
    else free(d->k_cross), free(d->v_cross); /* arrays of pointers into the cache or a source decoder */
    if (d->slot) d->slot->users--;
    free(d);
}

typedef struct {
    wl_model *m;
    float **k, **v;
    const float *enc_out;
} cross_job;

enum { CROSS_BLOCK = 128 }; /* audio positions per product: the same calls whatever the thread count */

/* Cross K/V of audio positions [s0, s1) for every layer: they depend only on the audio, so once
 * per clip. Channel-major: columns [s0, s1) of each (d, n_audio_ctx) matrix, one product per
 * block of CROSS_BLOCK positions (where an sgemm splits columns may depend on their number). */
static void cross_rows(void *p, int s0, int s1)
{
    const cross_job *j = p;
    const int C = j->m->c.d_model, S = j->m->c.n_audio_ctx;
    for (int b = s0; b < s1; b += CROSS_BLOCK) {
        int n = s1 - b < CROSS_BLOCK ? s1 - b : CROSS_BLOCK;
        const float *in = j->enc_out + (int64_t)b * C;
        for (int l = 0; l < j->m->c.dec_layers; l++) {
            wl_linear_cm(j->k[l] + b, S, in, j->m->dec[l].cross.k, n, C, C);
            wl_linear_cm(j->v[l] + b, S, in, j->m->dec[l].cross.v, n, C, C);
        }
    }
}

static void project_cross(wl_model *m, const float *enc_out, float **k, float **v)
{
    cross_job j = {m, k, v, enc_out};
    wl_parallel_for_aligned(m->c.n_audio_ctx, CROSS_BLOCK, cross_rows, &j); /* threads split the positions */
}

/* Whether free slot a is a better one to recompute than b (NULL): one already used before a
 * new one (its copy of an encoder output is allocated), then the least recently used. */
static int better_free_slot(const struct cross_slot *a, const struct cross_slot *b)
{
    if (!b) return 1;
    if (!a->enc != !b->enc) return a->enc != NULL;
    return a->used < b->used;
}

size_t wl_cross_cache_floats(const wl_model *m)
{
    return (size_t)CROSS_SLOTS * 2 * m->c.dec_layers * m->c.n_audio_ctx * m->c.d_model;
}

static int any_user(const struct wl_cross_cache *x)
{
    for (int i = 0; x && i < CROSS_SLOTS; i++)
        if (x->slot[i].users) return 1;
    return 0;
}

int wl_cross_cache_yield(wl_model *m)
{
    struct wl_cross_cache *x = m->cross;
    if (any_user(x)) return -1;
    for (int i = 0; x && i < CROSS_SLOTS; i++) x->slot[i].valid = 0;
    return 0;
}

/* Slot i's K/V pointed at its part of the shared workspace. Returns 0, or -1 when the workspace
 * cannot have room (out of memory, or too small while other slots are read: it cannot move). */
static int slot_storage(wl_model *m, struct wl_cross_cache *x, int i)
{
    const int L = m->c.dec_layers;
    const size_t n = (size_t)m->c.n_audio_ctx * m->c.d_model, need = wl_cross_cache_floats(m);
    if (m->shared_ws_cap < need) {
        if (any_user(x)) return -1;
        for (int k = 0; k < CROSS_SLOTS; k++) x->slot[k].valid = 0; /* their storage moves */
        if (!wl_kept_buffer(&m->shared_ws, &m->shared_ws_cap, need)) return -1; /* nothing points into it */
    }
    struct cross_slot *s = &x->slot[i];
    if (!s->k) s->k = calloc((size_t)L, sizeof *s->k);
    if (!s->v) s->v = calloc((size_t)L, sizeof *s->v);
    if (!s->k || !s->v) return -1;
    for (int l = 0; l < L; l++)
        s->k[l] = m->shared_ws + ((size_t)(2 * i) * L + l) * n, s->v[l] = m->shared_ws + ((size_t)(2 * i + 1) * L + l) * n;
    return 0;
}

/* The slot holding enc_out's cross K/V, computing them in the best free slot when none does;
 * NULL when every slot is in use for other audio (or out of memory). */
static struct cross_slot *cache_slot(wl_model *m, const float *enc_out)
{
    const size_t n = (size_t)m->c.n_audio_ctx * m->c.d_model;
    struct wl_cross_cache *x = m->cross ? m->cross : (m->cross = calloc(1, sizeof *m->cross));
    if (!x) return NULL;
    struct cross_slot *free_slot = NULL;
    for (int i = 0; i < CROSS_SLOTS; i++) {
        struct cross_slot *s = &x->slot[i];
        if (s->valid && !memcmp(s->enc, enc_out, n * sizeof(float))) return s->used = ++x->clock, s;
        if (s->users) continue;
        if (better_free_slot(s, free_slot)) free_slot = s;
    }
    struct cross_slot *s = free_slot;
    if (!s) return NULL;
    if (!s->enc) s->enc = malloc(n * sizeof(float)); /* allocated once, freed with the model */
    if (!s->enc || slot_storage(m, x, (int)(s - x->slot))) return NULL;
    s->valid = 0;
    memcpy(s->enc, enc_out, n * sizeof(float));
    project_cross(m, enc_out, s->k, s->v);
    s->valid = 1, s->used = ++x->clock;
    return s;
}

/* Points d at slot s's cross K/V (s counts d among its users). Returns 0, or -1 when out of memory. */
static int read_slot(wl_decoder *d, struct cross_slot *s)
{
    const int L = d->m->c.dec_layers;
    d->k_cross = calloc((size_t)L, sizeof *d->k_cross);
    d->v_cross = calloc((size_t)L, sizeof *d->v_cross);
    if (!d->k_cross || !d->v_cross) return free(d->k_cross), free(d->v_cross), d->k_cross = d->v_cross = NULL, -1;
    memcpy(d->k_cross, s->k, (size_t)L * sizeof *s->k);
    memcpy(d->v_cross, s->v, (size_t)L * sizeof *s->v);
    d->slot = s, s->users++;
    return 0;
}

wl_status wl_decoder_new(wl_model *m, const float *enc_out, wl_decoder **out, char *err, size_t errlen)
{
    const wl_config *c = &m->c;
    int L = c->dec_layers, C = c->d_model, S = c->n_audio_ctx;
    wl_decoder *d = calloc(1, sizeof *d);
    *out = NULL;
    int cached = 0;
    if (d) {
        d->m = m;
        take_buffers(d);
        struct cross_slot *s = cache_slot(m, enc_out);
        if (!(cached = s && !read_slot(d, s))) {
            d->owns_cross = 1;
            d->k_cross = alloc_layers(L, (int64_t)S * C);
            d->v_cross = alloc_layers(L, (int64_t)S * C);
        }
    }
    if (!d || !d->k_self || !d->v_self || !d->k_cross || !d->v_cross) {
        wl_decoder_free(d);
        return wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM;
    }
    if (!cached) project_cross(m, enc_out, d->k_cross, d->v_cross);
    *out = d;
    return WL_OK;
}

wl_status wl_decoder_fork(const wl_decoder *src, wl_decoder **out, char *err, size_t errlen)
{
    const wl_config *c = &src->m->c;
    int L = c->dec_layers;
    wl_decoder *d = calloc(1, sizeof *d);
    *out = NULL;
    if (d) {
        d->m = src->m;
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
    const wl_config *c = &src->m->c;
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
    const wl_config *c = &d->m->c;
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
    const wl_config *c = &decs[0]->m->c;
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

/* The decoder layers, out [n, d_model] after the final LayerNorm, for n rows in runs: run i is
 * count[i] tokens (count NULL: one each) of decs[i] at its next positions, the runs' rows one
 * after another. A run is causal over its decoder's cache; the runs share the matrix products
 * (the beams of a search, several searches' prompts). Stage callbacks fire for a single run only. */
static wl_status forward(wl_decoder **decs, const int *count, int runs, const int32_t *tokens, int n, float *out,
                         char *err, size_t errlen)
{
    wl_model *m = decs[0]->m;
    const wl_config *c = &m->c;
    const int C = c->d_model, H = c->dec_heads, S = c->n_audio_ctx, V = c->n_vocab, one = runs == 1;
    if (n <= 0) return wl_fail(err, errlen, "decoder: %d tokens for %d decoders", n, runs), WL_ERR_INPUT;
    int *start = malloc((size_t)runs * sizeof *start), *cnt = malloc((size_t)runs * sizeof *cnt);
    int *row_run = malloc((size_t)n * sizeof *row_run), *group = malloc((size_t)runs * sizeof *group);
    float *h = NULL;
    wl_status st = WL_OK;
    if (!start || !cnt || !row_run || !group) goto nomem;
    int rows = 0;
    for (int i = 0; i < runs; i++) {
        cnt[i] = count ? count[i] : 1, start[i] = rows;
        if (cnt[i] <= 0 || rows + cnt[i] > n) {
            rows = -1;
            break;
        }
        if (decs[i]->m != m || decs[i]->pos + cnt[i] > c->n_text_ctx) {
            st = WL_ERR_INPUT;
            wl_fail(err, errlen, "decoder: %d tokens at position %d exceed the %d-token context", cnt[i],
                    decs[i]->pos, c->n_text_ctx);
            goto done;
        }
        for (int k = 0; k < cnt[i]; k++) row_run[rows + k] = i;
        rows += cnt[i];
    }
    if (rows != n) {
        st = WL_ERR_INPUT;
        wl_fail(err, errlen, "decoder: %d tokens for %d decoders", n, runs);
        goto done;
    }
#define POS(r) (decs[row_run[r]]->pos + (r) - start[row_run[r]])
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= V) {
            st = WL_ERR_INPUT;
            wl_fail(err, errlen, "decoder: token %d is outside the vocabulary (0..%d)", tokens[i], V - 1);
            goto done;
        }
    int keys = S > c->n_text_ctx ? S : c->n_text_ctx; /* the most keys a row attends to: one size per n */
    int64_t nC = (int64_t)n * C;
    /* the model's scratch, grown when a call needs more and kept (one decoder call at a time per
     * model): a step then allocates nothing, so touches no fresh pages; 64-byte aligned rows for
     * wl_vmatmul */
    h = wl_kept_buffer(&m->dec_ws, &m->dec_ws_cap, (size_t)nC * 6 + (size_t)H * n * keys + (size_t)n * (C + c->dec_ffn));
    if (!h) goto nomem;
    float *x = h + nC, *q = x + nC, *a = q + nC, *kv = a + nC, *probs = kv + 2 * nC, *scratch = probs + (int64_t)H * n * keys;
    for (int i = 0; i < runs; i++) /* the cross-attention is kept for the caller */
        if (reserve_xattn(decs[i], cnt[i]) || reserve_kv(decs[i], decs[i]->pos + cnt[i])) goto nomem;
    for (int i = 0; i < n; i++)
        for (int e = 0; e < C; e++)
            h[(int64_t)i * C + e] = m->tok_emb[(int64_t)tokens[i] * C + e] + m->dec_pos[(int64_t)POS(i) * C + e];
    if (one) wl_emit(m, "dec.embed", h, 2, n, C, 0);
    for (int l = 0; l < c->dec_layers; l++) {
        const wl_dec_layer *L = &m->dec[l];
        char name[32];
        /* Causal self-attention: each row's K/V join its decoder's cache at its position. */
        wl_layernorm(x, h, L->attn_ln, n, C);
        wl_query(q, x, L->attn.q, n, C, H);
        wl_linear(kv, x, L->attn.k, n, C, C);
        wl_linear(kv + nC, x, L->attn.v, n, C, C);
        for (int i = 0; i < n; i++) {
            wl_decoder *d = decs[row_run[i]];
            memcpy(d->k_self[l] + (int64_t)POS(i) * C, kv + (int64_t)i * C, (size_t)C * sizeof(float));
            memcpy(d->v_self[l] + (int64_t)POS(i) * C, kv + nC + (int64_t)i * C, (size_t)C * sizeof(float));
        }
        for (int i = 0; i < runs; i++) {
            const int64_t o = (int64_t)start[i] * C, p0 = decs[i]->pos;
            wl_attention(a + o, probs, q + o, decs[i]->k_self[l], decs[i]->v_self[l], cnt[i], p0 + cnt[i], C, H, p0);
        }
        wl_linear(x, a, L->attn.o, n, C, C);
        wl_vadd(h, x, nC);
        /* Cross-attention over the audio, probs [H, n, S] */
        wl_layernorm(x, h, L->cross_ln, n, C);
        wl_query(q, x, L->cross.q, n, C, H);
        cross_attention_runs(decs, cnt, start, runs, n, l, q, a, kv, probs, group); /* kv: free here */
        if (one) {
            snprintf(name, sizeof name, "cross_attn.%d", l);
            wl_emit(m, name, probs, 3, H, n, S);
        }
        wl_linear(x, a, L->cross.o, n, C, C);
        wl_vadd(h, x, nC);
        wl_ffn_block(h, &L->ffn_ln, L->fc1, L->fc2, n, C, c->dec_ffn, scratch);
        snprintf(name, sizeof name, "dec.layer.%d", l);
        if (one) wl_emit(m, name, h, 2, n, C, 0);
    }
    wl_layernorm(out, h, m->dec_ln, n, C);
    if (wl_oom_take()) goto nomem; /* a kernel could not get its buffer */
    if (one) wl_emit(m, "dec.out", out, 2, n, C, 0);
    for (int i = 0; i < runs; i++) decs[i]->pos += cnt[i], decs[i]->xattn_n = cnt[i];
#undef POS
    goto done;
nomem:
    st = WL_ERR_NOMEM;
    wl_fail(err, errlen, "decoder: out of memory");
done:
    free(start), free(cnt), free(row_run), free(group);
    return st;
}

/* logits [n, n_vocab] = h . E^T against the tied token embedding, no bias. Non-finite values
 * (weights that overflow float32) are an error, never a silent empty transcript. */
static wl_status project(wl_model *m, const float *h, int n, float *logits, char *err, size_t errlen)
{
    wl_linear_w tied = {m->tok_emb, NULL};
    wl_linear(logits, h, tied, n, m->c.d_model, m->c.n_vocab);
    if (wl_oom_take()) return wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM;
    wl_emit(m, "logits", logits, 2, n, m->c.n_vocab, 0);
    int64_t bad = wl_first_non_finite(logits, (int64_t)n * m->c.n_vocab);
    if (bad >= 0)
        return wl_fail(err, errlen, "decoder: logit %lld of row %lld is not finite: the weights overflow float32",
                       (long long)(bad % m->c.n_vocab), (long long)(bad / m->c.n_vocab)), WL_ERR_FORMAT;
    return WL_OK;
}

wl_status wl_decoder_feed(wl_decoder *d, const int32_t *tokens, int n, float *logits, char *err, size_t errlen)
{
    float *h = n > 0 ? malloc((size_t)n * d->m->c.d_model * sizeof *h) : NULL;
    if (n > 0 && !h) return wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM;
    int count = n;
    wl_status st = forward(&d, &count, 1, tokens, n, h, err, errlen);
    if (!st && logits) st = project(d->m, h, n, logits, err, errlen);
    free(h);
    return st;
}

wl_status wl_decoder_feed_runs(wl_decoder **decs, const int *counts, int n_dec, const int32_t *tokens,
                               float *logits, char *err, size_t errlen)
{
    if (n_dec <= 0) return wl_fail(err, errlen, "decoder: %d decoders to feed", n_dec), WL_ERR_INPUT;
    wl_model *m = decs[0]->m;
    const int C = m->c.d_model;
    int n = 0;
    for (int i = 0; i < n_dec; i++) n += counts[i] > 0 ? counts[i] : 0;
    float *h = malloc((size_t)(n > 0 ? n : 1) * C * sizeof *h);
    if (!h) return wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM;
    wl_status st = forward(decs, counts, n_dec, tokens, n, h, err, errlen);
    /* each run's last row moved up to row i: the projection's rows never depend on their number */
    for (int i = 0, end = 0; !st && i < n_dec; i++)
        end += counts[i], memmove(h + (size_t)i * C, h + (size_t)(end - 1) * C, (size_t)C * sizeof *h);
    if (!st) st = project(m, h, n_dec, logits, err, errlen);
    free(h);
    return st;
}

wl_status wl_decoder_feed_many(wl_decoder **decs, const int32_t *tokens, int n_dec, float *logits, char *err,
                               size_t errlen)
{
    if (n_dec <= 0) return wl_fail(err, errlen, "decoder: %d decoders to feed", n_dec), WL_ERR_INPUT;
    wl_model *m = decs[0]->m;
    const int n_max = n_dec < WL_STEP_ROWS ? n_dec : WL_STEP_ROWS;
    float *h = malloc((size_t)n_max * m->c.d_model * sizeof *h);
    wl_status st = h ? WL_OK : (wl_fail(err, errlen, "decoder: out of memory"), WL_ERR_NOMEM);
    /* batches of the rows the few-row kernels take: one read of the weights serves a batch */
    for (int i = 0; !st && i < n_dec; i += n_max) {
        int n = n_dec - i < n_max ? n_dec - i : n_max;
        st = forward(decs + i, NULL, n, tokens + i, n, h, err, errlen);
        if (!st) st = project(m, h, n, logits + (size_t)i * m->c.n_vocab, err, errlen);
    }
    free(h);
    return st;
}
