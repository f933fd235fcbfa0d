#include "compare_core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cmp_stage *cmp_stage_row(cmp_stages *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->rows[i].name, name)) return &s->rows[i];
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 32;
        cmp_stage *rows = realloc(s->rows, (size_t)cap * sizeof *rows);
        if (!rows) return NULL;
        s->rows = rows, s->cap = cap;
    }
    cmp_stage *r = &s->rows[s->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    return r;
}

static int64_t numel(t_view v)
{
    int64_t n = 1;
    for (int i = 0; i < v.ndim; i++) n *= v.shape[i];
    return n;
}

static int same_shape(t_view a, t_view b)
{
    if (a.ndim != b.ndim) return 0;
    for (int i = 0; i < a.ndim; i++)
        if (a.shape[i] != b.shape[i]) return 0;
    return 1;
}

static void note_changed(cmp_stage *r, const char *clip)
{
    if (r->n_changed < CMP_LISTED) snprintf(r->changed[r->n_changed], sizeof r->changed[0], "%s", clip);
    r->n_changed++;
}

void cmp_stage_add_ab(cmp_stage *r, const char *clip, t_view a, t_view b)
{
    if (!a.data || !b.data || !same_shape(a, b)) {
        r->missing++;
        r->max_ab = INFINITY;
        snprintf(r->max_ab_clip, sizeof r->max_ab_clip, "%s", clip);
        note_changed(r, clip);
        return;
    }
    r->clips++;
    int64_t n = numel(a);
    if (!memcmp(a.data, b.data, (size_t)n * sizeof(float))) {
        r->identical++;
        return;
    }
    note_changed(r, clip);
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double x = a.data[i], y = b.data[i], d;
        if (isfinite(x) && isfinite(y)) d = fabs(x - y);
        else d = (x == y || (isnan(x) && isnan(y))) ? 0 : INFINITY; /* the same -inf on both sides is no change */
        if (d > worst) worst = d;
    }
    if (worst > r->max_ab || !r->max_ab_clip[0]) {
        r->max_ab = worst;
        snprintf(r->max_ab_clip, sizeof r->max_ab_clip, "%s", clip);
    }
}

void cmp_stage_add_hf(cmp_stage *r, int side, const t_diff *d)
{
    cmp_hf *h = &r->hf[side];
    h->clips++;
    h->n_bad += !d->pass;
    if (d->max_abs > h->max_abs) h->max_abs = d->max_abs;
    double head = d->shape_ok ? d->headroom : INFINITY;
    if (head > h->headroom) h->headroom = head;
}

int cmp_first_changed(const cmp_stages *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->rows[i].n_changed) return i;
    return -1;
}

void cmp_stages_free(cmp_stages *s)
{
    free(s->rows);
    *s = (cmp_stages){0};
}

const char *cmp_kind_name(cmp_kind k)
{
    return k == CMP_SAME ? "identical" : k == CMP_TIE ? "near-tie" : "divergence";
}

/* The log-prob a sequence's step gives token id, from its top-5; -INFINITY when not there
 * (then it is below the fifth). found says whether it was. */
static double lp_of(const cmp_seq *s, int step, int32_t id, int *found)
{
    for (int k = 0; k < CMP_TOP; k++)
        if (s->top_id[step * CMP_TOP + k] == id) return *found = 1, s->top_lp[step * CMP_TOP + k];
    return *found = 0, -INFINITY;
}

static double margin(const cmp_seq *s, int step)
{
    const double *lp = s->top_lp + step * CMP_TOP;
    return isfinite(lp[0]) && isfinite(lp[1]) ? lp[0] - lp[1] : INFINITY;
}

cmp_flip cmp_decode(const cmp_seq *a, const cmp_seq *b, int beam, double eps)
{
    cmp_flip f = {.kind = CMP_SAME, .pos = -1, .step = -1, .tok = {-1, -1}, .margin = {NAN, NAN},
                  .gap = {NAN, NAN}, .score = {a->score, b->score}, .score_gap = fabs(a->score - b->score), .why = "the same tokens"};
    int n = a->n_tokens < b->n_tokens ? a->n_tokens : b->n_tokens, pos = 0;
    while (pos < n && a->tokens[pos] == b->tokens[pos]) pos++;
    if (pos == n && a->n_tokens == b->n_tokens) return f;
    const cmp_seq *s[2] = {a, b};
    f.kind = CMP_DIVERGE, f.pos = pos;
    int in_prompt = pos < a->n_prompt || pos < b->n_prompt || a->n_prompt != b->n_prompt;
    if (in_prompt) return f.why = "the prompts differ", f;
    f.step = pos - a->n_prompt;
    for (int i = 0; i < 2; i++)
        if (pos < s[i]->n_tokens) {
            f.tok[i] = s[i]->tokens[pos];
            f.margin[i] = margin(s[i], f.step);
        }
    if (f.tok[0] < 0 || f.tok[1] < 0) return f.why = "one sequence ends where the other goes on", f;
    for (int i = 0; i < 2; i++) {
        int own, other;
        double mine = lp_of(s[i], f.step, f.tok[i], &own), theirs = lp_of(s[i], f.step, f.tok[1 - i], &other);
        f.gap[i] = own && other ? mine - theirs : INFINITY;
    }
    if (beam) {
        int tie = f.score_gap <= eps;
        f.kind = tie ? CMP_TIE : CMP_DIVERGE;
        f.why = tie ? "the two winners' scores are within epsilon" : "the two winners' scores differ by more than epsilon";
        return f;
    }
    /* Each side must score the other's token within eps below its own: the two scores whose
     * order flipped were that close on both sides. */
    int tie = f.gap[0] <= eps && f.gap[1] <= eps;
    f.kind = tie ? CMP_TIE : CMP_DIVERGE;
    f.why = tie                                     ? "both sides score the two tokens within epsilon"
            : !isfinite(f.gap[0]) || !isfinite(f.gap[1]) ? "a side's top-5 lacks the other side's token"
                                                    : "a side scores the two tokens further apart than epsilon";
    return f;
}
