/* generation_config.json: every value the decoding rules use, read from the model folder.
 * Where a key is absent the GenerationConfig default applies (as HF's from_pretrained does). */
#include "gen_config.h"
#include "config.h"
#include "../io/json_file.h"
#include "../base/util.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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
                x->valuedouble < 0 || x->valuedouble > 1e7 || !wl_json_is_int(x))
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

int wl_alignment_head_outside(const wl_gen_config *c, long layers, long heads)
{
    for (int i = 0; i < c->n_alignment_heads; i++)
        if (outside(c->alignment_heads[2 * i], layers) || outside(c->alignment_heads[2 * i + 1], heads)) return i;
    return -1;
}

/* SuppressTokens sets a score to -inf at every step, so with end-of-text among them a search can
 * only stop at max_length, and with every id among them each step picks among -inf scores (the
 * first id, "!", at log-prob -inf). HF runs on regardless; here the folder is refused. Returns 1
 * with err set. begin_suppress_tokens covering the rest of the vocabulary is refused likewise. */
static int all_suppressed(const wl_gen_config *c, long vocab, const char *path, char *err, size_t errlen)
{
    unsigned char *hit = calloc((size_t)vocab, 1);
    if (!hit) return wl_fail(err, errlen, "%s: out of memory", path), 1;
    long left = vocab;
    for (int i = 0; i < c->n_suppress; i++)
        if (c->suppress[i] < vocab && !hit[c->suppress[i]]) hit[c->suppress[i]] = 1, left--;
    int eos = c->eos < vocab && hit[c->eos], all = !left;
    for (int i = 0; left && i < c->n_begin_suppress; i++)
        if (c->begin_suppress[i] < vocab && !hit[c->begin_suppress[i]]) hit[c->begin_suppress[i]] = 1, left--;
    free(hit);
    if (all)
        return wl_fail(err, errlen, "%s: suppress_tokens holds every id of the vocabulary (config.json: vocab_size "
                       "%ld): nothing can be generated", path, vocab), 1;
    if (eos)
        return wl_fail(err, errlen, "%s: suppress_tokens holds eos_token_id %d: a search could never end", path,
                       c->eos), 1;
    if (!left)
        return wl_fail(err, errlen, "%s: begin_suppress_tokens holds every id that suppress_tokens leaves: the "
                       "first step has nothing to choose", path), 1;
    return 0;
}

/* The ids, heads and length must fit the model that config.json describes: checked here, where the
 * message can name generation_config.json, rather than when the first audio file is decoded (or,
 * for an end-of-text id outside the vocabulary, never: generation would just not stop). A
 * dimension config.json lacks is not checked here (the model load refuses such a config). */
static int check_against_model(const wl_gen_config *c, const wl_config_gen *g, const char *path, char *err,
                               size_t errlen)
{
    const long vocab = g->n_vocab, layers = g->dec_layers, heads = g->dec_heads, positions = g->n_text_ctx;
    const struct { const char *key; long id; } ids[] = {
        {"decoder_start_token_id", c->decoder_start}, {"eos_token_id", c->eos}, {"no_timestamps_token_id", c->no_timestamps},
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i].id >= 0 && outside(ids[i].id, vocab))
            return wl_fail(err, errlen, "%s: %s %ld is outside the vocabulary (config.json: vocab_size %ld)", path,
                           ids[i].key, ids[i].id, vocab);
    /* The timestamp tokens follow <|notimestamps|> (GW: timestamp_begin = no_timestamps_token_id + 1). */
    if (c->no_timestamps >= 0 && outside(c->timestamp_begin, vocab))
        return wl_fail(err, errlen, "%s: no_timestamps_token_id %d is the vocabulary's last id (config.json: "
                       "vocab_size %ld), leaving no timestamp tokens after it", path, c->no_timestamps, vocab);
    if (vocab > 0 && all_suppressed(c, vocab, path, err, errlen)) return -1;
    for (int i = 1; i < c->n_prompt; i++)
        if (outside(c->prompt[i], vocab))
            return wl_fail(err, errlen, "%s: forced_decoder_ids: token %d is outside the vocabulary (config.json: "
                           "vocab_size %ld)", path, c->prompt[i], vocab);
    int head = wl_alignment_head_outside(c, layers, heads);
    if (head >= 0)
        return wl_fail(err, errlen, "%s: alignment head (%d, %d) is outside the decoder (config.json: %ld layers "
                       "of %ld heads)", path, c->alignment_heads[2 * head], c->alignment_heads[2 * head + 1], layers,
                       heads);
    /* The search's prompt: this one, with <|notimestamps|> added when timestamps are off (GW). */
    int longest_prompt = c->n_prompt + (c->no_timestamps >= 0 && c->prompt[c->n_prompt - 1] != c->no_timestamps);
    if (c->max_length <= longest_prompt)
        return wl_fail(err, errlen, "%s: max_length %d leaves no room to generate after the %d-token prompt "
                       "(decoder_start_token_id, forced_decoder_ids, no_timestamps_token_id)", path, c->max_length,
                       longest_prompt);
    if (positions > 0 && c->max_length > positions)
        return wl_fail(err, errlen, "%s: max_length %d exceeds the decoder's %ld positions (config.json: "
                       "max_target_positions)", path, c->max_length, positions);
    return 0;
}

wl_status wl_gen_config_load(const char *dir, wl_gen_config *c, char *err, size_t errlen)
{
    char path[PATH_MAX], cfg_path[PATH_MAX];
    memset(c, 0, sizeof *c);
    /* a longer path could not be opened */
    if ((size_t)snprintf(path, sizeof path, "%s/generation_config.json", dir) >= sizeof path ||
        (size_t)snprintf(cfg_path, sizeof cfg_path, "%s/config.json", dir) >= sizeof cfg_path)
        return wl_fail(err, errlen, "%.200s.../generation_config.json: path longer than %d bytes", dir, PATH_MAX),
               WL_ERR_INPUT;
    cJSON *root = wl_json_read_object(path, err, errlen);
    if (!root) return WL_ERR_FORMAT;
    long start = -1, eos = -1, nots = -1, mit = -1, maxlen = 20; /* each set by wl_json_int unless it failed */
    int32_t *forced = NULL;
    int n_forced = 0, rc =
        wl_json_int(root, "decoder_start_token_id", 0, 10000000, -1, &start, path, err, errlen) ||
        wl_json_int(root, "eos_token_id", 0, 10000000, -1, &eos, path, err, errlen) ||
        wl_json_int(root, "no_timestamps_token_id", 0, 10000000, -1, &nots, path, err, errlen) ||
        wl_json_int(root, "max_initial_timestamp_index", 0, 10000000, -1, &mit, path, err, errlen) ||
        wl_json_int(root, "max_length", 1, 10000000, 20, &maxlen, path, err, errlen) ||
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
    if (!rc && lp && !cJSON_IsNull(lp) && !cJSON_IsNumber(lp)) /* HF fails at the first finished beam */
        rc = wl_fail(err, errlen, "%s: length_penalty must be a number", path);
    c->length_penalty = cJSON_IsNumber(lp) ? lp->valuedouble : 1.0;
    const cJSON *es = cJSON_GetObjectItemCaseSensitive(root, "early_stopping");
    if (!rc && es && !cJSON_IsBool(es))
        rc = wl_fail(err, errlen, "%s: early_stopping \"never\" is not supported (true or false)", path);
    c->early_stopping = cJSON_IsTrue(es);
    const cJSON *ml = cJSON_GetObjectItemCaseSensitive(root, "is_multilingual");
    if (!rc && ml && !cJSON_IsNull(ml) && !cJSON_IsBool(ml))
        rc = wl_fail(err, errlen, "%s: is_multilingual must be true or false", path);
    c->is_multilingual = cJSON_IsTrue(ml);
    if (!rc) rc = build_prompt(c, forced, n_forced, path, err, errlen);
    free(forced);
    cJSON_Delete(root);
    /* The median filter width of the token timestamps lives in config.json (WhisperConfig), read
     * there with the dimensions this file is checked against. */
    wl_config_gen g;
    if (!rc) rc = wl_config_for_generation(&g, cfg_path, err, errlen);
    c->median_filter_width = rc ? 0 : g.median_filter_width;
    if (!rc) rc = check_against_model(c, &g, path, err, errlen);
    if (rc) wl_gen_config_free(c);
    return rc ? WL_ERR_FORMAT : WL_OK;
}
