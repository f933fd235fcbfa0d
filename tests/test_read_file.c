/* Whole-file reads (configs, tokenizer files, golden indexes): a path that is not a small regular
 * file is refused at once with its name, never read forever (/dev/zero), waited on (a FIFO) or
 * loaded whole (a huge file). */
#include "../engine/util.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refuses_non_regular_and_huge),
        cmocka_unit_test(test_reads_a_regular_file),
    };
    return cmocka_run_group_tests_name("whole-file reads", tests, NULL, NULL);
}
