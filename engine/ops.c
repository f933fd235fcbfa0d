#include "ops.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void wl_linear(float *out, const float *inp, wl_linear_w W, int T, int IN, int OUT)
{
    /* One row (a generation step) as a matrix-vector product: sgemm would repack all of W
     * (the 51864 x 384 logits matrix) on every call. */
    if (T == 1) cblas_sgemv(CblasRowMajor, CblasNoTrans, OUT, IN, 1.0f, W.w, IN, inp, 1, 0.0f, out, 1);
    else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, OUT, IN, 1.0f, inp, IN, W.w, IN, 0.0f,
                     out, OUT);
    if (W.b)
        for (int t = 0; t < T; t++)
            for (int o = 0; o < OUT; o++) out[(int64_t)t * OUT + o] += W.b[o];
}

void wl_layernorm(float *out, const float *inp, wl_norm_w n, int T, int C)
{
    for (int t = 0; t < T; t++) {
        const float *x = inp + (int64_t)t * C;
        float *y = out + (int64_t)t * C;
        double mean = 0, var = 0; /* double: the statistics carry no accumulation-order noise */
        for (int c = 0; c < C; c++) mean += x[c];
        mean /= C;
        for (int c = 0; c < C; c++) var += (x[c] - mean) * (x[c] - mean);
        float rstd = (float)(1.0 / sqrt(var / C + 1e-5));
        for (int c = 0; c < C; c++) y[c] = ((float)(x[c] - mean) * rstd) * n.w[c] + n.b[c];
    }
}

void wl_gelu(float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
}

void wl_conv1d_k3(float *out, const float *inp, wl_linear_w W, int C_in, int T_in, int C_out, int stride)
{
    int T_out = (T_in - 1) / stride + 1;
    /* im2col: col[c*3 + k][t] = inp[c][t*stride + k - 1], zero outside; then one sgemm. */
    float *col = malloc((size_t)C_in * 3 * T_out * sizeof *col);
    for (int c = 0; c < C_in; c++)
        for (int k = 0; k < 3; k++) {
            float *row = col + ((int64_t)c * 3 + k) * T_out;
            for (int t = 0; t < T_out; t++) {
                int s = t * stride + k - 1;
                row[t] = (s >= 0 && s < T_in) ? inp[(int64_t)c * T_in + s] : 0.0f;
            }
        }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, C_out, T_out, C_in * 3, 1.0f, W.w,
                C_in * 3, col, T_out, 0.0f, out, T_out);
    free(col);
    for (int o = 0; o < C_out; o++)
        for (int t = 0; t < T_out; t++) out[(int64_t)o * T_out + t] += W.b[o];
}

static void softmax_row(float *x, int n)
{
    float top = -INFINITY, sum = 0;
    for (int i = 0; i < n; i++) top = x[i] > top ? x[i] : top;
    for (int i = 0; i < n; i++) sum += (x[i] = expf(x[i] - top));
    float inv = 1.0f / sum;
    for (int i = 0; i < n; i++) x[i] *= inv;
}

void wl_attention(float *out, float *probs, const float *q, const float *k, const float *v, int Tq,
                  int Tk, int C, int H, int causal)
{
    int D = C / H;
    for (int h = 0; h < H; h++) {
        float *S = probs + (int64_t)h * Tq * Tk;
        /* One query (a generation step): matrix-vector products, as sgemm would repack K and V */
        if (Tq == 1) cblas_sgemv(CblasRowMajor, CblasNoTrans, Tk, D, 1.0f, k + h * D, C, q + h * D, 1, 0.0f, S, 1);
        else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Tq, Tk, D, 1.0f, q + h * D, C, k + h * D,
                         C, 0.0f, S, Tk);
        for (int i = 0; i < Tq; i++) {
            float *row = S + (int64_t)i * Tk;
            if (causal >= 0)
                for (int j = causal + i + 1; j < Tk; j++) row[j] = -INFINITY;
            softmax_row(row, Tk);
        }
        if (Tq == 1) cblas_sgemv(CblasRowMajor, CblasTrans, Tk, D, 1.0f, v + h * D, C, S, 1, 0.0f, out + h * D, 1);
        else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Tq, D, Tk, 1.0f, S, Tk, v + h * D, C,
                         0.0f, out + h * D, C);
    }
}

void wl_add(float *out, const float *inp, int64_t n)
{
    for (int64_t i = 0; i < n; i++) out[i] += inp[i];
}

void wl_ffn_block(float *h, const wl_norm_w *ln, wl_linear_w fc1, wl_linear_w fc2, int T, int C,
                  int FFN, float *scratch)
{
    float *x = scratch, *f = scratch + (int64_t)T * C;
    wl_layernorm(x, h, *ln, T, C);
    wl_linear(f, x, fc1, T, C, FFN);
    wl_gelu(f, (int64_t)T * FFN);
    wl_linear(x, f, fc2, T, FFN, C);
    wl_add(h, x, (int64_t)T * C);
}

void wl_query(float *q, const float *x, wl_linear_w Wq, int T, int C, int H)
{
    wl_linear(q, x, Wq, T, C, C);
    const float scale = (float)(1.0 / sqrt((double)(C / H)));
    for (int64_t i = 0; i < (int64_t)T * C; i++) q[i] *= scale;
}

int64_t wl_first_non_finite(const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return i;
    return -1;
}
