/* Token-level timestamps from cross-attention, as HF's return_token_timestamps computes them
 * (GW:_extract_token_timestamps, _median_filter, _dynamic_time_warping in
 * models/whisper/generation_whisper.py). */
#include "../whisperlab.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Median of each width-wide window along x[0..n), reflect-padded by width/2 at both ends (the
 * mirror does not repeat the edge); unchanged when n <= width/2 (GW:_median_filter). */
static void median_filter(float *x, int n, int width, float *pad, float *win)
{
    int h = width / 2;
    if (n <= h) return;
    for (int i = 0; i < n + 2 * h; i++) {
        int j = i - h;
        pad[i] = x[j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j];
    }
    for (int i = 0; i < n; i++) {
        memcpy(win, pad + i, (size_t)width * sizeof *win);
        qsort(win, (size_t)width, sizeof *win, cmp_float);
        x[i] = win[h];
    }
}

int wl_dtw(const double *x, int N, int M, int *path_row, int *path_col, int *len)
{
    /* cost is float32 and trace float32 in HF: cost[i][j] = x[i-1][j-1] + the cheapest of the
     * diagonal (strictly cheapest), up, or left (the rest), rounded to float */
    float *cost = malloc((size_t)(N + 1) * (M + 1) * sizeof *cost);
    signed char *trace = malloc((size_t)(N + 1) * (M + 1));
    if (!cost || !trace) return free(cost), free(trace), -1;
    for (size_t k = 0; k < (size_t)(N + 1) * (M + 1); k++) cost[k] = INFINITY, trace[k] = -1;
    cost[0] = 0;
#define AT(a, i, j) a[(size_t)(i) * (M + 1) + (j)]
    for (int j = 1; j <= M; j++)
        for (int i = 1; i <= N; i++) {
            float c0 = AT(cost, i - 1, j - 1), c1 = AT(cost, i - 1, j), c2 = AT(cost, i, j - 1), c;
            int t;
            if (c0 < c1 && c0 < c2) c = c0, t = 0;
            else if (c1 < c0 && c1 < c2) c = c1, t = 1;
            else c = c2, t = 2;
            AT(cost, i, j) = (float)(x[(size_t)(i - 1) * M + (j - 1)] + (double)c);
            AT(trace, i, j) = (signed char)t;
        }
    for (int j = 0; j <= M; j++) AT(trace, 0, j) = 2; /* the edges lead back to (0, 0) */
    for (int i = 0; i <= N; i++) AT(trace, i, 0) = 1;
    int i = N, j = M, n = 0;
    while (i > 0 || j > 0) { /* backtrace from the end, written in reverse */
        path_row[n] = i - 1, path_col[n] = j - 1, n++;
        int t = AT(trace, i, j);
        if (t == 0) i--, j--;
        else if (t == 1) i--;
        else j--;
    }
#undef AT
    for (int k = 0; k < n / 2; k++) {
        int r = path_row[k], c = path_col[k];
        path_row[k] = path_row[n - 1 - k], path_col[k] = path_col[n - 1 - k];
        path_row[n - 1 - k] = r, path_col[n - 1 - k] = c;
    }
    *len = n;
    free(cost), free(trace);
    return 0;
}

int wl_token_timestamps(const float *attn, int R, int layers, int heads, int S, const wl_gen_config *cfg,
                        int n_frames, double time_per_pos, float *time)
{
    const int A = cfg->n_alignment_heads;
    int F = n_frames > 0 && n_frames / 2 < S ? n_frames / 2 : S; /* crop after the softmax */
    if (F < 1) F = 1;
    float *w = malloc((size_t)A * R * F * sizeof *w), *pad = malloc(((size_t)F + cfg->median_filter_width) * sizeof *pad);
    float *win = malloc((size_t)cfg->median_filter_width * sizeof *win);
    double *mat = malloc((size_t)R * F * sizeof *mat);
    int *pr = malloc(((size_t)R + F) * sizeof *pr), *pc = malloc(((size_t)R + F) * sizeof *pc), n;
    int rc = w && pad && win && mat && pr && pc ? 0 : -1;
    for (int a = 0; !rc && a < A; a++) {
        int l = cfg->alignment_heads[2 * a], h = cfg->alignment_heads[2 * a + 1];
        float *wa = w + (size_t)a * R * F;
        for (int r = 0; r < R; r++)
            memcpy(wa + (size_t)r * F, attn + (((size_t)r * layers + l) * heads + h) * S, (size_t)F * sizeof *wa);
        /* z-score each frame over the token axis (torch.std with unbiased=False) */
        for (int f = 0; f < F; f++) {
            double sum = 0, sq = 0;
            for (int r = 0; r < R; r++) sum += wa[(size_t)r * F + f];
            float mean = (float)(sum / R);
            for (int r = 0; r < R; r++) sq += ((double)wa[(size_t)r * F + f] - mean) * ((double)wa[(size_t)r * F + f] - mean);
            float sd = (float)sqrt(sq / R);
            for (int r = 0; r < R; r++) /* one row (sd 0) would be NaN in HF; here it is 0 */
                wa[(size_t)r * F + f] = sd > 0 ? (wa[(size_t)r * F + f] - mean) / sd : 0;
        }
        for (int r = 0; r < R; r++) median_filter(wa + (size_t)r * F, F, cfg->median_filter_width, pad, win);
    }
    /* the heads' mean, negated: DTW finds the path of most attention */
    for (size_t k = 0; !rc && k < (size_t)R * F; k++) {
        double sum = 0;
        for (int a = 0; a < A; a++) sum += w[(size_t)a * R * F + k];
        mat[k] = -(double)(float)(sum / A);
    }
    if (!rc) rc = wl_dtw(mat, R, F, pr, pc, &n);
    /* each row's first column on the path: where its text index jumps */
    time[0] = 0;
    for (int k = 0, seen = -1; !rc && k < n; k++)
        if (pr[k] != seen) seen = pr[k], time[1 + pr[k]] = (float)(pc[k] * time_per_pos);
    free(w), free(pad), free(win), free(mat), free(pr), free(pc);
    return rc;
}
