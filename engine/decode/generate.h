/* The search entry behind wl_generate (internal): the beam-search code can be run with any number
 * of beams, 1 included, so tests can check that one beam equals greedy. */
#ifndef WL_GENERATE_H
#define WL_GENERATE_H

#include "search.h"

/* wl_generate with beam_search chosen explicitly: 1 runs the beam search with opts->beams beams
 * (opts->forced must be NULL), 0 the greedy or forced path. */
wl_status wl_generate_with(wl_state *state, const wl_gen_config *cfg, const float *enc_out,
                           const wl_gen_opts *opts, int beam_search, wl_result **out, char *err, size_t errlen);

/* Frees a search in progress: its beams, its decoders, its path and buffers. */
void wl_job_free(job *j);

#endif
