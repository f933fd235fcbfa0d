/* timestamps.json: where the model says the speech is, against where the audio's energy says it
 * is, and the DTW token timestamps of each word. */
#include "timestamps.h"

#include <math.h>
#include <stdlib.h>

cJSON *lab_timestamps(const wl_session *s, const lab_clip *c)
{
    cJSON *e = cJSON_CreateObject(), *speech = cJSON_CreateObject(), *pred = cJSON_CreateObject();
    cJSON *err = cJSON_CreateObject(), *words = cJSON_CreateArray();
    double dur = (double)c->n_samples / WL_SAMPLE_RATE;
    cJSON_AddItemToObject(e, "duration", wl_json_number(dur, 3));
    cJSON_AddBoolToObject(speech, "found", c->span.found);
    cJSON_AddItemToObject(speech, "start", wl_json_number(c->span.found ? c->span.start : NAN, 3));
    cJSON_AddItemToObject(speech, "end", wl_json_number(c->span.found ? c->span.end : NAN, 3));
    cJSON_AddItemToObject(speech, "peak_dbfs", wl_json_number(c->span.peak_dbfs, 1));
    cJSON_AddItemToObject(e, "speech", speech);

    /* the timestamped decode: its first and last timestamp tokens */
    const wl_result *r = c->stamped;
    double first = NAN, last = NAN;
    for (int t = r->n_prompt; t < r->n_tokens; t++) {
        int32_t id = r->tokens[t];
        if (id < s->cfg.timestamp_begin || s->cfg.timestamp_begin <= 0) continue;
        double sec = (id - s->cfg.timestamp_begin) * 0.02;
        if (isnan(first)) first = sec;
        last = sec;
    }
    cJSON_AddItemToObject(pred, "start", wl_json_number(first, 2));
    cJSON_AddItemToObject(pred, "end", wl_json_number(last, 2));
    cJSON_AddItemToObject(e, "predicted", pred);
    int ok = c->span.found && !isnan(first);
    cJSON_AddItemToObject(err, "start", wl_json_number(ok ? first - c->span.start : NAN, 3));
    cJSON_AddItemToObject(err, "end", wl_json_number(ok ? last - c->span.end : NAN, 3));
    cJSON_AddItemToObject(e, "error", err);

    /* words of the greedy transcript: a word starts at its first token's DTW time and ends
     * where the next token starts */
    const wl_result *g = c->greedy;
    lab_word w[64];
    int nw = lab_words(s, g, w, 64);
    for (int i = 0; i < nw && g->token_time; i++) {
        cJSON *x = cJSON_CreateObject();
        int after = w[i].first + w[i].n;
        cJSON_AddStringToObject(x, "word", w[i].text);
        cJSON_AddItemToObject(x, "start", wl_json_number(g->token_time[w[i].first], 2));
        cJSON_AddItemToObject(x, "end", wl_json_number(after < g->n_tokens ? g->token_time[after] : NAN, 2));
        cJSON_AddItemToArray(words, x);
    }
    cJSON_AddItemToObject(e, "words", words);
    cJSON_AddItemToObject(e, "dtw_start_error",
                          wl_json_number(nw && g->token_time && c->span.found ? g->token_time[w[0].first] - c->span.start : NAN, 3));
    return e;
}

/* Mean absolute start and end errors over the clips that have both. */
cJSON *lab_timestamps_summary(const cJSON *clips)
{
    double s = 0, e = 0, d = 0;
    int n = 0, nd = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, clips)
    {
        const cJSON *err = cJSON_GetObjectItem(c, "error"), *a = cJSON_GetObjectItem(err, "start"),
                    *b = cJSON_GetObjectItem(err, "end"), *dtw = cJSON_GetObjectItem(c, "dtw_start_error");
        if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) s += fabs(a->valuedouble), e += fabs(b->valuedouble), n++;
        if (cJSON_IsNumber(dtw)) d += fabs(dtw->valuedouble), nd++;
    }
    cJSON *sum = cJSON_CreateObject();
    cJSON_AddNumberToObject(sum, "clips", n);
    cJSON_AddItemToObject(sum, "mean_abs_start_error", wl_json_number(n ? s / n : NAN, 3));
    cJSON_AddItemToObject(sum, "mean_abs_end_error", wl_json_number(n ? e / n : NAN, 3));
    cJSON_AddItemToObject(sum, "mean_abs_dtw_start_error", wl_json_number(nd ? d / nd : NAN, 3));
    return sum;
}
