/* Beam search: B beams advance together; each step keeps the 2B best continuations, finished
 * ones join the length-normalised hypotheses, and the best hypothesis wins. */
#include "beam_search.h"

#include "../base/util.h"
#include "../kernels/parallel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* BeamHypotheses.add: keep the best `beams` finished hypotheses; on overflow drop the worst
 * (the first of the lowest score). */
void wl_hyps_add(const search *s, hyp_list *L, const path *p, double sum, int generated)
{
    double score = wl_hyp_score(s, sum, generated);
    if (L->n == L->beams && !(score > L->worst)) return;
    wl_path_copy(&L->h[L->n].p, p, generated); /* an end-of-text step is recorded past p's tokens */
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
int wl_hyps_done(const search *s, const hyp_list *L, double best_sum, int cur_len)
{
    if (L->n < L->beams) return 0;
    if (s->cfg->early_stopping) return 1;
    return L->worst >= wl_hyp_score(s, best_sum, cur_len - s->n_prompt);
}

/* Beam b's work on its row of logits (its own parts of the state only): the row in the step's
 * units, its top-5, and its 2B best candidates, row + the beam's score (the sum in float32, as
 * torch adds), by value then by lower token. */
void wl_beam_row(job *j, int b, const float *logits)
{
    const search *s = &j->s;
    beams *bs = j->b;
    const int V = s->V, K = 2 * s->o->beams;
    const path *p = &bs->beam[b];
    float *row = bs->rows + (size_t)b * V;
    wl_step_row(s, p->tok, p->len, logits, row, 1, NULL);
    bs->top[b] = wl_make_step(s, row, 0);
    bs->bn[b] = wl_top_k(row, p->score, V, K, bs->bcand + b * K, bs->bcand_score + b * K);
}

typedef struct {
    job *j;
    const float *logits; /* beam b's row at logits + b * stride */
    size_t stride;
} beam_rows_job;

static void beam_rows(void *p, int b0, int b1)
{
    const beam_rows_job *r = p;
    for (int b = b0; b < b1; b++) wl_beam_row(r->j, b, r->logits + b * r->stride);
}

/* Frees a beam search's state and every decoder but the job's own (which sits in dec[] or
 * next_dec[] after the swaps). */
void wl_beams_free(job *j)
{
    beams *b = j->b;
    if (!b) return;
    const int B = j->s.o->beams;
    for (int i = 0; i < B; i++) {
        if (b->dec && b->dec[i] != j->dec) wl_decoder_free(b->dec[i]);
        if (b->next_dec && b->next_dec[i] != j->dec) wl_decoder_free(b->next_dec[i]);
        if (b->beam) wl_path_free(&b->beam[i]);
        if (b->next) wl_path_free(&b->next[i]);
    }
    for (int h = 0; b->L.h && h <= B; h++) wl_path_free(&b->L.h[h].p);
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
        wl_hyps_add(s, &b->L, &b->beam[i], (double)b->beam[i].score, b->beam[i].len - s->n_prompt);
    int best = 0;
    for (int h = 1; h < b->L.n; h++)
        if (b->L.h[h].score >= b->L.h[best].score) best = h;
    const path *w = &b->L.h[best].p;
    wl_path_copy(&j->p, w, w->len - s->n_prompt + (w->len < s->max_len));
    if (w->len < s->max_len) j->p.tok[j->p.len++] = s->cfg->eos;
    j->p.score = (float)b->L.h[best].score;
}

/* One step of beam search (GU:_beam_search) from each beam's logits (beam b's row at
 * logits + b * stride). */
wl_status wl_beams_step(job *j, const float *logits, size_t stride, char *err, size_t errlen)
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
            wl_hyps_add(s, &bs->L, &beam[b], (double)cand_score[r], bs->cur_len + 1 - s->n_prompt);
            continue;
        }
        wl_path_copy(&next[n_next], &beam[b], beam[b].len - s->n_prompt);
        next[n_next].steps[next[n_next].len - s->n_prompt] = stp;
        next[n_next].tok[next[n_next].len++] = v;
        next[n_next].score = cand_score[r];
        bs->parent[n_next++] = b;
    }
    bs->done = wl_hyps_done(s, &bs->L, (double)cand_score[0], bs->cur_len + 1);
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
wl_status wl_beams_begin(job *j, const float *last, char *err, size_t errlen)
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
        if (wl_path_init(&b->beam[i], j->s.max_len) || wl_path_init(&b->next[i], j->s.max_len)) st = WL_ERR_NOMEM;
    for (int h = 0; !st && h <= B; h++)
        if (wl_path_init(&b->L.h[h].p, j->s.max_len)) st = WL_ERR_NOMEM;
    if (st) return wl_fail(err, errlen, "beam search: out of memory"), st;
    for (int i = 0; !st && i < B; i++) {
        wl_path_copy(&b->beam[i], &j->p, 0);
        b->beam[i].score = i ? -1e9f : 0;
        b->dec[i] = j->dec;
        if (i) st = wl_decoder_fork(j->dec, &b->dec[i], err, errlen);
        if (!st) st = wl_decoder_fork(j->dec, &b->next_dec[i], err, errlen);
    }
    b->cur_len = j->p.len;
    return st ? st : wl_beams_step(j, last, 0, err, errlen); /* every beam's row is the prompt's last */
}
