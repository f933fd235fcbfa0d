/* The C tokenizer against HF's slow WhisperTokenizer (golden/tokenizer/tokenizer.json, written by
 * gen/export_tokenizer_golden.py): token ids of the 29 clip sentences and the torture list
 * (tests/data/tokenizer_torture.json), and every decoding mode (plain, skip_special_tokens,
 * decode_with_timestamps, both, output_offsets) on hand-made sequences, each text's ids and
 * their first half (split UTF-8), and every token sequence of the decoding goldens.
 * The goldens must be fresh: same exporter version, tokenizer files and inputs.
 * WL_MODEL picks the model folder whose tokenizer is checked (default: the synthetic one). */
#include "../engine/base/sha256.h"
#include "../engine/base/util.h"
#include "../engine/whisperlab.h"
#include "golden.h"

#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define GOLDEN "golden/tokenizer/tokenizer.json"
#define EXPORTER "gen/export_tokenizer_golden.py"

static cJSON *G;
static wl_tokenizer *T;
static char err[1024];

static int setup(void **state)
{
    (void)state;
    size_t len;
    char *text = wl_read_file(GOLDEN, &len, err, sizeof err);
    G = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    if (!cJSON_IsObject(G)) {
        fprintf(stderr, "%s: %s\n", GOLDEN, text ? "not JSON" : err);
        return -1;
    }
    if (wl_tokenizer_load(t_model_dir_under_test(), &T, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cJSON_Delete(G);
    wl_tokenizer_free(T);
    return 0;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void expect_sha(const char *path, const char *want, const char *what)
{
    char hex[65];
    if (wl_sha256_file(path, hex, err, sizeof err)) fail_msg("%s", err);
    if (strcmp(hex, want))
        fail_msg("tokenizer goldens are stale: re-run " EXPORTER " (%s %s has SHA256 %.12s..., the goldens "
                 "were made from %.12s...)", what, path, hex, want);
}

static void test_goldens_are_fresh(void **state)
{
    (void)state;
    size_t len;
    char *src = wl_read_file(EXPORTER, &len, err, sizeof err);
    if (!src) fail_msg("%s", err);
    const char *v = strstr(src, "\nEXPORTER_VERSION = ");
    int current = v ? atoi(v + 20) : -1;
    free(src);
    const cJSON *ver = cJSON_GetObjectItem(G, "exporter_version");
    if (!cJSON_IsNumber(ver) || ver->valueint != current)
        fail_msg("tokenizer goldens are stale: re-run " EXPORTER " (" GOLDEN " has exporter version %d, "
                 EXPORTER " is version %d)", cJSON_IsNumber(ver) ? ver->valueint : -1, current);
    const cJSON *f;
    char path[2048];
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(G, "tokenizer_sha256"))
    {
        snprintf(path, sizeof path, "%s/%s", t_model_dir_under_test(), f->string);
        expect_sha(path, f->valuestring, "tokenizer file");
    }
    const cJSON *in = cJSON_GetObjectItem(G, "inputs_sha256");
    expect_sha("data/clips.json", str(in, "clips"), "clip list");
    expect_sha("tests/data/tokenizer_torture.json", str(in, "torture"), "torture list");
    if (*str(in, "sequences_from")) {
        snprintf(path, sizeof path, "%s/index.json", t_golden_dir_under_test());
        expect_sha(path, str(in, "sequences_from"), "decoding goldens");
    }
    printf("  %s: %s from transformers %s, %s\n", GOLDEN, str(G, "tokenizer_class"),
           str(cJSON_GetObjectItem(G, "versions"), "transformers"), str(G, "date"));
}

/* ids of a JSON array; *n set. Caller frees. */
static int32_t *json_ids(const cJSON *a, int *n)
{
    *n = cJSON_GetArraySize(a);
    int32_t *ids = malloc(((size_t)*n + 1) * sizeof *ids);
    for (int i = 0; i < *n; i++) ids[i] = (int32_t)cJSON_GetArrayItem(a, i)->valuedouble;
    return ids;
}

static void print_ids(const char *label, const int32_t *ids, int n)
{
    printf("      %s [", label);
    for (int i = 0; i < n; i++) printf("%s%d", i ? ", " : "", ids[i]);
    printf("]\n");
}

static void test_encode_matches_hf(void **state)
{
    (void)state;
    int32_t sot = wl_token_id(T, "<|startoftranscript|>"), nots = wl_token_id(T, "<|notimestamps|>");
    int32_t eot = wl_token_id(T, "<|endoftext|>");
    int cases = 0, bad = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(G, "encode"))
    {
        const char *text = str(c, "text");
        int n_want, n_with, n_got;
        int32_t *want = json_ids(cJSON_GetObjectItem(c, "ids"), &n_want), *got;
        int32_t *with = json_ids(cJSON_GetObjectItem(c, "ids_with_special"), &n_with);
        if (wl_tokenize(T, text, strlen(text), &got, &n_got, err, sizeof err)) fail_msg("%s", err);
        /* tokenizer(text) wraps the ids in the prefix <|startoftranscript|><|notimestamps|> and
         * <|endoftext|> (WhisperTokenizer.prefix_tokens for an English-only model) */
        int ok = n_got == n_want && !memcmp(got, want, (size_t)n_got * sizeof *got) && n_with == n_got + 3 &&
                 with[0] == sot && with[1] == nots && with[n_with - 1] == eot && !memcmp(with + 2, got, (size_t)n_got * sizeof *got);
        if (!ok && bad++ < 5) {
            printf("    MISMATCH %s %s\n", str(c, "source"), text);
            print_ids("HF  ", want, n_want), print_ids("C   ", got, n_got);
        }
        cases++;
        free(want), free(with), free(got);
    }
    printf("  encode: %d/%d texts give HF's ids (with and without the special-token prefix)\n", cases - bad, cases);
    assert_int_equal(bad, 0);
    assert_true(cases >= 29 + 20);
}

static int same_text(const char *want, char *got, const char *mode, const char *source)
{
    int ok = got && strcmp(want, got) == 0;
    if (!ok) printf("    MISMATCH %s (%s)\n      HF '%s'\n      C  '%s'\n", source, mode, want, got ? got : "(null)");
    free(got);
    return ok;
}

static void test_decode_matches_hf(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        int flags;
    } modes[] = {{"text", 0},
                 {"skip_special", WL_DECODE_SKIP_SPECIAL},
                 {"with_timestamps", WL_DECODE_TIMESTAMPS},
                 {"skip_special_with_timestamps", WL_DECODE_SKIP_SPECIAL | WL_DECODE_TIMESTAMPS}};
    int cases = 0, bad = 0, pieces = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(G, "decode"))
    {
        int n, ok = 1;
        int32_t *ids = json_ids(cJSON_GetObjectItem(c, "ids"), &n);
        for (size_t m = 0; m < sizeof modes / sizeof *modes; m++)
            ok &= same_text(str(c, modes[m].key), wl_detokenize(T, ids, n, modes[m].flags), modes[m].key,
                            str(c, "source"));
        wl_text_piece *p;
        int np = wl_text_pieces(T, ids, n, &p);
        const cJSON *off = cJSON_GetObjectItem(c, "offsets");
        if (np != cJSON_GetArraySize(off)) {
            printf("    MISMATCH %s (offsets): HF %d pieces, C %d\n", str(c, "source"), cJSON_GetArraySize(off), np);
            ok = 0;
        }
        for (int i = 0; ok && i < np; i++) {
            const cJSON *o = cJSON_GetArrayItem(off, i);
            /* times are (id - timestamp_begin) * 0.02 in double on both sides: exact */
            ok = p[i].start == cJSON_GetObjectItem(o, "start")->valuedouble &&
                 p[i].end == cJSON_GetObjectItem(o, "end")->valuedouble;
            ok &= same_text(str(o, "text"), strdup(p[i].text), "offsets", str(c, "source"));
            pieces++;
        }
        wl_text_pieces_free(p, np);
        bad += !ok;
        cases++;
        free(ids);
    }
    printf("  decode: %d/%d sequences give HF's text in all 4 modes and HF's offsets (%d timed pieces)\n",
           cases - bad, cases, pieces);
    assert_int_equal(bad, 0);
    assert_true(cases >= 100);
}

/* What any tokenizer must do, golden or not: decode(encode(text)) == text for valid UTF-8. */
static void test_round_trip(void **state)
{
    (void)state;
    const cJSON *c;
    int n_cases = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(G, "encode"))
    {
        const char *text = str(c, "text");
        int32_t *ids;
        int n;
        if (wl_tokenize(T, text, strlen(text), &ids, &n, err, sizeof err)) fail_msg("%s", err);
        char *back = wl_detokenize(T, ids, n, 0);
        /* timestamps written in the text are tokens that plain decoding filters away */
        if (!strstr(text, "|>")) assert_string_equal(back, text);
        free(back), free(ids);
        n_cases++;
    }
    printf("  round trip: decode(encode(text)) == text on %d texts\n", n_cases);
}

static void test_bad_input(void **state)
{
    (void)state;
    int32_t *ids;
    int n;
    assert_int_equal(wl_tokenize(T, "ok \xE6\x97 broken", 12, &ids, &n, err, sizeof err), WL_ERR_INPUT);
    assert_non_null(strstr(err, "UTF-8"));
    wl_tokenizer *t;
    assert_int_equal(wl_tokenizer_load("build/no-such-model", &t, err, sizeof err), WL_ERR_FORMAT);
    assert_non_null(strstr(err, "build/no-such-model/vocab.json"));
    printf("  bad input: %s\n", err);
    /* unknown ids decode to nothing, they never crash */
    int32_t odd[] = {-5, 1 << 30, 15496};
    char *s = wl_detokenize(T, odd, 3, 0);
    assert_string_equal(s, "Hello");
    free(s);
}

/* The id of the byte-level token for one byte: GPT-2's bytes_to_unicode maps the printable
 * bytes 33..126, 161..172 and 174..255 to themselves and the others, in order, to 256 + k. */
static int32_t byte_token(unsigned char b)
{
    unsigned cp = b, k = 0;
    int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    if (!printable) {
        for (unsigned x = 0; x < b; x++) k += !((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174);
        cp = 256 + k;
    }
    char text[4];
    if (cp < 0x80) text[0] = (char)cp, text[1] = 0;
    else text[0] = (char)(0xC0 | cp >> 6), text[1] = (char)(0x80 | (cp & 0x3F)), text[2] = 0;
    int32_t id = wl_token_id(T, text);
    if (id < 0) fail_msg("no byte token for 0x%02x", b);
    return id;
}

/* Byte tokens that do not make valid UTF-8 decode as Python's bytes.decode("utf-8",
 * errors="replace") does in HF's convert_tokens_to_string: each maximal invalid subpart (a bad
 * lead byte, a lead byte whose next byte is out of its range, a truncated sequence) is one
 * U+FFFD. Each byte is its own token, so the runs join across tokens. Expected texts worked out
 * by Unicode's Table 3-7 (and checked with CPython). */
static void test_invalid_utf8_like_python(void **state)
{
    (void)state;
#define R "\xEF\xBF\xBD"
    static const struct {
        const char *bytes, *want;
    } cases[] = {
        {"\xC0\x80", R R},               /* C0, C1: never a lead byte (overlong) */
        {"\xC1\xBF", R R},
        {"\xE0\x80\x80", R R R},         /* E0 needs A0..BF next */
        {"\xE0\xA0" "A", R "A"},         /* a valid prefix cut short: one */
        {"\xED\xA0\x80", R R R},         /* ED A0..: a surrogate */
        {"\xF0\x80\x80\x80", R R R R},   /* F0 needs 90..BF */
        {"\xF0\x9F\x98" "A", R "A"},
        {"\xF4\x90\x80\x80", R R R R},   /* past U+10FFFF */
        {"\xF5\x80", R R},               /* F5..FF: never a lead byte */
        {"\xFF\xFE", R R},
        {"\x80", R},                     /* a lone continuation byte */
        {"\xC2" "A", R "A"},
        {"x\xC2", "x" R},                /* cut at the end */
        {"\xE1\x80\xC0", R R},
        {"\xF1\x80\x80\xF1\x80\x80\x80", R "\xF1\x80\x80\x80"},
        {"\xE2\x82\xAC", "\xE2\x82\xAC"}, /* valid: as is */
        {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
    };
#undef R
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        int32_t ids[16];
        int n = 0;
        for (const char *p = cases[c].bytes; *p; p++) ids[n++] = byte_token((unsigned char)*p);
        char *got = wl_detokenize(T, ids, n, 0);
        assert_non_null(got);
        if (strcmp(got, cases[c].want)) {
            char hex[128] = "";
            for (const unsigned char *p = (const unsigned char *)got; *p; p++)
                snprintf(hex + strlen(hex), sizeof hex - strlen(hex), " %02X", *p);
            fail_msg("case %zu: decoded to%s, not Python's replacement", c, hex);
        }
        free(got);
    }
    printf("  invalid UTF-8: %zu byte sequences decode with U+FFFD where Python puts them\n",
           sizeof cases / sizeof *cases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_goldens_are_fresh),
        cmocka_unit_test(test_encode_matches_hf),
        cmocka_unit_test(test_decode_matches_hf),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_invalid_utf8_like_python),
    };
    return cmocka_run_group_tests_name("tokenizer vs HF WhisperTokenizer", tests, setup, teardown);
}
