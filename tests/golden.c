#include "golden.h"
#include "../engine/base/sha256.h"
#include "../engine/base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STALE "goldens are stale: re-run make golden"

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

const char *t_golden_dir_under_test(void) { return env_or("WL_GOLDEN", "golden/whisper-tiny.en-synthetic"); }
const char *t_model_dir_under_test(void) { return env_or("WL_MODEL", "build/whisper-tiny.en-synthetic"); }

void t_golden_name(const char *golden_dir, char *out, size_t outlen)
{
    size_t n = strlen(golden_dir);
    while (n > 1 && golden_dir[n - 1] == '/') n--;
    size_t start = n;
    while (start > 0 && golden_dir[start - 1] != '/') start--;
    snprintf(out, outlen, "%.*s", (int)(n - start), golden_dir + start);
}

void t_golden_tolerance_file(const char *golden_dir, char *out, size_t outlen)
{
    char name[1024];
    t_golden_name(golden_dir, name, sizeof name);
    snprintf(out, outlen, "tests/tolerances.%s.tsv", name);
    FILE *f = fopen(out, "r");
    if (f) fclose(f);
    else snprintf(out, outlen, "tests/tolerances.tsv");
}

int t_golden_open(t_golden *g, const char *dir, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    snprintf(g->dir, sizeof g->dir, "%s", dir);
    char path[1100];
    size_t len;
    snprintf(path, sizeof path, "%s/index.json", dir);
    char *text = wl_read_file(path, &len, err, errlen);
    if (!text) return -1;
    g->index = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(g->index) || !cJSON_IsObject(cJSON_GetObjectItem(g->index, "clips"))) {
        cJSON_Delete(g->index);
        g->index = NULL;
        return wl_fail(err, errlen, "%s: not a golden index (JSON object with \"clips\")", path);
    }
    return 0;
}

void t_golden_close(t_golden *g)
{
    cJSON_Delete(g->index);
    g->index = NULL;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Compares the SHA256 of path with want; fills err with what differs. */
static int same_hash(const char *path, const char *want, const char *what, char *err, size_t errlen)
{
    char hex[65];
    if (wl_sha256_file(path, hex, err, errlen)) return -1;
    if (strcmp(hex, want) != 0)
        return wl_fail(err, errlen, STALE " (%s %s has SHA256 %.12s..., the goldens were made from %.12s...)",
                       what, path, hex, want);
    return 0;
}

static int exporter_version(const char *path)
{
    size_t len;
    char *text = wl_read_file(path, &len, NULL, 0);
    if (!text) return -1;
    const char *p = strstr(text, "\nEXPORTER_VERSION = ");
    int v = p ? atoi(p + 20) : -1;
    free(text);
    return v;
}

int t_golden_check_fresh(const t_golden *g, const char *model_dir, const char *audio_dir,
                         const char *exporter_path, char *err, size_t errlen)
{
    const cJSON *ver = cJSON_GetObjectItem(g->index, "exporter_version");
    int current = exporter_version(exporter_path);
    if (current < 0) return wl_fail(err, errlen, "%s: no EXPORTER_VERSION line", exporter_path);
    if (!cJSON_IsNumber(ver) || ver->valueint != current)
        return wl_fail(err, errlen, STALE " (%s/index.json has exporter version %d, %s is version %d)",
                       g->dir, cJSON_IsNumber(ver) ? ver->valueint : -1, exporter_path, current);
    char path[2048];
    snprintf(path, sizeof path, "%s/model.safetensors", model_dir);
    if (same_hash(path, str(g->index, "model_sha256"), "model", err, errlen)) return -1;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(g->index, "config_sha256"))
    {
        snprintf(path, sizeof path, "%s/%s", model_dir, c->string);
        if (same_hash(path, cJSON_IsString(c) ? c->valuestring : "", "config", err, errlen)) return -1;
    }
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(g->index, "clips"))
    {
        snprintf(path, sizeof path, "%s/%s", audio_dir, str(c, "wav"));
        if (same_hash(path, str(c, "wav_sha256"), "clip", err, errlen)) return -1;
        snprintf(path, sizeof path, "%s/%s", g->dir, str(c, "golden"));
        char hex[65];
        if (wl_sha256_file(path, hex, err, errlen)) return -1;
        if (strcmp(hex, str(c, "golden_sha256")))
            return wl_fail(err, errlen, "%s: SHA256 differs from index.json: the golden file was modified", path);
    }
    return 0;
}

const cJSON *t_golden_clip(const t_golden *g, const char *id)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(g->index, "clips"), id);
}

int t_golden_open_clip(const t_golden *g, const char *id, wl_st_file *f, char *err, size_t errlen)
{
    const cJSON *c = t_golden_clip(g, id);
    if (!c) return wl_fail(err, errlen, "%s/index.json: no clip '%s'", g->dir, id);
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", g->dir, str(c, "golden"));
    return wl_st_open(f, path, err, errlen);
}

t_view t_golden_view(const wl_st_file *f, const char *name)
{
    t_view v = {0};
    const wl_st_tensor *t = wl_st_find(f, name);
    if (!t || t->dtype != WL_F32 || t->ndim > 4) return v;
    v.data = t->data;
    v.ndim = t->ndim;
    for (int i = 0; i < t->ndim; i++) v.shape[i] = t->shape[i];
    return v;
}

/* Splits a shape around axis: outer x shape[axis] x inner. */
static void split(t_view v, int axis, int64_t *outer, int64_t *inner)
{
    *outer = *inner = 1;
    for (int i = 0; i < axis; i++) *outer *= v.shape[i];
    for (int i = axis + 1; i < v.ndim; i++) *inner *= v.shape[i];
}

void t_gather(t_view full, int axis, const int32_t *index, int64_t n, float *out)
{
    int64_t outer, inner, len = full.shape[axis];
    split(full, axis, &outer, &inner);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < n; k++)
            memcpy(out + (o * n + k) * inner, full.data + (o * len + index[k]) * inner,
                   (size_t)inner * sizeof(float));
}

void t_axis_stats(t_view full, int axis, float *mean, float *rms)
{
    int64_t outer, inner, len = full.shape[axis];
    split(full, axis, &outer, &inner);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            double s = 0, s2 = 0;
            for (int64_t k = 0; k < len; k++) {
                double x = full.data[(o * len + k) * inner + i];
                s += x, s2 += x * x;
            }
            mean[o * inner + i] = (float)(s / (double)len);
            rms[o * inner + i] = (float)sqrt(s2 / (double)len);
        }
}

static int64_t numel(t_view v)
{
    int64_t n = 1;
    for (int i = 0; i < v.ndim; i++) n *= v.shape[i];
    return n;
}

t_diff t_golden_compare(const wl_st_file *f, const char *name, int axis, t_view got, t_tol tol)
{
    char key[128];
    t_view ref = t_golden_view(f, name);
    snprintf(key, sizeof key, "%s.index", name);
    const wl_st_tensor *ix = wl_st_find(f, key);
    if (!ix || axis < 0) return t_diff_views(got, ref, tol);
    int ok = got.ndim == ref.ndim && axis < ref.ndim && ix->dtype == WL_I32 && ix->ndim == 1;
    for (int64_t i = 0; ok && i < ix->shape[0]; i++) /* a damaged index must not read out of bounds */
        ok = ((const int32_t *)ix->data)[i] >= 0 && ((const int32_t *)ix->data)[i] < got.shape[axis];
    if (!ok) return t_diff_views(got, (t_view){0}, tol);
    t_view gathered = got;
    gathered.shape[axis] = ix->shape[0];
    float *buf = malloc((size_t)numel(gathered) * sizeof(float));
    t_gather(got, axis, ix->data, ix->shape[0], buf);
    gathered.data = buf;
    t_diff d = t_diff_views(gathered, ref, tol);
    free(buf);
    int64_t ns = numel(got) / got.shape[axis];
    float *mean = malloc((size_t)ns * sizeof(float)), *rms = malloc((size_t)ns * sizeof(float));
    t_axis_stats(got, axis, mean, rms);
    snprintf(key, sizeof key, "%s.mean", name);
    t_view rm = t_golden_view(f, key);
    snprintf(key, sizeof key, "%s.rms", name);
    t_view rr = t_golden_view(f, key);
    if (numel(rm) != ns || numel(rr) != ns || !rm.data || !rr.data) d.pass = d.shape_ok = 0;
    else d = t_diff_merge(d, t_diff_merge(t_diff_arrays(mean, rm.data, ns, tol),
                                          t_diff_arrays(rms, rr.data, ns, tol)));
    free(mean), free(rms);
    return d;
}
