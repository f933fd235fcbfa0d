/* HF's generate() for short-form clips: searches run in lockstep, so that every step feeds the
 * rows of all of them (the beams of a beam search, greedy and timestamped searches over the same
 * or other clips) through the decoder as one batch, and the weights are read once per step. */
#include "generate.h"

#include "../base/util.h"
#include "../kernels/parallel.h"
#include "beam_search.h"

#include <stdlib.h>
#include <string.h>

/* Searches in lockstep, and the batch a step feeds: row r goes to decoder decs[r] with token
 * tokens[r] on behalf of search row_job[r] (its row row_k[r]), and gets logits r. */
typedef struct {
    job *jobs;
    int n;                  /* searches */
    int rows;               /* the most rows a step can ask for */
    int V;
    wl_decoder **decs;
    int32_t *tokens;
    int *row_job, *row_k;
    float *logits;          /* [rows][V] */
} lockstep;

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
            st = jobs[i].beam_search ? wl_beams_begin(&jobs[i], last, err, errlen) : wl_single_step(&jobs[i], last, err, errlen);
        }
    }
    free(decs), free(counts), free(tokens), free(logits);
    return st;
}

void wl_job_free(job *j)
{
    wl_beams_free(j);
    wl_decoder_free(j->dec);
    wl_path_free(&j->p);
    free(j->row), free(j->tmp), free(j->xrows);
}

/* Rows [r0, r1) of a step's batch: each search's work on its own rows, so that every row of
 * every search is processed in parallel before the searches choose, one after another. */
static void step_rows(void *p, int r0, int r1)
{
    const lockstep *w = p;
    for (int r = r0; r < r1; r++) {
        job *j = &w->jobs[w->row_job[r]];
        const float *x = w->logits + (size_t)r * w->V;
        if (j->beam_search) wl_beam_row(j, w->row_k[r], x);
        else wl_single_row(j, x);
    }
}

/* Sets up n searches (search i over enc_out[i] with o[i]; beam_search[i] chooses its path, NULL:
 * by its options), feeds their prompts and takes their first steps. */
static wl_status lockstep_begin(lockstep *w, wl_state *state, const wl_gen_config *cfg, const float *const *enc_out,
                                const wl_gen_opts *o, const int *beam_search, int n, char *err, size_t errlen)
{
    const wl_dims d = wl_model_dims(wl_state_model(state));
    *w = (lockstep){.n = n, .V = d.n_vocab};
    if (n < 1) return wl_fail(err, errlen, "generate: %d searches to run", n), WL_ERR_INPUT;
    if (!(w->jobs = calloc((size_t)n, sizeof *w->jobs))) return wl_fail(err, errlen, "generate: out of memory"), WL_ERR_NOMEM;
    wl_status st = WL_OK;
    for (int i = 0; !st && i < n; i++) {
        job *j = &w->jobs[i];
        j->s = (search){.st = state, .d = d, .cfg = cfg, .o = &o[i], .V = w->V};
        j->beam_search = beam_search ? beam_search[i] : o[i].beams > 1 && !o[i].forced;
        st = wl_search_prepare(&j->s, j->beam_search, err, errlen);
        w->rows += j->beam_search ? o[i].beams : 1;
    }
    for (int i = 0; !st && i < n; i++) st = wl_job_begin(&w->jobs[i], enc_out[i], err, errlen);
    if (!st) st = feed_prompts(w->jobs, n, err, errlen);
    w->decs = malloc((size_t)w->rows * sizeof *w->decs);
    w->tokens = malloc((size_t)w->rows * sizeof *w->tokens);
    w->row_job = malloc((size_t)w->rows * sizeof *w->row_job), w->row_k = malloc((size_t)w->rows * sizeof *w->row_k);
    w->logits = malloc((size_t)w->rows * w->V * sizeof *w->logits);
    if (!st && (!w->decs || !w->tokens || !w->row_job || !w->row_k || !w->logits))
        st = WL_ERR_NOMEM, wl_fail(err, errlen, "generate: out of memory");
    return st;
}

/* One step of every unfinished search: their rows fed as one batch (wl_decoder_feed_many: each
 * row's numbers as if fed alone), every row worked on in parallel, then each search chooses.
 * *more: 0 once every search has finished. */
static wl_status lockstep_step(lockstep *w, int *more, char *err, size_t errlen)
{
    int total = 0;
    for (int i = 0; i < w->n; i++)
        for (int k = 0; k < w->jobs[i].n_feed; k++, total++) {
            w->decs[total] = w->jobs[i].feed_dec[k], w->tokens[total] = w->jobs[i].feed_tok[k];
            w->row_job[total] = i, w->row_k[total] = k;
        }
    if (!(*more = total > 0)) return WL_OK;
    wl_status st = wl_decoder_feed_many(w->decs, w->tokens, total, w->logits, err, errlen);
    if (st) return st;
    wl_parallel_for(total, 1, step_rows, w);
    for (int i = 0; i < w->n; i++) w->jobs[i].ready = w->jobs[i].n_feed > 0;
    total = 0;
    for (int i = 0; !st && i < w->n; i++) {
        job *j = &w->jobs[i];
        int k = j->n_feed;
        const float *x = w->logits + (size_t)total * w->V;
        if (k) st = j->beam_search ? wl_beams_step(j, x, (size_t)w->V, err, errlen) : wl_single_step(j, x, err, errlen);
        total += k;
    }
    return st;
}

static void lockstep_free(lockstep *w)
{
    for (int i = 0; w->jobs && i < w->n; i++) wl_job_free(&w->jobs[i]);
    free(w->jobs), free(w->decs), free(w->tokens), free(w->row_job), free(w->row_k), free(w->logits);
}

static wl_status generate_many(wl_state *state, const wl_gen_config *cfg, const float *const *enc_out,
                               const wl_gen_opts *o, const int *beam_search, int n, wl_result **out, char *err,
                               size_t errlen)
{
    for (int i = 0; i < n; i++) out[i] = NULL;
    lockstep w;
    wl_status st = lockstep_begin(&w, state, cfg, enc_out, o, beam_search, n, err, errlen);
    for (int more = 1; !st && more;) st = lockstep_step(&w, &more, err, errlen);
    for (int i = 0; !st && i < n; i++) st = wl_job_result(&w.jobs[i], &out[i], err, errlen);
    for (int i = 0; st && i < n; i++) wl_result_free(out[i]), out[i] = NULL;
    lockstep_free(&w);
    return st;
}

wl_status wl_generate(wl_state *state, const wl_gen_config *cfg, const float *enc_out, const wl_gen_opts *o,
                      wl_result **out, char *err, size_t errlen)
{
    return generate_many(state, cfg, &enc_out, o, NULL, 1, out, err, errlen);
}

wl_status wl_generate_many(wl_state *state, const wl_gen_config *cfg, const float *const *enc_out,
                           const wl_gen_opts *opts, int n, wl_result **out, char *err, size_t errlen)
{
    return generate_many(state, cfg, enc_out, opts, NULL, n, out, err, errlen);
}

wl_status wl_generate_with(wl_state *state, const wl_gen_config *cfg, const float *enc_out, const wl_gen_opts *o,
                           int beam_search, wl_result **out, char *err, size_t errlen)
{
    return generate_many(state, cfg, &enc_out, o, &beam_search, 1, out, err, errlen);
}
