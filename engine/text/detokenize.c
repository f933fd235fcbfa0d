/* Ids to text as HF's slow WhisperTokenizer does it: byte runs decoded as UTF-8 with
 * replacement, prompts and special tokens skipped on request, timestamps written out or filtered
 * away, and a transcript's timestamped pieces. TW: below names a method of WhisperTokenizer
 * (models/whisper/tokenization_whisper.py). */
#include "tokenizer.h"
#include "../base/strbuf.h"
#include "../whisperlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIME_PRECISION 0.02 /* seconds per timestamp token (WhisperTokenizer's time_precision) */

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
