/* Fuzzes wl_tokenizer_load: the first byte picks one of vocab.json, merges.txt,
 * added_tokens.json, special_tokens_map.json, tokenizer_config.json; the rest replaces that file
 * in a small copy of whisper-micro.en's tokenizer (fz_small_tokenizer), the others stay. A
 * tokenizer that loads is used once: a short text with special tokens is encoded to ids the
 * tokenizer knows, decoded in every mode, and cut into timestamp pieces. */
#include "../../engine/whisperlab.h"
#include "fuzz.h"

static char dir[512], *baseline[FZ_N_TOKENIZER_FILES];
static size_t baseline_len[FZ_N_TOKENIZER_FILES];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char path[1024];
    fz_small_tokenizer("build/whisper-micro.en", fz_join(dir, sizeof dir, fz_scratch(), "tok"));
    for (int i = 0; i < FZ_N_TOKENIZER_FILES; i++)
        baseline[i] = fz_read(fz_join(path, sizeof path, dir, FZ_TOKENIZER_FILES[i]), &baseline_len[i]);
    return 0;
}

static void use(const wl_tokenizer *t)
{
    static const char text[] = "<|startoftranscript|> Hello world, it's 3.14! naïve 日本 <|endoftext|>";
    int32_t *ids = NULL;
    int n = 0;
    char err[512];
    wl_status st = wl_tokenize(t, text, sizeof text - 1, &ids, &n, err, sizeof err);
    FZ_CHECK(st == WL_OK || st == WL_ERR_NOMEM, "valid UTF-8 refused: %s", err);
    if (st != WL_OK) return;
    for (int i = 0; i < n; i++) {
        char *one = wl_detokenize(t, ids + i, 1, 0);
        FZ_CHECK(one, "decode of id %d gave NULL", ids[i]);
        free(one);
    }
    int32_t stamped[64];
    int m = 0, tb = wl_tokenizer_timestamp_begin(t);
    stamped[m++] = tb;
    for (int i = 0; i < n && m < 62; i++) stamped[m++] = ids[i];
    stamped[m++] = tb + 50, stamped[m++] = tb + 50;
    for (int flags = 0; flags < 4; flags++) free(wl_detokenize(t, stamped, m, flags));
    wl_text_piece *pieces;
    int np = wl_text_pieces(t, stamped, m, &pieces);
    wl_text_pieces_free(pieces, np < 0 ? 0 : np);
    free(ids);
    wl_tokenizer_first_gap(t, 51864);
    wl_token_id(t, "<|endoftext|>");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int which = data[0] % FZ_N_TOKENIZER_FILES;
    char path[1024], err[1024] = "";
    fz_join(path, sizeof path, dir, FZ_TOKENIZER_FILES[which]);
    fz_write(path, data + 1, size - 1);
    wl_tokenizer *t = NULL;
    if (wl_tokenizer_load(dir, &t, err, sizeof err) == WL_OK) {
        FZ_CHECK(t, "loaded without a tokenizer");
        use(t);
        wl_tokenizer_free(t);
    } else {
        FZ_CHECK(!t && err[0], "refused without a message");
    }
    fz_write(path, baseline[which], baseline_len[which]);
    return 0;
}
