/* A search in progress (internal): one generate() call's options and prompt, the partial
 * sequences it keeps, and the steps its greedy and beam paths share. search.c holds the single
 * path and a search's setup and result, beam_search.c the beams, generate.c runs searches in
 * lockstep. Tags: GU = generation/utils.py, BS = generation/beam_search.py,
 * GW = generation_whisper.py. */
#ifndef WL_SEARCH_H
#define WL_SEARCH_H

#include "../whisperlab.h"
#include "logits_process.h"

/* One search's settings: the state it decodes with, the options, the prompt and the length limit. */
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

/* A search in progress. After each step it names the rows it wants fed next (n_feed decoders
 * and their tokens); generate.c feeds the rows of every search in one batch and hands each
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

int wl_path_init(path *p, int max_len);
void wl_path_free(path *p);
void wl_path_copy(path *dst, const path *src, int n_steps);
int wl_top_k(const float *x, float add, int n, int k, int *idx, float *val);
wl_step wl_make_step(const search *s, const float *row, int32_t token);
double wl_hyp_score(const search *s, double sum, int generated);
void wl_step_row(const search *s, const int32_t *seq, int len, const float *logits, float *row, int beam_units,
                 float *processed);
/* torch.argmax of x[0..n): the first maximum. */
int wl_argmax(const float *x, int n);
void wl_single_row(job *j, const float *last);
wl_status wl_single_step(job *j, const float *last, char *err, size_t errlen);
wl_status wl_search_prepare(search *s, int beam_search, char *err, size_t errlen);
wl_status wl_job_begin(job *j, const float *enc_out, char *err, size_t errlen);
wl_status wl_job_result(job *j, wl_result **out, char *err, size_t errlen);

#endif
