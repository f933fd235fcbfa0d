/* Loading a HuggingFace Whisper checkpoint: config.json drives every dimension (and
 * preprocessor_config.json the audio window); the tensors are checked against the layout (names,
 * shapes, dtypes) before any is used. */
#include "../kernels/gemm.h"
#include "model.h"
#include "../kernels/parallel.h"
#include "../io/half.h"
#include "layout.h"
#include "../base/util.h"

#include <cblas.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

wl_params wl_default_params(void)
{
    wl_params p = {0};
    return p;
}

int wl_threads(void) { return wl_parallel_threads(); }

/* Weights start on a cache line: the few-row kernel's 64-byte loads of a row then never straddle
 * two lines (a safetensors file aligns its data to 8 bytes only), which halves a step's time in
 * its products (docs/performance.md). */
enum { WEIGHT_ALIGN = 64, ALIGN_FLOATS = WEIGHT_ALIGN / sizeof(float) };

static int in_place(const wl_st_tensor *t)
{
    return t->dtype == WL_F32 && (uintptr_t)t->data % WEIGHT_ALIGN == 0;
}

static size_t aligned_floats(size_t n) { return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS; }

/* One buffer for every tensor that is not used in place (converted, or copied to an aligned
 * start), in huge pages (a buffer per tensor was faulted in 4 KB at a time: most of a small f16
 * model's load). */
static int alloc_converted(wl_model *m)
{
    size_t n = 0;
    int any = 0;
    for (int k = 0; k < m->file.n; k++) {
        const wl_st_tensor *t = &m->file.tensors[k];
        if (in_place(t)) continue;
        n += aligned_floats(t->nbytes / wl_dtype_size(t->dtype)), any = 1;
    }
    if (!any) return 0;
    /* the capacity only once the buffer is had: tensor_f32 writes up to it */
    if (!(m->converted = wl_alloc_big((n + 1) * sizeof(float), 0))) return -1;
    m->cap_converted = n;
    return 0;
}

/* A float32 view of a tensor: the file's bytes when they are F32 on a cache line, else a copy
 * in m->converted (converted from F16 or BF16, or F32 moved to an aligned start). */
static const float *tensor_f32(wl_model *m, const char *name)
{
    const wl_st_tensor *t = wl_st_find(&m->file, name);
    size_t n = t->nbytes / wl_dtype_size(t->dtype);
    if (in_place(t)) return t->data;
    if (aligned_floats(n) > m->cap_converted - m->n_converted) return NULL; /* each tensor is asked for once */
    float *out = m->converted + m->n_converted;
    m->n_converted += aligned_floats(n);
    const unsigned char *p = t->data;
    if (t->dtype == WL_F32) memcpy(out, p, n * sizeof *out);
    else if (t->dtype == WL_F16) wl_halves_to_floats(out, p, n);
    else
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            out[i] = wl_bf16_to_float(h);
        }
    wl_st_drop_pages(&m->file, t); /* the copy is what is read from now on */
    return out;
}

typedef uint32_t v8u __attribute__((vector_size(32)));
typedef uint16_t v16h __attribute__((vector_size(32)));

/* Whether any of n values (4 or 2 bytes each) has all the bits of mask set: one branch-free pass
 * of 32-byte vectors (every weight of every load goes through it), then the tail. */
__attribute__((target_clones("avx2", "default"))) static int any_all_ones(const unsigned char *p, size_t n,
                                                                          size_t size, uint32_t mask)
{
    size_t i = 0;
    v8u hit = {0};
    if (size == 4) {
        for (; i + 8 <= n; i += 8) {
            v8u b;
            memcpy(&b, p + 4 * i, sizeof b);
            hit |= (v8u)((b & mask) == mask);
        }
    } else {
        const v16h m = (v16h){0} + (uint16_t)mask;
        for (; i + 16 <= n; i += 16) {
            v16h b;
            memcpy(&b, p + 2 * i, sizeof b);
            hit |= (v8u)((b & m) == m);
        }
    }
    int any = 0;
    for (int k = 0; k < 8; k++) any |= hit[k] != 0;
    for (; i < n; i++) {
        uint32_t b = 0;
        memcpy(&b, p + i * size, size); /* little-endian, as safetensors stores */
        any |= (b & mask) == mask;
    }
    return any;
}

/* NaN or Inf in a weight only shows up later as NaN logits and no words: refuse it at load. The
 * test is on the bits (all-ones exponent), per dtype; a tensor that has one is searched again
 * for the element to name. */
static int check_finite(const wl_st_file *f, char *err, size_t errlen)
{
    for (int k = 0; k < f->n; k++) {
        const wl_st_tensor *t = &f->tensors[k];
        const unsigned char *p = t->data;
        size_t size = t->dtype == WL_F32 ? 4 : (t->dtype == WL_F16 || t->dtype == WL_BF16) ? 2 : 0;
        uint32_t mask = t->dtype == WL_F32 ? 0x7F800000u : t->dtype == WL_F16 ? 0x7C00u : 0x7F80u;
        int bad = size && any_all_ones(p, t->nbytes / size, size, mask);
        /* a tensor to be copied: its pages go back now, so the file's and the copy's are never
         * resident together (the load's peak stays one copy of the weights, not 1.5) */
        if (!in_place(t)) wl_st_drop_pages(f, t);
        if (!bad) continue;
        for (size_t i = 0; i < t->nbytes / size; i++) {
            uint32_t bits = 0;
            memcpy(&bits, p + i * size, size); /* little-endian, as safetensors stores */
            if ((bits & mask) == mask)
                return wl_fail(err, errlen, "%s: tensor '%s' element %zu is NaN or infinite", f->path, t->name, i);
        }
    }
    return 0;
}

/* The loader's order: the order of the fields the tensors fill (model.h's, and weights.h's layer
 * by layer), so the converted buffer follows the structs. */
static size_t field_pos(const wl_tensor_spec *s)
{
    return s->home == WL_IN_ENC_LAYER   ? offsetof(wl_weights, enc)
           : s->home == WL_IN_DEC_LAYER ? offsetof(wl_weights, dec)
                                        : s->offset;
}

static int by_field(const void *pa, const void *pb)
{
    const wl_tensor_spec *a = pa, *b = pb;
    size_t fa = field_pos(a), fb = field_pos(b);
    if (fa != fb) return fa < fb ? -1 : 1;
    if (a->layer != b->layer) return a->layer < b->layer ? -1 : 1;
    return (a->offset > b->offset) - (a->offset < b->offset);
}

/* Every weight pointer from the layout. The file passed wl_layout_check: it holds exactly the
 * layout's tensors, so there are f->n specs. Returns 0, or -1 when out of memory. */
static int load_weights(wl_model *m)
{
    const wl_config *c = &m->c;
    int ok = alloc_converted(m) == 0;
    m->w.enc = calloc((size_t)c->enc_layers, sizeof *m->w.enc);
    m->w.dec = calloc((size_t)c->dec_layers, sizeof *m->w.dec);
    wl_tensor_spec *specs = malloc((size_t)m->file.n * sizeof *specs);
    int n = specs && m->w.enc && m->w.dec ? wl_layout(c, specs, m->file.n) : -1;
    if (n > 0) qsort(specs, (size_t)n, sizeof *specs, by_field);
    for (int i = 0; i < n; i++) {
        const float *p = tensor_f32(m, specs[i].name);
        if (!p) ok = 0;
        *wl_spec_slot(&m->w, &specs[i]) = p;
    }
    free(specs);
    return ok && n >= 0 ? 0 : -1;
}

/* (C_out, C_in, 3) -> (C_out, 3, C_in): a row's taps in the order of the frames they meet. */
static void split_taps(float *Wk, const float *W, int C_in, int C_out)
{
    for (int o = 0; o < C_out; o++)
        for (int i = 0; i < C_in; i++)
            for (int k = 0; k < 3; k++)
                Wk[((int64_t)o * 3 + k) * C_in + i] = W[((int64_t)o * C_in + i) * 3 + k];
}

wl_status wl_model_load(const char *dir, wl_params params, wl_model **out, char *err, size_t errlen)
{
    *out = NULL;
    char path[4096];
    wl_model *m = calloc(1, sizeof *m);
    if (!m) return wl_fail(err, errlen, "out of memory"), WL_ERR_NOMEM;
    m->params = params;
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (wl_config_load(&m->c, path, err, errlen)) {
        free(m);
        return WL_ERR_FORMAT;
    }
    /* The audio window; the two configs are checked against each other before the weights are
     * checked against them, so a config mismatch is reported as one, not as a tensor shape. */
    snprintf(path, sizeof path, "%s/preprocessor_config.json", dir);
    if (wl_preprocessor_load(&m->c, path, err, errlen)) {
        free(m);
        return WL_ERR_FORMAT;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (wl_st_open(&m->file, path, err, errlen) || wl_layout_check(&m->file, &m->c, err, errlen) ||
        check_finite(&m->file, err, errlen)) {
        wl_model_free(m);
        return WL_ERR_FORMAT;
    }
    const wl_config *c = &m->c;
    int ok = load_weights(m) == 0;
    const int C = c->d_model, NM = c->n_mels;
    m->conv_taps = malloc(((size_t)3 * C * NM + (size_t)3 * C * C) * sizeof(float));
    if (!ok || !m->conv_taps || wl_sgemm_prepare()) {
        wl_model_free(m);
        return wl_fail(err, errlen, "%s: out of memory", dir), WL_ERR_NOMEM;
    }
    split_taps(m->conv_taps, m->w.conv1.w, NM, C);
    split_taps(m->conv_taps + (size_t)3 * C * NM, m->w.conv2.w, C, C);
    wl_parallel_set_threads(params.n_threads);
    *out = m;
    return WL_OK;
}

void wl_model_free(wl_model *m)
{
    if (!m) return;
    free(m->converted);
    free(m->w.enc);
    free(m->w.dec);
    free(m->conv_taps);
    wl_st_close(&m->file);
    free(m);
}

wl_dims wl_model_dims(const wl_model *m)
{
    const wl_config *c = &m->c;
    wl_dims d = {c->n_mels, c->d_model, c->n_vocab, c->enc_layers, c->enc_heads, c->n_audio_ctx,
                 c->dec_layers, c->dec_heads, c->n_text_ctx, c->n_samples, c->n_frames,
                 (double)c->n_samples / c->n_audio_ctx / WL_SAMPLE_RATE};
    return d;
}
