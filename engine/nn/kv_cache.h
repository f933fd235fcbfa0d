/* What a state keeps for its decoders between calls (internal): the cross-attention K/V of the
 * last clips decoded, shared by those clips' decoders, and the self-attention buffers of freed
 * decoders for the next ones. */
#ifndef WL_KV_CACHE_H
#define WL_KV_CACHE_H

#include "../model/model.h"

#include <stddef.h>

/* A clip's decodes (greedy, timestamps, beam search, teacher forcing) share one projection of
 * its encoder output, and so do those of clips decoded together: CROSS_SLOTS of them. */
enum { WL_CROSS_SLOTS = 2 };

/* A beam search forks and frees 2 x beams decoders per clip: at most SPARES freed decoders'
 * buffers are kept, their pages already mapped, so a step does not fault fresh memory in. */
enum { WL_SPARES = 16 };

typedef struct {
    float *enc;         /* (n_audio_ctx, d): the encoder output it was computed from */
    float **k, **v;     /* per layer (d, n_audio_ctx), in the state's shared workspace */
    int users;          /* live decoders (and their forks) reading it */
    int valid;
    unsigned long used; /* the cache's clock when last handed out */
} wl_cross_slot;

/* A decoder's own buffers: self-attention K/V per layer and its last cross-attention. */
typedef struct {
    float **k_self, **v_self; /* per layer (kv_cap, d) */
    int kv_cap;
    float *xattn;
    size_t xattn_cap;
} wl_decoder_buffers;

typedef struct {
    wl_cross_slot slot[WL_CROSS_SLOTS];
    unsigned long clock;
    int n_spares;
    wl_decoder_buffers spare[WL_SPARES];
} wl_kv_cache;

/* L arrays of n floats, or NULL (nothing left allocated); and their release. */
float **wl_layers_alloc(int L, int64_t n);
void wl_layers_free(float **p, int L);

/* Cross K/V of enc_out [n_audio_ctx, d] for every decoder layer, channel-major (d, n_audio_ctx). */
void wl_cross_project(const wl_model *m, const float *enc_out, float **k, float **v);

/* Floats the cross slots take in the shared workspace. */
size_t wl_cross_cache_floats(const wl_config *c);

/* The slot holding enc_out's cross K/V, computed into the best free slot (in *ws, the shared
 * workspace, grown to wl_cross_cache_floats when no slot is read) when none holds them; NULL
 * when every slot is in use for other audio, or out of memory. */
wl_cross_slot *wl_cross_cache_slot(wl_kv_cache *x, const wl_model *m, float **ws, size_t *ws_cap,
                                   const float *enc_out);

/* The slots hand the shared workspace over (to the encoder): each forgets its clip. Returns 0,
 * or -1 (nothing changed) while a live decoder reads one of them. */
int wl_cross_cache_yield(wl_kv_cache *x);

/* A freed decoder's buffers into *b (returns 1), or 0 when none is kept. */
int wl_spare_take(wl_kv_cache *x, wl_decoder_buffers *b);
/* Keeps b for the next decoder (returns 1; a cross-attention buffer of more than a few rows is
 * freed first), or returns 0 when the cache is full: the caller frees b. */
int wl_spare_keep(wl_kv_cache *x, const wl_config *c, wl_decoder_buffers *b);

void wl_kv_cache_free(wl_kv_cache *x, int dec_layers);

#endif
