/* Fuzzes BPE encoding and decoding with the real tokenizer (build/whisper-micro.en, loaded once).
 * The first byte picks the mode:
 *   even: the rest is text for wl_tokenize. Valid UTF-8 must encode to ids inside the vocabulary,
 *         and text without "<|" (so no special-token strings) and NUL must come back exactly from
 *         wl_detokenize, also with skip_special_tokens and decode_with_timestamps; invalid UTF-8
 *         is WL_ERR_INPUT.
 *   odd:  the rest is little-endian int32 ids (any values) for wl_detokenize (flags from the
 *         first byte) and wl_text_pieces: the text is always valid UTF-8. */
#include "../../engine/whisperlab.h"
#include "fuzz.h"

#define N_VOCAB 51864

static wl_tokenizer *tok;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char err[1024];
    if (wl_tokenizer_load("build/whisper-micro.en", &tok, err, sizeof err) != WL_OK) fz_die(err, "build/whisper-micro.en");
    return 0;
}

static void check_text(const char *s, const char *what)
{
    FZ_CHECK(s, "%s: NULL (out of memory?)", what);
    FZ_CHECK(fz_utf8_valid((const unsigned char *)s, strlen(s)), "%s is not valid UTF-8", what);
}

static void fuzz_text(const char *text, size_t n)
{
    int32_t *ids = NULL;
    int n_ids = 0;
    char err[512] = "";
    wl_status st = wl_tokenize(tok, text, n, &ids, &n_ids, err, sizeof err);
    int valid = fz_utf8_valid((const unsigned char *)text, n);
    FZ_CHECK(valid ? st == WL_OK : st == WL_ERR_INPUT, "status %d for %s UTF-8 (%s)", st, valid ? "valid" : "invalid", err);
    if (st != WL_OK) return;
    for (int i = 0; i < n_ids; i++) FZ_CHECK(ids[i] >= 0 && ids[i] < N_VOCAB, "id %d", ids[i]);
    if (!memmem(text, n, "<|", 2) && !memchr(text, 0, n)) { /* the decoded text is a C string */
        for (int flags = 0; flags < 4; flags++) {
            char *back = wl_detokenize(tok, ids, n_ids, flags);
            FZ_CHECK(back && strlen(back) == n && !memcmp(back, text, n),
                     "decode(encode(x)) != x with flags %d: %zu bytes in, %zu out", flags, n, back ? strlen(back) : 0);
            free(back);
        }
    }
    free(ids);
}

static void fuzz_ids(const uint8_t *data, size_t size, int flags)
{
    int n = (int)(size / 4);
    int32_t *ids = malloc(((size_t)n + 1) * sizeof *ids);
    for (int i = 0; i < n; i++) memcpy(&ids[i], data + 4 * i, 4);
    char *s = wl_detokenize(tok, ids, n, flags);
    check_text(s, "decoded text");
    free(s);
    wl_text_piece *p = NULL;
    int np = wl_text_pieces(tok, ids, n, &p);
    FZ_CHECK(np >= 0, "wl_text_pieces failed");
    for (int i = 0; i < np; i++) check_text(p[i].text, "piece text");
    wl_text_pieces_free(p, np);
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    if (data[0] % 2 == 0) /* libFuzzer's buffer ends where the input does: ASan sees overreads */
        fuzz_text((const char *)data + 1, size - 1);
    else
        fuzz_ids(data + 1, size - 1, (data[0] >> 1) & 3);
    return 0;
}
