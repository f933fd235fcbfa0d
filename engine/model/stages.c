#include "stages.h"

#include <stdio.h>
#include <string.h>

/* One row per line, {"name", per, "shape"}: gen/export_golden.py reads the name and per of each
 * row with a regular expression. */
const wl_stage_info wl_stages[WL_N_STAGES] = {
    [WL_STAGE_MEL] = {"mel", WL_ONCE, "[n_mels, n_frames]"},
    [WL_STAGE_CONV1] = {"conv1", WL_ONCE, "[d_model, n_frames]"},
    [WL_STAGE_CONV2] = {"conv2", WL_ONCE, "[d_model, n_audio_ctx]"},
    [WL_STAGE_ENC_EMBED] = {"enc.embed", WL_ONCE, "[n_audio_ctx, d_model]"},
    [WL_STAGE_ENC_LAYER] = {"enc.layer", WL_PER_ENC_LAYER, "[n_audio_ctx, d_model]"},
    [WL_STAGE_ENC_OUT] = {"enc.out", WL_ONCE, "[n_audio_ctx, d_model]"},
    [WL_STAGE_DEC_EMBED] = {"dec.embed", WL_ONCE, "[n_tokens, d_model]"},
    [WL_STAGE_DEC_LAYER] = {"dec.layer", WL_PER_DEC_LAYER, "[n_tokens, d_model]"},
    [WL_STAGE_DEC_OUT] = {"dec.out", WL_ONCE, "[n_tokens, d_model]"},
    [WL_STAGE_LOGITS] = {"logits", WL_ONCE, "[n_tokens, n_vocab]"},
    [WL_STAGE_CROSS_ATTN] = {"cross_attn", WL_PER_DEC_LAYER, "[decoder_heads, n_tokens, n_audio_ctx]"},
};

const char *wl_stage_name(wl_stage s, int layer, char *buf, size_t len)
{
    if (wl_stages[s].per == WL_ONCE) snprintf(buf, len, "%s", wl_stages[s].name);
    else snprintf(buf, len, "%s.%d", wl_stages[s].name, layer);
    return buf;
}

int wl_stage_count(wl_stage s, int enc_layers, int dec_layers)
{
    switch (wl_stages[s].per) {
    case WL_PER_ENC_LAYER: return enc_layers;
    case WL_PER_DEC_LAYER: return dec_layers;
    case WL_ONCE: break;
    }
    return 1;
}

int wl_is_stage(const char *name, int enc_layers, int dec_layers)
{
    for (int s = 0; s < WL_N_STAGES; s++) {
        const char *base = wl_stages[s].name;
        size_t n = strlen(base);
        if (strncmp(name, base, n) != 0) continue;
        if (wl_stages[s].per == WL_ONCE) {
            if (name[n] == '\0') return 1;
            continue;
        }
        /* ".<layer>" and nothing after it; sscanf's %d also takes a sign or leading zeros */
        int layer;
        char tail;
        if (name[n] == '.' && sscanf(name + n + 1, "%d%c", &layer, &tail) == 1 && layer >= 0 &&
            layer < wl_stage_count((wl_stage)s, enc_layers, dec_layers))
            return 1;
    }
    return 0;
}
