/* The lab's entries of timestamps.json (what they measure: timestamps.c). */
#ifndef LAB_TIMESTAMPS_H
#define LAB_TIMESTAMPS_H

#include "clip.h"

cJSON *lab_timestamps(const wl_session *s, const lab_clip *c);
/* Over all clips (the file's "clips" object). */
cJSON *lab_timestamps_summary(const cJSON *clips);

#endif
