#include "ops.h"

#include "parallel.h"
#include "vmath.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { OUT_BLOCK = 64 };

typedef struct {
    float *out;
    const float *inp;
    wl_linear_w W;
    int T, IN, OUT;
} rows_job;

/* Output rows [b0, b1) * OUT_BLOCK of every input row: W is read from memory once. */
static void few_rows_blocks(void *p, int b0, int b1)
{
    const rows_job *j = p;
    int o0 = b0 * OUT_BLOCK, o1 = b1 * OUT_BLOCK < j->OUT ? b1 * OUT_BLOCK : j->OUT;
    wl_vmatmul(j->out + o0, j->OUT, j->W.w + (int64_t)o0 * j->IN, j->IN, j->inp, j->IN, j->T, o1 - o0, j->IN);
}

static void add_bias(float *out, const float *b, int T, int OUT)
{
    for (int t = 0; t < T; t++) wl_vadd(out + (int64_t)t * OUT, b, OUT);
}

void wl_linear(float *out, const float *inp, wl_linear_w W, int T, int IN, int OUT)
{
    if (T <= WL_STEP_ROWS) {
        /* A step's few rows: matrix-vector products reading W once (sgemm would repack all of
         * W, e.g. the 51864 x 384 logits matrix, on every call), split over threads by output
         * rows when W is big enough to be worth it. Each row's result never depends on T. */
        rows_job j = {out, inp, W, T, IN, OUT};
        int blocks = (OUT + OUT_BLOCK - 1) / OUT_BLOCK;
        wl_parallel_for(blocks, (int64_t)OUT * IN >= (1 << 17) ? 1 : blocks, few_rows_blocks, &j);
    } else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, OUT, IN, 1.0f, inp, IN, W.w, IN, 0.0f, out, OUT);
    if (W.b) add_bias(out, W.b, T, OUT);
}

typedef struct {
    float *out;
    const float *inp;
    wl_norm_w n;
    int C;
} ln_job;

static void layernorm_rows(void *p, int t0, int t1)
{
    const ln_job *j = p;
    const int C = j->C;
    const wl_norm_w n = j->n;
    for (int t = t0; t < t1; t++) {
        const float *x = j->inp + (int64_t)t * C;
        float *y = j->out + (int64_t)t * C;
        double mean = 0, var = 0; /* double: the statistics carry no accumulation-order noise */
        for (int c = 0; c < C; c++) mean += x[c];
        mean /= C;
        for (int c = 0; c < C; c++) var += (x[c] - mean) * (x[c] - mean);
        float rstd = (float)(1.0 / sqrt(var / C + 1e-5));
        for (int c = 0; c < C; c++) y[c] = ((float)(x[c] - mean) * rstd) * n.w[c] + n.b[c];
    }
}

void wl_layernorm(float *out, const float *inp, wl_norm_w n, int T, int C)
{
    ln_job j = {out, inp, n, C};
    wl_parallel_for(T, 128, layernorm_rows, &j);
}

enum { GELU_BLOCK = 4096 };

typedef struct {
    float *x;
    int64_t n;
} gelu_job;

static void gelu_blocks(void *p, int b0, int b1)
{
    const gelu_job *j = p;
    int64_t i0 = (int64_t)b0 * GELU_BLOCK, i1 = (int64_t)b1 * GELU_BLOCK < j->n ? (int64_t)b1 * GELU_BLOCK : j->n;
    wl_vgelu(j->x + i0, i1 - i0);
}

void wl_gelu(float *x, int64_t n)
{
    gelu_job j = {x, n};
    wl_parallel_for((int)((n + GELU_BLOCK - 1) / GELU_BLOCK), 8, gelu_blocks, &j);
}

typedef struct {
    float *out, *probs;
    const float *q, *k, *v;
    int Tq, Tk, C, H, causal;
} attn_job;

enum { ATTN_ROWS = 64 }; /* query rows per block: a block's scores stay in cache */

/* Heads [h0, h1): scores, softmax and weighted values, a block of query rows at a time. */
static void attention_heads(void *p, int h0, int h1)
{
    const attn_job *j = p;
    const int D = j->C / j->H, Tk = j->Tk, C = j->C;
    float *buf = j->probs ? NULL : malloc((size_t)ATTN_ROWS * Tk * sizeof *buf);
    for (int h = h0; h < h1; h++)
        for (int r0 = 0; r0 < j->Tq; r0 += ATTN_ROWS) {
            int R = j->Tq - r0 < ATTN_ROWS ? j->Tq - r0 : ATTN_ROWS;
            float *S = j->probs ? j->probs + ((int64_t)h * j->Tq + r0) * Tk : buf;
            if (!S) abort(); /* a 64 x Tk buffer: out of memory here is not recoverable */
            const float *q = j->q + (int64_t)r0 * C + h * D;
            float *out = j->out + (int64_t)r0 * C + h * D;
            /* A few queries (a generation step, beams): matrix-vector products, as sgemm would
             * repack K and V; each row's result then does not depend on how many rows came. */
            if (R <= WL_STEP_ROWS)
                wl_vmatmul(S, Tk, j->k + h * D, C, q, C, R, Tk, D);
            else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, Tk, D, 1.0f, q, C, j->k + h * D, C, 0.0f, S, Tk);
            for (int i = 0; i < R; i++) {
                float *row = S + (int64_t)i * Tk;
                if (j->causal >= 0)
                    for (int c = j->causal + r0 + i + 1; c < Tk; c++) row[c] = -INFINITY;
                wl_softmax_row(row, Tk);
            }
            if (R <= WL_STEP_ROWS)
                for (int i = 0; i < R; i++) wl_vvecmat(out + (int64_t)i * C, S + (int64_t)i * Tk, j->v + h * D, C, Tk, D);
            else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, D, Tk, 1.0f, S, Tk, j->v + h * D, C, 0.0f, out, C);
        }
    free(buf);
}

void wl_attention(float *out, float *probs, const float *q, const float *k, const float *v, int Tq,
                  int Tk, int C, int H, int causal)
{
    attn_job j = {out, probs, q, k, v, Tq, Tk, C, H, causal};
    /* heads in parallel when they are worth a thread: not a step's self-attention over a few keys */
    if ((int64_t)Tq * Tk * C >= (1 << 17)) wl_parallel_for(H, 1, attention_heads, &j);
    else attention_heads(&j, 0, H);
}


void wl_ffn_block(float *h, const wl_norm_w *ln, wl_linear_w fc1, wl_linear_w fc2, int T, int C,
                  int FFN, float *scratch)
{
    float *x = scratch, *f = scratch + (int64_t)T * C;
    wl_layernorm(x, h, *ln, T, C);
    wl_linear(f, x, fc1, T, C, FFN);
    wl_gelu(f, (int64_t)T * FFN);
    wl_linear(x, f, fc2, T, FFN, C);
    wl_vadd(h, x, (int64_t)T * C);
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
