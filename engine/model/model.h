/* The model's weights and dimensions (internal), read-only once loaded: what a call writes is in
 * its wl_state (state.h). Pointers are float32 views: into the mmap'd safetensors file when it
 * holds aligned F32, else into converted copies. Shapes are (out, in) for linear layers, as in
 * the checkpoint. */
#ifndef WL_MODEL_H
#define WL_MODEL_H

#include "config.h"
#include "weights.h"
#include "../io/safetensors.h"
#include "../whisperlab.h"

struct wl_model {
    wl_config c;
    wl_params params;
    wl_st_file file;
    float *converted;      /* the tensors that are not aligned F32 in the file, as floats, one buffer */
    size_t n_converted, cap_converted; /* floats of it handed out, and in all */
    float *conv_taps;      /* conv1's and conv2's weights as (C_out, 3, C_in): a row's taps in the
                              order of the frames they meet (encoder.c) */
    wl_weights w;
};

#endif
