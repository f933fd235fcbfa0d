/* The helpers of clip.h the lab's modules share: words of a decoded sequence, the clip's verb,
 * teacher forcing, rounding. */
#include "clip.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lab_is_text(const wl_session *s, int32_t id)
{
    return id >= 0 && id < s->cfg.eos && !wl_token_is_special(s->tok, id);
}

int lab_words(const wl_session *s, const wl_result *r, lab_word *words, int max)
{
    int n = 0;
    for (int t = r->n_prompt; t < r->n_tokens; t++) {
        if (!lab_is_text(s, r->tokens[t])) continue;
        char piece[256];
        wl_token_text(s->tok, r->tokens[t], piece, sizeof piece, 1);
        /* a leading space starts a word; so does the first text token and one after a non-text token */
        int starts = piece[0] == ' ' || n == 0 || !lab_is_text(s, r->tokens[t - 1]);
        if (starts) {
            if (n == max) break;
            words[n++] = (lab_word){.first = t, .n = 0};
        }
        lab_word *w = &words[n - 1];
        const char *p = piece[0] == ' ' && starts ? piece + 1 : piece;
        size_t used = strlen(w->text);
        snprintf(w->text + used, sizeof w->text - used, "%s", p);
        w->n++;
    }
    return n;
}

void lab_nth_word(const char *s, int k, char *out, size_t outlen)
{
    out[0] = 0;
    for (int i = 0; s && *s; i++) {
        while (*s == ' ') s++;
        size_t len = strcspn(s, " ");
        if (!len) break;
        if (i == k) {
            snprintf(out, outlen, "%.*s", (int)len, s);
            return;
        }
        s += len;
    }
}

static int word_count(const char *s)
{
    int n = 0;
    for (const char *p = s; *p; p++)
        if (*p != ' ' && (p == s || p[-1] == ' ')) n++;
    return n;
}

/* Index of the first word equal (case-insensitively) to one of alts, or -1. */
static int find_word(const char *s, const char *const *alts)
{
    char w[128];
    for (int i = 0; i < word_count(s); i++) {
        lab_nth_word(s, i, w, sizeof w);
        for (const char *const *a = alts; *a; a++)
            if (!strcasecmp(w, *a)) return i;
    }
    return -1;
}

int lab_verb_index(const lab_clip *c)
{
    int n = word_count(c->sentence);
    if (n == 0) return -1;
    if (c->correct) { /* the word the error is in */
        char a[128], b[128];
        for (int i = 0; i < n; i++) {
            lab_nth_word(c->sentence, i, a, sizeof a), lab_nth_word(c->correct, i, b, sizeof b);
            if (strcasecmp(a, b)) return i;
        }
        return n - 1;
    }
    static const char *const WILL[] = {"will", "shall", NULL}, *const HAVE[] = {"has", "have", "had", NULL},
                             *const TO[] = {"to", NULL};
    const char *t = c->tense ? c->tense : "";
    int k = -1;
    if (!strcmp(t, "future")) k = find_word(c->sentence, WILL);
    else if (!strcmp(t, "past_participle")) k = find_word(c->sentence, HAVE);
    else if (!strcmp(t, "infinitive")) k = find_word(c->sentence, TO);
    else k = 0; /* simple tenses: the word after the subject */
    return k >= 0 && k + 1 < n ? k + 1 : n - 1;
}


int lab_forced_logprobs(const wl_session *s, const float *enc, const int32_t *seq, int n, double *logprob,
                        char *err, size_t errlen)
{
    wl_decoder *dec = NULL;
    float *logits = malloc((size_t)n * s->dims.n_vocab * sizeof *logits);
    int rc = -1;
    if (!logits) snprintf(err, errlen, "out of memory");
    else if (!wl_decoder_new(s->state, enc, &dec, err, errlen) && !wl_decoder_feed(dec, seq, n, logits, err, errlen)) {
        for (int i = 0; i + 1 < n; i++) { /* log-softmax of row i at the next token, in double */
            const float *row = logits + (size_t)i * s->dims.n_vocab;
            double mx = row[0], sum = 0;
            for (int v = 1; v < s->dims.n_vocab; v++) mx = row[v] > mx ? row[v] : mx;
            for (int v = 0; v < s->dims.n_vocab; v++) sum += exp(row[v] - mx);
            logprob[i] = row[seq[i + 1]] - mx - log(sum);
        }
        rc = 0;
    }
    wl_decoder_free(dec);
    free(logits);
    return rc;
}
