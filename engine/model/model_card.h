/* What a model folder is, for every output that names it: a HuggingFace checkpoint as a user
 * has it, or one of whisperlab's local stand-ins, which carry a whisperlab.json marker
 * ({"kind": "synthetic" | "trained-here", "summary": "..."}) so no report mistakes them for
 * OpenAI's weights. */
#ifndef WL_MODEL_CARD_H
#define WL_MODEL_CARD_H

#include <stddef.h>

typedef struct {
    char kind[32];     /* "checkpoint", "synthetic" or "trained-here" */
    char summary[256]; /* one line a report can print */
} wl_model_card;

/* Reads dir/whisperlab.json when present; without it the folder is a "checkpoint". A marker
 * that exists but is malformed or names an unknown kind is an error (err names the file). */
int wl_model_card_read(const char *dir, wl_model_card *card, char *err, size_t errlen);

#endif
