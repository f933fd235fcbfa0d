/* The benchmark history's file (reports/tools/jsonl_file.h): appends add whole lines, each a
 * record; a line that is not one (a crash elsewhere, an edit by hand) is reported by file and
 * line and skipped, the others still read; a last line left without its newline is ended before
 * the next record; an unwritable place fails with the file named and leaves no file. */
#include "../reports/tools/jsonl_file.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define DIR "build/tmp/jsonl"
#define FILE_ DIR "/history.jsonl"

static int setup(void **state)
{
    (void)state;
    return system("rm -rf " DIR " && mkdir -p " DIR);
}

static void append_number(const char *path, int n)
{
    char err[512] = "";
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "n", n);
    cJSON_AddStringToObject(r, "note", "two\nlines");
    if (jsonl_append(path, r, err, sizeof err)) fail_msg("append: %s", err);
    cJSON_Delete(r);
}

static char *contents(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void test_appends_whole_lines(void **state)
{
    (void)state;
    append_number(FILE_, 1);
    append_number(FILE_, 2);
    assert_string_equal(contents(FILE_), "{\"n\":1,\"note\":\"two\\nlines\"}\n{\"n\":2,\"note\":\"two\\nlines\"}\n");
}

static void test_reports_a_corrupt_line_and_reads_the_rest(void **state)
{
    (void)state;
    FILE *f = fopen(FILE_, "w");
    assert_non_null(f);
    fputs("{\"n\":1}\n{\"n\":2, \"cut\": [1, 2\n\n[3]\n{\"n\":4}", f); /* the last line unended */
    fclose(f);
    append_number(FILE_, 5);
    char err[512] = "", said[1024] = "";
    FILE *report = fmemopen(said, sizeof said, "w");
    cJSON *all = jsonl_read(FILE_, report, err, sizeof err);
    fclose(report);
    assert_non_null(all);
    assert_int_equal(cJSON_GetArraySize(all), 3);
    int want[][2] = {{1, 1}, {4, 5}, {5, 6}}; /* n, line */
    for (int i = 0; i < 3; i++) {
        cJSON *r = cJSON_GetArrayItem(all, i);
        assert_int_equal(cJSON_GetObjectItem(r, "n")->valueint, want[i][0]);
        assert_int_equal(cJSON_GetObjectItem(r, "line")->valueint, want[i][1]);
    }
    assert_string_equal(said, FILE_ ":2: not a JSON record; skipped\n" FILE_ ":4: not a JSON record; skipped\n");
    cJSON_Delete(all);
}

static void test_unwritable_fails_naming_the_file(void **state)
{
    (void)state;
    char err[512] = "";
    cJSON *r = cJSON_CreateObject();
    const char *path = DIR "/missing/history.jsonl";
    assert_int_equal(jsonl_append(path, r, err, sizeof err), -1);
    if (!strstr(err, path)) fail_msg("'%s' does not name %s", err, path);
    assert_int_equal(access(path, F_OK), -1);
    assert_null(jsonl_read(path, NULL, err, sizeof err));
    if (!strstr(err, path)) fail_msg("'%s' does not name %s", err, path);
    cJSON_Delete(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_appends_whole_lines, setup),
        cmocka_unit_test_setup(test_reports_a_corrupt_line_and_reads_the_rest, setup),
        cmocka_unit_test_setup(test_unwritable_fails_naming_the_file, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
