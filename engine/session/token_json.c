/* One record per generated token, shared by the command and the lab. */
#include "token_json.h"

#include "session.h"

#include <math.h>

cJSON *wl_json_number(double x, int digits)
{
    if (digits <= 0) return cJSON_CreateNumber(x);
    if (!isfinite(x)) return cJSON_CreateNull();
    double scale = pow(10, digits);
    return cJSON_CreateNumber(round(x * scale) / scale);
}

cJSON *wl_steps_json(const wl_tokenizer *tok, const wl_result *r, int with_time, int digits)
{
    cJSON *a = cJSON_CreateArray();
    char buf[512];
    for (int i = 0; i < r->n_steps; i++) {
        const wl_step *st = &r->steps[i];
        cJSON *t = cJSON_CreateObject(), *top = cJSON_CreateArray();
        wl_token_text(tok, st->token, buf, sizeof buf, 0);
        cJSON_AddNumberToObject(t, "step", i);
        cJSON_AddNumberToObject(t, "id", st->token);
        cJSON_AddStringToObject(t, "text", buf);
        cJSON_AddItemToObject(t, "p", wl_json_number(exp(st->logprob), digits));
        cJSON_AddItemToObject(t, "logprob", wl_json_number(st->logprob, digits));
        cJSON_AddBoolToObject(t, "timestamp", st->is_timestamp);
        if (with_time && r->token_time) cJSON_AddItemToObject(t, "time", wl_json_number(r->token_time[r->n_prompt + i], 2));
        else cJSON_AddNullToObject(t, "time");
        for (int k = 0; k < WL_TOP; k++) {
            cJSON *alt = cJSON_CreateObject();
            wl_token_text(tok, st->top_id[k], buf, sizeof buf, 0);
            cJSON_AddNumberToObject(alt, "id", st->top_id[k]);
            cJSON_AddStringToObject(alt, "text", buf);
            cJSON_AddItemToObject(alt, "p", wl_json_number(exp(st->top_logprob[k]), digits));
            cJSON_AddItemToArray(top, alt);
        }
        cJSON_AddItemToObject(t, "top5", top);
        cJSON_AddItemToArray(a, t);
    }
    return a;
}
