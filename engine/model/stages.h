/* The stage tensors the engine passes to the on_stage callback: the one table of their names,
 * used by the emits (front end, encoder, decoder), the whisperlab command's --stages, the tests
 * and the golden exporter (gen/export_golden.py reads stages.c's rows). */
#ifndef WL_STAGES_H
#define WL_STAGES_H

#include <stddef.h>

/* In data-flow order. */
typedef enum {
    WL_STAGE_MEL,
    WL_STAGE_CONV1,
    WL_STAGE_CONV2,
    WL_STAGE_ENC_EMBED,
    WL_STAGE_ENC_LAYER,
    WL_STAGE_ENC_OUT,
    WL_STAGE_DEC_EMBED,
    WL_STAGE_DEC_LAYER,
    WL_STAGE_DEC_OUT,
    WL_STAGE_LOGITS,
    WL_STAGE_CROSS_ATTN,
    WL_N_STAGES
} wl_stage;

/* What a stage's N ranges over: a stage per layer is named "<name>.<layer>" ("enc.layer.2"). */
typedef enum {
    WL_ONCE,          /* one tensor, named by the name alone */
    WL_PER_ENC_LAYER, /* N in [0, encoder_layers) */
    WL_PER_DEC_LAYER, /* N in [0, decoder_layers) */
} wl_stage_per;

typedef struct {
    const char *name;
    wl_stage_per per;
    const char *shape; /* the tensor's shape, in config.json's terms; n_tokens is the call's rows */
} wl_stage_info;

extern const wl_stage_info wl_stages[WL_N_STAGES];

/* Stage s's name into buf (len >= 32 holds any), with ".<layer>" for a stage per layer; returns buf. */
const char *wl_stage_name(wl_stage s, int layer, char *buf, size_t len);

/* How many tensors of stage s a model with these layer counts emits per call: 1, or one per layer. */
int wl_stage_count(wl_stage s, int enc_layers, int dec_layers);

/* Whether name is a stage a model with these layer counts emits. */
int wl_is_stage(const char *name, int enc_layers, int dec_layers);

#endif
