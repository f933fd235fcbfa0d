/* The tokenizer's insides, shared by its three files: tokenizer.c loads and checks the files,
 * bpe.c encodes text (pre-tokenizer regex and byte-level BPE), detokenize.c decodes ids to text
 * and timestamped pieces. The API is in whisperlab.h; nothing outside engine/text/ includes this. */
#ifndef WL_TOKENIZER_H
#define WL_TOKENIZER_H

#include "../base/strmap.h"
#include "unicode_classes.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* Decodes one UTF-8 code point at s[0..n); returns its length, or 0 if invalid. */
static inline int utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
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

/* Merge-rank key of the adjacent symbols a, b: a's length (2 bytes), then a and b. */
static inline size_t pair_key(char *key, const char *a, size_t na, const char *b, size_t nb)
{
    key[0] = (char)(na & 0xFF), key[1] = (char)(na >> 8);
    memcpy(key + 2, a, na);
    memcpy(key + 2 + na, b, nb);
    return 2 + na + nb;
}

static inline int is_class(uint32_t cp, int cls) { return (wl_uc_class(cp) & cls) != 0; }

#endif
