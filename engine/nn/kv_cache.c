/* The cross K/V cache of the last clips and the spare buffers of freed decoders. */
#include "kv_cache.h"

#include "../base/util.h"
#include "../kernels/parallel.h"
#include "ops.h"

#include <stdlib.h>
#include <string.h>

/* Cross-attention buffers of at most this many rows (a step's, a prompt's) are kept with a
 * spare: the many-row buffer of a whole sequence fed at once would otherwise stay, 3.5 MB each. */
enum { SPARE_XATTN_ROWS = 8 };

void wl_layers_free(float **p, int L)
{
    for (int l = 0; p && l < L; l++) free(p[l]);
    free(p);
}

float **wl_layers_alloc(int L, int64_t n)
{
    float **p = calloc((size_t)L, sizeof *p);
    for (int l = 0; p && l < L; l++)
        if (!(p[l] = malloc((size_t)n * sizeof(float)))) return wl_layers_free(p, l), NULL;
    return p;
}

typedef struct {
    const wl_model *m;
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
            wl_linear_cm(j->k[l] + b, S, in, j->m->w.dec[l].cross.k, n, C, C);
            wl_linear_cm(j->v[l] + b, S, in, j->m->w.dec[l].cross.v, n, C, C);
        }
    }
}

void wl_cross_project(const wl_model *m, const float *enc_out, float **k, float **v)
{
    cross_job j = {m, k, v, enc_out};
    wl_parallel_for_aligned(m->c.n_audio_ctx, CROSS_BLOCK, cross_rows, &j); /* threads split the positions */
}

size_t wl_cross_cache_floats(const wl_config *c)
{
    return (size_t)WL_CROSS_SLOTS * 2 * c->dec_layers * c->n_audio_ctx * c->d_model;
}

static int any_user(const wl_kv_cache *x)
{
    for (int i = 0; i < WL_CROSS_SLOTS; i++)
        if (x->slot[i].users) return 1;
    return 0;
}

int wl_cross_cache_yield(wl_kv_cache *x)
{
    if (any_user(x)) return -1;
    for (int i = 0; i < WL_CROSS_SLOTS; i++) x->slot[i].valid = 0;
    return 0;
}

/* Whether free slot a is a better one to recompute than b (NULL): one already used before a
 * new one (its copy of an encoder output is allocated), then the least recently used. */
static int better_free_slot(const wl_cross_slot *a, const wl_cross_slot *b)
{
    if (!b) return 1;
    if (!a->enc != !b->enc) return a->enc != NULL;
    return a->used < b->used;
}

/* Slot i's K/V pointed at its part of the shared workspace. Returns 0, or -1 when the workspace
 * cannot have room (out of memory, or too small while other slots are read: it cannot move). */
static int slot_storage(wl_kv_cache *x, const wl_config *c, float **ws, size_t *ws_cap, int i)
{
    const int L = c->dec_layers;
    const size_t n = (size_t)c->n_audio_ctx * c->d_model, need = wl_cross_cache_floats(c);
    if (*ws_cap < need) {
        if (any_user(x)) return -1;
        for (int k = 0; k < WL_CROSS_SLOTS; k++) x->slot[k].valid = 0; /* their storage moves */
        if (!wl_kept_buffer(ws, ws_cap, need)) return -1; /* nothing points into it */
    }
    wl_cross_slot *s = &x->slot[i];
    if (!s->k) s->k = calloc((size_t)L, sizeof *s->k);
    if (!s->v) s->v = calloc((size_t)L, sizeof *s->v);
    if (!s->k || !s->v) return -1;
    for (int l = 0; l < L; l++)
        s->k[l] = *ws + ((size_t)(2 * i) * L + l) * n, s->v[l] = *ws + ((size_t)(2 * i + 1) * L + l) * n;
    return 0;
}

wl_cross_slot *wl_cross_cache_slot(wl_kv_cache *x, const wl_model *m, float **ws, size_t *ws_cap,
                                   const float *enc_out)
{
    const size_t n = (size_t)m->c.n_audio_ctx * m->c.d_model;
    wl_cross_slot *free_slot = NULL;
    for (int i = 0; i < WL_CROSS_SLOTS; i++) {
        wl_cross_slot *s = &x->slot[i];
        if (s->valid && !memcmp(s->enc, enc_out, n * sizeof(float))) return s->used = ++x->clock, s;
        if (s->users) continue;
        if (better_free_slot(s, free_slot)) free_slot = s;
    }
    wl_cross_slot *s = free_slot;
    if (!s) return NULL;
    if (!s->enc) s->enc = malloc(n * sizeof(float)); /* allocated once, freed with the state */
    if (!s->enc || slot_storage(x, &m->c, ws, ws_cap, (int)(s - x->slot))) return NULL;
    s->valid = 0;
    memcpy(s->enc, enc_out, n * sizeof(float));
    wl_cross_project(m, enc_out, s->k, s->v);
    s->valid = 1, s->used = ++x->clock;
    return s;
}

int wl_spare_take(wl_kv_cache *x, wl_decoder_buffers *b)
{
    if (!x->n_spares) return 0;
    *b = x->spare[--x->n_spares];
    return 1;
}

int wl_spare_keep(wl_kv_cache *x, const wl_config *c, wl_decoder_buffers *b)
{
    if (x->n_spares >= WL_SPARES || !b->k_self || !b->v_self) return 0;
    size_t keep = (size_t)c->dec_layers * c->dec_heads * SPARE_XATTN_ROWS * c->n_audio_ctx;
    if (b->xattn_cap > keep) free(b->xattn), b->xattn = NULL, b->xattn_cap = 0;
    x->spare[x->n_spares++] = *b;
    return 1;
}

void wl_kv_cache_free(wl_kv_cache *x, int L)
{
    for (int i = 0; i < WL_CROSS_SLOTS; i++) {
        free(x->slot[i].enc);
        free(x->slot[i].k), free(x->slot[i].v); /* pointers into the shared workspace */
    }
    for (int i = 0; i < x->n_spares; i++)
        wl_layers_free(x->spare[i].k_self, L), wl_layers_free(x->spare[i].v_self, L), free(x->spare[i].xattn);
    memset(x, 0, sizeof *x);
}
