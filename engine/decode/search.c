/* How tokens are chosen, as HF's generate() chooses them for a short-form clip: greedy
 * (GU:_sample without sampling) and beam search (GU:_beam_search with BS:BeamSearchScorer and
 * BS:BeamHypotheses), plus a forced path that follows given tokens (parity checks). What may be
 * chosen is logits_process.c's business; the ranking of finished hypotheses is hyp_score().
 * Tags: GU = generation/utils.py, BS = generation/beam_search.py, GW = generation_whisper.py. */
#include "search.h"

#include "../base/util.h"
#include "../kernels/parallel.h"
#include "../kernels/vmath.h"
#include "logits_process.h"
#include "../model/gen_config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    wl_state *st;
    wl_dims d; /* the model's */
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

/* The k best of x[i] + add (a float32 sum) for i < n, NaN skipped, by value, then by lower index
 * (the order argmax and topk agree on): idx[] and val[], best first. Returns how many (< k only
 * when fewer than k are numbers). */
static int top_k(const float *x, float add, int n, int k, int *idx, float *val)
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
static wl_step make_step(const search *s, const float *row, int32_t token)
{
    wl_step st = {.token = token, .logprob = row[token], .is_timestamp = s->cfg->timestamp_begin >= 0 &&
                                                                        token >= s->cfg->timestamp_begin};
    int idx[WL_TOP];
    float val[WL_TOP];
    int n = top_k(row, 0.0f, s->V, WL_TOP, idx, val);
    for (int i = 0; i < WL_TOP; i++) /* fewer than 5 numbers (never with a vocabulary): token 0 */
        st.top_id[i] = i < n ? idx[i] : 0, st.top_logprob[i] = row[st.top_id[i]];
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
    int best = 0; /* torch.argmax: the first maximum (a NaN first stays: nothing is above it) */
    for (int i = 1; i < n && (i += wl_vfirst_above(x + i, 0.0f, n - i, x[best])) < n; i++) best = i;
    return best;
}

/* ---- a search, one step at a time ----------------------------------------------------------- */

/* A search in progress. After each step it names the rows it wants fed next (n_feed decoders
 * and their tokens); generate_many feeds the rows of every search in one batch and hands each
 * its logits, so the searches over a clip read the weights once per step between them. */
typedef struct beams beams;
typedef struct {
    search s;
    int beam_search;
    path p;            /* greedy: the path so far; then the result */
    wl_decoder *dec;   /* the first decoder; beam search forks the others from it */
    float *row, *tmp;  /* greedy: a step's row in its units, and the processed scores */
    int t;             /* greedy: steps taken */
    beams *b;
    float *xrows;      /* single path: each fed row's cross-attention [row][L][H][S], as its step saw it */
    int n_xrows;
    size_t xrows_cap;  /* floats allocated */
    int n_feed;        /* rows to feed next; 0: finished */
    wl_decoder **feed_dec;
    const int32_t *feed_tok;
    int ready;         /* this step's row work is done (step_rows, for every search at once) */
    int32_t pick;      /* single path: the row work's token and its record */
    wl_step pick_step;
} job;

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
static void single_row(job *j, const float *last)
{
    const search *s = &j->s;
    const path *out = &j->p;
    const int forced = s->o->forced != NULL, beam_units = forced && s->o->beams > 1;
    if (single_done(j)) return;
    step_row(s, out->tok, out->len, last, j->row, beam_units, beam_units ? NULL : j->tmp);
    j->pick = forced ? s->o->forced[j->t] : argmax(j->tmp, s->V);
    if (j->pick >= 0 && j->pick < s->V) j->pick_step = make_step(s, j->row, j->pick);
}

/* One step of greedy search, or of the forced path (opts->forced) in greedy or beam units, from
 * the logits of the last token fed. Stops after end-of-text or at max_len (GU:_sample with its
 * stopping criteria). */
static wl_status single_step(job *j, const float *last, char *err, size_t errlen)
{
    const search *s = &j->s;
    path *out = &j->p;
    const int forced = s->o->forced != NULL;
    j->n_feed = 0;
    if (!s->o->no_cross_attn && keep_rows(j)) return wl_fail(err, errlen, "generate: out of memory"), WL_ERR_NOMEM;
    if (single_done(j)) return WL_OK;
    if (!j->ready) single_row(j, last);
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

struct beams {
    wl_decoder **dec, **next_dec; /* dec[b] holds beam b's tokens; next_dec is the spare set */
    path *beam, *next;
    hyp_list L;
    float *rows, *cand_score;
    int *cand, *parent;
    int32_t *tokens; /* the beams' last tokens, fed next */
    wl_step *top;
    int *bcand, *bn, *at; /* each beam's best candidates [B][2B] (bcand_score), their count, a merge's place */
    float *bcand_score;
    int cur_len, done;
};

/* Beam b's work on its row of logits (its own parts of the state only): the row in the step's
 * units, its top-5, and its 2B best candidates, row + the beam's score (the sum in float32, as
 * torch adds), by value then by lower token. */
static void beam_row(job *j, int b, const float *logits)
{
    const search *s = &j->s;
    beams *bs = j->b;
    const int V = s->V, K = 2 * s->o->beams;
    const path *p = &bs->beam[b];
    float *row = bs->rows + (size_t)b * V;
    step_row(s, p->tok, p->len, logits, row, 1, NULL);
    bs->top[b] = make_step(s, row, 0);
    bs->bn[b] = top_k(row, p->score, V, K, bs->bcand + b * K, bs->bcand_score + b * K);
}

typedef struct {
    job *j;
    const float *logits; /* beam b's row at logits + b * stride */
    size_t stride;
} beam_rows_job;

static void beam_rows(void *p, int b0, int b1)
{
    const beam_rows_job *r = p;
    for (int b = b0; b < b1; b++) beam_row(r->j, b, r->logits + b * r->stride);
}

/* Frees a beam search's state and every decoder but the job's own (which sits in dec[] or
 * next_dec[] after the swaps). */
static void beams_free(job *j)
{
    beams *b = j->b;
    if (!b) return;
    const int B = j->s.o->beams;
    for (int i = 0; i < B; i++) {
        if (b->dec && b->dec[i] != j->dec) wl_decoder_free(b->dec[i]);
        if (b->next_dec && b->next_dec[i] != j->dec) wl_decoder_free(b->next_dec[i]);
        if (b->beam) path_free(&b->beam[i]);
        if (b->next) path_free(&b->next[i]);
    }
    for (int h = 0; b->L.h && h <= B; h++) path_free(&b->L.h[h].p);
    free(b->dec), free(b->next_dec), free(b->beam), free(b->next), free(b->L.h), free(b->rows), free(b->cand_score);
    free(b->cand), free(b->parent), free(b->tokens), free(b->top), free(b->bcand), free(b->bn), free(b->at);
    free(b->bcand_score), free(b);
    j->b = NULL;
}

/* BeamSearchScorer.finalize: unfinished beams join the hypotheses; the best wins (on equal
 * scores the later one, as sorted(...).pop() picks); end-of-text is appended below max_len. */
static void beams_finish(job *j)
{
    const search *s = &j->s;
    beams *b = j->b;
    for (int i = 0; !b->done && i < s->o->beams; i++)
        hyps_add(s, &b->L, &b->beam[i], (double)b->beam[i].score, b->beam[i].len - s->n_prompt);
    int best = 0;
    for (int h = 1; h < b->L.n; h++)
        if (b->L.h[h].score >= b->L.h[best].score) best = h;
    const path *w = &b->L.h[best].p;
    path_copy(&j->p, w, w->len - s->n_prompt + (w->len < s->max_len));
    if (w->len < s->max_len) j->p.tok[j->p.len++] = s->cfg->eos;
    j->p.score = (float)b->L.h[best].score;
}

/* One step of beam search (GU:_beam_search) from each beam's logits (beam b's row at
 * logits + b * stride). */
static wl_status beams_step(job *j, const float *logits, size_t stride, char *err, size_t errlen)
{
    const search *s = &j->s;
    beams *bs = j->b;
    const int B = s->o->beams, V = s->V, K = 2 * B; /* HF keeps 2 candidates per beam (one eos) */
    path *beam = bs->beam, *next = bs->next;
    float *rows = bs->rows, *cand_score = bs->cand_score;
    int *cand = bs->cand;
    j->n_feed = 0;
    /* log_softmax, then the processors, then + the beam's score (beams in parallel, unless
     * step_rows has done it with the other searches' rows) */
    if (!j->ready) {
        beam_rows_job bj = {j, logits, stride};
        wl_parallel_for(B, 1, beam_rows, &bj);
    }
    j->ready = 0;
    /* the 2B best over all beams, merged from each beam's: on equal scores the lower (beam,
     * token) index ranks first */
    int nc = 0;
    for (int b = 0; b < B; b++) bs->at[b] = 0;
    for (; nc < K; nc++) {
        int best = -1;
        for (int b = 0; b < B; b++)
            if (bs->at[b] < bs->bn[b] &&
                (best < 0 || bs->bcand_score[b * K + bs->at[b]] > bs->bcand_score[best * K + bs->at[best]]))
                best = b;
        if (best < 0) break;
        cand[nc] = best * V + bs->bcand[best * K + bs->at[best]];
        cand_score[nc] = bs->bcand_score[best * K + bs->at[best]++];
    }
    /* BeamSearchScorer.process: in rank order, end-of-text in the top B finishes a hypothesis
     * (scored at cur_len + 1, eos included), other tokens fill the next B beams. */
    int n_next = 0;
    for (int r = 0; r < nc && n_next < B; r++) {
        int b = cand[r] / V, v = cand[r] % V;
        wl_step stp = bs->top[b];
        stp.token = v, stp.logprob = rows[(size_t)b * V + v];
        stp.is_timestamp = s->cfg->timestamp_begin >= 0 && v >= s->cfg->timestamp_begin;
        if (v == s->cfg->eos) {
            if (r >= B) continue;
            beam[b].steps[beam[b].len - s->n_prompt] = stp; /* the eos step belongs to the hypothesis */
            hyps_add(s, &bs->L, &beam[b], (double)cand_score[r], bs->cur_len + 1 - s->n_prompt);
            continue;
        }
        path_copy(&next[n_next], &beam[b], beam[b].len - s->n_prompt);
        next[n_next].steps[next[n_next].len - s->n_prompt] = stp;
        next[n_next].tok[next[n_next].len++] = v;
        next[n_next].score = cand_score[r];
        bs->parent[n_next++] = b;
    }
    bs->done = hyps_done(s, &bs->L, (double)cand_score[0], bs->cur_len + 1);
    for (int b = 0; b < B; b++) {
        wl_status st = wl_decoder_copy(bs->next_dec[b], bs->dec[bs->parent[b]], err, errlen);
        if (st) return st;
    }
    for (int b = 0; b < B; b++) {
        wl_decoder *d = bs->dec[b];
        bs->dec[b] = bs->next_dec[b], bs->next_dec[b] = d;
        path p = beam[b];
        beam[b] = next[b], next[b] = p;
    }
    bs->cur_len++;
    if (bs->done || bs->cur_len >= s->max_len) return beams_finish(j), WL_OK;
    for (int b = 0; b < B; b++) bs->tokens[b] = beam[b].tok[bs->cur_len - 1];
    j->n_feed = B, j->feed_dec = bs->dec, j->feed_tok = bs->tokens;
    return WL_OK;
}

/* Every beam starts as the prompt; only beam 0 counts at first (beam_scores 0, -1e9, ...). */
static wl_status beams_begin(job *j, const float *last, char *err, size_t errlen)
{
    const int B = j->s.o->beams, V = j->s.V, K = 2 * B;
    beams *b = j->b = calloc(1, sizeof *b);
    if (!b) return wl_fail(err, errlen, "beam search: out of memory"), WL_ERR_NOMEM;
    b->dec = calloc((size_t)B, sizeof *b->dec), b->next_dec = calloc((size_t)B, sizeof *b->next_dec);
    b->beam = calloc((size_t)B, sizeof *b->beam), b->next = calloc((size_t)B, sizeof *b->next);
    b->L = (hyp_list){calloc((size_t)B + 1, sizeof *b->L.h), 0, B, 1e9};
    b->rows = malloc((size_t)B * V * sizeof *b->rows), b->cand_score = malloc((size_t)K * sizeof *b->cand_score);
    b->cand = malloc((size_t)K * sizeof *b->cand), b->parent = malloc((size_t)B * sizeof *b->parent);
    b->tokens = malloc((size_t)B * sizeof *b->tokens), b->top = malloc((size_t)B * sizeof *b->top);
    b->bcand = malloc((size_t)B * K * sizeof *b->bcand), b->bcand_score = malloc((size_t)B * K * sizeof *b->bcand_score);
    b->bn = malloc((size_t)B * sizeof *b->bn), b->at = malloc((size_t)B * sizeof *b->at);
    wl_status st = b->dec && b->next_dec && b->beam && b->next && b->L.h && b->rows && b->cand_score && b->cand &&
                   b->parent && b->tokens && b->top && b->bcand && b->bcand_score && b->bn && b->at ? WL_OK
                                                                                                : WL_ERR_NOMEM;
    for (int i = 0; !st && i < B; i++)
        if (path_init(&b->beam[i], j->s.max_len) || path_init(&b->next[i], j->s.max_len)) st = WL_ERR_NOMEM;
    for (int h = 0; !st && h <= B; h++)
        if (path_init(&b->L.h[h].p, j->s.max_len)) st = WL_ERR_NOMEM;
    if (st) return wl_fail(err, errlen, "beam search: out of memory"), st;
    for (int i = 0; !st && i < B; i++) {
        path_copy(&b->beam[i], &j->p, 0);
        b->beam[i].score = i ? -1e9f : 0;
        b->dec[i] = j->dec;
        if (i) st = wl_decoder_fork(j->dec, &b->dec[i], err, errlen);
        if (!st) st = wl_decoder_fork(j->dec, &b->next_dec[i], err, errlen);
    }
    b->cur_len = j->p.len;
    return st ? st : beams_step(j, last, 0, err, errlen); /* every beam's row is the prompt's last */
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

/* Checks a search's options against the model and configuration; fills in its prompt, length
 * limit and logits processors. */
static wl_status prepare(search *s, int beam_search, char *err, size_t errlen)
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
static wl_status job_begin(job *j, const float *enc_out, char *err, size_t errlen)
{
    const search *s = &j->s;
    j->row = malloc((size_t)s->V * sizeof *j->row), j->tmp = malloc((size_t)s->V * sizeof *j->tmp);
    if (!j->row || !j->tmp || path_init(&j->p, s->max_len))
        return wl_fail(err, errlen, "generate: out of memory"), WL_ERR_NOMEM;
    memcpy(j->p.tok, s->prompt, (size_t)s->n_prompt * sizeof *j->p.tok);
    j->p.len = s->n_prompt;
    return wl_decoder_new(s->st, enc_out, &j->dec, err, errlen);
}

/* Feeds jobs [0, n)'s prompts, as many together as fit in one batch of few-row products (each
 * job's numbers as if fed alone: wl_decoder_feed_runs), and takes each search's first step from
 * its prompt's last row. */
static wl_status feed_prompts(job *jobs, int n, char *err, size_t errlen)
{
    wl_decoder **decs = malloc((size_t)n * sizeof *decs);
    int *counts = malloc((size_t)n * sizeof *counts);
    int32_t *tokens = malloc((size_t)n * sizeof jobs[0].s.prompt);
    const int V = jobs[0].s.V;
    float *logits = malloc((size_t)n * V * sizeof *logits);
    wl_status st = decs && counts && tokens && logits ? WL_OK : WL_ERR_NOMEM;
    if (st) wl_fail(err, errlen, "generate: out of memory");
    for (int i0 = 0, i1; !st && i0 < n; i0 = i1) {
        int rows = 0;
        for (i1 = i0; i1 < n && (i1 == i0 || rows + jobs[i1].p.len <= WL_STEP_ROWS); i1++) {
            decs[i1 - i0] = jobs[i1].dec, counts[i1 - i0] = jobs[i1].p.len;
            memcpy(tokens + rows, jobs[i1].p.tok, (size_t)jobs[i1].p.len * sizeof *tokens);
            rows += jobs[i1].p.len;
        }
        st = wl_decoder_feed_runs(decs, counts, i1 - i0, tokens, logits, err, errlen);
        for (int i = i0; !st && i < i1; i++) {
            const float *last = logits + (size_t)(i - i0) * V; /* job i's prompt's last row */
            st = jobs[i].beam_search ? beams_begin(&jobs[i], last, err, errlen) : single_step(&jobs[i], last, err, errlen);
        }
    }
    free(decs), free(counts), free(tokens), free(logits);
    return st;
}

/* The finished search as a result: its tokens, steps and score, the cross-attention of its
 * tokens and, if asked, their timestamps. */
static wl_status job_result(job *j, wl_result **out, char *err, size_t errlen)
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
    else if (o->beams > 1) r->score = (float)hyp_score(s, (double)p->score, n);
    else r->score = (double)p->score / n;
    r->layers = c->dec_layers, r->heads = c->dec_heads, r->n_audio_ctx = c->n_audio_ctx;
    wl_status st = WL_OK;
    if (o->no_cross_attn) r->cross_attn = NULL;
    else if (j->beam_search) st = final_attention(j->dec, r, err, errlen);
    else /* every token but the last was fed, and its row kept */
        r->cross_attn = j->xrows, j->xrows = NULL;
    if (!st && o->token_timestamps) {
        r->token_time = malloc((size_t)r->n_tokens * sizeof *r->token_time);
        double per_pos = (double)c->n_samples / c->n_audio_ctx / WL_SAMPLE_RATE; /* 0.02 s for tiny.en */
        if (!r->token_time || wl_token_timestamps(r->cross_attn, r->n_tokens - 1, r->layers, r->heads,
                                                  r->n_audio_ctx, s->cfg, o->num_frames, per_pos, r->token_time))
            st = WL_ERR_NOMEM, wl_fail(err, errlen, "generate: out of memory");
    }
    if (st) wl_result_free(r);
    else *out = r;
    return st;
}

static void job_free(job *j)
{
    beams_free(j);
    wl_decoder_free(j->dec);
    path_free(&j->p);
    free(j->row), free(j->tmp), free(j->xrows);
}

typedef struct {
    job *jobs;
    const int *row_job, *row_k; /* row r of the batch: search row_job[r]'s row row_k[r] */
    const float *logits;
    int V;
} step_rows_job;

/* Rows [r0, r1) of a step's batch: each search's work on its own rows, so that every row of
 * every search is processed in parallel before the searches choose, one after another. */
static void step_rows(void *p, int r0, int r1)
{
    const step_rows_job *w = p;
    for (int r = r0; r < r1; r++) {
        job *j = &w->jobs[w->row_job[r]];
        const float *x = w->logits + (size_t)r * w->V;
        if (j->beam_search) beam_row(j, w->row_k[r], x);
        else single_row(j, x);
    }
}

/* Runs n searches in lockstep: each step feeds the rows every unfinished search asks for as one
 * batch (wl_decoder_feed_many: each row's numbers as if fed alone), works on every row in
 * parallel, then hands each search its rows. beam_search[i] chooses search i's path (NULL: by
 * its options). */
static wl_status generate_many(wl_state *state, const wl_gen_config *cfg, const float *const *enc_out,
                               const wl_gen_opts *o, const int *beam_search, int n, wl_result **out, char *err,
                               size_t errlen)
{
    const wl_dims d = wl_model_dims(wl_state_model(state));
    const int V = d.n_vocab;
    for (int i = 0; i < n; i++) out[i] = NULL;
    if (n < 1) return wl_fail(err, errlen, "generate: %d searches to run", n), WL_ERR_INPUT;
    job *jobs = calloc((size_t)n, sizeof *jobs);
    if (!jobs) return wl_fail(err, errlen, "generate: out of memory"), WL_ERR_NOMEM;
    wl_status st = WL_OK;
    int rows = 0; /* the most rows a step can ask for */
    for (int i = 0; !st && i < n; i++) {
        job *j = &jobs[i];
        j->s = (search){.st = state, .d = d, .cfg = cfg, .o = &o[i], .V = V};
        j->beam_search = beam_search ? beam_search[i] : o[i].beams > 1 && !o[i].forced;
        st = prepare(&j->s, j->beam_search, err, errlen);
        rows += j->beam_search ? o[i].beams : 1;
    }
    for (int i = 0; !st && i < n; i++) st = job_begin(&jobs[i], enc_out[i], err, errlen);
    if (!st) st = feed_prompts(jobs, n, err, errlen);
    wl_decoder **decs = malloc((size_t)rows * sizeof *decs);
    int32_t *tokens = malloc((size_t)rows * sizeof *tokens);
    int *row_job = malloc((size_t)rows * sizeof *row_job), *row_k = malloc((size_t)rows * sizeof *row_k);
    float *logits = malloc((size_t)rows * V * sizeof *logits);
    if (!st && (!decs || !tokens || !row_job || !row_k || !logits))
        st = WL_ERR_NOMEM, wl_fail(err, errlen, "generate: out of memory");
    while (!st) {
        int total = 0;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < jobs[i].n_feed; k++, total++) {
                decs[total] = jobs[i].feed_dec[k], tokens[total] = jobs[i].feed_tok[k];
                row_job[total] = i, row_k[total] = k;
            }
        if (!total) break;
        st = wl_decoder_feed_many(decs, tokens, total, logits, err, errlen);
        if (!st) {
            step_rows_job w = {jobs, row_job, row_k, logits, V};
            wl_parallel_for(total, 1, step_rows, &w);
            for (int i = 0; i < n; i++) jobs[i].ready = jobs[i].n_feed > 0;
        }
        total = 0;
        for (int i = 0; !st && i < n; i++) {
            job *j = &jobs[i];
            int k = j->n_feed;
            const float *x = logits + (size_t)total * V;
            if (k) st = j->beam_search ? beams_step(j, x, (size_t)V, err, errlen) : single_step(j, x, err, errlen);
            total += k;
        }
    }
    for (int i = 0; !st && i < n; i++) st = job_result(&jobs[i], &out[i], err, errlen);
    for (int i = 0; i < n; i++) {
        job_free(&jobs[i]);
        if (st) wl_result_free(out[i]), out[i] = NULL;
    }
    free(jobs), free(decs), free(tokens), free(row_job), free(row_k), free(logits);
    return st;
}

wl_status wl_generate(wl_state *st, const wl_gen_config *cfg, const float *enc_out, const wl_gen_opts *o,
                      wl_result **out, char *err, size_t errlen)
{
    return generate_many(st, cfg, &enc_out, o, NULL, 1, out, err, errlen);
}

wl_status wl_generate_many(wl_state *st, const wl_gen_config *cfg, const float *const *enc_out,
                           const wl_gen_opts *opts, int n, wl_result **out, char *err, size_t errlen)
{
    return generate_many(st, cfg, enc_out, opts, NULL, n, out, err, errlen);
}

wl_status wl_generate_with(wl_state *st, const wl_gen_config *cfg, const float *enc_out, const wl_gen_opts *o,
                           int beam_search, wl_result **out, char *err, size_t errlen)
{
    return generate_many(st, cfg, &enc_out, o, &beam_search, 1, out, err, errlen);
}
