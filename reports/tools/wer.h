/* Word error rate: word-level Levenshtein alignment of a hypothesis against a reference. */
#ifndef WER_H
#define WER_H

typedef struct {
    int ref_words, hyp_words;
    int subs, dels, ins; /* edits of one minimal alignment (fewest edits, then fewest subs) */
} wer_counts;

/* Counts edits between two strings of space-separated words (normalise them first). Returns 0,
 * or -1 when out of memory. */
int wer_count(const char *ref, const char *hyp, wer_counts *c);

/* (subs + dels + ins) / ref_words; with an empty reference, 0 for an empty hypothesis, else 1. */
double wer_rate(const wer_counts *c);

/* Normalises both with normalise_text, then counts. */
int wer_text(const char *ref, const char *hyp, wer_counts *c);

#endif
