/* The tensors a WhisperForConditionalGeneration checkpoint holds, derived from its config.
 * This table is the one place that names checkpoint keys: the loader checks files against it and
 * fills the model's weight pointers from it, and the synthetic-checkpoint generator writes exactly
 * these. */
#ifndef WL_LAYOUT_H
#define WL_LAYOUT_H

#include "config.h"
#include "weights.h"
#include "../io/safetensors.h"

#include <stddef.h>
#include <stdint.h>

/* What a tensor is, which decides how the synthetic generator fills it. */
typedef enum {
    WL_KIND_WEIGHT,    /* linear / conv / token embedding: N(0, 0.02) like HF's init */
    WL_KIND_BIAS,      /* linear / conv bias */
    WL_KIND_LN_WEIGHT, /* LayerNorm gain, near 1 */
    WL_KIND_LN_BIAS,   /* LayerNorm shift */
    WL_KIND_SINUSOIDS, /* encoder positions: fixed sinusoids */
} wl_tensor_kind;

/* The struct that holds a tensor's float pointer once loaded. */
typedef enum {
    WL_IN_MODEL,     /* wl_weights (weights.h) */
    WL_IN_ENC_LAYER, /* wl_enc_layer enc[layer] */
    WL_IN_DEC_LAYER, /* wl_dec_layer dec[layer] */
} wl_tensor_home;

typedef struct {
    char name[80];
    int ndim;
    int64_t shape[3];
    wl_tensor_kind kind;
    wl_tensor_home home;
    int layer;     /* for a layer's tensor, which layer */
    size_t offset; /* of its float pointer in its home struct */
} wl_tensor_spec;

/* Fills specs (room for max) with the checkpoint's tensors in the checkpoint's order; returns how
 * many there are (167 for tiny.en), or -1 if max is too small. */
int wl_layout(const wl_config *c, wl_tensor_spec *specs, int max);

/* Number of elements of one spec. */
int64_t wl_spec_numel(const wl_tensor_spec *s);

/* Where the loader stores spec s's float pointer in w (whose layer arrays are allocated). */
const float **wl_spec_slot(wl_weights *w, const wl_tensor_spec *s);

/* Checks a checkpoint against the layout: every expected tensor present, with its shape and a
 * float dtype (F32, F16, BF16), and no unknown tensors. err gives got-vs-expected. */
int wl_layout_check(const wl_st_file *f, const wl_config *c, char *err, size_t errlen);

#endif
