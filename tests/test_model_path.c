/* Finding the model: explicit folders, the HF cache layout (refs/main -> snapshots/<rev>),
 * the local fallback, clear errors for incomplete folders, and what a folder says it is. */
#include "../engine/model/model_card.h"
#include "../engine/io/model_path.h"

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
    static char cmd[9000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    assert_int_equal(system(cmd), 0);
    for (int i = 0; WL_MODEL_FILES[i]; i++) {
        if (!complete && strcmp(WL_MODEL_FILES[i], "merges.txt") == 0) continue;
        char p[4200];
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

/* "Not downloaded" (nothing of the repo in the cache) told apart from an entry that is there but
 * unusable, which make verify reports instead of skipping. */
static void test_cache_has_repo(void **state)
{
    (void)state;
    char out[1024], err[512];
    assert_int_equal(system("rm -rf build/tmp/has && mkdir -p build/tmp/has/models--o--broken/snapshots && "
                            "touch build/tmp/has/file"), 0);
    setenv("HF_HUB_CACHE", "build/tmp/has/none", 1); /* no cache at all */
    assert_int_equal(wl_hf_cache_has_repo("o/m"), 0);
    setenv("HF_HUB_CACHE", "build/tmp/has", 1);
    assert_int_equal(wl_hf_cache_has_repo("o/m"), 0);
    assert_int_equal(wl_hf_cache_has_repo("o/broken"), 1);
    assert_int_equal(wl_hf_cache_snapshot("o/broken", out, sizeof out, err, sizeof err), -1); /* there, unusable */
    assert_int_equal(wl_hf_cache_has_repo("../x"), -1);
    assert_int_equal(wl_hf_cache_has_repo("nope"), -1);
    setenv("HF_HUB_CACHE", "build/tmp/has/file", 1); /* a cache root that is a file: broken, not absent */
    assert_int_equal(wl_hf_cache_has_repo("o/m"), 1);
    unsetenv("HF_HUB_CACHE");
}

/* A review's misleading messages: a symlink loop at the repo folder, the snapshot or refs/main,
 * a dangling blob link and a cache root that is a file were "not found" / "no unique snapshot". */
static void test_broken_cache_said_as_such(void **state)
{
    (void)state;
    char out[4096], err[4096];
    assert_int_equal(system("rm -rf build/tmp/broken && mkdir -p build/tmp/broken && touch build/tmp/broken/file"), 0);
    setenv("HF_HUB_CACHE", "build/tmp/broken/file", 1);
    assert_int_equal(wl_hf_cache_snapshot("o/m", out, sizeof out, err, sizeof err), -1);
    assert_string_equal(err, "build/tmp/broken/file (the HF cache, from $HF_HUB_CACHE): not a folder");
    setenv("HF_HUB_CACHE", "build/tmp/broken", 1);
    assert_int_equal(system("ln -s models--o--m build/tmp/broken/models--o--m"), 0); /* itself */
    assert_int_equal(wl_hf_cache_snapshot("o/m", out, sizeof out, err, sizeof err), -1);
    assert_string_equal(err, "build/tmp/broken/models--o--m: a symlink loop (Too many levels of symbolic links)");
    assert_int_equal(system("rm build/tmp/broken/models--o--m && mkdir -p build/tmp/broken/models--o--m/snapshots "
                            "&& ln -s r1 build/tmp/broken/models--o--m/snapshots/r1"), 0);
    assert_int_equal(wl_hf_cache_snapshot("o/m", out, sizeof out, err, sizeof err), -1);
    assert_string_equal(err, "build/tmp/broken/models--o--m/snapshots/r1: a symlink loop (Too many levels of symbolic links)");
    assert_int_equal(system("mkdir -p build/tmp/broken/models--o--m/refs && "
                            "ln -s main build/tmp/broken/models--o--m/refs/main"), 0);
    assert_int_equal(wl_hf_cache_snapshot("o/m", out, sizeof out, err, sizeof err), -1);
    assert_string_equal(err, "build/tmp/broken/models--o--m/refs/main: a symlink loop (Too many levels of symbolic links)");
    /* two snapshots and no refs/main: which is missing is said */
    assert_int_equal(system("cd build/tmp/broken/models--o--m && rm -r refs snapshots/r1 && mkdir snapshots/r1 snapshots/r2"), 0);
    assert_int_equal(wl_hf_cache_snapshot("o/m", out, sizeof out, err, sizeof err), -1);
    assert_non_null(strstr(err, "several snapshots of o/m in the HF cache, and no refs/main"));
    unsetenv("HF_HUB_CACHE");
    /* the hub's layout: a snapshot's files link to blobs/; one blob gone */
    make_folder("build/tmp/broken/snap", 1);
    assert_int_equal(system("cd build/tmp/broken/snap && rm vocab.json && ln -s ../blobs/f00d vocab.json"), 0);
    assert_int_equal(wl_model_folder_check("build/tmp/broken/snap", err, sizeof err), -1);
    assert_string_equal(err, "build/tmp/broken/snap/vocab.json: a dangling link (to ../blobs/f00d, which does not exist)");
}

/* A long but valid path (3848 characters, under the system's 4095) is used whole, in a folder and
 * as the HF cache root; the cache's names were cut at 2048-2500 characters. */
static void test_long_paths(void **state)
{
    (void)state;
    static char dir[4096], cmd[8192], out[4096], err[4096];
    int n = snprintf(dir, sizeof dir, "build/tmp/long");
    while (n < 3848 - 210) n += snprintf(dir + n, sizeof dir - n, "/%0200d", 0);
    n += snprintf(dir + n, sizeof dir - n, "/%0*d", 3848 - n - 1, 0);
    assert_int_equal((int)strlen(dir), 3848);
    snprintf(cmd, sizeof cmd, "rm -rf build/tmp/long && mkdir -p %s", dir);
    assert_int_equal(system(cmd), 0);
    make_folder(dir, 1);
    assert_int_equal(wl_resolve_model(dir, "x", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, dir);
    /* the same length as a cache: root (3800) + /models--o--m/snapshots/r1 */
    dir[3800] = 0;
    snprintf(cmd, sizeof cmd, "mkdir -p %s/models--o--m/snapshots", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(out, sizeof out, "%s/models--o--m/snapshots/r1", dir);
    make_folder(out, 1);
    setenv("HF_HUB_CACHE", dir, 1);
    if (wl_resolve_model("o/m", "x", out, sizeof out, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal((int)strlen(out), 3800 + 26);
    unsetenv("HF_HUB_CACHE");
    assert_int_equal(system("rm -rf build/tmp/long"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explicit_folder),
        cmocka_unit_test(test_hf_cache),
        cmocka_unit_test(test_model_card),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_cache_has_repo),
        cmocka_unit_test(test_broken_cache_said_as_such),
        cmocka_unit_test(test_long_paths),
    };
    if (system("mkdir -p build/tmp")) return 1;
    return cmocka_run_group_tests_name("model path", tests, NULL, NULL);
}
