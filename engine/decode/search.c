/* How tokens are chosen, as HF's generate() chooses them for a short-form clip: the steps the
 * greedy and beam paths share, the single path (greedy, or a forced path that follows given
 * tokens, for parity checks), and a search's setup and result. What may be chosen is
 * logits_process.c's business; the ranking of finished hypotheses is wl_hyp_score(). */
#include "search.h"

#include "../base/util.h"
#include "../kernels/vmath.h"
#include "../model/gen_config.h"
#include "logits_process.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int wl_path_init(path *p, int max_len)
{
    p->tok = malloc((size_t)max_len * sizeof *p->tok);
    p->steps = malloc((size_t)max_len * sizeof *p->steps);
    p->len = 0, p->score = 0;
    return p->tok && p->steps ? 0 : -1;
}

void wl_path_free(path *p) { free(p->tok), free(p->steps); }

/* Copies src's tokens and its first n_steps step records. */
void wl_path_copy(path *dst, const path *src, int n_steps)
{
    memcpy(dst->tok, src->tok, (size_t)src->len * sizeof *dst->tok);
    if (n_steps > 0) memcpy(dst->steps, src->steps, (size_t)n_steps * sizeof *dst->steps);
    dst->len = src->len, dst->score = src->score;
}

/* The k best of x[i] + add (a float32 sum) for i < n, NaN skipped, by value, then by lower index
 * (the order argmax and topk agree on): idx[] and val[], best first. Returns how many (< k only
 * when fewer than k are numbers). */
int wl_top_k(const float *x, float add, int n, int k, int *idx, float *val)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (count == k && (i += wl_vfirst_above(x + i, add, n - i, val[k - 1])) >= n) break; /* to the next above */
        float v = x[i] + add;
        if (isnan(v) || (count == k && !(v > val[k - 1]))) continue;
        int j = count < k ? count++ : k - 1;
        for (; j > 0 && val[j - 1] < v; j--) idx[j] = idx[j - 1], val[j] = val[j - 1];
        idx[j] = i, val[j] = v;
    }
    return count;
}

/* The record of choosing token from a row of scores in the step's units. */
wl_step wl_make_step(const search *s, const float *row, int32_t token)
{
    wl_step st = {.token = token, .logprob = row[token], .is_timestamp = s->cfg->timestamp_begin >= 0 &&
                                                                        token >= s->cfg->timestamp_begin};
    int idx[WL_TOP];
    float val[WL_TOP];
    int n = wl_top_k(row, 0.0f, s->V, WL_TOP, idx, val);
    for (int i = 0; i < WL_TOP; i++) /* fewer than 5 numbers (never with a vocabulary): token 0 */
        st.top_id[i] = i < n ? idx[i] : 0, st.top_logprob[i] = row[st.top_id[i]];
    return st;
}

/* Beam scores are normalised by length: BeamHypotheses.add, sum_logprobs / len ** length_penalty,
 * where len counts the generated tokens, end-of-text included. */
double wl_hyp_score(const search *s, double sum, int generated)
{
    return sum / pow((double)generated, s->cfg->length_penalty);
}

/* The step's row in its units, from one row of logits: greedy (GU:_sample) processes the
 * logits and compute_transition_scores(normalize_logits=True) log-softmaxes the processed
 * scores; beam search (GU:_beam_search) log-softmaxes first, then processes, without
 * renormalising. With greedy units, processed (if not NULL) gets the processed scores, whose
 * argmax greedy takes. */
void wl_step_row(const search *s, const int32_t *seq, int len, const float *logits, float *row, int beam_units,
                     float *processed)
{
    memcpy(row, logits, (size_t)s->V * sizeof *row);
    if (beam_units) wl_log_softmax(row, s->V);
    wl_process_logits(&s->proc, seq, len, row);
    if (processed) memcpy(processed, row, (size_t)s->V * sizeof *row);
    if (!beam_units) wl_log_softmax(row, s->V);
}

int wl_argmax(const float *x, int n)
{
    int best = 0; /* torch.argmax: the first maximum (a NaN first stays: nothing is above it) */
    for (int i = 1; i < n && (i += wl_vfirst_above(x + i, 0.0f, n - i, x[best])) < n; i++) best = i;
    return best;
}

/* ---- the single path ----------------------------------------------------------------------- */

/* Appends the cross-attention of the decoder's last feed ([L][H][n][S]) to j->xrows
 * ([row][L][H][S]). Returns 0, or -1 when out of memory. */
static int keep_rows(job *j)
{
    const wl_dims *c = &j->s.d;
    const int L = c->dec_layers, H = c->dec_heads, S = c->n_audio_ctx;
    int n;
    const float *a = wl_decoder_cross_attn(j->dec, &n);
    const size_t per = (size_t)L * H * S, need = (size_t)(j->n_xrows + n) * per;
    if (need > j->xrows_cap) {
        /* room for every row the search can feed (max_len) at once: growing by realloc copied
         * the rows kept so far again and again (3 % of a lab's decode); pages never reached
         * are never touched */
        size_t most = (size_t)j->s.max_len * per, cap = need > most ? need : most;
        float *x = realloc(j->xrows, cap * sizeof *x);
        if (!x) return -1;
        j->xrows = x, j->xrows_cap = cap;
    }
    for (int l = 0; l < L; l++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < n; i++)
                memcpy(j->xrows + ((size_t)(j->n_xrows + i) * L + l) * H * S + (size_t)h * S,
                       a + (((size_t)l * H + h) * n + i) * S, (size_t)S * sizeof *a);
    j->n_xrows += n;
    return 0;
}

static int single_done(const job *j)
{
    const search *s = &j->s;
    return j->p.len >= s->max_len || (s->o->forced && j->t >= s->o->n_forced);
}

/* The single path's work on its row of logits (its own buffers only): the row in the step's
 * units, the token chosen and its record. */
void wl_single_row(job *j, const float *last)
{
    const search *s = &j->s;
    const path *out = &j->p;
    const int forced = s->o->forced != NULL, beam_units = forced && s->o->beams > 1;
    if (single_done(j)) return;
    wl_step_row(s, out->tok, out->len, last, j->row, beam_units, beam_units ? NULL : j->tmp);
    j->pick = forced ? s->o->forced[j->t] : wl_argmax(j->tmp, s->V);
    if (j->pick >= 0 && j->pick < s->V) j->pick_step = wl_make_step(s, j->row, j->pick);
}

/* One step of greedy search, or of the forced path (opts->forced) in greedy or beam units, from
 * the logits of the last token fed. Stops after end-of-text or at max_len (GU:_sample with its
 * stopping criteria). */
wl_status wl_single_step(job *j, const float *last, char *err, size_t errlen)
{
    const search *s = &j->s;
    path *out = &j->p;
    const int forced = s->o->forced != NULL;
    j->n_feed = 0;
    if (!s->o->no_cross_attn && keep_rows(j)) return wl_fail(err, errlen, "generate: out of memory"), WL_ERR_NOMEM;
    if (single_done(j)) return WL_OK;
    if (!j->ready) wl_single_row(j, last);
    j->ready = 0;
    int32_t tok = j->pick;
    if (tok < 0 || tok >= s->V)
        return wl_fail(err, errlen, "generate: forced token %d is outside the vocabulary", tok), WL_ERR_INPUT;
    out->steps[j->t++] = j->pick_step;
    out->score += j->row[tok];
    out->tok[out->len++] = tok;
    if ((!forced && tok == s->cfg->eos) || out->len == s->max_len || (forced && j->t == s->o->n_forced)) return WL_OK;
    j->n_feed = 1, j->feed_dec = &j->dec, j->feed_tok = &out->tok[out->len - 1];
    return WL_OK;
}

/* ---- a search's setup and result ---------------------------------------------------------- */

/* The prompt of GW:_retrieve_init_tokens: <|notimestamps|> ends it unless timestamps are on. */
static int build_prompt(search *s)
{
    const wl_gen_config *c = s->cfg;
    if (c->n_prompt + 1 > (int)(sizeof s->prompt / sizeof *s->prompt)) return -1;
    memcpy(s->prompt, c->prompt, (size_t)c->n_prompt * sizeof *s->prompt);
    s->n_prompt = c->n_prompt;
    int ends_nots = s->prompt[s->n_prompt - 1] == c->no_timestamps;
    if (!s->o->timestamps && c->no_timestamps >= 0 && !ends_nots) s->prompt[s->n_prompt++] = c->no_timestamps;
    if (s->o->timestamps && ends_nots) s->n_prompt--;
    return 0;
}

/* Checks a search's options against the model and configuration; fills in its prompt, length
 * limit and logits processors. */
wl_status wl_search_prepare(search *s, int beam_search, char *err, size_t errlen)
{
    const wl_dims *c = &s->d;
    const wl_gen_config *cfg = s->cfg;
    const wl_gen_opts *o = s->o;
    if (o->beams < 1) return wl_fail(err, errlen, "generate: beams must be at least 1"), WL_ERR_INPUT;
    if (beam_search && o->forced) return wl_fail(err, errlen, "generate: forced tokens need the single path"), WL_ERR_INPUT;
    if (cfg->is_multilingual)
        return wl_fail(err, errlen, "generate: multilingual models need language detection, which whisperlab "
                                    "does not do (English-only models only)"), WL_ERR_INPUT;
    if (o->timestamps && (cfg->no_timestamps < 0 || cfg->timestamp_begin >= s->V))
        return wl_fail(err, errlen, "generate: timestamps need no_timestamps_token_id in generation_config.json"),
               WL_ERR_INPUT;
    if (o->token_timestamps && o->no_cross_attn)
        return wl_fail(err, errlen, "generate: token timestamps need the cross-attention (no_cross_attn is set)"),
               WL_ERR_INPUT;
    if (o->token_timestamps && cfg->n_alignment_heads == 0)
        return wl_fail(err, errlen, "generate: token timestamps need alignment_heads in generation_config.json"),
               WL_ERR_INPUT;
    int head = wl_alignment_head_outside(cfg, c->dec_layers, c->dec_heads);
    if (head >= 0)
        return wl_fail(err, errlen, "generate: alignment head (%d, %d) is outside the decoder",
                       cfg->alignment_heads[2 * head], cfg->alignment_heads[2 * head + 1]), WL_ERR_INPUT;
    if (build_prompt(s)) return wl_fail(err, errlen, "generate: the prompt is too long"), WL_ERR_INPUT;
    for (int i = 0; i < s->n_prompt; i++)
        if (s->prompt[i] < 0 || s->prompt[i] >= s->V)
            return wl_fail(err, errlen, "generate: prompt token %d is outside the vocabulary", s->prompt[i]), WL_ERR_INPUT;
    /* max_new_tokens counts after the prompt; max_length includes it (GU:_prepare_generated_length) */
    s->max_len = o->max_new_tokens > 0 ? s->n_prompt + o->max_new_tokens : cfg->max_length;
    if (s->max_len > c->n_text_ctx || s->max_len <= s->n_prompt)
        return wl_fail(err, errlen, "generate: %d tokens (prompt %d + new) do not fit the %d-position decoder",
                       s->max_len, s->n_prompt, c->n_text_ctx), WL_ERR_INPUT;
    s->proc = (wl_processors){cfg, o->timestamps, s->n_prompt, s->V};
    return WL_OK;
}

/* Makes the search's decoder, feeds its prompt and takes the first step. */
wl_status wl_job_begin(job *j, const float *enc_out, char *err, size_t errlen)
{
    const search *s = &j->s;
    j->row = malloc((size_t)s->V * sizeof *j->row), j->tmp = malloc((size_t)s->V * sizeof *j->tmp);
    if (!j->row || !j->tmp || wl_path_init(&j->p, s->max_len))
        return wl_fail(err, errlen, "generate: out of memory"), WL_ERR_NOMEM;
    memcpy(j->p.tok, s->prompt, (size_t)s->n_prompt * sizeof *j->p.tok);
    j->p.len = s->n_prompt;
    return wl_decoder_new(s->st, enc_out, &j->dec, err, errlen);
}

/* r->cross_attn [R][layers][heads][S] for beam search, whose rows the reordering of beams
 * scatters: one teacher-forced pass over the final tokens, where causal attention makes each row
 * what the search saw at that step. The pass feeds WL_STEP_ROWS tokens a call, so its rows take
 * the few-row kernels of the search's own steps (a row's numbers do not depend on how many come
 * together), and no call holds the cross-attention of the whole sequence beside the result's
 * (64.5 MB each for 448 tokens of tiny.en). */
static wl_status final_attention(wl_decoder *dec, wl_result *r, char *err, size_t errlen)
{
    const int R = r->n_tokens - 1, L = r->layers, H = r->heads, S = r->n_audio_ctx;
    r->cross_attn = malloc((size_t)(R > 0 ? R : 1) * L * H * S * sizeof *r->cross_attn);
    if (!r->cross_attn) return wl_fail(err, errlen, "generate: out of memory"), WL_ERR_NOMEM;
    wl_decoder_reset(dec);
    wl_status st = WL_OK;
    for (int i0 = 0; !st && i0 < R; i0 += WL_STEP_ROWS) {
        int n = R - i0 < WL_STEP_ROWS ? R - i0 : WL_STEP_ROWS, got;
        st = wl_decoder_feed(dec, r->tokens + i0, n, NULL, err, errlen);
        const float *a = st ? NULL : wl_decoder_cross_attn(dec, &got);
        for (int l = 0; a && l < L; l++) /* [L][H][n][S] -> rows i0.. of [R][L][H][S] */
            for (int h = 0; h < H; h++)
                for (int i = 0; i < n; i++)
                    memcpy(r->cross_attn + (((size_t)(i0 + i) * L + l) * H + h) * S,
                           a + (((size_t)l * H + h) * n + i) * S, (size_t)S * sizeof *a);
    }
    return st;
}

void wl_result_free(wl_result *r)
{
    if (!r) return;
    free(r->tokens), free(r->steps), free(r->token_time), free(r->cross_attn);
    free(r);
}

/* The finished search as a result: its tokens, steps and score, the cross-attention of its
 * tokens and, if asked, their timestamps. */
wl_status wl_job_result(job *j, wl_result **out, char *err, size_t errlen)
{
    const search *s = &j->s;
    const wl_dims *c = &s->d;
    const wl_gen_opts *o = s->o;
    wl_result *r = calloc(1, sizeof *r);
    if (!r) return wl_fail(err, errlen, "generate: out of memory"), WL_ERR_NOMEM;
    path *p = &j->p;
    r->n_tokens = p->len, r->n_prompt = s->n_prompt, r->n_steps = p->len - s->n_prompt;
    r->tokens = p->tok, r->steps = p->steps, p->tok = NULL, p->steps = NULL;
    /* beam: sequences_scores (a forced path scored as a finished beam); greedy: the mean log-prob */
    int n = r->n_steps > 0 ? r->n_steps : 1;
    if (j->beam_search) r->score = (double)p->score;
    else if (o->beams > 1) r->score = (float)wl_hyp_score(s, (double)p->score, n);
    else r->score = (double)p->score / n;
    r->layers = c->dec_layers, r->heads = c->dec_heads, r->n_audio_ctx = c->n_audio_ctx;
    wl_status st = WL_OK;
    if (o->no_cross_attn) r->cross_attn = NULL;
    else if (j->beam_search) st = final_attention(j->dec, r, err, errlen);
    else /* every token but the last was fed, and its row kept */
        r->cross_attn = j->xrows, j->xrows = NULL;
    if (!st && o->token_timestamps) {
        r->token_time = malloc((size_t)r->n_tokens * sizeof *r->token_time);
        if (!r->token_time || wl_token_timestamps(r->cross_attn, r->n_tokens - 1, r->layers, r->heads,
                                                  r->n_audio_ctx, s->cfg, o->num_frames,
                                                  c->seconds_per_position, r->token_time))
            st = WL_ERR_NOMEM, wl_fail(err, errlen, "generate: out of memory");
    }
    if (st) wl_result_free(r);
    else *out = r;
    return st;
}
