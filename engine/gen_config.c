/* generation_config.json: every value the decoding rules use, read from the model folder.
 * Where a key is absent the GenerationConfig default applies (as HF's from_pretrained does). */
#include "json_file.h"
#include "util.h"
#include "whisperlab.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* An integer value (a token id or a count) within [lo, hi]; dflt when the key is absent or null.
 * A list takes its first element (eos_token_id may be a list). */
static int get_int(const cJSON *root, const char *key, long lo, long hi, long dflt, long *out,
                   const char *path, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (cJSON_IsArray(v)) v = cJSON_GetArrayItem(v, 0);
    if (!v || cJSON_IsNull(v)) return *out = dflt, 0;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi) ||
        v->valuedouble != (double)(long)v->valuedouble)
        return wl_fail(err, errlen, "%s: \"%s\" must be an integer in [%ld, %ld]", path, key, lo, hi);
    *out = (long)v->valuedouble;
    return 0;
}

/* A list of integers (or of pairs, width 2) into a malloc'd array. */
static int get_list(const cJSON *root, const char *key, int width, int32_t **out, int *n, const char *path,
                    char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key), *e;
    *out = NULL, *n = 0;
    if (!v || cJSON_IsNull(v)) return 0;
    int count = cJSON_GetArraySize(v), k = 0;
    if (!cJSON_IsArray(v) || !(*out = malloc(((size_t)count * width + 1) * sizeof **out)))
        return wl_fail(err, errlen, "%s: \"%s\" must be a list", path, key);
    cJSON_ArrayForEach(e, v)
    {
        for (int j = 0; j < width; j++) {
            const cJSON *x = width == 1 ? e : cJSON_GetArrayItem(e, j);
            if ((width > 1 && (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != width)) || !cJSON_IsNumber(x) ||
                x->valuedouble < 0 || x->valuedouble > 1e7)
                return wl_fail(err, errlen, "%s: \"%s\" must hold %s of non-negative integers", path, key,
                               width == 1 ? "a list" : "pairs");
            (*out)[k++] = (int32_t)x->valuedouble;
        }
    }
    *n = count;
    return 0;
}

void wl_gen_config_free(wl_gen_config *c)
{
    free(c->prompt), free(c->suppress), free(c->begin_suppress), free(c->alignment_heads);
    memset(c, 0, sizeof *c);
}

/* The prompt: decoder_start_token_id, then forced_decoder_ids ([position, id] pairs) for
 * positions 1, 2, ... (GW:_retrieve_init_tokens). */
static int build_prompt(wl_gen_config *c, const int32_t *forced, int n_forced, const char *path, char *err,
                        size_t errlen)
{
    if (!(c->prompt = malloc(((size_t)n_forced + 1) * sizeof *c->prompt)))
        return wl_fail(err, errlen, "%s: out of memory", path);
    c->prompt[0] = c->decoder_start;
    c->n_prompt = 1;
    for (int i = 0; i < n_forced; i++) {
        if (forced[2 * i] != i + 1)
            return wl_fail(err, errlen, "%s: forced_decoder_ids must list positions 1, 2, ... in order", path);
        c->prompt[c->n_prompt++] = forced[2 * i + 1];
    }
    return 0;
}

static int outside(long id, long n_vocab) { return n_vocab > 0 && (id < 0 || id >= n_vocab); }

/* The ids, heads and length must fit the model that config.json describes: checked here, where the
 * message can name generation_config.json, rather than when the first audio file is decoded (or,
 * for an end-of-text id outside the vocabulary, never: generation would just not stop). A
 * dimension config.json lacks is not checked here (the model load refuses such a config). */
static int check_against_model(const wl_gen_config *c, const cJSON *cfg, const char *path, char *err,
                               size_t errlen)
{
    long vocab = -1, layers = -1, heads = -1, positions = -1;
    get_int(cfg, "vocab_size", 1, 1 << 22, -1, &vocab, path, NULL, 0);
    get_int(cfg, "decoder_layers", 1, 256, -1, &layers, path, NULL, 0);
    get_int(cfg, "decoder_attention_heads", 1, 1024, -1, &heads, path, NULL, 0);
    get_int(cfg, "max_target_positions", 1, 1 << 16, -1, &positions, path, NULL, 0);
    const struct { const char *key; long id; } ids[] = {
        {"decoder_start_token_id", c->decoder_start}, {"eos_token_id", c->eos}, {"no_timestamps_token_id", c->no_timestamps},
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i].id >= 0 && outside(ids[i].id, vocab))
            return wl_fail(err, errlen, "%s: %s %ld is outside the vocabulary (config.json: vocab_size %ld)", path,
                           ids[i].key, ids[i].id, vocab);
    for (int i = 1; i < c->n_prompt; i++)
        if (outside(c->prompt[i], vocab))
            return wl_fail(err, errlen, "%s: forced_decoder_ids: token %d is outside the vocabulary (config.json: "
                           "vocab_size %ld)", path, c->prompt[i], vocab);
    for (int i = 0; i < c->n_alignment_heads; i++) {
        int l = c->alignment_heads[2 * i], h = c->alignment_heads[2 * i + 1];
        if (outside(l, layers) || outside(h, heads))
            return wl_fail(err, errlen, "%s: alignment head (%d, %d) is outside the decoder (config.json: %ld layers "
                           "of %ld heads)", path, l, h, layers, heads);
    }
    if (positions > 0 && c->max_length > positions)
        return wl_fail(err, errlen, "%s: max_length %d exceeds the decoder's %ld positions (config.json: "
                       "max_target_positions)", path, c->max_length, positions);
    return 0;
}

wl_status wl_gen_config_load(const char *dir, wl_gen_config *c, char *err, size_t errlen)
{
    char path[4200];
    memset(c, 0, sizeof *c);
    snprintf(path, sizeof path, "%s/generation_config.json", dir);
    cJSON *root = wl_json_read_object(path, err, errlen);
    if (!root) return WL_ERR_FORMAT;
    long start, eos, nots, mit, maxlen;
    int32_t *forced = NULL;
    int n_forced = 0, rc =
        get_int(root, "decoder_start_token_id", 0, 10000000, -1, &start, path, err, errlen) ||
        get_int(root, "eos_token_id", 0, 10000000, -1, &eos, path, err, errlen) ||
        get_int(root, "no_timestamps_token_id", 0, 10000000, -1, &nots, path, err, errlen) ||
        get_int(root, "max_initial_timestamp_index", 0, 10000000, -1, &mit, path, err, errlen) ||
        get_int(root, "max_length", 1, 10000000, 20, &maxlen, path, err, errlen) ||
        get_list(root, "suppress_tokens", 1, &c->suppress, &c->n_suppress, path, err, errlen) ||
        get_list(root, "begin_suppress_tokens", 1, &c->begin_suppress, &c->n_begin_suppress, path, err, errlen) ||
        get_list(root, "alignment_heads", 2, &c->alignment_heads, &c->n_alignment_heads, path, err, errlen) ||
        get_list(root, "forced_decoder_ids", 2, &forced, &n_forced, path, err, errlen);
    if (!rc && (start < 0 || eos < 0))
        rc = wl_fail(err, errlen, "%s: needs decoder_start_token_id and eos_token_id", path);
    c->decoder_start = (int32_t)start, c->eos = (int32_t)eos, c->no_timestamps = (int32_t)nots;
    c->timestamp_begin = nots < 0 ? -1 : (int32_t)nots + 1;
    c->max_initial_timestamp_index = (int)mit, c->max_length = (int)maxlen;
    const cJSON *lp = cJSON_GetObjectItemCaseSensitive(root, "length_penalty");
    c->length_penalty = cJSON_IsNumber(lp) ? lp->valuedouble : 1.0;
    const cJSON *es = cJSON_GetObjectItemCaseSensitive(root, "early_stopping");
    if (!rc && es && !cJSON_IsBool(es))
        rc = wl_fail(err, errlen, "%s: early_stopping \"never\" is not supported (true or false)", path);
    c->early_stopping = cJSON_IsTrue(es);
    c->is_multilingual = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "is_multilingual"));
    if (!rc) rc = build_prompt(c, forced, n_forced, path, err, errlen);
    free(forced);
    cJSON_Delete(root);
    /* The median filter width of the token timestamps lives in config.json (WhisperConfig, default 7). */
    char cfg_path[4200];
    snprintf(cfg_path, sizeof cfg_path, "%s/config.json", dir);
    cJSON *cfg = rc ? NULL : wl_json_read_object(cfg_path, err, errlen);
    long width = 7;
    if (!rc) rc = !cfg || get_int(cfg, "median_filter_width", 1, 999, 7, &width, cfg_path, err, errlen);
    if (!rc && width % 2 == 0) rc = wl_fail(err, errlen, "%s: median_filter_width must be odd", cfg_path);
    c->median_filter_width = (int)width;
    if (!rc) rc = check_against_model(c, cfg, path, err, errlen);
    cJSON_Delete(cfg);
    if (rc) wl_gen_config_free(c);
    return rc ? WL_ERR_FORMAT : WL_OK;
}
