/* The neural-net building blocks (internal). Activations are row-major float32; the letters
 * are T (rows: time steps or tokens), C (channels), H (heads). Output first, sizes last. */
#ifndef WL_OPS_H
#define WL_OPS_H

#include "../model/weights.h"
#include "../whisperlab.h"

#include <stdint.h>

/* Products of up to WL_STEP_ROWS rows (whisperlab.h) take the few-row kernel (wl_vmatmul): a
 * generation step's rows (beams, several searches), each row's result independent of how many
 * came. */

/* out[T, OUT] = inp[T, IN] . W^T + b (b may be NULL). The hot spot: single-threaded sgemm on
 * the pool's threads (rows or columns split), or for T <= WL_STEP_ROWS the few-row kernel, which
 * reads W once. */
void wl_linear(float *out, const float *inp, wl_linear_w W, int T, int IN, int OUT);

/* LayerNorm over C with eps 1e-5 and biased variance (torch.nn.LayerNorm). */
void wl_layernorm(float *out, const float *inp, wl_norm_w n, int T, int C);

/* Exact GELU, 0.5 x (1 + erf(x / sqrt 2)), in place. */
void wl_gelu(float *x, int64_t n);

/* Multi-head attention of q [Tq, C] (already scaled) over k, v [Tk, C]: out [Tq, C]; the
 * softmaxed weights go to probs [H, Tq, Tk] (NULL: not kept, and no H x Tq x Tk buffer).
 * causal >= 0 lets query i see keys 0..causal+i only; causal < 0 sees all keys. Heads run in
 * parallel, query rows in blocks. */
void wl_attention(float *out, float *probs, const float *q, const float *k, const float *v, int Tq,
                  int Tk, int C, int H, int causal);

/* wl_attention (no causal mask) with k and v channel-major, [C, Tk]: the decoder's cached
 * cross K/V, where each head's keys and values are D contiguous rows of Tk that a step's few
 * queries stream through. */
void wl_cross_attention(float *out, float *probs, const float *q, const float *kt, const float *vt, int Tq, int Tk,
                        int C, int H);

/* wl_attention (no causal mask) with k channel-major, kt [C, Tk], and v [Tk, C]: the encoder's.
 * Its scores take sgemm with the keys as they are stored: with keys as rows, sgemm would transpose
 * them into its buffers again for every block of queries. */
void wl_attention_kt(float *out, float *probs, const float *q, const float *kt, const float *v, int Tq, int Tk, int C,
                     int H);

/* out[o * ldo + t] = inp[t] . W[o] + b[o] for T rows of inp: wl_linear's result channel-major
 * (one single-threaded sgemm: callers split the rows). */
void wl_linear_cm(float *out, int64_t ldo, const float *inp, wl_linear_w W, int T, int IN, int OUT);

/* Pre-LN feed-forward sublayer: h += fc2(GELU(fc1(LN(h)))). scratch holds T * (C + FFN). */
void wl_ffn_block(float *h, const wl_norm_w *ln, wl_linear_w fc1, wl_linear_w fc2, int T, int C,
                  int FFN, float *scratch);

/* q = (x . Wq^T + bq) * head_dim^-0.5 (scaled after the bias, as HF does) for T rows. */
void wl_query(float *q, const float *x, wl_linear_w Wq, int T, int C, int H);

/* Index of the first NaN or Inf in x[0..n), or -1. Finite but huge weights (say 3e38) overflow
 * to Inf/NaN inside the network; a stage that checks this fails instead of emitting no words. */
int64_t wl_first_non_finite(const float *x, int64_t n);

#endif
