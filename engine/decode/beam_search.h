/* Beam search (internal), as GU:_beam_search with BS:BeamSearchScorer and BS:BeamHypotheses. */
#ifndef WL_BEAM_SEARCH_H
#define WL_BEAM_SEARCH_H

#include "search.h"

/* A finished hypothesis, and the best `beams` of them kept. */
typedef struct {
    path p;
    double score; /* length-normalised */
} hyp;

typedef struct {
    hyp *h; /* [beams + 1] */
    int n, beams;
    double worst;
} hyp_list;

/* BeamHypotheses.add: keeps the best `beams` finished hypotheses (p scored sum / generated ^
 * length_penalty); on overflow drops the worst. */
void wl_hyps_add(const search *s, hyp_list *L, const path *p, double sum, int generated);

/* BeamHypotheses.is_done with early_stopping True or False. */
int wl_hyps_done(const search *s, const hyp_list *L, double best_sum, int cur_len);

/* The beams of a search in progress. */
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

/* Every beam starts as the prompt whose last logits are `last`; takes the first step. */
wl_status wl_beams_begin(job *j, const float *last, char *err, size_t errlen);
/* Beam b's work on its row of logits (its own part of the state only: rows of several beams and
 * searches run in parallel). */
void wl_beam_row(job *j, int b, const float *logits);
/* One step from each beam's logits (beam b's row at logits + b * stride). */
wl_status wl_beams_step(job *j, const float *logits, size_t stride, char *err, size_t errlen);
void wl_beams_free(job *j);

#endif
