/* Generated tokens as JSON, one record per token: what `whisperlab transcribe --json` prints and
 * what the lab writes to tokens.json. */
#ifndef WL_TOKEN_JSON_H
#define WL_TOKEN_JSON_H

#include "../whisperlab.h"

#include <cjson/cJSON.h>

/* x rounded to `digits` decimals (a non-finite x is null), or x whole when digits is 0. */
cJSON *wl_json_number(double x, int digits);

/* r's generated tokens: [{step, id, text, p, logprob, timestamp, time, top5: [{id, text, p}]}],
 * probabilities and log-probs to `digits` decimals (0: whole), the token time (seconds, to two
 * decimals) when with_time and r has token times, else null. */
cJSON *wl_steps_json(const wl_tokenizer *tok, const wl_result *r, int with_time, int digits);

#endif
