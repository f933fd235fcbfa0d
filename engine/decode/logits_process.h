/* What may be generated next: HF's logits processors for Whisper, in HF's order (internal).
 * Each rule sets scores to -inf; none renormalises. The same rules run on raw logits (greedy)
 * and on log-probs (beam search), as in HF. */
#ifndef WL_LOGITS_PROCESS_H
#define WL_LOGITS_PROCESS_H

#include "../whisperlab.h"

typedef struct {
    const wl_gen_config *cfg;
    int timestamps;  /* WhisperTimeStampLogitsProcessor is on (return_timestamps) */
    int begin_index; /* the prompt length: the position of the first generated token */
    int n_vocab;
} wl_processors;

/* Applies, in order, SuppressTokensAtBeginLogitsProcessor, SuppressTokensLogitsProcessor and
 * (with timestamps) WhisperTimeStampLogitsProcessor to scores [n_vocab], for the sequence
 * seq[0..len) generated so far (prompt included). */
void wl_process_logits(const wl_processors *p, const int32_t *seq, int len, float *scores);

/* log_softmax in place over n scores (-inf stays -inf). */
void wl_log_softmax(float *x, int n);

#endif
