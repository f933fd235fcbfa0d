/* monotonicity.json and the heatmaps: where the decoder listens while it writes each token. */
#include "attention.h"
#include "../tools/heatmap.h"
#include "../tools/monotonicity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Mean over the given (layer, head) pairs of the cross-attention rows of sequence tokens
 * [t0, t1): out[(t - t0) * S + pos]. Row t - 1 is the query that predicted token t. */
static void mean_rows(const wl_result *r, int t0, int t1, const int32_t *pairs, int n_pairs, float *out)
{
    const int S = r->n_audio_ctx;
    for (int t = t0; t < t1; t++)
        for (int pos = 0; pos < S; pos++) {
            double sum = 0;
            for (int k = 0; k < n_pairs; k++)
                sum += r->cross_attn[(((size_t)(t - 1) * r->layers + pairs[2 * k]) * r->heads + pairs[2 * k + 1]) * S + pos];
            out[(size_t)(t - t0) * S + pos] = (float)(sum / n_pairs);
        }
}

static cJSON *measure_json(monotonicity m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "rho_peak", wl_json_number(m.rho_peak, 4));
    cJSON_AddItemToObject(o, "rho_centroid", wl_json_number(m.rho_centroid, 4));
    cJSON_AddItemToObject(o, "nondecreasing", wl_json_number(m.nondecreasing, 4));
    return o;
}

/* The heads averaged for the heatmap and the DTW: the model's alignment heads, or when it has
 * none every head of the last layer. */
static int heads_used(const wl_session *s, const wl_result *r, int32_t *pairs)
{
    if (s->cfg.n_alignment_heads > 0) {
        memcpy(pairs, s->cfg.alignment_heads, sizeof *pairs * 2 * (size_t)s->cfg.n_alignment_heads);
        return s->cfg.n_alignment_heads;
    }
    for (int h = 0; h < r->heads; h++) pairs[2 * h] = r->layers - 1, pairs[2 * h + 1] = h;
    return r->heads;
}

static void clamp_cols(int *a, int *b, int lo, int hi)
{
    *a = *a < lo ? lo : *a > hi - 1 ? hi - 1 : *a;
    *b = *b > hi ? hi : *b <= *a ? *a + 1 : *b;
}

/* The heatmaps: all generated tokens of the greedy decode; columns cropped to the speech plus a
 * margin. grid: also every layer x head. */
static int draw(const wl_session *s, const lab_clip *c, const char *out_dir, int grid, int audio_cols,
                char *err, size_t errlen)
{
    const wl_result *r = c->greedy;
    const int S = r->n_audio_ctx, t0 = r->n_prompt, rows = r->n_tokens - r->n_prompt;
    const double tpp = s->dims.seconds_per_position, margin = 0.25;
    int a = 0, b = audio_cols;
    if (c->span.found) a = (int)floor((c->span.start - margin) / tpp), b = (int)ceil((c->span.end + margin) / tpp);
    clamp_cols(&a, &b, 0, audio_cols);
    int32_t pairs[2 * 64];
    int np = heads_used(s, r, pairs);
    float *all = malloc(sizeof *all * (size_t)rows * S), *crop = malloc(sizeof *crop * (size_t)rows * (b - a));
    char **labels = calloc((size_t)rows, sizeof *labels), title[512], sub[512], path[4200];
    int rc = -1;
    if (!all || !crop || !labels) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int i = 0; i < rows; i++) {
        char buf[256];
        wl_token_text(s->tok, r->tokens[t0 + i], buf, sizeof buf, 1);
        labels[i] = strdup(buf);
    }
    size_t used = 0;
    used += (size_t)snprintf(sub + used, sizeof sub - used, "%s", s->cfg.n_alignment_heads ? "alignment heads" : "last layer, all heads");
    for (int k = 0; k < np && used < sizeof sub; k++) used += (size_t)snprintf(sub + used, sizeof sub - used, " (%d,%d)", pairs[2 * k], pairs[2 * k + 1]);
    const char *name = strrchr(s->dir, '/') ? strrchr(s->dir, '/') + 1 : s->dir;
    if (used < sizeof sub) snprintf(sub + used, sizeof sub - used, " - %.200s (%s)", name, s->card.kind);
    snprintf(title, sizeof title, "clip %s: \"%s\"", c->id, c->sentence);
    mean_rows(r, t0, t0 + rows, pairs, np, all);
    for (int i = 0; i < rows; i++) memcpy(crop + (size_t)i * (b - a), all + (size_t)i * S + a, sizeof *crop * (size_t)(b - a));
    heatmap h = {.values = crop, .rows = rows, .cols = b - a, .row_labels = (const char *const *)labels,
                    .t0 = a * tpp, .dt = tpp, .title = title, .subtitle = sub};
    snprintf(path, sizeof path, "%s/cross_attention_%s.png", out_dir, c->id);
    if (heatmap_png(path, &h, err, errlen)) goto done;
    if (grid) {
        int n = r->layers * r->heads;
        heatmap *panels = calloc((size_t)n, sizeof *panels);
        char (*names)[48] = calloc((size_t)n, sizeof *names);
        const char **ptitles = calloc((size_t)n, sizeof *ptitles);
        float *vals = malloc(sizeof *vals * (size_t)n * rows * (b - a));
        if (!panels || !names || !ptitles || !vals) snprintf(err, errlen, "out of memory");
        for (int p = 0; vals && panels && names && ptitles && p < n; p++) {
            int32_t one[2] = {p / r->heads, p % r->heads};
            mean_rows(r, t0, t0 + rows, one, 1, all);
            float *v = vals + (size_t)p * rows * (b - a);
            for (int i = 0; i < rows; i++) memcpy(v + (size_t)i * (b - a), all + (size_t)i * S + a, sizeof *v * (size_t)(b - a));
            panels[p] = h, panels[p].values = v;
            snprintf(names[p], sizeof names[p], "layer %d head %d", one[0], one[1]);
            ptitles[p] = names[p];
        }
        char gtitle[600];
        snprintf(gtitle, sizeof gtitle, "clip %s: \"%s\", every decoder layer x head", c->id, c->sentence);
        snprintf(path, sizeof path, "%s/cross_attention_%s_heads.png", out_dir, c->id);
        int bad = !panels || !names || !ptitles || !vals ||
                  heatmap_grid_png(path, panels, ptitles, n, r->heads, gtitle, err, errlen);
        free(panels), free(names), free(ptitles), free(vals);
        if (bad) goto done;
    }
    rc = 0;
done:
    for (int i = 0; labels && i < rows; i++) free(labels[i]);
    free(labels), free(all), free(crop);
    return rc;
}

cJSON *lab_attention(const wl_session *s, const lab_clip *c, const char *out_dir, int grid, char *err,
                     size_t errlen)
{
    const wl_result *r = c->greedy;
    const int S = r->n_audio_ctx;
    const double tpp = s->dims.seconds_per_position;
    int audio_cols = (int)ceil((double)c->n_samples / WL_SAMPLE_RATE / tpp);
    if (audio_cols > S) audio_cols = S;
    if (audio_cols < 1) audio_cols = 1;
    if (draw(s, c, out_dir, grid, audio_cols, err, errlen)) return NULL;

    /* the text tokens only (not the end of text), over the speech's encoder positions */
    int text[512], n = 0;
    for (int t = r->n_prompt; t < r->n_tokens && n < 512; t++)
        if (lab_is_text(s, r->tokens[t])) text[n++] = t;
    int c0 = 0, c1 = audio_cols;
    if (c->span.found) c0 = (int)floor(c->span.start / tpp), c1 = (int)ceil(c->span.end / tpp);
    clamp_cols(&c0, &c1, 0, audio_cols);
    float *m = malloc(sizeof *m * (size_t)(n ? n : 1) * S), *row = malloc(sizeof *row * (size_t)S);
    double *peak = malloc(sizeof *peak * (size_t)(n ? n : 1));
    if (!m || !row || !peak) {
        free(m), free(row), free(peak);
        return snprintf(err, errlen, "out of memory"), NULL;
    }
    cJSON *e = cJSON_CreateObject(), *layers = cJSON_CreateArray(), *pos = cJSON_CreateArray();
    cJSON_AddItemToArray(pos, cJSON_CreateNumber(c0));
    cJSON_AddItemToArray(pos, cJSON_CreateNumber(c1));
    cJSON_AddItemToObject(e, "speech_positions", pos);
    cJSON_AddNumberToObject(e, "text_tokens", n);
    int32_t pairs[2 * 64];
    for (int l = 0; l < r->layers; l++) { /* each layer, heads averaged */
        int np = 0;
        for (int h = 0; h < r->heads && h < 64; h++) pairs[2 * np] = l, pairs[2 * np + 1] = h, np++;
        for (int i = 0; i < n; i++) mean_rows(r, text[i], text[i] + 1, pairs, np, m + (size_t)i * S);
        cJSON *o = measure_json(monotonicity_measure(m, n, S, c0, c1, NULL, NULL));
        cJSON_AddNumberToObject(o, "layer", l);
        cJSON_AddItemToArray(layers, o);
    }
    cJSON_AddItemToObject(e, "layers", layers);
    int np = heads_used(s, r, pairs);
    for (int i = 0; i < n; i++) mean_rows(r, text[i], text[i] + 1, pairs, np, m + (size_t)i * S);
    monotonicity am = monotonicity_measure(m, n, S, c0, c1, peak, NULL);
    cJSON *ah = measure_json(am), *peaks = cJSON_CreateArray();
    /* how far the DTW path (the token timestamps) starts each token from its attention peak */
    double dev = 0;
    for (int i = 0; i < n; i++) {
        cJSON_AddItemToArray(peaks, wl_json_number(peak[i] * tpp, 2));
        if (r->token_time) dev += fabs(r->token_time[text[i]] - peak[i] * tpp) / n;
    }
    cJSON_AddItemToObject(ah, "dtw_deviation", wl_json_number(n && r->token_time ? dev : NAN, 3));
    cJSON_AddItemToObject(ah, "peak_times", peaks);
    cJSON_AddItemToObject(e, "alignment_heads", ah);
    char name[64];
    snprintf(name, sizeof name, "cross_attention_%s.png", c->id);
    cJSON_AddStringToObject(e, "heatmap", name);
    free(m), free(row), free(peak);
    return e;
}

/* Ranks clips with at least two text tokens by the alignment heads' peak correlation, then the
 * fraction of forward steps, then the smaller DTW deviation. */
static double key(const cJSON *clip, int k)
{
    const cJSON *ah = cJSON_GetObjectItem(clip, "alignment_heads");
    const char *names[] = {"rho_peak", "nondecreasing", "dtw_deviation"};
    const cJSON *v = cJSON_GetObjectItem(ah, names[k]);
    double x = cJSON_IsNumber(v) ? v->valuedouble : (k == 2 ? INFINITY : -INFINITY);
    return k == 2 ? -x : x;
}

static int better(const cJSON *a, const cJSON *b)
{
    for (int k = 0; k < 3; k++)
        if (key(a, k) != key(b, k)) return key(a, k) > key(b, k);
    return 0;
}

cJSON *lab_monotonicity_summary(const cJSON *clips)
{
    const cJSON *c, *best = NULL, *worst = NULL;
    double layer_sum[64] = {0};
    int layer_n[64] = {0}, n = 0;
    cJSON_ArrayForEach(c, clips)
    {
        const cJSON *l;
        cJSON_ArrayForEach(l, cJSON_GetObjectItem(c, "layers"))
        {
            int i = cJSON_GetObjectItem(l, "layer")->valueint;
            const cJSON *rho = cJSON_GetObjectItem(l, "rho_peak");
            if (i >= 0 && i < 64 && cJSON_IsNumber(rho)) layer_sum[i] += rho->valuedouble, layer_n[i]++;
        }
        if (cJSON_GetObjectItem(c, "text_tokens")->valueint < 2) continue;
        n++;
        if (!best || better(c, best)) best = c;
        if (!worst || better(worst, c)) worst = c;
    }
    cJSON *sum = cJSON_CreateObject(), *layers = cJSON_CreateArray();
    cJSON_AddNumberToObject(sum, "clips_ranked", n);
    if (best) cJSON_AddStringToObject(sum, "cleanest", best->string);
    else cJSON_AddNullToObject(sum, "cleanest");
    if (worst) cJSON_AddStringToObject(sum, "messiest", worst->string);
    else cJSON_AddNullToObject(sum, "messiest");
    for (int i = 0; i < 64 && layer_n[i]; i++) cJSON_AddItemToArray(layers, wl_json_number(layer_sum[i] / layer_n[i], 4));
    cJSON_AddItemToObject(sum, "mean_rho_peak_per_layer", layers);
    return sum;
}
