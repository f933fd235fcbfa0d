/* The lab's entries of transcriptions.json, tokens.json and wer.json (what they hold:
 * transcript.c). transcriptions.json and tokens.json are {clip_id: entry}; wer.json, like the
 * other modules' files, is {"about": ..., "clips": {clip_id: entry}, "summary": ...}. */
#ifndef LAB_TRANSCRIPT_H
#define LAB_TRANSCRIPT_H

#include "clip.h"

cJSON *lab_transcription(const wl_session *s, const lab_clip *c);
cJSON *lab_tokens(const wl_session *s, const lab_clip *c);
cJSON *lab_wer(const wl_session *s, const lab_clip *c);
/* Over all clips (the "clips" object of wer.json). */
cJSON *lab_wer_summary(const cJSON *clips);

#endif
