/* GPT-2 byte-level BPE as HF's slow WhisperTokenizer does it: vocab.json + merges.txt, added
 * tokens (added_tokens.json, tokenizer_config.json) split out of the text first, special tokens
 * from special_tokens_map.json. Tokens are handled as raw bytes: vocab and merge entries are
 * mapped back through GPT-2's byte <-> printable-character table on load.
 * Mirrors models/whisper/tokenization_whisper.py (WhisperTokenizer) and tokenization_utils.py. */
#include "../base/strmap.h"
#include "../base/strbuf.h"
#include "unicode_classes.h"
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

#define TIME_PRECISION 0.02 /* seconds per timestamp token (WhisperTokenizer's time_precision) */

struct wl_tokenizer {
    wl_strmap vocab;      /* raw token bytes -> id (vocab.json) */
    wl_strmap ranks;      /* merge pair (see pair_key) -> rank (merges.txt line order) */
    wl_strmap added;      /* added token text -> id */
    int n_ids;            /* 1 + the largest id */
    int n_vocab_ids;      /* 1 + the largest id of vocab.json */
    char **bytes;         /* [n_ids] raw bytes of a vocab id, else NULL */
    size_t *nbytes;       /* [n_ids] */
    char **added_text;    /* [n_ids] text of an added token, else NULL */
    unsigned char *special; /* [n_ids] 1 for special_tokens_map.json's tokens */
    int max_added;        /* longest added token, in bytes */
    int32_t unk, eos, sot, prev, timestamp_begin;
};

/* ---- small helpers ---------------------------------------------------------------------- */

/* Decodes one UTF-8 code point at s[0..n); returns its length, or 0 if invalid. */
static int utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) return *cp = s[0], 1;
    int len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (!len || s[0] > 0xF4 || (size_t)len > n) return 0;
    /* The second byte's range excludes overlong forms and surrogates (Unicode Table 3-7). */
    unsigned lo = s[0] == 0xE0 ? 0xA0 : s[0] == 0xF0 ? 0x90 : 0x80;
    unsigned hi = s[0] == 0xED ? 0x9F : s[0] == 0xF4 ? 0x8F : 0xBF;
    if (s[1] < lo || s[1] > hi) return 0;
    uint32_t v = s[0] & (0x7F >> len);
    for (int k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) return 0;
        v = v << 6 | (s[k] & 0x3F);
    }
    return *cp = v, len;
}

/* Appends bytes as Python's bytes.decode("utf-8", errors="replace") would: each maximal invalid
 * subsequence (a bad lead byte, or a truncated sequence) becomes one U+FFFD
 * (TW:convert_tokens_to_string). */
static void utf8_replace(wl_strbuf *b, const unsigned char *s, size_t n)
{
    static const char fffd[] = "\xEF\xBF\xBD";
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int len = utf8_next(s + i, n - i, &cp);
        if (len) {
            wl_strbuf_add(b, (const char *)s + i, (size_t)len);
            i += (size_t)len;
            continue;
        }
        /* Invalid: skip the lead byte and the continuation bytes that were still valid. */
        size_t k = 1;
        int need = s[i] >= 0xF0 ? 4 : s[i] >= 0xE0 ? 3 : s[i] >= 0xC2 ? 2 : 1;
        if (s[i] > 0xF4) need = 1;
        unsigned lo = s[i] == 0xE0 ? 0xA0 : s[i] == 0xF0 ? 0x90 : 0x80;
        unsigned hi = s[i] == 0xED ? 0x9F : s[i] == 0xF4 ? 0x8F : 0xBF;
        if (need > 1 && i + 1 < n && s[i + 1] >= lo && s[i + 1] <= hi)
            for (k = 2; (int)k < need && i + k < n && (s[i + k] & 0xC0) == 0x80;) k++;
        wl_strbuf_add(b, fffd, 3);
        i += k;
    }
}

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

/* Merge-rank key of the adjacent symbols a, b: a's length (2 bytes), then a and b. */
static size_t pair_key(char *key, const char *a, size_t na, const char *b, size_t nb)
{
    key[0] = (char)(na & 0xFF), key[1] = (char)(na >> 8);
    memcpy(key + 2, a, na);
    memcpy(key + 2 + na, b, nb);
    return 2 + na + nb;
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

/* ---- encoding --------------------------------------------------------------------------- */

typedef struct {
    int32_t *ids;
    int n, cap;
} idbuf;

static int push_id(idbuf *b, int32_t id)
{
    if (b->n == b->cap) {
        int cap = b->cap ? 2 * b->cap : 64;
        int32_t *p = realloc(b->ids, (size_t)cap * sizeof *p);
        if (!p) return -1;
        b->ids = p, b->cap = cap;
    }
    b->ids[b->n++] = id;
    return 0;
}

/* BPE of one pre-tokenized piece (raw bytes): repeatedly merge the adjacent pair with the lowest
 * rank, every occurrence left to right, until no pair has a rank (TW:bpe). */
static int bpe(const wl_tokenizer *t, const char *s, int n, idbuf *out)
{
    int *start = malloc((size_t)n * sizeof *start), *len = malloc((size_t)n * sizeof *len), m = n;
    char *key = malloc(2 * (size_t)n + 2);
    if (!start || !len || !key) return free(start), free(len), free(key), -1;
    for (int i = 0; i < n; i++) start[i] = i, len[i] = 1;
    while (m > 1) {
        int best = -1, best_rank = 0;
        for (int i = 0; i + 1 < m; i++) {
            int r = wl_strmap_get(&t->ranks, key, pair_key(key, s + start[i], (size_t)len[i], s + start[i + 1], (size_t)len[i + 1]), -1);
            if (r >= 0 && (best < 0 || r < best_rank)) best = i, best_rank = r;
        }
        if (best < 0) break;
        int la = len[best], lb = len[best + 1], k = 0;
        const char *a = s + start[best], *b = s + start[best + 1];
        for (int i = 0; i < m; k++) {
            if (i + 1 < m && len[i] == la && len[i + 1] == lb && !memcmp(s + start[i], a, (size_t)la) &&
                !memcmp(s + start[i + 1], b, (size_t)lb)) {
                start[k] = start[i], len[k] = la + lb, i += 2;
            } else {
                start[k] = start[i], len[k] = len[i], i += 1;
            }
        }
        m = k;
    }
    int rc = 0;
    for (int i = 0; !rc && i < m; i++) /* a symbol outside the vocabulary becomes unk (_convert_token_to_id) */
        rc = push_id(out, wl_strmap_get(&t->vocab, s + start[i], (size_t)len[i], t->unk));
    free(start), free(len), free(key);
    return rc;
}

static int is_class(uint32_t cp, int cls) { return (wl_uc_class(cp) & cls) != 0; }
static int is_other(uint32_t cp) { return !(wl_uc_class(cp) & (WL_UC_LETTER | WL_UC_NUMBER | WL_UC_SPACE)); }

/* The end of the next piece of GPT-2's pre-tokenizer regex starting at cp[i] (TW:__init__ pat):
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * each alternative tried in that order, as the regex engine does. */
static int next_piece(const uint32_t *cp, int n, int i)
{
    if (cp[i] == '\'') {
        static const char *const suffix[] = {"s", "t", "re", "ve", "m", "ll", "d"};
        for (int k = 0; k < 7; k++) {
            int l = (int)strlen(suffix[k]), ok = i + l < n;
            for (int j = 0; ok && j < l; j++) ok = cp[i + 1 + j] == (uint32_t)suffix[k][j];
            if (ok) return i + 1 + l;
        }
    }
    int j = i + (cp[i] == ' ' && i + 1 < n);
    if (is_class(cp[j], WL_UC_LETTER) || is_class(cp[j], WL_UC_NUMBER) || is_other(cp[j])) {
        int cls = is_class(cp[j], WL_UC_LETTER) ? WL_UC_LETTER : is_class(cp[j], WL_UC_NUMBER) ? WL_UC_NUMBER : 0;
        while (j < n && (cls ? is_class(cp[j], cls) : is_other(cp[j]))) j++;
        return j;
    }
    int k = i; /* a run of whitespace */
    while (k < n && is_class(cp[k], WL_UC_SPACE)) k++;
    /* \s+(?!\S): all of it at the end of the text, else all but the last one (which then leads
     * the next word's " ?\p{L}+"); a single space before text falls through to \s+ */
    if (k == n || k - i < 2) return k;
    return k - 1;
}

/* Pre-tokenizes and BPE-encodes text without added tokens (TW:_tokenize). */
static wl_status encode_plain(const wl_tokenizer *t, const char *s, size_t n, idbuf *out, char *err, size_t errlen)
{
    if (!n) return WL_OK;
    uint32_t *cp = malloc(n * sizeof *cp);
    size_t *off = malloc((n + 1) * sizeof *off);
    int m = 0;
    wl_status st = cp && off ? WL_OK : WL_ERR_NOMEM;
    for (size_t i = 0; !st && i < n; m++) {
        int l = utf8_next((const unsigned char *)s + i, n - i, &cp[m]);
        if (!l) st = WL_ERR_INPUT, wl_fail(err, errlen, "tokenizer: text is not valid UTF-8 at byte %zu", i);
        off[m] = i;
        i += (size_t)l;
    }
    if (!st) off[m] = n;
    for (int i = 0; !st && i < m;) {
        int e = next_piece(cp, m, i);
        if (bpe(t, s + off[i], (int)(off[e] - off[i]), out)) st = WL_ERR_NOMEM;
        i = e;
    }
    if (st == WL_ERR_NOMEM) wl_fail(err, errlen, "tokenizer: out of memory");
    free(cp), free(off);
    return st;
}

wl_status wl_tokenize(const wl_tokenizer *t, const char *text, size_t n, int32_t **ids, int *n_ids, char *err,
                      size_t errlen)
{
    idbuf out = {0};
    wl_status st = WL_OK;
    size_t seg = 0; /* start of the text not yet encoded */
    /* Added tokens are split out first, wherever they occur, longest first (tokenize, tokens_trie). */
    for (size_t i = 0; !st && i <= n; i++) {
        int id = -1, len = 0;
        for (int l = t->max_added; i < n && l > 0 && id < 0; l--)
            if ((size_t)l <= n - i && (id = wl_strmap_get(&t->added, text + i, (size_t)l, -1)) >= 0) len = l;
        if (id < 0 && i < n) continue;
        st = encode_plain(t, text + seg, i - seg, &out, err, errlen);
        if (!st && id >= 0 && push_id(&out, id)) st = WL_ERR_NOMEM, wl_fail(err, errlen, "tokenizer: out of memory");
        if (id >= 0) i += (size_t)len - 1, seg = i + 1;
    }
    if (st) {
        free(out.ids);
        return st;
    }
    *ids = out.ids ? out.ids : malloc(sizeof(int32_t));
    *n_ids = out.n;
    return *ids ? WL_OK : (wl_fail(err, errlen, "tokenizer: out of memory"), WL_ERR_NOMEM);
}

/* ---- decoding --------------------------------------------------------------------------- */

/* Drops a <|startofprev|> prompt: everything before <|startoftranscript|> (TW:_strip_prompt). */
static void strip_prompt(const wl_tokenizer *t, const int32_t **ids, int *n)
{
    if (*n == 0 || (*ids)[0] != t->prev) return;
    for (int i = 0; i < *n; i++)
        if ((*ids)[i] == t->sot) {
            *ids += i, *n -= i;
            return;
        }
    *n = 0;
}

/* Token texts joined: byte runs decoded as UTF-8 with replacement, added tokens verbatim,
 * unknown ids as "" (TW:_decode). */
static void decode_tokens(const wl_tokenizer *t, const int32_t *ids, int n, int skip_special, wl_strbuf *out)
{
    wl_strbuf run = {0};
    for (int i = 0; i <= n; i++) {
        int32_t id = i < n ? ids[i] : -1;
        int known = id >= 0 && id < t->n_ids;
        if (i < n && skip_special && known && t->special[id]) continue;
        if (i == n || (known && t->added_text[id])) {
            utf8_replace(out, (const unsigned char *)run.s, run.n);
            run.n = 0;
            if (i < n) wl_strbuf_add(out, t->added_text[id], strlen(t->added_text[id]));
        } else if (known && t->bytes[id]) {
            wl_strbuf_add(&run, t->bytes[id], t->nbytes[id]);
        }
    }
    out->oom |= run.oom;
    free(run.s);
}

/* Removes every match of <\|(\d+\.\d+)\|> (TW:_filter_timestamp_ids; \d is any decimal digit). */
static char *filter_timestamps(char *s)
{
    size_t n = strlen(s), w = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 2;
        int ok = s[i] == '<' && s[i + 1] == '|';
        for (int part = 0; ok && part < 2; part++) {
            size_t digits = 0;
            uint32_t cp;
            for (int l; j < n && (l = utf8_next((const unsigned char *)s + j, n - j, &cp)) && is_class(cp, WL_UC_DIGIT);)
                j += (size_t)l, digits++;
            ok = digits > 0 && j < n && s[j] == (part ? '|' : '.');
            j++;
        }
        if (ok && j < n && s[j] == '>') {
            i = j + 1;
            continue;
        }
        s[w++] = s[i++];
    }
    s[w] = 0;
    return s;
}

static char *decode(const wl_tokenizer *t, const int32_t *ids, int n, int flags);

/* decode_with_timestamps: text between timestamps decoded on its own, each timestamp written
 * <|%.2f|>; a timestamp below the previous one starts a new window, whose times are offset by
 * the previous maximum (TW:_decode_with_timestamps). */
static void decode_timestamped(const wl_tokenizer *t, const int32_t *ids, int n, int flags, wl_strbuf *out)
{
    double cur_max = 0, prev_len = 0;
    int seg = 0;
    for (int i = 0; i <= n; i++) {
        if (i < n && ids[i] < t->timestamp_begin) continue;
        char *text = decode(t, ids + seg, i - seg, flags & ~WL_DECODE_TIMESTAMPS);
        if (text) wl_strbuf_add(out, text, strlen(text));
        else out->oom = 1;
        free(text);
        if (i < n) {
            double ts = (double)(ids[i] - t->timestamp_begin) * TIME_PRECISION;
            if (ts < cur_max) prev_len += cur_max;
            cur_max = ts;
            char buf[64];
            int len = snprintf(buf, sizeof buf, "<|%.2f|>", ts + prev_len);
            wl_strbuf_add(out, buf, (size_t)len);
        }
        seg = i + 1;
    }
}

/* TW:decode: prompt stripped when skipping special tokens, then the text, with timestamps
 * written out or filtered away. */
static char *decode(const wl_tokenizer *t, const int32_t *ids, int n, int flags)
{
    wl_strbuf out = {0};
    if (flags & WL_DECODE_SKIP_SPECIAL) strip_prompt(t, &ids, &n);
    if (flags & WL_DECODE_TIMESTAMPS) {
        decode_timestamped(t, ids, n, flags, &out);
        return wl_strbuf_done(&out);
    }
    decode_tokens(t, ids, n, flags & WL_DECODE_SKIP_SPECIAL, &out);
    char *s = wl_strbuf_done(&out);
    return s ? filter_timestamps(s) : NULL;
}

char *wl_detokenize(const wl_tokenizer *t, const int32_t *ids, int n, int flags) { return decode(t, ids, n, flags); }

void wl_text_pieces_free(wl_text_piece *p, int n)
{
    for (int i = 0; p && i < n; i++) free(p[i].text);
    free(p);
}

/* Segments between consecutive timestamp pairs (plus the last timestamp): start and end times
 * from the first and last token of each slice, text without timestamps (TW:_compute_offsets). */
int wl_text_pieces(const wl_tokenizer *t, const int32_t *ids, int n, wl_text_piece **out)
{
    *out = NULL;
    int *cuts = malloc(((size_t)n + 1) * sizeof *cuts), n_cuts = 0, first = -1, last = -1, count = 0;
    if (!cuts) return -1;
    for (int i = 0; i < n; i++) {
        if (ids[i] < t->timestamp_begin) continue;
        if (first < 0) first = i;
        last = i, count++;
        if (i > 0 && ids[i - 1] >= t->timestamp_begin) cuts[n_cuts++] = i;
    }
    if (n_cuts == 0 && count <= 1) return free(cuts), 0;
    cuts[n_cuts++] = last + 1; /* the final timestamp ends the last slice */
    wl_text_piece *p = calloc((size_t)n_cuts, sizeof *p);
    int np = 0, from = first, bad = !p;
    for (int c = 0; !bad && c < n_cuts; c++) {
        int to = cuts[c];
        if (to - from > 1) {
            wl_strbuf text = {0};
            decode_tokens(t, ids + from, to - from, 0, &text);
            char *s = wl_strbuf_done(&text);
            bad = !s;
            p[np].text = s ? filter_timestamps(s) : NULL;
            p[np].start = (double)(ids[from] - t->timestamp_begin) * TIME_PRECISION;
            p[np].end = (double)(ids[to - 1] - t->timestamp_begin) * TIME_PRECISION;
            np++;
        }
        from = to;
    }
    free(cuts);
    if (bad) return wl_text_pieces_free(p, np), -1;
    *out = p;
    return np;
}
