/* A run state: the model it reads, the stage callback, and the buffers it keeps. */
#include "state.h"

#include "../base/util.h"

#include <stdlib.h>

wl_status wl_state_new(const wl_model *m, wl_stage_fn on_stage, void *user, wl_state **out, char *err,
                       size_t errlen)
{
    wl_state *s = calloc(1, sizeof *s);
    *out = s;
    if (!s) return wl_fail(err, errlen, "out of memory"), WL_ERR_NOMEM;
    s->m = m, s->on_stage = on_stage, s->user = user;
    return WL_OK;
}

void wl_state_free(wl_state *s)
{
    if (!s) return;
    wl_kv_cache_free(&s->kv, s->m->c.dec_layers);
    free(s->shared_ws), free(s->enc_ws), free(s->dec_ws);
    free(s);
}

const wl_model *wl_state_model(const wl_state *s) { return s->m; }

void wl_emit(const wl_state *s, wl_stage stage, int layer, const float *data, int ndim, int64_t d0, int64_t d1,
             int64_t d2)
{
    if (!s->on_stage) return;
    char name[32];
    int64_t shape[3] = {d0, d1, d2};
    s->on_stage(s->user, wl_stage_name(stage, layer, name, sizeof name), data, ndim, shape);
}
