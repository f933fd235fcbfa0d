/* The lab's entries of confidence.json (what they measure: confidence.c). */
#ifndef LAB_CONFIDENCE_H
#define LAB_CONFIDENCE_H

#include "clip.h"

/* The clip's entry, or NULL with err. */
cJSON *lab_confidence(const wl_session *s, const lab_clip *c, char *err, size_t errlen);
/* Over all clips (the file's "clips" object). */
cJSON *lab_confidence_summary(const cJSON *clips);

#endif
