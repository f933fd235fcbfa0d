/* Text to ids as HF's slow WhisperTokenizer does it: added tokens split out first, the rest cut
 * by GPT-2's pre-tokenizer regex and each piece merged by byte-level BPE. TW: below names a
 * method of WhisperTokenizer (models/whisper/tokenization_whisper.py, with tokenization_utils.py). */
#include "tokenizer.h"
#include "../base/strmap.h"
#include "../base/util.h"
#include "../whisperlab.h"

#include <stdlib.h>
#include <string.h>

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
