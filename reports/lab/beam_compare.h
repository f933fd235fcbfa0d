/* The lab's entries of greedy_vs_beam.json (what they measure: beam_compare.c). */
#ifndef LAB_BEAM_COMPARE_H
#define LAB_BEAM_COMPARE_H

#include "clip.h"

cJSON *lab_greedy_vs_beam(const wl_session *s, const lab_clip *c);
/* Over all clips (the file's "clips" object). */
cJSON *lab_greedy_vs_beam_summary(const cJSON *clips);

#endif
