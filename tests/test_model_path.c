/* Finding the model: explicit folders, the HF cache layout (refs/main -> snapshots/<rev>),
 * the synthetic fallback, and clear errors for incomplete folders. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explicit_folder),
        cmocka_unit_test(test_hf_cache),
    };
    if (system("mkdir -p build/tmp")) return 1;
    return cmocka_run_group_tests_name("model path", tests, NULL, NULL);
}
