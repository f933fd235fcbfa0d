/* grammar.json: on the clips spoken with a grammar error ("he work"), does the model write what
 * was said or "correct" it, and how likely are the two forms at the verb? Both continuations are
 * teacher-forced after the same prefix. */
#include "grammar.h"
#include "../tools/normalise.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* log P(" word" | prefix) summed over its tokens, and the first token's log-prob. */
static int continuation(const wl_session *s, const lab_clip *c, const int32_t *prefix, int np, const char *word,
                        double *lp_word, double *lp_first, int *n_tokens, char *err, size_t errlen)
{
    char text[160];
    int32_t *ids = NULL, *seq = NULL;
    int n = 0, rc = -1;
    double *lp = NULL;
    snprintf(text, sizeof text, " %s", word);
    if (wl_tokenize(s->tok, text, strlen(text), &ids, &n, err, errlen)) return -1;
    seq = malloc(sizeof *seq * (size_t)(np + n));
    lp = malloc(sizeof *lp * (size_t)(np + n));
    if (n > 0 && seq && lp) {
        memcpy(seq, prefix, sizeof *seq * (size_t)np);
        memcpy(seq + np, ids, sizeof *seq * (size_t)n);
        if (np + n > s->dims.n_text_ctx) snprintf(err, errlen, "prefix and \"%s\" exceed the text context", word);
        else if (!lab_forced_logprobs(s, c->enc, seq, np + n, lp, err, errlen)) {
            *lp_word = 0;
            for (int i = 0; i < n; i++) *lp_word += lp[np - 1 + i];
            *lp_first = lp[np - 1], *n_tokens = n, rc = 0;
        }
    } else snprintf(err, errlen, n ? "out of memory" : "\"%s\" has no tokens", word);
    free(ids), free(seq), free(lp);
    return rc;
}

cJSON *lab_grammar(const wl_session *s, const lab_clip *c, char *err, size_t errlen)
{
    const wl_result *g = c->greedy;
    int k = lab_verb_index(c);
    char spoken[128], correct[128];
    lab_nth_word(c->sentence, k, spoken, sizeof spoken);
    lab_nth_word(c->correct, k, correct, sizeof correct);
    lab_word w[64];
    int nw = lab_words(s, g, w, 64);

    /* the prefix: the model's own words before the verb when it wrote that many, else the spoken
     * words (so both forms are scored after the same context either way) */
    int32_t prefix[512];
    int np = g->n_prompt;
    memcpy(prefix, g->tokens, sizeof *prefix * (size_t)np);
    if (nw > k) {
        for (int t = np; t < w[k].first && np < 512; t++) prefix[np++] = g->tokens[t];
    } else {
        char text[512] = "", word[128];
        for (int i = 0; i < k; i++) {
            lab_nth_word(c->sentence, i, word, sizeof word);
            snprintf(text + strlen(text), sizeof text - strlen(text), " %s", word);
        }
        int32_t *ids;
        int n;
        if (wl_tokenize(s->tok, text, strlen(text), &ids, &n, err, errlen)) return NULL;
        for (int i = 0; i < n && np < 512; i++) prefix[np++] = ids[i];
        free(ids);
    }
    double lp_s, lp_c, f_s, f_c;
    int n_s, n_c;
    if (continuation(s, c, prefix, np, spoken, &lp_s, &f_s, &n_s, err, errlen) ||
        continuation(s, c, prefix, np, correct, &lp_c, &f_c, &n_c, err, errlen))
        return NULL;

    cJSON *e = cJSON_CreateObject();
    char *ptext = wl_detokenize(s->tok, prefix + g->n_prompt, np - g->n_prompt, WL_DECODE_SKIP_SPECIAL);
    const char *pred = nw > k ? w[k].text : NULL;
    const char *outcome = !pred ? "missing" : normalise_same_words(pred, spoken) ? "as spoken" : normalise_same_words(pred, correct) ? "corrected" : "other";
    cJSON_AddStringToObject(e, "sentence", c->sentence);
    cJSON_AddStringToObject(e, "correct", c->correct);
    cJSON_AddStringToObject(e, "spoken_form", spoken);
    cJSON_AddStringToObject(e, "correct_form", correct);
    if (pred) cJSON_AddStringToObject(e, "predicted_form", pred);
    else cJSON_AddNullToObject(e, "predicted_form");
    cJSON_AddStringToObject(e, "outcome", outcome);
    cJSON_AddStringToObject(e, "prefix", ptext ? ptext : "");
    free(ptext);
    cJSON_AddItemToObject(e, "p_spoken", wl_json_number(exp(lp_s), 6));
    cJSON_AddItemToObject(e, "p_correct", wl_json_number(exp(lp_c), 6));
    cJSON_AddItemToObject(e, "p_spoken_first_token", wl_json_number(exp(f_s), 6));
    cJSON_AddItemToObject(e, "p_correct_first_token", wl_json_number(exp(f_c), 6));
    cJSON_AddNumberToObject(e, "spoken_tokens", n_s);
    cJSON_AddNumberToObject(e, "correct_tokens", n_c);
    cJSON_AddItemToObject(e, "log_odds_spoken", wl_json_number(lp_s - lp_c, 4));
    return e;
}

cJSON *lab_grammar_summary(const cJSON *clips)
{
    int n = 0, spoken = 0, corrected = 0, prefers_spoken = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, clips)
    {
        const char *o = cJSON_GetStringValue(cJSON_GetObjectItem(c, "outcome"));
        n++;
        spoken += o && !strcmp(o, "as spoken");
        corrected += o && !strcmp(o, "corrected");
        prefers_spoken += cJSON_GetObjectItem(c, "log_odds_spoken")->valuedouble > 0;
    }
    cJSON *sum = cJSON_CreateObject();
    cJSON_AddNumberToObject(sum, "clips", n);
    cJSON_AddNumberToObject(sum, "as_spoken", spoken);
    cJSON_AddNumberToObject(sum, "corrected", corrected);
    cJSON_AddNumberToObject(sum, "prefers_spoken_form", prefers_spoken);
    return sum;
}
