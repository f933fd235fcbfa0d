/* The tokenizer's files loaded and checked as HF's slow WhisperTokenizer reads them: vocab.json
 * + merges.txt (GPT-2 byte-level BPE), added tokens (added_tokens.json, tokenizer_config.json),
 * special tokens from special_tokens_map.json, and the ids cross-checked with
 * generation_config.json. Tokens are kept as raw bytes: vocab and merge entries are mapped back
 * through GPT-2's byte <-> printable-character table on load. Mirrors
 * models/whisper/tokenization_whisper.py (WhisperTokenizer) and tokenization_utils.py. */
#include "tokenizer.h"
#include "../base/strmap.h"
#include "../io/json_file.h"
#include "../base/util.h"
#include "../whisperlab.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the byte table --------------------------------------------------------------------- */

/* GPT-2's bytes_to_unicode, inverted: printable bytes stand for themselves, the other 68 bytes
 * are written as code points 256, 257, ... in byte order. cp_byte[cp] is the byte, or -1. */
#define N_MAPPED 324
static void byte_table(int cp_byte[N_MAPPED])
{
    int n = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
        cp_byte[b] = printable ? b : -1;
        if (!printable) cp_byte[256 + n++] = b;
    }
}

/* A vocab or merges symbol (printable characters) back to raw bytes in out; returns the length,
 * or -1 if a character is not in the byte table. */
static int symbol_bytes(const int cp_byte[N_MAPPED], const char *sym, size_t len, char *out)
{
    int n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int l = utf8_next((const unsigned char *)sym + i, len - i, &cp);
        if (!l || cp >= N_MAPPED || cp_byte[cp] < 0) return -1;
        out[n++] = (char)cp_byte[cp];
        i += (size_t)l;
    }
    return n;
}

/* ---- loading ---------------------------------------------------------------------------- */

void wl_tokenizer_free(wl_tokenizer *t)
{
    if (!t) return;
    /* bytes covers vocab.json's ids until the added ones are indexed */
    for (int i = 0; t->bytes && i < (t->added_text ? t->n_ids : t->n_vocab_ids); i++) free(t->bytes[i]);
    for (int i = 0; t->added_text && i < t->n_ids; i++) free(t->added_text[i]);
    free(t->bytes), free(t->nbytes), free(t->added_text), free(t->special);
    wl_strmap_free(&t->vocab), wl_strmap_free(&t->ranks), wl_strmap_free(&t->added);
    free(t);
}

/* dir/name into path[PATH_MAX]; a longer path could not be opened, so it is an error. */
static int join(char *path, const char *dir, const char *name, char *err, size_t errlen)
{
    if ((size_t)snprintf(path, PATH_MAX, "%s/%s", dir, name) < PATH_MAX) return 0;
    return wl_fail(err, errlen, "%.200s.../%s: path longer than %d bytes", dir, name, PATH_MAX);
}

/* An optional file is one that does not exist; one that cannot be read (a link loop, no
 * permission) is an error, never taken as absent. */
static cJSON *read_json(const char *dir, const char *name, int optional, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (join(path, dir, name, err, errlen)) return NULL;
    if (optional && access(path, F_OK) && errno == ENOENT) return cJSON_CreateObject();
    return wl_json_read_object(path, err, errlen);
}

static int load_vocab(wl_tokenizer *t, const char *dir, char *err, size_t errlen)
{
    cJSON *root = read_json(dir, "vocab.json", 0, err, errlen);
    if (!root) return -1;
    char buf[1024];
    int cp_byte[N_MAPPED];
    byte_table(cp_byte);
    const cJSON *e;
    int rc = 0, oom = wl_strmap_init(&t->vocab, (size_t)cJSON_GetArraySize(root));
    cJSON_ArrayForEach(e, root)
    {
        if (oom) break;
        int n = strlen(e->string) < sizeof buf ? symbol_bytes(cp_byte, e->string, strlen(e->string), buf) : -1;
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 1e7 || !wl_json_is_int(e) || n < 0) {
            rc = wl_fail(err, errlen, "%s/vocab.json: entry \"%.40s\" is not a byte-level BPE token with an id",
                         dir, e->string);
            break;
        }
        if (e->valueint + 1 > t->n_ids) t->n_ids = e->valueint + 1;
        oom = wl_strmap_put(&t->vocab, buf, (size_t)n, e->valueint);
    }
    if (oom) rc = wl_fail(err, errlen, "%s/vocab.json: out of memory", dir);
    if (!rc && !t->vocab.n) rc = wl_fail(err, errlen, "%s/vocab.json: holds no tokens", dir);
    cJSON_Delete(root);
    return rc;
}

/* merges.txt: the first line is a version header ("#version: 0.2"); as HF reads it
 * (split("\n")[1:-1]), the text after the last newline is ignored. Rank = position; a repeated
 * pair keeps its last rank. Every other line must be two byte-level symbols: HF keeps a one-field
 * line as a merge that can never apply, and reads an empty, cut or binary file as fewer merges or
 * none, which tokenizes every word into single bytes; each of those is an error naming the file. */
static int load_merges(wl_tokenizer *t, const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (join(path, dir, "merges.txt", err, errlen)) return -1;
    size_t len;
    char *text = wl_read_file(path, &len, err, errlen);
    if (!text) return -1;
    const char *why = !len ? "is empty (a byte-level BPE needs its merges)"
                    : memchr(text, 0, len) ? "holds a NUL byte (a binary file, not a list of merges)"
                    : strncmp(text, "#version", 8) ? "does not begin with a \"#version\" line"
                    : len && text[len - 1] != '\n' ? "is cut short: its last line has no newline"
                    : NULL;
    if (why) {
        free(text);
        return wl_fail(err, errlen, "%s: %s", path, why);
    }
    int rc = wl_strmap_init(&t->ranks, 65536), rank = 0, cp_byte[N_MAPPED];
    byte_table(cp_byte);
    char *line = strchr(text, '\n'), a[512], b[512], key[1030], *save;
    for (line = line ? line + 1 : NULL; !rc && line; rank++) {
        char *end = strchr(line, '\n');
        if (!end) break;
        *end = 0;
        char *sa = strtok_r(line, " \t\r", &save), *sb = sa ? strtok_r(NULL, " \t\r", &save) : NULL;
        int na = sa && sb && !strtok_r(NULL, " \t\r", &save) && strlen(sa) < 512 ? symbol_bytes(cp_byte, sa, strlen(sa), a) : -1;
        int nb = na >= 0 && strlen(sb) < 512 ? symbol_bytes(cp_byte, sb, strlen(sb), b) : -1;
        if (nb < 0) {
            free(text);
            return wl_fail(err, errlen, "%s: line %d is not a merge (two byte-level BPE symbols separated by a space)",
                           path, rank + 2);
        }
        rc = wl_strmap_put(&t->ranks, key, pair_key(key, a, (size_t)na, b, (size_t)nb), rank);
        line = end + 1;
    }
    free(text);
    if (rc) return wl_fail(err, errlen, "%s: out of memory", path);
    return rank ? 0 : wl_fail(err, errlen, "%s: holds no merges (a byte-level BPE needs them)", path);
}

/* An added token must not contradict vocab.json: its text there under another id, or its id
 * there for another text, would make encoding and decoding disagree (HF's added-token maps win in
 * one direction only: "<|endoftext|>" given another id is then printed as text). src names the
 * file. The vocabulary's ids are indexed by then (index_vocab). */
static int add_token(wl_tokenizer *t, const char *text, int id, const char *dir, const char *src, char *err,
                     size_t errlen)
{
    char buf[1024];
    int cp_byte[N_MAPPED];
    byte_table(cp_byte);
    size_t len = strlen(text);
    int n = len < sizeof buf ? symbol_bytes(cp_byte, text, len, buf) : -1;
    int in_vocab = n >= 0 ? wl_strmap_get(&t->vocab, buf, (size_t)n, -1) : -1;
    if (in_vocab >= 0 && in_vocab != id)
        return wl_fail(err, errlen, "%s/%s: \"%.60s\" has id %d, but vocab.json gives it id %d", dir, src, text, id,
                       in_vocab);
    if (id < t->n_vocab_ids && t->bytes[id] && (t->nbytes[id] != len || memcmp(t->bytes[id], text, len)))
        return wl_fail(err, errlen, "%s/%s: \"%.60s\" has id %d, which vocab.json gives to another token", dir, src,
                       text, id);
    if (wl_strmap_put(&t->added, text, len, id)) return wl_fail(err, errlen, "tokenizer: out of memory");
    if ((int)len > t->max_added) t->max_added = (int)len;
    if (id + 1 > t->n_ids) t->n_ids = id + 1;
    return 0;
}

/* Added tokens: added_tokens.json ({"text": id}) and tokenizer_config.json's added_tokens_decoder
 * ({"id": {"content": "text"}}), whichever the folder has. */
static int load_added(wl_tokenizer *t, const char *dir, char *err, size_t errlen)
{
    cJSON *added = read_json(dir, "added_tokens.json", 1, err, errlen);
    cJSON *cfg = added ? read_json(dir, "tokenizer_config.json", 1, err, errlen) : NULL;
    int rc = !added || !cfg ? -1 : wl_strmap_init(&t->added, 4096) ? wl_fail(err, errlen, "tokenizer: out of memory") : 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, added)
    {
        if (rc) break;
        if (!wl_json_is_int(e) || e->valuedouble < 0 || e->valuedouble > 10000000)
            rc = wl_fail(err, errlen, "%s/added_tokens.json: \"%.40s\" has no valid id", dir, e->string);
        else rc = add_token(t, e->string, e->valueint, dir, "added_tokens.json", err, errlen);
    }
    const cJSON *dec = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "added_tokens_decoder") : NULL;
    if (!rc && dec && !cJSON_IsNull(dec) && !cJSON_IsObject(dec))
        rc = wl_fail(err, errlen, "%s/tokenizer_config.json: added_tokens_decoder must be an object of \"id\": "
                     "{\"content\": text}", dir);
    if (!cJSON_IsObject(dec)) dec = NULL;
    cJSON_ArrayForEach(e, dec)
    {
        if (rc) break;
        /* the key is the id: int(key) in HF, so "abc" (or "") is an error, never id 0 */
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "content");
        int id;
        if (!wl_parse_whole(e->string, 0, 10000000, &id))
            rc = wl_fail(err, errlen, "%s/tokenizer_config.json: added_tokens_decoder key \"%.40s\" is not a token id",
                         dir, e->string);
        else if (!cJSON_IsString(c))
            rc = wl_fail(err, errlen, "%s/tokenizer_config.json: added_tokens_decoder \"%s\" has no \"content\" text",
                         dir, e->string);
        else rc = add_token(t, c->valuestring, id, dir, "tokenizer_config.json", err, errlen);
    }
    cJSON_Delete(added), cJSON_Delete(cfg);
    return rc;
}

static const char *token_text(const cJSON *v)
{
    if (cJSON_IsObject(v)) v = cJSON_GetObjectItemCaseSensitive(v, "content");
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Special tokens: bos, eos, unk, sep, pad, cls, mask, then additional_special_tokens, in HF's
 * order (all_special_ids). The timestamp tokens start right after the last of them
 * (TW:_decode_with_timestamps: all_special_ids[-1] + 1). Each must be a token text (a string, or
 * an AddedToken object with "content") already in the vocabulary: HF would append an unknown one
 * as a new id, and a malformed entry would leave <|startoftranscript|> and the like in the text. */
static int load_special(wl_tokenizer *t, const char *dir, char *err, size_t errlen)
{
    cJSON *map = read_json(dir, "special_tokens_map.json", 0, err, errlen);
    if (!map) return -1;
    static const char *const attrs[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                        "pad_token", "cls_token", "mask_token", "additional_special_tokens"};
    const size_t n_attrs = sizeof attrs / sizeof *attrs;
    int last = -1, rc = 0;
    for (size_t i = 0; i < n_attrs && !rc; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(map, attrs[i]);
        if (!v || cJSON_IsNull(v)) continue;
        int is_list = i == n_attrs - 1;
        if (is_list != cJSON_IsArray(v)) {
            rc = wl_fail(err, errlen, "%s/special_tokens_map.json: \"%s\" must be %s", dir, attrs[i],
                         is_list ? "a list of token texts" : "a token text");
            break;
        }
        for (const cJSON *item = is_list ? v->child : v; item && !rc; item = is_list ? item->next : NULL) {
            const char *s = token_text(item);
            int32_t id = s ? wl_token_id(t, s) : -1;
            if (!s) {
                rc = wl_fail(err, errlen, "%s/special_tokens_map.json: \"%s\" holds an entry that is not a token text",
                             dir, attrs[i]);
                break;
            }
            if (id < 0) {
                rc = wl_fail(err, errlen, "%s/special_tokens_map.json: special token \"%.60s\" is in neither vocab.json "
                             "nor the added tokens", dir, s);
                break;
            }
            t->special[id] = 1, last = id;
            if (i == 1) t->eos = id;
            if (i == 2) t->unk = id;
            /* special tokens are added tokens too: split out of text, decoded verbatim */
            if (!t->added_text[id] && (!(t->added_text[id] = strdup(s)) || wl_strmap_put(&t->added, s, strlen(s), id)))
                rc = wl_fail(err, errlen, "tokenizer: out of memory");
            if ((int)strlen(s) > t->max_added) t->max_added = (int)strlen(s);
        }
    }
    cJSON_Delete(map);
    if (rc) return -1;
    if (last < 0) return wl_fail(err, errlen, "%s/special_tokens_map.json: lists no special token", dir);
    t->timestamp_begin = last + 1;
    return 0;
}

wl_status wl_tokenizer_check(const wl_tokenizer *t, const wl_gen_config *c, const char *dir, char *err, size_t errlen)
{
    const char *gen = "generation_config.json", *map = "special_tokens_map.json";
    if (t->eos != c->eos)
        return wl_fail(err, errlen, "%s/%s: eos_token is id %d, but %s has eos_token_id %d", dir, map, t->eos, gen,
                       c->eos), WL_ERR_FORMAT;
    if (c->no_timestamps >= 0) {
        int32_t nots = wl_token_id(t, "<|notimestamps|>");
        if (nots != c->no_timestamps)
            return wl_fail(err, errlen, "%s/%s: no_timestamps_token_id %d is not the tokenizer's <|notimestamps|> "
                           "(id %d)", dir, gen, c->no_timestamps, nots), WL_ERR_FORMAT;
        /* HF's tokenizer puts <|0.00|> after its last special token, generate() after <|notimestamps|>:
         * a list that lacks it, or has one more, shifts or hides every timestamp. */
        if (t->timestamp_begin != c->timestamp_begin)
            return wl_fail(err, errlen, "%s/%s: its last special token is id %d, not <|notimestamps|> (%d): the "
                           "tokenizer's timestamps would start at %d, %s's at %d", dir, map, t->timestamp_begin - 1,
                           nots, t->timestamp_begin, gen, c->timestamp_begin), WL_ERR_FORMAT;
    }
    for (int i = 0; i < c->n_prompt; i++)
        if (!wl_token_is_special(t, c->prompt[i]))
            return wl_fail(err, errlen, "%s/%s: prompt token %d of %s (decoder_start_token_id, forced_decoder_ids) is "
                           "not a special token, so it would be printed", dir, map, c->prompt[i], gen), WL_ERR_FORMAT;
    if (c->decoder_start != t->sot)
        return wl_fail(err, errlen, "%s/%s: decoder_start_token_id %d is not the tokenizer's <|startoftranscript|> "
                       "(id %d)", dir, gen, c->decoder_start, t->sot), WL_ERR_FORMAT;
    return WL_OK;
}

/* bytes[id] for every id of vocab.json; two tokens with one id are an error (HF's decoder would
 * keep one of them, so encoding and decoding would disagree). */
static int index_vocab(wl_tokenizer *t, const char *dir, char *err, size_t errlen)
{
    t->n_vocab_ids = t->n_ids;
    t->bytes = calloc((size_t)t->n_ids + 1, sizeof *t->bytes);
    t->nbytes = calloc((size_t)t->n_ids + 1, sizeof *t->nbytes);
    if (!t->bytes || !t->nbytes) return wl_fail(err, errlen, "tokenizer: out of memory");
    for (size_t i = 0; i < t->vocab.cap; i++) {
        int id = t->vocab.vals[i];
        if (!t->vocab.keys[i]) continue;
        if (t->bytes[id]) return wl_fail(err, errlen, "%s/vocab.json: id %d is given to two tokens", dir, id);
        if (!(t->bytes[id] = malloc(t->vocab.lens[i] + 1))) return wl_fail(err, errlen, "tokenizer: out of memory");
        memcpy(t->bytes[id], t->vocab.keys[i], t->vocab.lens[i]), t->nbytes[id] = t->vocab.lens[i];
    }
    return 0;
}

/* The per-id tables grown to every id the added tokens use; added_text[id] filled. Two added
 * texts with one id are an error (added_tokens.json and tokenizer_config.json together). */
static int index_added(wl_tokenizer *t, const char *dir, char *err, size_t errlen)
{
    char **bytes = realloc(t->bytes, ((size_t)t->n_ids + 1) * sizeof *bytes);
    if (bytes) t->bytes = bytes;
    size_t *nbytes = bytes ? realloc(t->nbytes, ((size_t)t->n_ids + 1) * sizeof *nbytes) : NULL;
    if (nbytes) t->nbytes = nbytes;
    for (int id = t->n_vocab_ids; nbytes && id < t->n_ids; id++) t->bytes[id] = NULL, t->nbytes[id] = 0;
    t->added_text = calloc((size_t)t->n_ids + 1, sizeof *t->added_text);
    t->special = calloc((size_t)t->n_ids + 1, 1);
    if (!bytes || !nbytes || !t->added_text || !t->special) return wl_fail(err, errlen, "tokenizer: out of memory");
    for (size_t i = 0; i < t->added.cap; i++) {
        int id = t->added.vals[i];
        if (!t->added.keys[i]) continue;
        if (t->added_text[id])
            return wl_fail(err, errlen, "%s/added_tokens.json: id %d is given to both \"%.40s\" and \"%.*s\" (with "
                           "tokenizer_config.json's added_tokens_decoder)", dir, id, t->added_text[id],
                           (int)(t->added.lens[i] < 40 ? t->added.lens[i] : 40), t->added.keys[i]); /* keys: no NUL */
        if (!(t->added_text[id] = strndup(t->added.keys[i], t->added.lens[i])))
            return wl_fail(err, errlen, "tokenizer: out of memory");
    }
    return 0;
}

wl_status wl_tokenizer_load(const char *dir, wl_tokenizer **out, char *err, size_t errlen)
{
    *out = NULL;
    wl_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return wl_fail(err, errlen, "tokenizer: out of memory"), WL_ERR_NOMEM;
    if (err && errlen) err[0] = 0;
    if (load_vocab(t, dir, err, errlen) || index_vocab(t, dir, err, errlen) || load_merges(t, dir, err, errlen) ||
        load_added(t, dir, err, errlen) || index_added(t, dir, err, errlen) || load_special(t, dir, err, errlen)) {
        wl_tokenizer_free(t);
        return err && strstr(err, "out of memory") ? WL_ERR_NOMEM : WL_ERR_FORMAT;
    }
    t->sot = wl_token_id(t, "<|startoftranscript|>");
    t->prev = wl_token_id(t, "<|startofprev|>");
    *out = t;
    return WL_OK;
}

int32_t wl_token_id(const wl_tokenizer *t, const char *text)
{
    /* convert_tokens_to_ids: added tokens first, then the vocabulary (written in its printable form) */
    int id = wl_strmap_get(&t->added, text, strlen(text), -1);
    char buf[1024];
    int cp_byte[N_MAPPED];
    byte_table(cp_byte);
    int n = id < 0 && strlen(text) < sizeof buf ? symbol_bytes(cp_byte, text, strlen(text), buf) : -1;
    return id >= 0 ? id : n >= 0 ? wl_strmap_get(&t->vocab, buf, (size_t)n, -1) : -1;
}

int32_t wl_tokenizer_first_gap(const wl_tokenizer *t, int32_t n_vocab)
{
    for (int32_t id = 0; id < n_vocab; id++)
        if (id >= t->n_ids || (!t->bytes[id] && !t->added_text[id])) return id;
    return -1;
}

int wl_token_is_special(const wl_tokenizer *t, int32_t id) { return id >= 0 && id < t->n_ids && t->special[id]; }
int32_t wl_tokenizer_timestamp_begin(const wl_tokenizer *t) { return t->timestamp_begin; }
