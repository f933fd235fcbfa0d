/* One call's run state over a loaded model (internal): every buffer a call writes, so that the
 * model stays read-only after load and states on different threads never share memory. Each
 * buffer is grown to the largest call and kept: a clip, or a step, allocates nothing and touches
 * no fresh pages. */
#ifndef WL_STATE_H
#define WL_STATE_H

#include "kv_cache.h"
#include "../model/model.h"
#include "../model/stages.h"

struct wl_state {
    const wl_model *m;
    wl_stage_fn on_stage;  /* NULL: no stage callbacks */
    void *user;
    float *shared_ws;      /* the encoder's activations and the cross K/V slots in turn: a clip is
                              encoded, then decoded, so the two are never wanted at once */
    size_t shared_ws_cap;  /* floats in shared_ws */
    float *enc_ws;         /* the encoder's own activations, only if it runs while a decoder reads
                              the cross slots (then kept) */
    size_t enc_ws_cap;
    float *dec_ws;         /* a decoder call's activations */
    size_t dec_ws_cap;
    wl_kv_cache kv;        /* the last clips' cross K/V and freed decoders' buffers */
};

/* Passes stage tensor `stage` (of layer `layer`, for a stage per layer) to the state's callback, if
 * any: without one, nothing is formatted or copied. */
void wl_emit(const wl_state *s, wl_stage stage, int layer, const float *data, int ndim, int64_t d0, int64_t d1,
             int64_t d2);

#endif
