/* Word error rate by word-level edit distance (Levenshtein over words). */
#include "wer.h"

#include "normalise.h"

#include <stdlib.h>
#include <string.h>

/* Splits a copy of s at spaces; returns the word count or -1 (out of memory). */
static int split(const char *s, char **copy, char ***words)
{
    int n = 0;
    *copy = strdup(s), *words = NULL;
    if (!*copy) return -1;
    for (const char *p = s; *p; p++)
        if (*p != ' ' && (p == s || p[-1] == ' ')) n++;
    *words = malloc(sizeof **words * (size_t)(n + 1));
    if (!*words) return free(*copy), -1;
    n = 0;
    for (char *t = strtok(*copy, " "); t; t = strtok(NULL, " ")) (*words)[n++] = t;
    return n;
}

int wer_count(const char *ref, const char *hyp, wer_counts *c)
{
    char *rc, *hc, **r, **h;
    int R = split(ref, &rc, &r), H = split(hyp, &hc, &h);
    /* cost[i][j]: edits between the first i reference words and first j hypothesis words;
     * ties prefer fewer substitutions, so counts are those of one fixed minimal alignment */
    int *cost = R >= 0 && H >= 0 ? malloc(sizeof *cost * (size_t)(R + 1) * (H + 1)) : NULL;
    int *subs = cost ? malloc(sizeof *subs * (size_t)(R + 1) * (H + 1)) : NULL;
    if (!subs) {
        if (R >= 0) free(rc), free(r);
        if (H >= 0) free(hc), free(h);
        return free(cost), -1;
    }
#define AT(a, i, j) a[(size_t)(i) * (H + 1) + (j)]
    for (int i = 0; i <= R; i++)
        for (int j = 0; j <= H; j++) {
            if (i == 0 || j == 0) {
                AT(cost, i, j) = i + j, AT(subs, i, j) = 0;
                continue;
            }
            int diff = strcmp(r[i - 1], h[j - 1]) != 0;
            int best = AT(cost, i - 1, j - 1) + diff, bs = AT(subs, i - 1, j - 1) + diff;
            int del = AT(cost, i - 1, j) + 1, ins = AT(cost, i, j - 1) + 1;
            if (del < best || (del == best && AT(subs, i - 1, j) < bs)) best = del, bs = AT(subs, i - 1, j);
            if (ins < best || (ins == best && AT(subs, i, j - 1) < bs)) best = ins, bs = AT(subs, i, j - 1);
            AT(cost, i, j) = best, AT(subs, i, j) = bs;
        }
    int edits = AT(cost, R, H), s = AT(subs, R, H);
#undef AT
    /* edits = subs + dels + ins and hyp = ref - dels + ins give dels and ins */
    c->ref_words = R, c->hyp_words = H, c->subs = s;
    c->ins = (edits - s + H - R) / 2;
    c->dels = edits - s - c->ins;
    free(cost), free(subs), free(rc), free(r), free(hc), free(h);
    return 0;
}

double wer_rate(const wer_counts *c)
{
    int edits = c->subs + c->dels + c->ins;
    if (c->ref_words == 0) return edits ? 1.0 : 0.0;
    return (double)edits / c->ref_words;
}

int wer_text(const char *ref, const char *hyp, wer_counts *c)
{
    char *r = normalise_text(ref), *h = normalise_text(hyp);
    int rc = r && h ? wer_count(r, h, c) : -1;
    free(r), free(h);
    return rc;
}
