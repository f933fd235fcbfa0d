/* transcriptions.json, tokens.json and wer.json: what was decoded, token by token, and its WER. */
#include "transcript.h"
#include "../tools/normalise.h"
#include "../tools/wer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The decoded text without special tokens, whitespace trimmed. */
static char *plain_text(const wl_session *s, const wl_result *r)
{
    char *t = wl_detokenize(s->tok, r->tokens, r->n_tokens, WL_DECODE_SKIP_SPECIAL);
    if (!t) return NULL;
    char *a = t;
    while (*a == ' ') a++;
    size_t n = strlen(a);
    while (n && (a[n - 1] == ' ' || a[n - 1] == '\n')) n--;
    memmove(t, a, n);
    t[n] = 0;
    return t;
}

static cJSON *token_ids(const wl_result *r)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < r->n_steps; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(r->steps[i].token));
    return a;
}

static cJSON *token_probs(const wl_result *r)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < r->n_steps; i++) cJSON_AddItemToArray(a, wl_json_number(exp(r->steps[i].logprob), 6));
    return a;
}

static double clip_wer(const char *ref, const wl_session *s, const wl_result *r)
{
    char *hyp = plain_text(s, r);
    wer_counts c = {0};
    int rc = hyp ? wer_text(ref, hyp, &c) : -1;
    free(hyp);
    return rc ? NAN : wer_rate(&c);
}

/* A decode's text, its WER against the sentence, its tokens and their probabilities into o. */
static void add_decode(cJSON *o, const wl_session *s, const lab_clip *c, const wl_result *r)
{
    char *text = plain_text(s, r);
    cJSON_AddStringToObject(o, "predicted", text ? text : "");
    cJSON_AddItemToObject(o, "wer", wl_json_number(clip_wer(c->sentence, s, r), 4));
    cJSON_AddItemToObject(o, "tokens", token_ids(r));
    cJSON_AddItemToObject(o, "token_probs", token_probs(r));
    free(text);
}

cJSON *lab_transcription(const wl_session *s, const lab_clip *c)
{
    cJSON *e = cJSON_CreateObject(), *ts = cJSON_CreateArray(), *beam = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "expected", c->sentence);
    if (c->correct) cJSON_AddStringToObject(e, "correct", c->correct);
    add_decode(e, s, c, c->greedy);
    /* timestamps: the pieces between timestamp tokens of the timestamped greedy decode */
    wl_text_piece *p;
    int np = wl_text_pieces(s->tok, c->stamped->tokens, c->stamped->n_tokens, &p);
    for (int i = 0; i < np; i++) {
        cJSON *g = cJSON_CreateObject();
        cJSON_AddItemToObject(g, "start", wl_json_number(p[i].start, 2));
        cJSON_AddItemToObject(g, "end", wl_json_number(p[i].end, 2));
        cJSON_AddStringToObject(g, "text", p[i].text);
        cJSON_AddItemToArray(ts, g);
    }
    if (np > 0) wl_text_pieces_free(p, np);
    cJSON_AddItemToObject(e, "timestamps", ts);
    add_decode(beam, s, c, c->beam);
    cJSON_AddItemToObject(beam, "score", wl_json_number(c->beam->score, 6));
    cJSON_AddItemToObject(e, "beam", beam);
    return e;
}

cJSON *lab_tokens(const wl_session *s, const lab_clip *c)
{
    cJSON *e = cJSON_CreateObject(), *prompt = cJSON_CreateArray();
    for (int i = 0; i < c->greedy->n_prompt; i++) cJSON_AddItemToArray(prompt, cJSON_CreateNumber(c->greedy->tokens[i]));
    cJSON_AddItemToObject(e, "prompt", prompt);
    cJSON_AddItemToObject(e, "greedy", wl_steps_json(s->tok, c->greedy, 1, 6));
    cJSON_AddItemToObject(e, "timestamped", wl_steps_json(s->tok, c->stamped, 0, 6));
    cJSON_AddItemToObject(e, "beam", wl_steps_json(s->tok, c->beam, 0, 6));
    return e;
}

static void add_counts(cJSON *e, const wer_counts *w)
{
    cJSON_AddNumberToObject(e, "ref_words", w->ref_words);
    cJSON_AddNumberToObject(e, "hyp_words", w->hyp_words);
    cJSON_AddNumberToObject(e, "substitutions", w->subs);
    cJSON_AddNumberToObject(e, "deletions", w->dels);
    cJSON_AddNumberToObject(e, "insertions", w->ins);
    cJSON_AddItemToObject(e, "wer", wl_json_number(wer_rate(w), 4));
}

cJSON *lab_wer(const wl_session *s, const lab_clip *c)
{
    char *hyp = plain_text(s, c->greedy), *nr = normalise_text(c->sentence), *nh = hyp ? normalise_text(hyp) : NULL;
    wer_counts w = {0};
    cJSON *e = NULL;
    if (nr && nh && !wer_count(nr, nh, &w)) {
        e = cJSON_CreateObject();
        cJSON_AddBoolToObject(e, "grammar_error", c->correct != NULL);
        cJSON_AddStringToObject(e, "reference", nr);
        cJSON_AddStringToObject(e, "hypothesis", nh);
        add_counts(e, &w);
        if (c->correct && !wer_text(c->correct, hyp, &w)) /* against the grammatical sentence */
            cJSON_AddItemToObject(e, "wer_vs_correct", wl_json_number(wer_rate(&w), 4));
    }
    free(hyp), free(nr), free(nh);
    return e;
}

/* Corpus WER (all edits over all reference words) of the lab clips and of the error clips. */
cJSON *lab_wer_summary(const cJSON *clips)
{
    cJSON *sum = cJSON_CreateObject();
    for (int g = 0; g < 2; g++) {
        wer_counts t = {0};
        int n = 0, exact = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, clips)
        {
            if (cJSON_IsTrue(cJSON_GetObjectItem(e, "grammar_error")) != g) continue;
            t.ref_words += cJSON_GetObjectItem(e, "ref_words")->valueint;
            t.hyp_words += cJSON_GetObjectItem(e, "hyp_words")->valueint;
            t.subs += cJSON_GetObjectItem(e, "substitutions")->valueint;
            t.dels += cJSON_GetObjectItem(e, "deletions")->valueint;
            t.ins += cJSON_GetObjectItem(e, "insertions")->valueint;
            exact += cJSON_GetObjectItem(e, "wer")->valuedouble == 0;
            n++;
        }
        cJSON *o = cJSON_AddObjectToObject(sum, g ? "grammar_errors" : "lab");
        cJSON_AddNumberToObject(o, "clips", n);
        cJSON_AddNumberToObject(o, "exact", exact);
        add_counts(o, &t);
    }
    return sum;
}
