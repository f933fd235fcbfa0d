#include "result.h"

#include "../../engine/base/util.h"
#include "../../reports/tools/replace_file.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const PAIR_NAME[N_PAIRS] = {"A vs B", "A vs HF", "B vs HF"};
static const char *const PAIR_KEY[N_PAIRS] = {"a_vs_b", "a_vs_hf", "b_vs_hf"};

int result_add_flip(mode_rec *m, const char *clip, int pair, const cmp_flip *f)
{
    flip_rec *n = realloc(m->flips, (size_t)(m->n_flips + 1) * sizeof *n);
    if (!n) return -1;
    m->flips = n;
    flip_rec *x = &m->flips[m->n_flips++];
    snprintf(x->clip, sizeof x->clip, "%s", clip);
    x->pair = pair, x->f = *f;
    return 0;
}

void result_free(cmp_result *r)
{
    for (int i = 0; i < r->n_modes; i++) free(r->modes[i].flips);
    cmp_stages_free(&r->stages);
}

/* ---- the printed table ---- */

static void print_side(const side *s)
{
    printf("side %c: %s: %s, %d thread%s, env %s; %s\n", s->name, s->label, s->cli, s->threads, s->threads == 1 ? "" : "s",
           s->n_env ? s->env_text : "(none)", *s->kernels ? s->kernels : "kernel path not reported by this command");
}

static void print_hf(const cmp_hf *h)
{
    if (!h->clips) return (void)printf("  %-8s %-8s %-5s", "-", "", "");
    printf("  %-8.3g %-8.3g %-5s", h->max_abs, h->headroom, h->n_bad ? "OUT" : "ok");
}

static void print_stages(const cmp_result *r)
{
    printf("\nstages: %d clip(s), decoder teacher-forced on HF's greedy tokens; headroom = worst |err| / (atol + rtol |HF|), "
           "above 1 is out of tolerance\n", r->stage_clips);
    printf("%-14s %-9s %-10s  %-23s  %-23s  %s\n", "stage", "A=B bits", "max|A-B|", "A vs HF: max-abs headroom",
           "B vs HF: max-abs headroom", "atol/rtol");
    for (int i = 0; i < r->stages.n; i++) {
        const cmp_stage *s = &r->stages.rows[i];
        char ident[24];
        snprintf(ident, sizeof ident, "%d/%d", s->identical, s->clips + s->missing);
        printf("%-14s %-9s %-10.3g", s->name, ident, s->max_ab);
        print_hf(&s->hf[0]);
        print_hf(&s->hf[1]);
        if (s->has_tol) printf(" %g/%g", s->tol.atol, s->tol.rtol);
        if (s->missing) printf("  (%d clips: missing or another shape on one side)", s->missing);
        printf("\n");
    }
    int first = cmp_first_changed(&r->stages);
    if (first < 0) {
        printf("all stages bitwise identical (%d clip%s)\n", r->stage_clips, r->stage_clips == 1 ? "" : "s");
        return;
    }
    const cmp_stage *s = &r->stages.rows[first];
    printf("first stage that changed: %s (clip%s", s->name, s->n_changed > 1 ? "s" : "");
    for (int k = 0; k < s->n_changed && k < CMP_LISTED; k++) printf(" %s", s->changed[k]);
    if (s->n_changed > CMP_LISTED) printf(" and %d more", s->n_changed - CMP_LISTED);
    printf("; largest |A-B| %.3g, clip %s)%s\n", s->max_ab, s->max_ab_clip,
           first ? "; every stage before it bitwise identical" : "");
}

static void print_flip(const mode_rec *m, const flip_rec *x, double eps)
{
    const cmp_flip *f = &x->f;
    const char *who[N_PAIRS][2] = {{"A", "B"}, {"A", "HF"}, {"B", "HF"}};
    const char *const *w = who[x->pair];
    printf("  %s clip %s, %s: ", m->name, x->clip, PAIR_NAME[x->pair]);
    if (f->step < 0) {
        printf("%s at position %d: %s\n", cmp_kind_name(f->kind), f->pos, f->why);
        return;
    }
    printf("first differ at step %d:", f->step);
    for (int i = 0; i < 2; i++) {
        if (f->tok[i] < 0) printf("%s %s ended", i ? "," : "", w[i]);
        else printf("%s %s chose %d (top-1/top-2 margin %.3g)", i ? "," : "", w[i], f->tok[i], f->margin[i]);
    }
    if (m->beam) printf("; scores %.7g vs %.7g (gap %.3g)", f->score[0], f->score[1], f->score_gap);
    else if (f->gap[0] != f->margin[0] || f->gap[1] != f->margin[1]) /* the other's token is not the runner-up */
        printf("; each side's own token over the other's: %.3g, %.3g", f->gap[0], f->gap[1]);
    printf("\n    -> %s: %s (epsilon %.3g)\n", f->kind == CMP_TIE ? "NEAR-TIE" : "DIVERGENCE", f->why, eps);
}

static void print_decoding(const cmp_result *r)
{
    printf("\ndecoding: %d clips; tie epsilon %.3g for A vs B (twice decode.tie: each build may be off HF's "
           "scores by the logits tolerance), %.3g against HF (decode.tie)\n", r->decode_clips, r->eps[PAIR_AB],
           r->eps[PAIR_A_HF]);
    printf("%-10s %5s  %-14s %-14s %-14s\n", "mode", "clips", "A=B (ties)", "A=HF (ties)", "B=HF (ties)");
    for (int i = 0; i < r->n_modes; i++) {
        const mode_rec *m = &r->modes[i];
        printf("%-10s %5d ", m->name, m->clips);
        for (int p = 0; p < N_PAIRS; p++) {
            char cell[32];
            snprintf(cell, sizeof cell, "%d (%d)", m->same[p], m->ties[p]);
            printf(" %-14s", cell);
        }
        printf("\n");
    }
    if (r->note) printf("%s\n", r->note);
    for (int i = 0; i < r->n_modes; i++)
        for (int k = 0; k < r->modes[i].n_flips; k++)
            print_flip(&r->modes[i], &r->modes[i].flips[k], r->eps[r->modes[i].flips[k].pair]);
}

void result_print(const cmp_result *r)
{
    print_side(r->sides[0]);
    print_side(r->sides[1]);
    printf("model %s; goldens %s; tolerances %s\n", r->model, r->golden, r->tol_file);
    if (r->stage_clips) print_stages(r);
    if (r->decode_clips) print_decoding(r);
}

/* ---- JSON ---- */

static cJSON *num(double x) { return isfinite(x) ? cJSON_CreateNumber(x) : cJSON_CreateNull(); }

static cJSON *side_json(const side *s)
{
    cJSON *o = cJSON_CreateObject();
    char name[2] = {s->name, 0};
    cJSON_AddStringToObject(o, "side", name);
    cJSON_AddStringToObject(o, "label", s->label);
    cJSON_AddStringToObject(o, "command", s->cli);
    cJSON_AddNumberToObject(o, "threads", s->threads);
    cJSON_AddStringToObject(o, "env", s->env_text);
    cJSON_AddStringToObject(o, "kernels", s->kernels);
    return o;
}

static cJSON *hf_json(const cmp_hf *h)
{
    if (!h->clips) return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "clips", h->clips);
    cJSON_AddNumberToObject(o, "out_of_tolerance", h->n_bad);
    cJSON_AddItemToObject(o, "max_abs", num(h->max_abs));
    cJSON_AddItemToObject(o, "headroom", num(h->headroom));
    return o;
}

static cJSON *stages_json(const cmp_result *r)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < r->stages.n; i++) {
        const cmp_stage *s = &r->stages.rows[i];
        cJSON *o = cJSON_CreateObject(), *changed = cJSON_CreateArray();
        cJSON_AddStringToObject(o, "stage", s->name);
        cJSON_AddNumberToObject(o, "clips", s->clips + s->missing);
        cJSON_AddNumberToObject(o, "bitwise_identical", s->identical);
        cJSON_AddNumberToObject(o, "missing_or_reshaped", s->missing);
        cJSON_AddItemToObject(o, "max_abs_a_b", num(s->max_ab));
        for (int k = 0; k < s->n_changed && k < CMP_LISTED; k++) cJSON_AddItemToArray(changed, cJSON_CreateString(s->changed[k]));
        cJSON_AddItemToObject(o, "changed_clips", changed);
        cJSON_AddNumberToObject(o, "changed", s->n_changed);
        cJSON_AddItemToObject(o, "a_vs_hf", hf_json(&s->hf[0]));
        cJSON_AddItemToObject(o, "b_vs_hf", hf_json(&s->hf[1]));
        if (s->has_tol) {
            cJSON_AddNumberToObject(o, "atol", s->tol.atol);
            cJSON_AddNumberToObject(o, "rtol", s->tol.rtol);
        }
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *flip_json(const flip_rec *x)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "clip", x->clip);
    cJSON_AddStringToObject(o, "pair", PAIR_KEY[x->pair]);
    cJSON_AddStringToObject(o, "kind", cmp_kind_name(x->f.kind));
    cJSON_AddStringToObject(o, "why", x->f.why);
    cJSON_AddNumberToObject(o, "position", x->f.pos);
    cJSON_AddNumberToObject(o, "step", x->f.step);
    cJSON_AddItemToObject(o, "tokens", cJSON_CreateIntArray((const int[]){x->f.tok[0], x->f.tok[1]}, 2));
    cJSON *m = cJSON_CreateArray(), *g = cJSON_CreateArray();
    for (int i = 0; i < 2; i++) cJSON_AddItemToArray(m, num(x->f.margin[i])), cJSON_AddItemToArray(g, num(x->f.gap[i]));
    cJSON_AddItemToObject(o, "top1_top2_margins", m);
    cJSON_AddItemToObject(o, "own_over_other", g);
    cJSON_AddItemToObject(o, "score_gap", num(x->f.score_gap));
    return o;
}

static cJSON *decoding_json(const cmp_result *r)
{
    cJSON *d = cJSON_CreateObject(), *modes = cJSON_CreateArray();
    cJSON_AddNumberToObject(d, "clips", r->decode_clips);
    cJSON_AddNumberToObject(d, "tie_epsilon_a_vs_b", r->eps[PAIR_AB]);
    cJSON_AddNumberToObject(d, "tie_epsilon_vs_hf", r->eps[PAIR_A_HF]);
    for (int i = 0; i < r->n_modes; i++) {
        const mode_rec *m = &r->modes[i];
        cJSON *o = cJSON_CreateObject(), *flips = cJSON_CreateArray();
        cJSON_AddStringToObject(o, "mode", m->name);
        cJSON_AddNumberToObject(o, "clips", m->clips);
        for (int p = 0; p < N_PAIRS; p++) {
            char key[40];
            snprintf(key, sizeof key, "identical_%s", PAIR_KEY[p]);
            cJSON_AddNumberToObject(o, key, m->same[p]);
            snprintf(key, sizeof key, "ties_%s", PAIR_KEY[p]);
            cJSON_AddNumberToObject(o, key, m->ties[p]);
        }
        for (int k = 0; k < m->n_flips; k++) cJSON_AddItemToArray(flips, flip_json(&m->flips[k]));
        cJSON_AddItemToObject(o, "first_differences", flips);
        cJSON_AddItemToArray(modes, o);
    }
    cJSON_AddItemToObject(d, "modes", modes);
    if (r->note) cJSON_AddStringToObject(d, "note", r->note);
    return d;
}

int result_write_json(const cmp_result *r, const char *path, char *err, size_t errlen)
{
    cJSON *root = cJSON_CreateObject(), *sides = cJSON_CreateArray();
    cJSON_AddItemToArray(sides, side_json(r->sides[0]));
    cJSON_AddItemToArray(sides, side_json(r->sides[1]));
    cJSON_AddItemToObject(root, "sides", sides);
    cJSON_AddStringToObject(root, "model", r->model);
    cJSON_AddStringToObject(root, "golden", r->golden);
    cJSON_AddStringToObject(root, "tolerances", r->tol_file);
    cJSON_AddNumberToObject(root, "stage_clips", r->stage_clips);
    cJSON_AddItemToObject(root, "stages", stages_json(r));
    int first = cmp_first_changed(&r->stages);
    if (first < 0) cJSON_AddNullToObject(root, "first_changed_stage");
    else cJSON_AddStringToObject(root, "first_changed_stage", r->stages.rows[first].name);
    cJSON_AddItemToObject(root, "decoding", decoding_json(r));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return wl_fail(err, errlen, "%s: out of memory writing the JSON", path);
    int rc = replace_file(path, text, strlen(text), err, errlen);
    free(text);
    return rc;
}
