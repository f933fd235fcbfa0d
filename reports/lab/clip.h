/* The clip record the lab's modules read, and the helpers they share (words of a decoded
 * sequence, the clip's verb, teacher forcing, rounding). lab.c fills one per clip, and each
 * module (one per report file, its header beside it) turns it into that file's entry. */
#ifndef LAB_CLIP_H
#define LAB_CLIP_H

#include "../../engine/session/session.h"
#include "../../engine/session/token_json.h"
#include "../tools/speech_span.h"

#include <cjson/cJSON.h>

/* One clip of data/clips.json and everything decoded from it. */
typedef struct {
    const char *id;       /* "03", or "e1" for a grammar-error clip */
    const char *sentence; /* what espeak-ng says: the WER reference */
    const char *correct;  /* grammar-error clips: the grammatical sentence; else NULL */
    const char *tense;    /* the clip table's tense, or NULL */
    const char *file;     /* the WAV's path */
    const float *samples; /* 16 kHz mono */
    size_t n_samples;
    speech_span span;  /* from the audio's energy envelope */
    const float *enc;     /* encoder output [n_audio_ctx][d_model] */
    wl_result *greedy;    /* greedy, no timestamps, with token timestamps: the transcription */
    wl_result *stamped;   /* greedy with timestamp tokens: the predicted start and end */
    wl_result *beam;      /* beam search without timestamps */
} lab_clip;

/* A word of a decoded sequence: consecutive text tokens, a new word at each leading space. */
typedef struct {
    int first; /* index into r->tokens of its first token */
    int n;     /* tokens */
    char text[128]; /* as decoded, without the leading space */
} lab_word;

/* The text words of r's generated tokens (timestamps and special tokens skipped); returns the
 * count (at most max). */
int lab_words(const wl_session *s, const wl_result *r, lab_word *words, int max);

/* 1 if id is a text token (not special, not a timestamp). */
int lab_is_text(const wl_session *s, int32_t id);

/* Word index of the clip's verb in its sentence: the word that differs from the grammatical
 * sentence for an error clip; else from the tense (after "will", "has"/"have"/"had", "to", or
 * the word after the subject); -1 if the sentence is empty. */
int lab_verb_index(const lab_clip *c);

/* The k-th space-separated word of s into out (""). */
void lab_nth_word(const char *s, int k, char *out, size_t outlen);

/* Teacher forcing: feeds seq[0..n) in one call and gives logprob[i] = log P(seq[i+1] | seq[..i])
 * under the model's raw softmax (no logits processors), for i < n - 1. */
int lab_forced_logprobs(const wl_session *s, const float *enc, const int32_t *seq, int n, double *logprob,
                        char *err, size_t errlen);

#endif
