#include "ops.h"

#include "../kernels/gemm.h"
#include "../kernels/parallel.h"
#include "../base/util.h"
#include "../kernels/vmath.h"

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

/* Longer products are cut into blocks of GEMM_ROWS input rows or of GEMM_COLS output columns,
 * each block its own call, and threads take whole blocks. A library may give an element other
 * bits in a call of another shape (oneDNN's AVX2 sgemm blocks K by the call's rows; kernels treat
 * a call's last rows or columns as a tail), so a call's shape must depend only on where its
 * block lies, never on how many threads share the product. */
enum { GEMM_ROWS = 48, GEMM_COLS = 256 };

/* sgemm of input rows [b0, b1) * GEMM_ROWS against all of W, one call per block. */
static void gemm_rows(void *p, int b0, int b1)
{
    const rows_job *j = p;
    for (int b = b0; b < b1; b++) {
        int t0 = b * GEMM_ROWS, t1 = (b + 1) * GEMM_ROWS < j->T ? (b + 1) * GEMM_ROWS : j->T;
        wl_sgemm(1, t1 - t0, j->OUT, j->IN, j->inp + (int64_t)t0 * j->IN, j->IN, j->W.w, j->IN,
                 j->out + (int64_t)t0 * j->OUT, j->OUT);
    }
}

/* sgemm of output columns [b0, b1) * GEMM_COLS for every input row, one call per block. */
static void gemm_cols(void *p, int b0, int b1)
{
    const rows_job *j = p;
    for (int b = b0; b < b1; b++) {
        int o0 = b * GEMM_COLS, o1 = (b + 1) * GEMM_COLS < j->OUT ? (b + 1) * GEMM_COLS : j->OUT;
        wl_sgemm(1, j->T, o1 - o0, j->IN, j->inp, j->IN, j->W.w + (int64_t)o0 * j->IN, j->IN, j->out + o0, j->OUT);
    }
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
    } else {
        /* sgemm on the engine's threads (never a library's own, which would spin on the cores
         * after each product), split along the longer side: each thread packs only its share */
        rows_job j = {out, inp, W, T, IN, OUT};
        if (T >= OUT) wl_parallel_for((T + GEMM_ROWS - 1) / GEMM_ROWS, 1, gemm_rows, &j);
        else wl_parallel_for((OUT + GEMM_COLS - 1) / GEMM_COLS, 1, gemm_cols, &j);
    }
    if (W.b) add_bias(out, W.b, T, OUT);
}

typedef struct {
    float *out;
    const float *inp;
    wl_norm_w n;
    int C;
} ln_job;

typedef float v4f __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));

enum { LN_ROWS = 8 }; /* rows normalised together: their sums are independent chains */

/* Rows [t0, t1): each row's statistics summed in double, element by element in order (so no
 * accumulation-order noise), for LN_ROWS rows at once: one row's chain of dependent additions
 * would make the processor wait on each, while the rows' chains interleave. Every group runs
 * LN_ROWS chains (a short last group repeats its first row in the spare ones, whose sums are
 * dropped), so the loops have a fixed count and the sums stay in registers. Built for the CPU's
 * own vectors too (each v4d operation one instruction, not two halves); nothing contracts into an
 * FMA (-ffp-contract=off) or reorders, so every build gives the same bits. */
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
static void layernorm_rows(void *p, int t0, int t1)
{
    const ln_job *j = p;
    const int C = j->C;
    const wl_norm_w n = j->n;
    for (int r0 = t0; r0 < t1; r0 += LN_ROWS) {
        const int R = t1 - r0 < LN_ROWS ? t1 - r0 : LN_ROWS;
        const float *x = j->inp + (int64_t)r0 * C, *row[LN_ROWS];
        for (int r = 0; r < LN_ROWS; r++) row[r] = x + (int64_t)(r < R ? r : 0) * C;
        double mean[LN_ROWS] = {0}, var[LN_ROWS] = {0};
        for (int c = 0; c < C; c++)
#pragma GCC unroll 8
            for (int r = 0; r < LN_ROWS; r++) mean[r] += row[r][c];
#pragma GCC unroll 8
        for (int r = 0; r < LN_ROWS; r++) mean[r] /= C;
        for (int c = 0; c < C; c++)
#pragma GCC unroll 8
            for (int r = 0; r < LN_ROWS; r++) {
                double d = row[r][c] - mean[r];
                var[r] += d * d;
            }
        for (int r = 0; r < R; r++) {
            const float *xr = row[r];
            float *y = j->out + (int64_t)(r0 + r) * C;
            float rstd = (float)(1.0 / sqrt(var[r] / C + 1e-5));
            const v4d m = {mean[r], mean[r], mean[r], mean[r]};
            const v4f s = {rstd, rstd, rstd, rstd};
            int c = 0;
            for (; c + 4 <= C; c += 4) { /* the scalar line's operations, four elements at a time */
                v4f xv, w, b;
                memcpy(&xv, xr + c, sizeof xv), memcpy(&w, n.w + c, sizeof w), memcpy(&b, n.b + c, sizeof b);
                v4f v = (__builtin_convertvector(__builtin_convertvector(xv, v4d) - m, v4f) * s) * w + b;
                memcpy(y + c, &v, sizeof v);
            }
            for (; c < C; c++) y[c] = ((float)(xr[c] - mean[r]) * rstd) * n.w[c] + n.b[c];
        }
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
    int k_channel_major, v_channel_major; /* k or v as [C, Tk] instead of [Tk, C] */
} attn_job;

enum { ATTN_ROWS = 48 }; /* query rows per block: a block's scores stay in cache; divides the encoder's ROW_BLOCK */

/* Scores S[R, Tk] of R query rows (q, rows C apart) against head h's keys. A few queries (a
 * generation step, beams) take the vector kernels, as sgemm would repack the keys; each row's
 * result then does not depend on how many rows came. */
static void head_scores(const attn_job *j, int h, const float *q, int R, float *S)
{
    const int D = j->C / j->H, Tk = j->Tk, C = j->C;
    if (j->k_channel_major) {
        const float *kt = j->k + (int64_t)h * D * Tk; /* D rows of Tk */
        if (R <= WL_STEP_ROWS)
            wl_vvecmat(S, Tk, q, C, R, kt, Tk, D, Tk);
        else wl_sgemm(0, R, Tk, D, q, C, kt, Tk, S, Tk);
    } else if (R <= WL_STEP_ROWS)
        wl_vmatmul(S, Tk, j->k + h * D, C, q, C, R, Tk, D);
    else wl_sgemm(1, R, Tk, D, q, C, j->k + h * D, C, S, Tk);
}

/* out[R, D] (rows C apart) = P[R, Tk] . head h's values. */
static void head_values(const attn_job *j, int h, const float *P, int R, float *out)
{
    const int D = j->C / j->H, Tk = j->Tk, C = j->C;
    if (j->v_channel_major) {
        const float *vt = j->v + (int64_t)h * D * Tk; /* D rows of Tk: a weight matrix for P's rows */
        if (R <= WL_STEP_ROWS) wl_vmatmul(out, C, vt, Tk, P, Tk, R, D, Tk);
        else wl_sgemm(1, R, D, Tk, P, Tk, vt, Tk, out, C);
    } else if (R <= WL_STEP_ROWS)
        wl_vvecmat(out, C, P, Tk, R, j->v + h * D, C, Tk, D);
    else wl_sgemm(0, R, D, Tk, P, Tk, j->v + h * D, C, out, C);
}

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
            if (!S) { /* the caller's stage reports it */
                wl_oom_note();
                return;
            }
            head_scores(j, h, j->q + (int64_t)r0 * C + h * D, R, S);
            if (j->causal >= 0)
                for (int i = 0; i < R; i++)
                    for (int c = j->causal + r0 + i + 1; c < Tk; c++) S[(int64_t)i * Tk + c] = -INFINITY;
            wl_softmax_rows(S, Tk, R, Tk);
            head_values(j, h, S, R, j->out + (int64_t)r0 * C + h * D);
        }
    free(buf);
}

static void attention(attn_job *j)
{
    /* heads in parallel when they are worth a thread: not a step's self-attention over a few keys */
    if ((int64_t)j->Tq * j->Tk * j->C >= (1 << 17)) wl_parallel_for(j->H, 1, attention_heads, j);
    else attention_heads(j, 0, j->H);
}

void wl_attention(float *out, float *probs, const float *q, const float *k, const float *v, int Tq,
                  int Tk, int C, int H, int causal)
{
    attn_job j = {out, probs, q, k, v, Tq, Tk, C, H, causal, 0, 0};
    attention(&j);
}

void wl_attention_kt(float *out, float *probs, const float *q, const float *kt, const float *v, int Tq, int Tk, int C,
                     int H)
{
    attn_job j = {out, probs, q, kt, v, Tq, Tk, C, H, -1, 1, 0};
    attention(&j);
}

void wl_cross_attention(float *out, float *probs, const float *q, const float *kt, const float *vt, int Tq, int Tk,
                        int C, int H)
{
    attn_job j = {out, probs, q, kt, vt, Tq, Tk, C, H, -1, 1, 1};
    attention(&j);
}

/* out[o * ldo + t] = inp[t] . W[o] + b[o]: rows of inp in, channel-major out. */
void wl_linear_cm(float *out, int64_t ldo, const float *inp, wl_linear_w W, int T, int IN, int OUT)
{
    wl_sgemm(1, OUT, T, IN, W.w, IN, inp, IN, out, (int)ldo);
    for (int o = 0; W.b && o < OUT; o++)
        for (int t = 0; t < T; t++) out[o * ldo + t] += W.b[o];
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
