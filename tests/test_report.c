/* make report end to end: the whole lab on the trained local model (every artefact, every JSON
 * file read back by the strict reader, the README tables regenerated identically from the JSON,
 * a failed run leaving the previous report whole), planted errors in the JSON caught with the
 * file and field named, and a short run on the synthetic checkpoint. $WL_BIN holds the tools. */
#include "../reports/tools/schema.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#define OUT "build/tmp/report_check"
#define BAD "build/tmp/report_bad"

static const char *bin(void)
{
    const char *b = getenv("WL_BIN");
    return b && *b ? b : "build";
}

/* Runs a shell command; returns its exit code, the last line of its stderr in msg. */
static int sh(char *msg, size_t len, const char *fmt, ...)
{
    char cmd[4096], full[4300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "( %s ) >build/tmp/report_out 2>build/tmp/report_err", cmd);
    int st = system(full);
    if (msg) {
        msg[0] = 0;
        FILE *f = fopen("build/tmp/report_err", "r");
        char line[2048];
        while (f && fgets(line, sizeof line, f)) snprintf(msg, len, "%s", line);
        if (f) fclose(f);
        msg[strcspn(msg, "\n")] = 0;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run_report(const char *model, const char *out, const char *extra)
{
    char msg[2048];
    int rc = sh(msg, sizeof msg, "%s BIN=%s MODEL=%s OUT=%s FALLBACK=build/whisper-micro.en bash reports/report.sh",
                extra, bin(), model, out);
    printf("  report %s -> %s: exit %d (%s)\n", model, out, rc, msg);
    return rc;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) free(s), s = NULL;
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

static cJSON *load(const char *path)
{
    char *s = slurp(path);
    cJSON *j = s ? cJSON_Parse(s) : NULL;
    free(s);
    assert_non_null(j);
    return j;
}

static int setup(void **state)
{
    (void)state;
    return system("mkdir -p build/tmp && rm -rf " OUT " " BAD " build/tmp/report_synth") ||
           run_report("build/whisper-micro.en", OUT, "");
}

static void test_every_artefact(void **state)
{
    (void)state;
    const char *files[] = {"transcriptions.json", "tokens.json", "wer.json", "confidence.json", "timestamps.json",
                           "monotonicity.json", "grammar.json", "greedy_vs_beam.json", "run.json", "manifest.json",
                           "README.md", "golden_check.json", "cross_attention_01_heads.png"};
    char path[512];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, OUT "/%s", files[i]);
        if (file_size(path) <= 0) fail_msg("%s missing or empty", path);
    }
    /* one entry and one heatmap per clip of data/clips.json */
    cJSON *spec = load("data/clips.json"), *tr = load(OUT "/transcriptions.json"), *gr = load(OUT "/grammar.json");
    const char *groups[] = {"clips", "grammar_errors"};
    int n = 0;
    for (int g = 0; g < 2; g++) {
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(spec, groups[g]))
        {
            const char *id = cJSON_GetObjectItem(c, "id")->valuestring;
            cJSON *e = cJSON_GetObjectItem(tr, id);
            assert_non_null(e);
            assert_string_equal(cJSON_GetObjectItem(e, "expected")->valuestring, cJSON_GetObjectItem(c, "sentence")->valuestring);
            snprintf(path, sizeof path, OUT "/cross_attention_%s.png", id);
            char *png = slurp(path);
            assert_non_null(png);
            assert_memory_equal(png, "\x89PNG", 4);
            free(png);
            if (g == 1) assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(gr, "clips"), id));
            n++;
        }
    }
    assert_int_equal(cJSON_GetArraySize(tr), n);
    printf("  %d clips: entries and heatmaps present\n", n);
    cJSON *m = load(OUT "/manifest.json");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "model"), "kind")->valuestring, "trained-here");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "golden_check"), "status")->valuestring, "passed");
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "seconds"), "whole_run")->valuedouble > 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(m, "clips")) + cJSON_GetArraySize(cJSON_GetObjectItem(m, "grammar_errors")), n);
    char *readme = slurp(OUT "/README.md");
    assert_non_null(strstr(readme, "trained here on espeak-ng speech, not OpenAI's Whisper"));
    free(readme);
    cJSON_Delete(spec), cJSON_Delete(tr), cJSON_Delete(gr), cJSON_Delete(m);
}

static void test_strict_reader_and_tables(void **state)
{
    (void)state;
    char msg[2048];
    assert_int_equal(sh(msg, sizeof msg, "%s/tables --report " OUT " --check", bin()), 0);
    /* the README's tables come from the JSON alone: regenerated, they are the same bytes */
    assert_int_equal(sh(msg, sizeof msg, "%s/tables --report " OUT " --out build/tmp/report_readme.md", bin()), 0);
    char *a = slurp(OUT "/README.md"), *b = slurp("build/tmp/report_readme.md");
    assert_non_null(a), assert_non_null(b);
    assert_string_equal(a, b);
    free(a), free(b);
    /* splicing into another file, between its markers */
    FILE *f = fopen("build/tmp/report_splice.md", "w");
    fputs("# Lab\n\nquoted `<!-- whisperlab:tables begin -->` .. `<!-- whisperlab:tables end -->` stays\n"
          "<!-- whisperlab:tables begin -->\nold\n<!-- whisperlab:tables end -->\noutro\n", f);
    fclose(f);
    assert_int_equal(sh(msg, sizeof msg, "%s/tables --report " OUT " --splice build/tmp/report_splice.md", bin()), 0);
    char *s = slurp("build/tmp/report_splice.md");
    assert_non_null(strstr(s, "| clip | expected | predicted"));
    assert_null(strstr(s, "\nold\n"));
    assert_non_null(strstr(s, "<!-- whisperlab:tables end -->\noutro\n"));
    assert_non_null(strstr(s, "# Lab\n\nquoted `<!-- whisperlab:tables begin -->` .. `<!-- whisperlab:tables end -->` stays\n"));
    free(s);
}

/* Each planted error: which file, a change made with cJSON, and what the message must say. */
typedef struct {
    const char *file, *what, *needle;
    void (*plant)(cJSON *root);
} planted;

static cJSON *first_clip(cJSON *root, int nested)
{
    return nested ? cJSON_GetObjectItem(root, "clips")->child : root->child;
}
static void wer_is_text(cJSON *r) { cJSON_ReplaceItemInObject(first_clip(r, 0), "wer", cJSON_CreateString("x")); }
static void prob_over_one(cJSON *r) { cJSON_ReplaceItemInObject(first_clip(r, 1), "mean_p", cJSON_CreateNumber(1.5)); }
static void unknown_field(cJSON *r) { cJSON_AddNumberToObject(first_clip(r, 1), "extra", 1); }
static void missing_field(cJSON *r) { cJSON_DeleteItemFromObject(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "summary"), "lab"), "clips"); }
static void bad_enum(cJSON *r) { cJSON_ReplaceItemInObject(first_clip(r, 1), "outcome", cJSON_CreateString("fixed")); }
static void short_probs(cJSON *r) { cJSON_DeleteItemFromArray(cJSON_GetObjectItem(first_clip(r, 0), "token_probs"), 0); }
static void token_not_int(cJSON *r) { cJSON_ReplaceItemInArray(cJSON_GetObjectItem(first_clip(r, 0), "tokens"), 0, cJSON_CreateNumber(2.5)); }
static void drop_clip(cJSON *r) { cJSON_DeleteItemFromObject(cJSON_GetObjectItem(r, "clips"), cJSON_GetObjectItem(r, "clips")->child->string); }

static void test_planted_errors_caught(void **state)
{
    (void)state;
    const planted cases[] = {
        {"transcriptions.json", "wer as text", "wer: must be a number", wer_is_text},
        {"confidence.json", "probability 1.5", "mean_p: 1.5 is outside 0..1", prob_over_one},
        {"monotonicity.json", "unknown field", "unknown field \"extra\"", unknown_field},
        {"wer.json", "missing field", "summary.lab: missing field \"clips\"", missing_field},
        {"grammar.json", "unknown outcome", "outcome: is not one of the allowed strings", bad_enum},
        {"transcriptions.json", "probabilities shorter than tokens", "differ in length", short_probs},
        {"transcriptions.json", "fractional token id", "must be an integer", token_not_int},
        {"timestamps.json", "a clip missing", "of transcriptions.json is missing", drop_clip},
    };
    char msg[2048], path[512];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(sh(NULL, 0, "rm -rf " BAD " && cp -r " OUT " " BAD), 0);
        snprintf(path, sizeof path, BAD "/%s", cases[i].file);
        cJSON *root = load(path);
        cases[i].plant(root);
        char *text = cJSON_Print(root);
        FILE *f = fopen(path, "w");
        fputs(text, f);
        fclose(f);
        free(text), cJSON_Delete(root);
        int rc = sh(msg, sizeof msg, "%s/tables --report " BAD " --check", bin());
        printf("  %-34s exit %d  %s\n", cases[i].what, rc, msg);
        assert_int_equal(rc, 1);
        if (!strstr(msg, cases[i].needle) || (!strstr(msg, cases[i].file) && !strstr(msg, BAD)))
            fail_msg("'%s': message '%s' lacks '%s' or the file", cases[i].what, msg, cases[i].needle);
    }
}

static void test_failed_run_keeps_previous_report(void **state)
{
    (void)state;
    char *before = slurp(OUT "/README.md");
    assert_non_null(before);
    assert_int_not_equal(run_report("build/tmp/no_such_model", OUT, ""), 0);
    char *after = slurp(OUT "/README.md"), msg[256];
    assert_non_null(after);
    assert_string_equal(before, after);
    free(before), free(after);
    assert_int_not_equal(sh(msg, sizeof msg, "ls -a build/tmp | grep -q '^\\.report_check\\.new'"), 0); /* no debris */
}

static void test_synthetic_run_completes(void **state)
{
    (void)state;
    assert_int_equal(run_report("build/whisper-tiny.en-synthetic", "build/tmp/report_synth",
                                "GOLDEN_CHECK=0 LAB_ARGS='--limit 2 --max-new-tokens 4'"), 0);
    char msg[256];
    assert_int_equal(sh(msg, sizeof msg, "%s/tables --report build/tmp/report_synth --check", bin()), 0);
    char *readme = slurp("build/tmp/report_synth/README.md");
    assert_non_null(readme);
    assert_non_null(strstr(readme, "Synthetic weights: the numbers test the pipeline, not Whisper"));
    free(readme);
}

/* The report tools refuse a bad command line before doing anything: exit 2 and one line on stderr
 * that names the option or file (bench's counts are checked, not replaced by defaults; lab's --out
 * must be a folder, or one it can make, before a model loads). --help prints the usage and exits 0. */
static void test_tool_options_refused(void **state)
{
    (void)state;
    static const struct {
        const char *args, *names;
    } CASES[] = {{"lab --bogus x", "--bogus"},          {"lab --clips", "--clips"},
                 {"tables --bogus x", "--bogus"},       {"bench --bogus", "--bogus"},
                 {"bench --clips", "--clips"},          {"bench --clips 0", "'0'"},
                 {"bench --clips 3x", "'3x'"},          {"bench --threads 1,x", "'1,x'"},
                 {"bench --threads ,", "','"},          {"bench --model a --bogus 1", "--bogus"},
                 {"lab --clips data/clips.json --audio data/audio --out README.md", "README.md"},
                 {"lab --clips data/clips.json --audio data/audio --out build/tmp/no/such", "build/tmp/no/such"}};
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        char msg[2048];
        int rc = sh(msg, sizeof msg, "%s/%s", bin(), CASES[i].args);
        long lines = 0;
        FILE *f = fopen("build/tmp/report_err", "r");
        for (int c; f && (c = fgetc(f)) != EOF;) lines += c == '\n';
        if (f) fclose(f);
        printf("  %-28s exit %d: %s\n", CASES[i].args, rc, msg);
        if (rc != 2 || lines != 1 || !strstr(msg, CASES[i].names))
            fail_msg("%s: exit %d, %ld stderr lines, '%s' (want exit 2, one line naming %s)", CASES[i].args, rc, lines,
                     msg, CASES[i].names);
    }
    static const char *const HELP[] = {"lab", "tables", "bench"};
    for (size_t i = 0; i < sizeof HELP / sizeof *HELP; i++) {
        char *out = NULL;
        int rc = sh(NULL, 0, "%s/%s --help", bin(), HELP[i]);
        FILE *f = fopen("build/tmp/report_out", "r");
        char line[4096] = "";
        if (f && fgets(line, sizeof line, f)) out = line;
        if (f) fclose(f);
        printf("  %s --help: exit %d: %.60s\n", HELP[i], rc, out ? out : "");
        if (rc != 0 || !out || strncmp(out, "usage: ", 7)) fail_msg("%s --help: exit %d, stdout '%s'", HELP[i], rc, line);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_artefact),
        cmocka_unit_test(test_strict_reader_and_tables),
        cmocka_unit_test(test_planted_errors_caught),
        cmocka_unit_test(test_failed_run_keeps_previous_report),
        cmocka_unit_test(test_synthetic_run_completes),
        cmocka_unit_test(test_tool_options_refused),
    };
    return cmocka_run_group_tests_name("make report", tests, setup, NULL);
}
