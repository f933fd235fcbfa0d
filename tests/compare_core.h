/* The comparison of two builds (make compare), apart from how their outputs are made: per stage,
 * how many clips are bitwise identical, the largest difference and each build's error against
 * HF, and the first stage that changed; per decoding, the first step where two token sequences
 * part and whether that step is a near-tie (both sides' scores of the two tokens within an
 * epsilon) or a real divergence. */
#ifndef T_COMPARE_CORE_H
#define T_COMPARE_CORE_H

#include "diff.h"

#include <stdint.h>

/* ---- stages ---- */

#define CMP_LISTED 8 /* clip ids kept per stage for the report */

typedef struct {
    int clips, n_bad;     /* clips compared with HF; out of tolerance among them */
    double max_abs, headroom; /* worst over the clips (headroom: see diff.h; above 1 fails) */
} cmp_hf;

typedef struct {
    char name[40];
    int clips, identical; /* clips with both builds' tensor; bitwise identical among them */
    int missing;          /* clips where a build lacked the stage or gave another shape */
    double max_ab;        /* largest |A - B| over the clips (inf when a value is non-finite on one side only) */
    char max_ab_clip[16];
    int n_changed;        /* clips not bitwise identical; the first CMP_LISTED of them: */
    char changed[CMP_LISTED][16];
    cmp_hf hf[2];         /* A's and B's error against HF */
    t_tol tol;
    int has_tol;
} cmp_stage;

typedef struct {
    cmp_stage *rows; /* in the order first seen: the data-flow order when fed in it */
    int n, cap;
} cmp_stages;

/* The row of a stage, appended when new. NULL when out of memory. */
cmp_stage *cmp_stage_row(cmp_stages *s, const char *name);

/* Build A's and build B's tensor of one clip (a or b NULL: that build lacks the stage). */
void cmp_stage_add_ab(cmp_stage *r, const char *clip, t_view a, t_view b);

/* One build's error against HF on one clip (side 0: A, 1: B). */
void cmp_stage_add_hf(cmp_stage *r, int side, const t_diff *d);

/* The first row whose clips are not all bitwise identical, or -1. */
int cmp_first_changed(const cmp_stages *s);

void cmp_stages_free(cmp_stages *s);

/* ---- decoding ---- */

#define CMP_TOP 5

/* One build's (or HF's) decoding of a clip: tokens with the prompt, and per generated step the
 * five best processed log-probs and their ids, best first; the chosen token is tokens[n_prompt + step]. */
typedef struct {
    int n_tokens, n_prompt;
    const int32_t *tokens;
    const int32_t *top_id; /* [n_tokens - n_prompt][CMP_TOP] */
    const double *top_lp;  /* [n_tokens - n_prompt][CMP_TOP] */
    double score;          /* beam search: the sequence's score */
} cmp_seq;

typedef enum { CMP_SAME, CMP_TIE, CMP_DIVERGE } cmp_kind;

typedef struct {
    cmp_kind kind;
    int pos;           /* first position (prompt included) where the sequences differ */
    int step;          /* pos - n_prompt, -1 when the prompts differ */
    int32_t tok[2];    /* each side's token at pos, -1 when its sequence has ended */
    double margin[2];  /* each side's top-1 minus top-2 log-prob at step (NAN when it has no such step) */
    double gap[2];     /* each side's log-prob of its own token minus the other side's token (INFINITY when that is not in its top-5) */
    double score[2];   /* each sequence's score (beam search's sequence score) */
    double score_gap;  /* |score A - score B| */
    const char *why;   /* one phrase: why it is a tie or not */
} cmp_flip;

/* Where a and b part. Greedy (beam 0): a tie when both sides have a token there and each side
 * puts the other's token within eps of its own (so each side's top-1/top-2 margin is within eps
 * too). Beam search keeps several hypotheses, so a step's margin does not decide the winner: a
 * tie when the two winners' scores are within eps. */
cmp_flip cmp_decode(const cmp_seq *a, const cmp_seq *b, int beam, double eps);

const char *cmp_kind_name(cmp_kind k);

#endif
