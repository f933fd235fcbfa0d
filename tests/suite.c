#include "suite.h"

#include "../reports/tools/replace_file.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char clip[32];
    t_diff d;
    unsigned char bits[T_BITS_BYTES]; /* SHA-256 (truncated) of the engine's output; all 0: none given */
} result;

typedef struct {
    char stage[64];
    t_tol tol;
    int n, passed, worst; /* worst: index of the result with the largest headroom */
    result *r;
    char drift[256];      /* the row's standing against the baseline ("" when not judged) */
    int drift_fail;
} stage_row;

struct t_suite {
    char title[128];
    char key[32], kernel_path[128];
    int n;
    stage_row *rows;
};

t_suite *t_suite_new(const char *title)
{
    t_suite *s = calloc(1, sizeof *s);
    snprintf(s->title, sizeof s->title, "%s", title);
    return s;
}

void t_suite_describe(t_suite *s, const char *key, const char *kernel_path)
{
    snprintf(s->key, sizeof s->key, "%s", key);
    snprintf(s->kernel_path, sizeof s->kernel_path, "%s", kernel_path);
}

const char *t_suite_key(const t_suite *s) { return s->key; }
const char *t_suite_kernel_path(const t_suite *s) { return s->kernel_path; }

void t_suite_free(t_suite *s)
{
    for (int i = 0; i < s->n; i++) free(s->rows[i].r);
    free(s->rows);
    free(s);
}

static stage_row *row_for(t_suite *s, const char *stage, t_tol tol)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->rows[i].stage, stage) == 0) return &s->rows[i];
    s->rows = realloc(s->rows, (size_t)(s->n + 1) * sizeof *s->rows);
    stage_row *r = &s->rows[s->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->stage, sizeof r->stage, "%s", stage);
    r->tol = tol;
    return r;
}

int t_suite_add(t_suite *s, const char *stage, const char *clip, const t_diff *d, t_tol tol)
{
    stage_row *row = row_for(s, stage, tol);
    row->r = realloc(row->r, (size_t)(row->n + 1) * sizeof *row->r);
    result *r = &row->r[row->n];
    memset(r, 0, sizeof *r);
    snprintf(r->clip, sizeof r->clip, "%s", clip);
    r->d = *d;
    if (row->n == 0 || d->headroom > row->r[row->worst].d.headroom) row->worst = row->n;
    row->n++;
    row->passed += d->pass;
    if (!d->pass) {
        if (!d->shape_ok)
            printf("FAIL %s clip %s: shape differs from the golden\n", stage, clip);
        else
            printf("FAIL %s clip %s: %lld of %lld elements out of tolerance (%lld non-finite); "
                   "max-abs %.3g, max-rel %.3g, headroom %.3g at element %lld (atol %g, rtol %g)\n",
                   stage, clip, (long long)d->n_bad, (long long)d->n, (long long)d->n_nonfinite,
                   d->max_abs, d->max_rel, d->headroom, (long long)d->worst, tol.atol, tol.rtol);
    }
    return d->pass;
}

int t_suite_failures(const t_suite *s)
{
    int f = 0;
    for (int i = 0; i < s->n; i++) f += s->rows[i].n - s->rows[i].passed;
    return f;
}

static result *find_result(t_suite *s, const char *stage, const char *clip)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->rows[i].stage, stage) == 0)
            for (int k = 0; k < s->rows[i].n; k++)
                if (strcmp(s->rows[i].r[k].clip, clip) == 0) return &s->rows[i].r[k];
    return NULL;
}

int t_suite_fingerprint(t_suite *s, const char *stage, const char *clip, const void *data, size_t bytes)
{
    result *r = find_result(s, stage, clip);
    if (!r) return -1;
    /* chained: the digest of (the fingerprint so far, data), so several arrays fold into one */
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) && EVP_DigestUpdate(ctx, r->bits, sizeof r->bits) &&
             EVP_DigestUpdate(ctx, data, bytes) && EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    if (!ok) return -1;
    memcpy(r->bits, md, sizeof r->bits);
    return 0;
}

int t_suite_rows(const t_suite *s) { return s->n; }

t_row_stats t_suite_row_stats(const t_suite *s, int row)
{
    const stage_row *r = &s->rows[row];
    t_row_stats st = {r->stage, r->n, 0, 0};
    for (int k = 0; k < r->n; k++) {
        st.max_abs = fmax(st.max_abs, r->r[k].d.max_abs);
        st.nmse += r->r[k].d.nmse / r->n;
    }
    return st;
}

static void bits_hex(const unsigned char *bits, char hex[2 * T_BITS_BYTES + 1])
{
    static const unsigned char none[T_BITS_BYTES];
    hex[0] = 0;
    if (memcmp(bits, none, T_BITS_BYTES) == 0) return;
    for (int i = 0; i < T_BITS_BYTES; i++) sprintf(hex + 2 * i, "%02x", bits[i]);
}

const char *t_suite_row_clip(const t_suite *s, int row, int k, char hex[2 * T_BITS_BYTES + 1])
{
    bits_hex(s->rows[row].r[k].bits, hex);
    return s->rows[row].r[k].clip;
}

void t_suite_set_drift(t_suite *s, int row, const char *text, int fail)
{
    snprintf(s->rows[row].drift, sizeof s->rows[row].drift, "%s", text);
    s->rows[row].drift_fail = fail;
}

int t_suite_drift_failures(const t_suite *s)
{
    int f = 0;
    for (int i = 0; i < s->n; i++) f += s->rows[i].drift_fail;
    return f;
}

void t_suite_print(const t_suite *s)
{
    printf("\n%s\n", s->title);
    printf("%-24s %9s %11s %11s %9s %-6s %8s %8s\n", "stage", "passed", "max-abs", "max-rel",
           "headroom", "clip", "atol", "rtol");
    for (int i = 0; i < s->n; i++) {
        const stage_row *r = &s->rows[i];
        double ma = 0, mr = 0;
        for (int k = 0; k < r->n; k++) {
            ma = fmax(ma, r->r[k].d.max_abs);
            mr = fmax(mr, r->r[k].d.max_rel);
        }
        char passed[24];
        snprintf(passed, sizeof passed, "%d/%d", r->passed, r->n);
        printf("%-24s %9s %11.3e %11.3e %9.3f %-6s %8.1e %8.1e%s%s%s\n", r->stage, passed, ma, mr,
               r->r[r->worst].d.headroom, r->r[r->worst].clip, r->tol.atol, r->tol.rtol,
               r->passed < r->n ? "  FAIL" : "", r->drift[0] ? "  " : "", r->drift);
    }
    for (int i = 0; i < s->n; i++)
        if (s->rows[i].passed < s->rows[i].n) {
            const result *w = &s->rows[i].r[s->rows[i].worst];
            printf("first failing stage: %s (worst clip %s: max-abs %.3g, headroom %.3g)\n",
                   s->rows[i].stage, w->clip, w->d.max_abs, w->d.headroom);
            break;
        }
    for (int i = 0; i < s->n; i++)
        if (s->rows[i].drift_fail) {
            printf("first stage over its drift budget: %s (%s)\n", s->rows[i].stage, s->rows[i].drift);
            break;
        }
    printf("(headroom = worst |got-ref| / (atol + rtol*|ref|); below 1 passes)\n");
}

static double finite_or_max(double x) { return isfinite(x) ? x : 1e300; }

cJSON *t_suite_json(const t_suite *s)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "title", s->title);
    cJSON_AddNumberToObject(root, "failures", t_suite_failures(s));
    if (s->key[0]) {
        cJSON_AddStringToObject(root, "suite", s->key);
        cJSON_AddStringToObject(root, "kernel_path", s->kernel_path);
    }
    cJSON *stages = cJSON_AddArrayToObject(root, "stages");
    for (int i = 0; i < s->n; i++) {
        const stage_row *r = &s->rows[i];
        cJSON *st = cJSON_CreateObject();
        cJSON_AddStringToObject(st, "stage", r->stage);
        cJSON_AddNumberToObject(st, "atol", r->tol.atol);
        cJSON_AddNumberToObject(st, "rtol", r->tol.rtol);
        cJSON_AddNumberToObject(st, "clips", r->n);
        cJSON_AddNumberToObject(st, "passed", r->passed);
        if (r->drift[0]) {
            cJSON *dr = cJSON_AddObjectToObject(st, "drift");
            cJSON_AddBoolToObject(dr, "fail", r->drift_fail);
            cJSON_AddStringToObject(dr, "verdict", r->drift_fail ? "over budget" : !strcmp(r->drift, "same bits") ? "same bits"
                                                   : !strncmp(r->drift, "no ", 3) ? "no baseline" : "within budget");
            cJSON_AddStringToObject(dr, "message", r->drift);
        }
        cJSON *res = cJSON_AddArrayToObject(st, "results");
        for (int k = 0; k < r->n; k++) {
            const t_diff *d = &r->r[k].d;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "clip", r->r[k].clip);
            cJSON_AddBoolToObject(o, "pass", d->pass);
            cJSON_AddNumberToObject(o, "elements", (double)d->n);
            cJSON_AddNumberToObject(o, "bad", (double)d->n_bad);
            cJSON_AddNumberToObject(o, "max_abs", d->max_abs);
            cJSON_AddNumberToObject(o, "max_rel", d->max_rel);
            cJSON_AddNumberToObject(o, "nmse", d->nmse);
            cJSON_AddNumberToObject(o, "cosine", d->cosine);
            cJSON_AddNumberToObject(o, "headroom", finite_or_max(d->headroom));
            char hex[2 * T_BITS_BYTES + 1];
            bits_hex(r->r[k].bits, hex);
            if (hex[0]) cJSON_AddStringToObject(o, "bits", hex);
            cJSON_AddItemToArray(res, o);
        }
        cJSON_AddItemToArray(stages, st);
    }
    return root;
}

int t_json_write_file(const cJSON *root, const char *path)
{
    char *text = cJSON_Print(root), err[1200];
    size_t len = text ? strlen(text) : 0;
    char *line = text ? realloc(text, len + 2) : NULL; /* room for the closing newline */
    if (!line) {
        free(text);
        fprintf(stderr, "%s: out of memory\n", path);
        return -1;
    }
    line[len] = '\n', line[len + 1] = 0;
    int rc = replace_file(path, line, len + 1, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    free(line);
    return rc;
}

int t_suite_write_json(const t_suite *s, const char *path)
{
    cJSON *root = t_suite_json(s);
    int rc = t_json_write_file(root, path);
    cJSON_Delete(root);
    return rc;
}

void t_suite_json_path(char *buf, size_t n, const char *kind, const char *model)
{
    snprintf(buf, n, "build/verify/%s.%s.json", kind, model);
}
