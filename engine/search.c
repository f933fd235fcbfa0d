/* How tokens are chosen, as HF's generate() chooses them for a short-form clip: greedy
 * (GU:_sample without sampling) and beam search (GU:_beam_search with BS:BeamSearchScorer and
 * BS:BeamHypotheses), plus a forced path that follows given tokens (parity checks). What may be
 * chosen is logits_process.c's business; the ranking of finished hypotheses is hyp_score().
 * Tags: GU = generation/utils.py, BS = generation/beam_search.py, GW = generation_whisper.py. */
#include "search.h"
#include "parallel.h"
#include "logits_process.h"
#include "model.h"
#include "util.h"
#include "whisperlab.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    wl_model *m;
    const wl_gen_config *cfg;
    const wl_gen_opts *o;
    wl_processors proc;
    int V, n_prompt, max_len;
    int32_t prompt[64];
} search;

/* A partial sequence: tokens (prompt included) and one record per generated token. */
typedef struct {
    int32_t *tok; /* [max_len] */
    wl_step *steps; /* [max_len] */
    int len;
    float score;  /* beam: the sum of its log-probs, float32 as HF's beam_scores */
} path;

static int path_init(path *p, int max_len)
{
    p->tok = malloc((size_t)max_len * sizeof *p->tok);
    p->steps = malloc((size_t)max_len * sizeof *p->steps);
    p->len = 0, p->score = 0;
    return p->tok && p->steps ? 0 : -1;
}

static void path_free(path *p) { free(p->tok), free(p->steps); }

/* Copies src's tokens and its first n_steps step records. */
static void path_copy(path *dst, const path *src, int n_steps)
{
    memcpy(dst->tok, src->tok, (size_t)src->len * sizeof *dst->tok);
    if (n_steps > 0) memcpy(dst->steps, src->steps, (size_t)n_steps * sizeof *dst->steps);
    dst->len = src->len, dst->score = src->score;
}

/* The k best of x[0..n) by value, then by lower index (the order argmax and topk agree on). */
static void top_k(const float *x, int n, int k, int *idx)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(x[i]) || (count == k && !(x[i] > x[idx[k - 1]]))) continue;
        int j = count < k ? count++ : k - 1;
        for (; j > 0 && x[idx[j - 1]] < x[i]; j--) idx[j] = idx[j - 1];
        idx[j] = i;
    }
    for (; count < k; count++) idx[count] = 0; /* fewer than k numbers: never happens with a vocabulary */
}

/* The record of choosing token from a row of scores in the step's units. */
static wl_step make_step(const search *s, const float *row, int32_t token)
{
    wl_step st = {.token = token, .logprob = row[token], .is_timestamp = s->cfg->timestamp_begin >= 0 &&
                                                                        token >= s->cfg->timestamp_begin};
    int idx[WL_TOP];
    top_k(row, s->V, WL_TOP, idx);
    for (int i = 0; i < WL_TOP; i++) st.top_id[i] = idx[i], st.top_logprob[i] = row[idx[i]];
    return st;
}

/* Beam scores are normalised by length: BeamHypotheses.add, sum_logprobs / len ** length_penalty,
 * where len counts the generated tokens, end-of-text included. */
static double hyp_score(const search *s, double sum, int generated)
{
    return sum / pow((double)generated, s->cfg->length_penalty);
}

/* The step's row in its units, from one row of logits: greedy (GU:_sample) processes the
 * logits and compute_transition_scores(normalize_logits=True) log-softmaxes the processed
 * scores; beam search (GU:_beam_search) log-softmaxes first, then processes, without
 * renormalising. With greedy units, processed (if not NULL) gets the processed scores, whose
 * argmax greedy takes. */
static void step_row(const search *s, const int32_t *seq, int len, const float *logits, float *row, int beam_units,
                     float *processed)
{
    memcpy(row, logits, (size_t)s->V * sizeof *row);
    if (beam_units) wl_log_softmax(row, s->V);
    wl_process_logits(&s->proc, seq, len, row);
    if (processed) memcpy(processed, row, (size_t)s->V * sizeof *row);
    if (!beam_units) wl_log_softmax(row, s->V);
}

static int argmax(const float *x, int n)
{
    int best = 0; /* torch.argmax: the first maximum */
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

/* Greedy search, or the forced path (opts->forced) in greedy or beam units. Stops after
 * end-of-text or at max_len (GU:_sample with its stopping criteria). */
static wl_status run_single(search *s, wl_decoder *dec, path *out, float *logits, float *row, float *tmp,
                            char *err, size_t errlen)
{
    const int forced = s->o->forced != NULL, beam_units = forced && s->o->beams > 1;
    wl_status st = wl_decoder_feed(dec, out->tok, out->len, logits, err, errlen);
    const float *last = logits + (size_t)(out->len - 1) * s->V; /* the prompt's last row */
    for (int t = 0; !st && out->len < s->max_len && (!forced || t < s->o->n_forced); t++) {
        step_row(s, out->tok, out->len, last, row, beam_units, beam_units ? NULL : tmp);
        int32_t tok = forced ? s->o->forced[t] : argmax(tmp, s->V);
        if (tok < 0 || tok >= s->V)
            return wl_fail(err, errlen, "generate: forced token %d is outside the vocabulary", tok), WL_ERR_INPUT;
        out->steps[t] = make_step(s, row, tok);
        out->score += row[tok];
        out->tok[out->len++] = tok;
        if ((!forced && tok == s->cfg->eos) || out->len == s->max_len || (forced && t + 1 == s->o->n_forced)) break;
        st = wl_decoder_feed(dec, &tok, 1, logits, err, errlen);
        last = logits;
    }
    return st;
}

/* ---- beam search ------------------------------------------------------------------------ */

typedef struct {
    path p;
    double score; /* length-normalised */
} hyp;

typedef struct {
    hyp *h; /* [beams + 1] */
    int n, beams;
    double worst;
} hyp_list;

/* BeamHypotheses.add: keep the best `beams` finished hypotheses; on overflow drop the worst
 * (the first of the lowest score). */
static void hyps_add(const search *s, hyp_list *L, const path *p, double sum, int generated)
{
    double score = hyp_score(s, sum, generated);
    if (L->n == L->beams && !(score > L->worst)) return;
    path_copy(&L->h[L->n].p, p, generated); /* an end-of-text step is recorded past p's tokens */
    L->h[L->n++].score = score;
    if (L->n > L->beams) {
        int lo = 0;
        for (int i = 1; i < L->n; i++)
            if (L->h[i].score < L->h[lo].score) lo = i;
        hyp gone = L->h[lo];
        memmove(&L->h[lo], &L->h[lo + 1], (size_t)(L->n - lo - 1) * sizeof *L->h);
        L->h[--L->n] = gone; /* keep its buffers for reuse */
        L->worst = L->h[0].score;
        for (int i = 1; i < L->n; i++) L->worst = fmin(L->worst, L->h[i].score);
    } else {
        L->worst = fmin(score, L->worst);
    }
}

/* BeamHypotheses.is_done with early_stopping True or False (the heuristic: the best running
 * candidate, normalised at the current length, cannot beat the worst kept hypothesis). */
static int hyps_done(const search *s, const hyp_list *L, double best_sum, int cur_len)
{
    if (L->n < L->beams) return 0;
    if (s->cfg->early_stopping) return 1;
    return L->worst >= hyp_score(s, best_sum, cur_len - s->n_prompt);
}

typedef struct {
    const search *s;
    const path *beam;
    float *rows, *tmp;
    wl_step *top;
} beam_rows_job;

/* Beams [b0, b1): their rows of logits to the step's units, and their top-5. */
static void beam_rows(void *p, int b0, int b1)
{
    const beam_rows_job *j = p;
    const size_t V = (size_t)j->s->V;
    for (int b = b0; b < b1; b++) {
        float *row = j->rows + b * V, *tmp = j->tmp + b * V;
        memcpy(tmp, row, V * sizeof *tmp);
        step_row(j->s, j->beam[b].tok, j->beam[b].len, tmp, row, 1, NULL);
        j->top[b] = make_step(j->s, row, 0);
    }
}

static wl_status run_beams(search *s, wl_decoder *dec0, path *out, float *logits, char *err, size_t errlen)
{
    const int B = s->o->beams, V = s->V, K = 2 * B; /* HF keeps 2 candidates per beam (one eos) */
    wl_decoder **dec = calloc((size_t)B, sizeof *dec), **next_dec = calloc((size_t)B, sizeof *next_dec);
    path *beam = calloc((size_t)B, sizeof *beam), *next = calloc((size_t)B, sizeof *next);
    hyp_list L = {calloc((size_t)B + 1, sizeof *L.h), 0, B, 1e9};
    float *rows = malloc((size_t)B * V * sizeof *rows), *cand_score = malloc((size_t)K * sizeof *cand_score);
    float *btmp = malloc((size_t)B * V * sizeof *btmp);
    int *cand = malloc((size_t)K * sizeof *cand), *parent = malloc((size_t)B * sizeof *parent);
    wl_step *top = malloc((size_t)B * sizeof *top);
    wl_status st = dec && next_dec && beam && next && L.h && rows && btmp && cand_score && cand && parent && top
                       ? WL_OK : WL_ERR_NOMEM;
    for (int b = 0; !st && b < B; b++)
        if (path_init(&beam[b], s->max_len) || path_init(&next[b], s->max_len)) st = WL_ERR_NOMEM;
    for (int h = 0; !st && h <= B; h++)
        if (path_init(&L.h[h].p, s->max_len)) st = WL_ERR_NOMEM;
    if (st) wl_fail(err, errlen, "beam search: out of memory");

    /* Every beam starts as the prompt; only beam 0 counts at first (beam_scores 0, -1e9, ...). */
    if (!st) st = wl_decoder_feed(dec0, out->tok, out->len, logits, err, errlen);
    for (int b = 0; !st && b < B; b++) {
        path_copy(&beam[b], out, 0);
        beam[b].score = b ? -1e9f : 0;
        memcpy(rows + (size_t)b * V, logits + (size_t)(out->len - 1) * V, (size_t)V * sizeof *rows);
        dec[b] = dec0;
        if (b && !st) st = wl_decoder_fork(dec0, &dec[b], err, errlen);
        if (!st) st = wl_decoder_fork(dec0, &next_dec[b], err, errlen);
    }
    int done = 0, cur_len = out->len;
    while (!st && !done && cur_len < s->max_len) {
        /* log_softmax, then the processors (beams in parallel: each writes only its row), then
         * + the beam's score; the 2B best over all beams */
        beam_rows_job bj = {s, beam, rows, btmp, top};
        wl_parallel_for(B, 1, beam_rows, &bj);
        int nc = 0; /* candidates so far; on equal scores the lower (beam, token) index ranks first */
        for (size_t i = 0; i < (size_t)B * V; i++) {
            float x = rows[i] + beam[i / V].score; /* the sum in float32, as torch adds */
            if (isnan(x) || (nc == K && !(x > cand_score[K - 1]))) continue;
            int j = nc < K ? nc++ : K - 1;
            for (; j > 0 && cand_score[j - 1] < x; j--) cand[j] = cand[j - 1], cand_score[j] = cand_score[j - 1];
            cand[j] = (int)i, cand_score[j] = x;
        }
        /* BeamSearchScorer.process: in rank order, end-of-text in the top B finishes a hypothesis
         * (scored at cur_len + 1, eos included), other tokens fill the next B beams. */
        int n_next = 0;
        for (int r = 0; r < K && n_next < B; r++) {
            int b = cand[r] / V, v = cand[r] % V;
            wl_step stp = top[b];
            stp.token = v, stp.logprob = rows[(size_t)b * V + v];
            stp.is_timestamp = s->cfg->timestamp_begin >= 0 && v >= s->cfg->timestamp_begin;
            if (v == s->cfg->eos) {
                if (r >= B) continue;
                beam[b].steps[beam[b].len - s->n_prompt] = stp; /* the eos step belongs to the hypothesis */
                hyps_add(s, &L, &beam[b], (double)cand_score[r], cur_len + 1 - s->n_prompt);
                continue;
            }
            path_copy(&next[n_next], &beam[b], beam[b].len - s->n_prompt);
            next[n_next].steps[next[n_next].len - s->n_prompt] = stp;
            next[n_next].tok[next[n_next].len++] = v;
            next[n_next].score = cand_score[r];
            parent[n_next++] = b;
        }
        done = hyps_done(s, &L, (double)cand_score[0], cur_len + 1);
        for (int b = 0; b < B; b++) wl_decoder_copy(next_dec[b], dec[parent[b]]);
        for (int b = 0; b < B; b++) {
            wl_decoder *d = dec[b];
            dec[b] = next_dec[b], next_dec[b] = d;
            path p = beam[b];
            beam[b] = next[b], next[b] = p;
        }
        cur_len++;
        if (done || cur_len >= s->max_len) break;
        for (int b = 0; b < B; b++) parent[b] = beam[b].tok[cur_len - 1]; /* reused: the new tokens */
        st = wl_decoder_feed_many(dec, parent, B, rows, err, errlen);
    }
    /* BeamSearchScorer.finalize: unfinished beams join the hypotheses; the best wins (on equal
     * scores the later one, as sorted(...).pop() picks); end-of-text is appended below max_len. */
    for (int b = 0; !st && !done && b < B; b++)
        hyps_add(s, &L, &beam[b], (double)beam[b].score, beam[b].len - s->n_prompt);
    if (!st) {
        int best = 0;
        for (int h = 1; h < L.n; h++)
            if (L.h[h].score >= L.h[best].score) best = h;
        const path *w = &L.h[best].p;
        path_copy(out, w, w->len - s->n_prompt + (w->len < s->max_len));
        if (w->len < s->max_len) out->tok[out->len++] = s->cfg->eos;
        out->score = (float)L.h[best].score;
    }
    /* Free every decoder but the caller's (dec0 sits in dec[] or next_dec[] after the swaps). */
    for (int b = 0; b < B; b++) {
        if (dec && dec[b] != dec0) wl_decoder_free(dec[b]);
        if (next_dec && next_dec[b] != dec0) wl_decoder_free(next_dec[b]);
        if (beam) path_free(&beam[b]);
        if (next) path_free(&next[b]);
    }
    for (int h = 0; L.h && h <= B; h++) path_free(&L.h[h].p);
    free(dec), free(next_dec), free(beam), free(next), free(L.h), free(rows), free(btmp), free(cand_score), free(cand);
    free(parent), free(top);
    return st;
}

/* ---- the public entry ------------------------------------------------------------------- */

void wl_result_free(wl_result *r)
{
    if (!r) return;
    free(r->tokens), free(r->steps), free(r->token_time), free(r->cross_attn);
    free(r);
}

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

/* r->cross_attn [R][layers][heads][S] from one teacher-forced pass over the final tokens:
 * causal attention makes each row what the search saw at that step (up to float rounding). */
static wl_status final_attention(wl_decoder *dec, wl_result *r, char *err, size_t errlen)
{
    const int R = r->n_tokens - 1, L = r->layers, H = r->heads, S = r->n_audio_ctx;
    r->cross_attn = malloc((size_t)(R > 0 ? R : 1) * L * H * S * sizeof *r->cross_attn);
    if (!r->cross_attn) return wl_fail(err, errlen, "generate: out of memory"), WL_ERR_NOMEM;
    wl_decoder_reset(dec);
    wl_status st = R > 0 ? wl_decoder_feed(dec, r->tokens, R, NULL, err, errlen) : WL_OK;
    int n;
    const float *a = R > 0 && !st ? wl_decoder_cross_attn(dec, &n) : NULL;
    for (int l = 0; a && l < L; l++) /* [L][H][R][S] -> [R][L][H][S] */
        for (int h = 0; h < H; h++)
            for (int i = 0; i < R; i++)
                memcpy(r->cross_attn + (((size_t)i * L + l) * H + h) * S, a + (((size_t)l * H + h) * R + i) * S,
                       (size_t)S * sizeof *a);
    return st;
}

wl_status wl_generate(wl_model *m, const wl_gen_config *cfg, const float *enc_out, const wl_gen_opts *o,
                      wl_result **out, char *err, size_t errlen)
{
    return wl_generate_with(m, cfg, enc_out, o, o->beams > 1 && !o->forced, out, err, errlen);
}

wl_status wl_generate_with(wl_model *m, const wl_gen_config *cfg, const float *enc_out, const wl_gen_opts *o,
                           int beam_search, wl_result **out, char *err, size_t errlen)
{
    *out = NULL;
    const wl_config *c = &m->c;
    search s = {.m = m, .cfg = cfg, .o = o, .V = c->n_vocab};
    if (o->beams < 1) return wl_fail(err, errlen, "generate: beams must be at least 1"), WL_ERR_INPUT;
    if (beam_search && o->forced) return wl_fail(err, errlen, "generate: forced tokens need the single path"), WL_ERR_INPUT;
    if (cfg->is_multilingual)
        return wl_fail(err, errlen, "generate: multilingual models need language detection, which whisperlab "
                                    "does not do (English-only models only)"), WL_ERR_INPUT;
    if (o->timestamps && (cfg->no_timestamps < 0 || cfg->timestamp_begin >= s.V))
        return wl_fail(err, errlen, "generate: timestamps need no_timestamps_token_id in generation_config.json"),
               WL_ERR_INPUT;
    if (o->token_timestamps && cfg->n_alignment_heads == 0)
        return wl_fail(err, errlen, "generate: token timestamps need alignment_heads in generation_config.json"),
               WL_ERR_INPUT;
    for (int i = 0; i < cfg->n_alignment_heads; i++)
        if (cfg->alignment_heads[2 * i] >= c->dec_layers || cfg->alignment_heads[2 * i + 1] >= c->dec_heads)
            return wl_fail(err, errlen, "generate: alignment head (%d, %d) is outside the decoder",
                           cfg->alignment_heads[2 * i], cfg->alignment_heads[2 * i + 1]), WL_ERR_INPUT;
    if (build_prompt(&s)) return wl_fail(err, errlen, "generate: the prompt is too long"), WL_ERR_INPUT;
    for (int i = 0; i < s.n_prompt; i++)
        if (s.prompt[i] < 0 || s.prompt[i] >= s.V)
            return wl_fail(err, errlen, "generate: prompt token %d is outside the vocabulary", s.prompt[i]), WL_ERR_INPUT;
    /* max_new_tokens counts after the prompt; max_length includes it (GU:_prepare_generated_length) */
    s.max_len = o->max_new_tokens > 0 ? s.n_prompt + o->max_new_tokens : cfg->max_length;
    if (s.max_len > c->n_text_ctx || s.max_len <= s.n_prompt)
        return wl_fail(err, errlen, "generate: %d tokens (prompt %d + new) do not fit the %d-position decoder",
                       s.max_len, s.n_prompt, c->n_text_ctx), WL_ERR_INPUT;
    s.proc = (wl_processors){cfg, o->timestamps, s.n_prompt, s.V};

    wl_result *r = calloc(1, sizeof *r);
    path p = {0};
    float *logits = malloc((size_t)s.n_prompt * s.V * sizeof *logits); /* the prompt's rows, then one */
    float *row = malloc((size_t)s.V * sizeof *row), *tmp = malloc((size_t)s.V * sizeof *tmp);
    wl_decoder *dec = NULL;
    wl_status st = r && logits && row && tmp && !path_init(&p, s.max_len) ? WL_OK : WL_ERR_NOMEM;
    if (st) wl_fail(err, errlen, "generate: out of memory");
    if (!st) st = wl_decoder_new(m, enc_out, &dec, err, errlen);
    if (!st) {
        memcpy(p.tok, s.prompt, (size_t)s.n_prompt * sizeof *p.tok);
        p.len = s.n_prompt;
        st = beam_search ? run_beams(&s, dec, &p, logits, err, errlen)
                         : run_single(&s, dec, &p, logits, row, tmp, err, errlen);
    }
    if (!st) {
        r->n_tokens = p.len, r->n_prompt = s.n_prompt, r->n_steps = p.len - s.n_prompt;
        r->tokens = p.tok, r->steps = p.steps, p.tok = NULL, p.steps = NULL;
        /* beam: sequences_scores (a forced path scored as a finished beam); greedy: the mean log-prob */
        int n = r->n_steps > 0 ? r->n_steps : 1;
        if (beam_search) r->score = (double)p.score;
        else if (o->beams > 1) r->score = (float)hyp_score(&s, (double)p.score, n);
        else r->score = (double)p.score / n;
        r->layers = c->dec_layers, r->heads = c->dec_heads, r->n_audio_ctx = c->n_audio_ctx;
        st = final_attention(dec, r, err, errlen);
    }
    if (!st && o->token_timestamps) {
        r->token_time = malloc((size_t)r->n_tokens * sizeof *r->token_time);
        double per_pos = (double)c->n_samples / c->n_audio_ctx / WL_SAMPLE_RATE; /* 0.02 s for tiny.en */
        if (!r->token_time || wl_token_timestamps(r->cross_attn, r->n_tokens - 1, r->layers, r->heads,
                                                  r->n_audio_ctx, cfg, o->num_frames, per_pos, r->token_time))
            st = WL_ERR_NOMEM, wl_fail(err, errlen, "generate: out of memory");
    }
    wl_decoder_free(dec);
    path_free(&p);
    free(logits), free(row), free(tmp);
    if (st) wl_result_free(r);
    else *out = r;
    return st;
}
