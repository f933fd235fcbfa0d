/* The lab's entries of grammar.json (what they measure: grammar.c). */
#ifndef LAB_GRAMMAR_H
#define LAB_GRAMMAR_H

#include "clip.h"

/* Teacher-forces the spoken and the grammatical verb after the spoken prefix (error clips).
 * NULL with err on failure. */
cJSON *lab_grammar(const wl_session *s, const lab_clip *c, char *err, size_t errlen);
/* Over all clips (the file's "clips" object). */
cJSON *lab_grammar_summary(const cJSON *clips);

#endif
