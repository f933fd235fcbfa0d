/* Whisper's English text normaliser (openai/whisper normalizers/english.py, which HF's
 * EnglishTextNormalizer copies) for what the lab's text holds: case, bracketed and parenthesised
 * text, filler words, contractions and titles, punctuation and symbols, spelled numbers, whitespace.
 * Not done: British-to-American spellings (english.json) and currency words, which never occur in
 * these clips; non-ASCII bytes pass through unchanged. */
#ifndef NORMALISE_H
#define NORMALISE_H

/* The normalised form of text, malloc'd (NULL only when out of memory). */
char *normalise_text(const char *text);

/* 1 if a and b are the same once normalised ("Works." and "works"). */
int normalise_same_words(const char *a, const char *b);

#endif
