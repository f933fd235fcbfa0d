/* The lab clips: the list, the committed WAVs' format and hashes, and that speaking them again
 * is byte-identical (twice in one process, and to the committed files when the installed
 * espeak-ng is the recorded version). */
#include "../engine/base/sha256.h"
#include "../engine/base/util.h"
#include "../gen/clip_synth.h"

#include <cjson/cJSON.h>
#include <setjmp.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static cJSON *clips_json;

static int load_clips(void **state)
{
    (void)state;
    char err[512];
    size_t len;
    char *text = wl_read_file("data/clips.json", &len, err, sizeof err);
    if (!text) return -1;
    clips_json = cJSON_ParseWithLength(text, len);
    free(text);
    return clips_json ? 0 : -1;
}

static int free_clips(void **state)
{
    (void)state;
    cJSON_Delete(clips_json);
    return 0;
}

static const cJSON *list(const char *key) { return cJSON_GetObjectItemCaseSensitive(clips_json, key); }
static const char *field(const cJSON *c, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_clip_list(void **state)
{
    (void)state;
    assert_int_equal(cJSON_GetArraySize(list("clips")), 24);
    assert_int_equal(cJSON_GetArraySize(list("grammar_errors")), 5);
    static const char *tenses[] = {"present_simple", "past_simple", "future", "past_participle",
                                   "infinitive"};
    int i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, list("clips"))
    {
        char id[8];
        snprintf(id, sizeof id, "%02d", ++i);
        assert_string_equal(field(c, "id"), id);
        assert_non_null(field(c, "sentence"));
        assert_non_null(field(c, "verb"));
        assert_non_null(field(c, "person"));
        int known = 0;
        for (int k = 0; k < 5; k++) known |= strcmp(field(c, "tense"), tenses[k]) == 0;
        assert_true(known);
    }
    assert_string_equal(field(cJSON_GetArrayItem(list("clips"), 0), "sentence"), "I work");
    assert_string_equal(field(cJSON_GetArrayItem(list("clips"), 23), "sentence"), "she will eat");
    assert_string_equal(field(cJSON_GetArrayItem(list("grammar_errors"), 4), "sentence"), "they was");
}

static void check_wav(const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "data/audio/%s", file);
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) fail_msg("%s: %s", path, sf_strerror(NULL));
    sf_close(f);
    double secs = (double)info.frames / info.samplerate;
    if (info.samplerate != 16000 || info.channels != 1 ||
        info.format != (SF_FORMAT_WAV | SF_FORMAT_PCM_16) || secs < 0.4 || secs > 3.5)
        fail_msg("%s: %d Hz, %d channels, format 0x%x, %.3f s; want 16000 Hz mono PCM-16, 0.4-3.5 s",
                 path, info.samplerate, info.channels, info.format, secs);
}

static void test_wav_format_and_length(void **state)
{
    (void)state;
    const char *keys[] = {"clips", "grammar_errors"};
    for (int k = 0; k < 2; k++) {
        const cJSON *c;
        cJSON_ArrayForEach(c, list(keys[k])) check_wav(field(c, "file"));
    }
}

static void test_committed_hashes(void **state)
{
    (void)state;
    FILE *f = fopen("data/audio/SHA256SUMS", "r");
    assert_non_null(f);
    char want[65], name[256], got[65], path[512], err[512];
    int n = 0;
    while (fscanf(f, "%64s %255s", want, name) == 2) {
        snprintf(path, sizeof path, "data/audio/%s", name);
        if (wl_sha256_file(path, got, err, sizeof err)) fail_msg("%s", err);
        if (strcmp(got, want)) fail_msg("%s: SHA256 %s, SHA256SUMS says %s", path, got, want);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 29);
}

static int read_file_bytes(const char *path, char **buf, size_t *len)
{
    char err[512];
    *buf = wl_read_file(path, len, err, sizeof err);
    return *buf ? 0 : -1;
}

/* The installed espeak-ng's version equals the one recorded in data/audio/ESPEAK. */
static int recorded_version_matches(const char *version)
{
    char *text;
    size_t len;
    if (read_file_bytes("data/audio/ESPEAK", &text, &len)) return 0;
    char want[128];
    snprintf(want, sizeof want, "espeak-ng %s\n", version);
    int same = strncmp(text, want, strlen(want)) == 0;
    free(text);
    return same;
}

static void test_regeneration_is_byte_identical(void **state)
{
    (void)state;
    char err[512];
    const char *version = clip_espeak_version();
    int compare_committed = recorded_version_matches(version);
    printf("  espeak-ng %s; committed WAVs %s\n", version,
           compare_committed ? "compared byte for byte" : "not compared (other espeak-ng version)");
    const char *keys[] = {"clips", "grammar_errors"};
    int n = 0;
    for (int k = 0; k < 2; k++) {
        const cJSON *c;
        cJSON_ArrayForEach(c, list(keys[k]))
        {
            char pa[64], pb[64], committed[512];
            snprintf(pa, sizeof pa, "build/tmp/regen_a.wav");
            snprintf(pb, sizeof pb, "build/tmp/regen_b.wav");
            snprintf(committed, sizeof committed, "data/audio/%s", field(c, "file"));
            for (int run = 0; run < 2; run++)
                if (clip_render(field(c, "sentence"), run ? pb : pa, err, sizeof err))
                    fail_msg("%s", err);
            char *a, *b, *m;
            size_t la, lb, lm;
            assert_int_equal(read_file_bytes(pa, &a, &la), 0);
            assert_int_equal(read_file_bytes(pb, &b, &lb), 0);
            if (la != lb || memcmp(a, b, la)) fail_msg("\"%s\": two syntheses differ", field(c, "sentence"));
            if (compare_committed) {
                assert_int_equal(read_file_bytes(committed, &m, &lm), 0);
                if (la != lm || memcmp(a, m, la))
                    fail_msg("%s: regenerated bytes differ from the committed file", committed);
                free(m);
            }
            free(a), free(b);
            n++;
        }
    }
    assert_int_equal(n, 29);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clip_list),
        cmocka_unit_test(test_wav_format_and_length),
        cmocka_unit_test(test_committed_hashes),
        cmocka_unit_test(test_regeneration_is_byte_identical),
    };
    if (system("mkdir -p build/tmp")) return 1;
    return cmocka_run_group_tests_name("clips", tests, load_clips, free_clips);
}
