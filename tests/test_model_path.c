/* Finding the model: explicit folders, the HF cache layout (refs/main -> snapshots/<rev>),
 * the local fallback, clear errors for incomplete folders, and what a folder says it is. */
#include "../engine/model_card.h"
#include "../engine/model_path.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define CACHE "build/tmp/hfcache"
#define SNAP CACHE "/models--openai--whisper-tiny.en/snapshots/abc123"

static void make_folder(const char *dir, int complete)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    assert_int_equal(system(cmd), 0);
    for (int i = 0; WL_MODEL_FILES[i]; i++) {
        if (!complete && strcmp(WL_MODEL_FILES[i], "merges.txt") == 0) continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, WL_MODEL_FILES[i]);
        FILE *f = fopen(p, "w");
        fclose(f);
    }
}

static void test_explicit_folder(void **state)
{
    (void)state;
    char out[1024], err[512];
    make_folder("build/tmp/model_ok", 1);
    assert_int_equal(wl_resolve_model("build/tmp/model_ok", "x", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "build/tmp/model_ok");
    make_folder("build/tmp/model_bad", 0);
    assert_int_equal(wl_resolve_model("build/tmp/model_bad", "x", out, sizeof out, err, sizeof err), -1);
    assert_string_equal(err, "build/tmp/model_bad: model folder lacks merges.txt");
    assert_int_equal(wl_resolve_model("build/tmp/nowhere", "x", out, sizeof out, err, sizeof err), -1);
    assert_non_null(strstr(err, "build/tmp/nowhere"));
}

static void test_hf_cache(void **state)
{
    (void)state;
    char out[1024], err[512];
    assert_int_equal(system("rm -rf " CACHE), 0);
    setenv("HF_HUB_CACHE", CACHE, 1);
    make_folder("build/tmp/fallback", 1);
    /* Nothing cached: the fallback (synthetic) folder is used. */
    assert_int_equal(wl_resolve_model(NULL, "build/tmp/fallback", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "build/tmp/fallback");
    /* A snapshot without refs/main is found when it is the only one. */
    make_folder(SNAP, 1);
    assert_int_equal(wl_resolve_model("", "build/tmp/fallback", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, SNAP);
    /* With two snapshots, refs/main decides. */
    make_folder(CACHE "/models--openai--whisper-tiny.en/snapshots/def456", 1);
    assert_int_equal(wl_resolve_model(NULL, "build/tmp/fallback", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "build/tmp/fallback");
    FILE *f = fopen(CACHE "/models--openai--whisper-tiny.en/refs/main", "w");
    if (!f) {
        assert_int_equal(system("mkdir -p " CACHE "/models--openai--whisper-tiny.en/refs"), 0);
        f = fopen(CACHE "/models--openai--whisper-tiny.en/refs/main", "w");
    }
    fputs("abc123", f);
    fclose(f);
    assert_int_equal(wl_resolve_model("openai/whisper-tiny.en", "x", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, SNAP);
    /* HF_HOME is used when HF_HUB_CACHE is unset. */
    unsetenv("HF_HUB_CACHE");
    setenv("HF_HOME", "/some/home", 1);
    wl_hf_cache_root(out, sizeof out);
    assert_string_equal(out, "/some/home/hub");
    assert_int_equal(wl_resolve_model("openai/whisper-base", "x", out, sizeof out, err, sizeof err), -1);
    assert_non_null(strstr(err, "openai/whisper-base"));
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A folder without whisperlab.json is a checkpoint; the local stand-ins say what they are, and a
 * broken marker is an error rather than a guess. */
static void test_model_card(void **state)
{
    (void)state;
    wl_model_card card;
    char err[512];
    make_folder("build/tmp/card", 1);
    assert_int_equal(wl_model_card_read("build/tmp/card", &card, err, sizeof err), 0);
    assert_string_equal(card.kind, "checkpoint");
    write_text("build/tmp/card/whisperlab.json", "{\"kind\": \"trained-here\", \"summary\": \"small\"}");
    assert_int_equal(wl_model_card_read("build/tmp/card", &card, err, sizeof err), 0);
    assert_string_equal(card.kind, "trained-here");
    assert_string_equal(card.summary, "small");
    static const char *bad[] = {"{\"kind\": \"openai\", \"summary\": \"x\"}", "{\"kind\": \"synthetic\"}",
                                "not json", "[]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_text("build/tmp/card/whisperlab.json", bad[i]);
        assert_int_equal(wl_model_card_read("build/tmp/card", &card, err, sizeof err), -1);
        assert_non_null(strstr(err, "build/tmp/card/whisperlab.json"));
    }
    /* The committed markers parse. */
    assert_int_equal(wl_model_card_read("build/whisper-tiny.en-synthetic", &card, err, sizeof err), 0);
    assert_string_equal(card.kind, "synthetic");
    assert_int_equal(wl_model_card_read("build/whisper-micro.en", &card, err, sizeof err), 0);
    assert_string_equal(card.kind, "trained-here");
    assert_non_null(strstr(card.summary, "not OpenAI's weights"));
}

/* What a review found: a long repo id with many slashes overflowed the cache-name rewrite; a
 * refs/main naming "../.." escaped the cache; the specific reason was lost; a symlink loop was
 * reported as a missing file. */
static void test_hostile_names(void **state)
{
    (void)state;
    char out[1024], err[1024], arg[600];
    memset(arg, 'a', sizeof arg - 1);
    arg[sizeof arg - 1] = 0;
    for (size_t i = 3; i < sizeof arg - 1; i += 4) arg[i] = '/';
    assert_int_equal(wl_resolve_model(arg, "x", out, sizeof out, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a hub repo id"));
    assert_int_equal(wl_hf_cache_snapshot("a/b/c", out, sizeof out, err, sizeof err), -1);
    assert_int_equal(wl_hf_cache_snapshot("../etc", out, sizeof out, err, sizeof err), -1);

    assert_int_equal(system("rm -rf build/tmp/hostile && mkdir -p build/tmp/hostile/models--o--m/refs "
                            "build/tmp/hostile/models--o--m/snapshots/r1"), 0);
    setenv("HF_HUB_CACHE", "build/tmp/hostile", 1);
    make_folder("build/tmp/outside", 1);
    static const char *refs[] = {"../../../../build/tmp/outside", "..", "r1/../../x", "a b", "", "r1\nr2"};
    for (size_t k = 0; k < sizeof refs / sizeof *refs; k++) {
        write_text("build/tmp/hostile/models--o--m/refs/main", refs[k]);
        assert_int_equal(wl_resolve_model("o/m", "x", out, sizeof out, err, sizeof err), -1);
        if (!strstr(err, "refs/main: not a revision")) fail_msg("refs/main '%s' gave: %s", refs[k], err);
    }
    /* A valid ref to a snapshot that lacks files: the specific reason survives. */
    write_text("build/tmp/hostile/models--o--m/refs/main", "r1\n");
    assert_int_equal(wl_resolve_model("o/m", "x", out, sizeof out, err, sizeof err), -1);
    assert_non_null(strstr(err, "lacks config.json"));
    unsetenv("HF_HUB_CACHE");

    make_folder("build/tmp/loop", 1);
    assert_int_equal(system("cd build/tmp/loop && rm model.safetensors && ln -s model.safetensors "
                            "model.safetensors"), 0);
    assert_int_equal(wl_model_folder_check("build/tmp/loop", err, sizeof err), -1);
    assert_non_null(strstr(err, "symbolic links"));
    make_folder("build/tmp/notdir", 1);
    assert_int_equal(wl_model_folder_check("build/tmp/notdir/config.json", err, sizeof err), -1);
    assert_non_null(strstr(err, "not a folder"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explicit_folder),
        cmocka_unit_test(test_hf_cache),
        cmocka_unit_test(test_model_card),
        cmocka_unit_test(test_hostile_names),
    };
    if (system("mkdir -p build/tmp")) return 1;
    return cmocka_run_group_tests_name("model path", tests, NULL, NULL);
}
