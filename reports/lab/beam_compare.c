/* greedy_vs_beam.json: does beam search (5 beams) change the transcript, and how do the
 * sequences score? */
#include "beam_compare.h"

#include <stdlib.h>
#include <string.h>

static double sum_logprob(const wl_result *r)
{
    double s = 0;
    for (int i = 0; i < r->n_steps; i++) s += r->steps[i].logprob;
    return s;
}

static cJSON *side(const wl_session *s, const wl_result *r, const char *score_name)
{
    cJSON *o = cJSON_CreateObject();
    char *t = wl_detokenize(s->tok, r->tokens, r->n_tokens, WL_DECODE_SKIP_SPECIAL);
    const char *a = t ? t : "";
    while (*a == ' ') a++; /* the decoded text begins with the first token's space */
    cJSON_AddStringToObject(o, "text", a);
    free(t);
    cJSON_AddNumberToObject(o, "tokens", r->n_steps);
    cJSON_AddItemToObject(o, "sum_logprob", wl_json_number(sum_logprob(r), 6));
    cJSON_AddItemToObject(o, score_name, wl_json_number(r->score, 6));
    return o;
}

cJSON *lab_greedy_vs_beam(const wl_session *s, const lab_clip *c)
{
    const wl_result *g = c->greedy, *b = c->beam;
    int differ = g->n_tokens != b->n_tokens || memcmp(g->tokens, b->tokens, sizeof *g->tokens * (size_t)g->n_tokens);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddBoolToObject(e, "differ", differ);
    /* greedy's score is the mean step log-prob; beam's is HF's sequences_scores (sum over
     * generated length ^ length_penalty) */
    cJSON_AddItemToObject(e, "greedy", side(s, g, "mean_logprob"));
    cJSON_AddItemToObject(e, "beam", side(s, b, "score"));
    return e;
}

cJSON *lab_greedy_vs_beam_summary(const cJSON *clips)
{
    int n = 0, differ = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, clips) n++, differ += cJSON_IsTrue(cJSON_GetObjectItem(c, "differ"));
    cJSON *sum = cJSON_CreateObject();
    cJSON_AddNumberToObject(sum, "clips", n);
    cJSON_AddNumberToObject(sum, "differ", differ);
    return sum;
}
