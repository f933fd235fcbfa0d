/* The lab's entries of monotonicity.json and the heatmaps (what they measure: attention.c). */
#ifndef LAB_ATTENTION_H
#define LAB_ATTENTION_H

#include "clip.h"

/* Monotonicity of the greedy decode's cross-attention; draws cross_attention_<id>.png into
 * out_dir (and the per-head grid when grid is set). NULL with err on failure. */
cJSON *lab_attention(const wl_session *s, const lab_clip *c, const char *out_dir, int grid, char *err,
                     size_t errlen);
/* Over all clips (the "clips" object of monotonicity.json). */
cJSON *lab_monotonicity_summary(const cJSON *clips);

#endif
