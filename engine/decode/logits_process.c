/* The logits processors of Whisper's generate(), each mirroring the HF class named in its
 * comment (transformers/generation/logits_process.py), in the order GW:_retrieve_logit_processors
 * builds them: begin-suppress, suppress, timestamp rules. */
#include "logits_process.h"
#include "../kernels/vmath.h"

#include <math.h>

static void forbid(float *scores, int from, int to)
{
    for (int i = from < 0 ? 0 : from; i < to; i++) scores[i] = -INFINITY;
}

static void forbid_list(float *scores, const int32_t *ids, int n, int n_vocab)
{
    for (int i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < n_vocab) scores[ids[i]] = -INFINITY;
}

void wl_log_softmax(float *x, int n)
{
    float max = wl_vmax(x, n);
    if (max == -INFINITY) return;
    double lse = max + log(wl_vsum_exp(x, n, max)); /* exp in float32, as torch's log_softmax; the sum in double */
    wl_vsub_double(x, n, lse);
}

/* log(sum(exp(x))) of n values, in double. */
static double logsumexp(const float *x, int n)
{
    float max = -INFINITY;
    for (int i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    if (max == -INFINITY) return -INFINITY;
    double sum = 0;
    for (int i = 0; i < n; i++) sum += exp((double)x[i] - max);
    return max + log(sum);
}

/* WhisperTimeStampLogitsProcessor.__call__ for one row; s = the tokens from begin_index on. */
static void timestamp_rules(const wl_processors *p, const int32_t *s, int n, float *scores)
{
    const wl_gen_config *c = p->cfg;
    const int V = p->n_vocab, TB = c->timestamp_begin;
    scores[c->no_timestamps] = -INFINITY; /* <|notimestamps|> is what timestamps=False means */

    /* Timestamps come in pairs, except right before end-of-text. */
    int last_ts = n >= 1 && s[n - 1] >= TB;
    int penult_ts = n < 2 || s[n - 2] >= TB;
    if (last_ts) {
        if (penult_ts) forbid(scores, TB, V); /* a pair (or a lone first one) is closed: text next */
        else forbid(scores, 0, c->eos);       /* an open pair: a timestamp or end-of-text next */
    }

    /* Timestamps never decrease: the closing one may equal the opening one, later ones must grow. */
    int last = -1;
    for (int i = 0; i < n; i++)
        if (s[i] >= TB) last = s[i];
    if (last >= 0) forbid(scores, TB, last_ts && !penult_ts ? last : last + 1);

    /* The first generated token is a timestamp, at most max_initial_timestamp_index. */
    if (n == 0) {
        forbid(scores, 0, TB);
        if (c->max_initial_timestamp_index >= 0) forbid(scores, TB + c->max_initial_timestamp_index + 1, V);
    }

    /* If the timestamps' total probability beats every single text token, a timestamp it is.
     * HF compares logsumexp(lp[TB:]) with max(lp[:TB]) for lp = log_softmax(scores); both sides
     * carry the same normaliser, so the scores are compared directly. */
    float max_text = wl_vmax(scores, TB < V ? TB : V); /* the largest text score (NaNs skipped) */
    if (logsumexp(scores + TB, V - TB) > max_text) forbid(scores, 0, TB);
}

void wl_process_logits(const wl_processors *p, const int32_t *seq, int len, float *scores)
{
    const wl_gen_config *c = p->cfg;
    /* SuppressTokensAtBeginLogitsProcessor: only at the first generated position */
    if (len == p->begin_index) forbid_list(scores, c->begin_suppress, c->n_begin_suppress, p->n_vocab);
    /* SuppressTokensLogitsProcessor: at every step */
    forbid_list(scores, c->suppress, c->n_suppress, p->n_vocab);
    /* WhisperTimeStampLogitsProcessor */
    if (p->timestamps) timestamp_rules(p, seq + p->begin_index, len - p->begin_index, scores);
}
