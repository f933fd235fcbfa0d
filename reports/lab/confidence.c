/* confidence.json: how sure the model is, per clip (mean and lowest token probability), at the
 * verb (with its alternatives) and for the forced task prefix. */
#include "confidence.h"
#include "../tools/normalise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static cJSON *alternatives(const wl_session *s, const wl_step *st)
{
    cJSON *top = cJSON_CreateArray();
    char buf[256];
    for (int k = 0; k < WL_TOP; k++) {
        cJSON *a = cJSON_CreateObject();
        wl_token_text(s->tok, st->top_id[k], buf, sizeof buf, 0);
        cJSON_AddStringToObject(a, "text", buf);
        cJSON_AddItemToObject(a, "p", wl_json_number(exp(st->top_logprob[k]), 6));
        cJSON_AddItemToArray(top, a);
    }
    return top;
}

/* The verb: the word of the greedy transcript at the sentence's verb position. */
static cJSON *verb_json(const wl_session *s, const lab_clip *c)
{
    const wl_result *r = c->greedy;
    lab_word words[64];
    int nw = lab_words(s, r, words, 64), k = lab_verb_index(c);
    char expected[128];
    lab_nth_word(c->sentence, k, expected, sizeof expected);
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "expected", expected);
    cJSON_AddNumberToObject(v, "word_index", k);
    if (k < 0 || k >= nw) { /* the transcript is shorter than the sentence */
        cJSON_AddNullToObject(v, "predicted");
        return v;
    }
    const lab_word *w = &words[k];
    const wl_step *first = &r->steps[w->first - r->n_prompt];
    double lp = 0;
    for (int t = 0; t < w->n; t++) lp += r->steps[w->first - r->n_prompt + t].logprob;
    char tok[256];
    wl_token_text(s->tok, first->token, tok, sizeof tok, 0);
    cJSON_AddStringToObject(v, "predicted", w->text);
    cJSON_AddBoolToObject(v, "correct", normalise_same_words(w->text, expected));
    cJSON_AddStringToObject(v, "token", tok);
    cJSON_AddNumberToObject(v, "tokens", w->n);
    cJSON_AddItemToObject(v, "p", wl_json_number(exp(first->logprob), 6));
    cJSON_AddItemToObject(v, "p_word", wl_json_number(exp(lp), 6));
    cJSON_AddItemToObject(v, "top5", alternatives(s, first));
    return v;
}

/* The prompt's forced tokens (after the first) under the model's own softmax. */
static cJSON *prefix_json(const wl_session *s, const lab_clip *c, char *err, size_t errlen)
{
    const wl_result *r = c->greedy;
    double lp[64];
    int n = r->n_prompt < 64 ? r->n_prompt : 64;
    cJSON *a = cJSON_CreateArray();
    if (n > 1 && lab_forced_logprobs(s, c->enc, r->tokens, n, lp, err, errlen)) return cJSON_Delete(a), NULL;
    for (int i = 1; i < n; i++) {
        cJSON *t = cJSON_CreateObject();
        char buf[256];
        wl_token_text(s->tok, r->tokens[i], buf, sizeof buf, 0);
        cJSON_AddStringToObject(t, "text", buf);
        cJSON_AddItemToObject(t, "p", wl_json_number(exp(lp[i - 1]), 6));
        cJSON_AddItemToArray(a, t);
    }
    return a;
}

cJSON *lab_confidence(const wl_session *s, const lab_clip *c, char *err, size_t errlen)
{
    const wl_result *r = c->greedy;
    double sum = 0, lo = INFINITY;
    int n = 0, lo_step = -1;
    for (int i = 0; i < r->n_steps; i++) {
        if (!lab_is_text(s, r->steps[i].token)) continue;
        double p = exp(r->steps[i].logprob);
        sum += p, n++;
        if (p < lo) lo = p, lo_step = i;
    }
    cJSON *prefix = prefix_json(s, c, err, errlen);
    if (!prefix) return NULL;
    cJSON *e = cJSON_CreateObject();
    char buf[256] = "";
    if (lo_step >= 0) wl_token_text(s->tok, r->steps[lo_step].token, buf, sizeof buf, 0);
    cJSON_AddNumberToObject(e, "text_tokens", n);
    cJSON_AddItemToObject(e, "mean_p", wl_json_number(n ? sum / n : NAN, 6));
    cJSON_AddItemToObject(e, "min_p", wl_json_number(n ? lo : NAN, 6));
    cJSON_AddStringToObject(e, "min_token", buf);
    const wl_step *last = r->n_steps ? &r->steps[r->n_steps - 1] : NULL;
    cJSON_AddItemToObject(e, "end_p", wl_json_number(last && last->token == s->cfg.eos ? exp(last->logprob) : NAN, 6));
    cJSON_AddItemToObject(e, "verb", verb_json(s, c));
    cJSON_AddItemToObject(e, "prefix", prefix);
    return e;
}

static int by_p(const void *a, const void *b)
{
    double x = cJSON_GetObjectItem(*(cJSON *const *)a, "p")->valuedouble;
    double y = cJSON_GetObjectItem(*(cJSON *const *)b, "p")->valuedouble;
    return (x > y) - (x < y);
}

/* The five least confident verbs, and the clips' mean confidence. */
cJSON *lab_confidence_summary(const cJSON *clips)
{
    cJSON *sum = cJSON_CreateObject(), *list[256], *lowest = cJSON_CreateArray();
    int n = 0, m = 0;
    double mean = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, clips)
    {
        const cJSON *v = cJSON_GetObjectItem(e, "verb"), *mp = cJSON_GetObjectItem(e, "mean_p");
        if (cJSON_IsNumber(mp)) mean += mp->valuedouble, m++;
        if (n < 256 && cJSON_IsNumber(cJSON_GetObjectItem(v, "p"))) {
            cJSON *x = cJSON_Duplicate(v, 1);
            cJSON_AddStringToObject(x, "clip", e->string);
            list[n++] = x;
        }
    }
    qsort(list, (size_t)n, sizeof *list, by_p);
    for (int i = 0; i < n; i++) {
        if (i < 5) cJSON_AddItemToArray(lowest, list[i]);
        else cJSON_Delete(list[i]);
    }
    cJSON_AddItemToObject(sum, "mean_p", wl_json_number(m ? mean / m : NAN, 6));
    cJSON_AddItemToObject(sum, "lowest_verbs", lowest);
    return sum;
}
