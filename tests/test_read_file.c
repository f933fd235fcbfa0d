/* Whole-file reads (configs, tokenizer files, golden indexes): a path that is not a small regular
 * file is refused at once with its name, never read forever (/dev/zero), waited on (a FIFO) or
 * loaded whole (a huge file). */
#include "../engine/io/json_file.h"
#include "../engine/base/util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

static void expect_refused(const char *path, const char *why)
{
    char err[512] = "";
    size_t len;
    char *text = wl_read_file(path, &len, err, sizeof err);
    if (text) fail_msg("%s was read (%zu bytes)", path, len);
    if (!strstr(err, path) || !strstr(err, why)) fail_msg("%s: got '%s', want '%s'", path, err, why);
    printf("  %s\n", err);
}

static void test_refuses_non_regular_and_huge(void **state)
{
    (void)state;
    assert_int_equal(system("rm -rf build/tmp/read && mkdir -p build/tmp/read && mkfifo build/tmp/read/fifo && "
                            "truncate -s 65M build/tmp/read/huge.json"), 0);
    expect_refused("/dev/zero", "not a regular file");
    expect_refused("build/tmp/read/fifo", "not a regular file");
    expect_refused("build/tmp/read", "not a regular file");
    expect_refused("build/tmp/read/huge.json", "at most 64 MiB");
    expect_refused("build/tmp/read/missing.json", "cannot open");
}

static void test_reads_a_regular_file(void **state)
{
    (void)state;
    FILE *f = fopen("build/tmp/read/ok.json", "w");
    assert_non_null(f);
    fputs("{\"a\": 1}", f);
    fclose(f);
    size_t len;
    char err[256];
    char *text = wl_read_file("build/tmp/read/ok.json", &len, err, sizeof err);
    assert_non_null(text);
    assert_int_equal(len, 8);
    assert_string_equal(text, "{\"a\": 1}");
    free(text);
}

/* text's bytes, n of them (0: up to its NUL), as a file, read */
static cJSON *json_of_n(const char *text, size_t n, char *err, size_t errlen)
{
    FILE *f = fopen("build/tmp/read/t.json", "wb");
    n = n ? n : strlen(text);
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
    return wl_json_read_object("build/tmp/read/t.json", err, errlen);
}
static cJSON *json_of(const char *text, char *err, size_t errlen) { return json_of_n(text, 0, err, errlen); }

static void expect_json_refused(const char *text, size_t n, const char *why)
{
    char err[512] = "";
    cJSON *j = json_of_n(text, n, err, sizeof err);
    if (j) fail_msg("'%s' was accepted", text);
    if (!strstr(err, "build/tmp/read/t.json") || !strstr(err, why)) fail_msg("'%s': got '%s', want '%s'", text, err, why);
}

/* As Python's json.loads, which HF reads every config and tokenizer file with. */
static void test_json_as_python_reads_it(void **state)
{
    (void)state;
    char err[512];
    expect_json_refused("{\"a\": 1} x", 0, "text after the JSON object at byte 9");
    expect_json_refused("{\"a\": 1}{}", 0, "text after the JSON object at byte 8");
    expect_json_refused("{\"a\": 1}\n\0", 10, "text after the JSON object at byte 9");
    expect_json_refused("[1]", 0, "not a valid JSON object");
    cJSON *j = json_of("{\"a\": 1, \"b\": {\"c\": 1, \"c\": [2, {\"d\": 3, \"d\": 4}]}, \"a\": 5}\n\t ", err, sizeof err);
    if (!j) fail_msg("%s", err);
    /* the last of a repeated key, at every depth; the other keys kept in order */
    char *flat = cJSON_PrintUnformatted(j);
    assert_string_equal(flat, "{\"b\":{\"c\":[2,{\"d\":4}]},\"a\":5}");
    free(flat);
    cJSON_Delete(j);
    /* ints and floats as Python tells them apart; a key or string holding digits is no number */
    j = json_of("{\"1.5\": 7, \"s\": \"2.0 \\\" 3e1\", \"i\": -0, \"f\": 50256.0, \"e\": 5e4, \"E\": 1E2, "
                "\"l\": [1, 2.5, 3], \"h\": 0.5}", err, sizeof err);
    if (!j) fail_msg("%s", err);
    const char *ints[] = {"1.5", "i"}, *floats[] = {"f", "e", "E", "h"};
    for (int i = 0; i < 2; i++) assert_true(wl_json_is_int(cJSON_GetObjectItem(j, ints[i])));
    for (int i = 0; i < 4; i++) assert_false(wl_json_is_int(cJSON_GetObjectItem(j, floats[i])));
    const cJSON *l = cJSON_GetObjectItem(j, "l");
    assert_true(wl_json_is_int(cJSON_GetArrayItem(l, 0)));
    assert_false(wl_json_is_int(cJSON_GetArrayItem(l, 1)));
    assert_true(wl_json_is_int(cJSON_GetArrayItem(l, 2)));
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refuses_non_regular_and_huge),
        cmocka_unit_test(test_reads_a_regular_file),
        cmocka_unit_test(test_json_as_python_reads_it),
    };
    return cmocka_run_group_tests_name("whole-file reads", tests, NULL, NULL);
}
