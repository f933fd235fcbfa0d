/* The safetensors reader: round trip, and a clear error (never a crash) for every kind of
 * malformed file. */
#include "../engine/io/safetensors.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define TMP "build/tmp/test_safetensors.safetensors"

/* Writes an 8-byte length, the given header text, then data_len bytes of zeros. */
static void write_raw(const char *header, uint64_t claimed_len, size_t data_len)
{
    FILE *f = fopen(TMP, "wb");
    assert_non_null(f);
    for (int i = 0; i < 8; i++) fputc((int)(claimed_len >> (8 * i) & 0xFF), f);
    fputs(header, f);
    for (size_t i = 0; i < data_len; i++) fputc(0, f);
    fclose(f);
}

static void expect_error(const char *header, size_t data_len, const char *needle)
{
    write_raw(header, strlen(header), data_len);
    wl_st_file f;
    char err[512] = "";
    assert_int_equal(wl_st_open(&f, TMP, err, sizeof err), -1);
    if (!strstr(err, needle) || !strstr(err, TMP)) fail_msg("error '%s' lacks '%s' or the path", err, needle);
}

static void test_round_trip(void **state)
{
    (void)state;
    float a[6] = {1, 2, 3, 4, 5, -6};
    int64_t b[2] = {50257, 50362};
    wl_st_tensor ts[2] = {
        {.name = "a", .dtype = WL_F32, .ndim = 2, .shape = {2, 3}, .data = a, .nbytes = sizeof a},
        {.name = "tokens", .dtype = WL_I64, .ndim = 1, .shape = {2}, .data = b, .nbytes = sizeof b},
    };
    char err[512];
    assert_int_equal(wl_st_write(TMP, ts, 2, err, sizeof err), 0);
    wl_st_file f;
    assert_int_equal(wl_st_open(&f, TMP, err, sizeof err), 0);
    assert_int_equal(f.n, 2);
    const wl_st_tensor *t = wl_st_find(&f, "a");
    assert_non_null(t);
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[1], 3);
    assert_memory_equal(t->data, a, sizeof a);
    assert_int_equal(((uintptr_t)t->data - (uintptr_t)f.map) % 8, 0); /* data 8-byte aligned */
    t = wl_st_find(&f, "tokens");
    assert_int_equal(t->dtype, WL_I64);
    assert_memory_equal(t->data, b, sizeof b);
    assert_null(wl_st_find(&f, "missing"));
    wl_st_close(&f);
}

static void test_truncated_file(void **state)
{
    (void)state;
    FILE *f = fopen(TMP, "wb");
    fputs("abc", f);
    fclose(f);
    wl_st_file st;
    char err[512];
    assert_int_equal(wl_st_open(&st, TMP, err, sizeof err), -1);
    assert_non_null(strstr(err, "truncated"));
}

static void test_header_longer_than_file(void **state)
{
    (void)state;
    write_raw("{}", 1000, 0);
    wl_st_file st;
    char err[512];
    assert_int_equal(wl_st_open(&st, TMP, err, sizeof err), -1);
    assert_non_null(strstr(err, "exceeds the file"));
    /* a length one to eight bytes past the end: the 8-byte length field is not header */
    for (uint64_t past = 1; past <= 8; past++) {
        write_raw("{}", 2 + past, 0);
        assert_int_equal(wl_st_open(&st, TMP, err, sizeof err), -1);
        assert_non_null(strstr(err, "exceeds the file"));
    }
    write_raw("{}", 2, 0); /* the header ends exactly at the end of the file: no tensors */
    assert_int_equal(wl_st_open(&st, TMP, err, sizeof err), 0);
    wl_st_close(&st);
    write_raw("{}", UINT64_MAX, 0); /* a length that would overflow naive arithmetic */
    assert_int_equal(wl_st_open(&st, TMP, err, sizeof err), -1);
}

static void test_bad_headers(void **state)
{
    (void)state;
    expect_error("{not json", 0, "not a JSON object");
    expect_error("[1,2]", 0, "not a JSON object");
    expect_error("{\"x\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unknown dtype 'F33'");
    expect_error("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "dimension");
    expect_error("{\"x\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,4]}}", 4, "shape");
    expect_error("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, "data_offsets");
    expect_error("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", 4, "out of bounds");
    expect_error("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8, "shape needs");
    expect_error("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 8, "ends before it begins");
    expect_error("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.5,4.5]}}", 8, "two integers");
    expect_error("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",\"4\"]}}", 8, "two integers");
    expect_error("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "overlap");
    expect_error("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                 "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "twice");
    expect_error("{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
                 "\"data_offsets\":[0,4]}}", 4, "dimension");
    expect_error("{\"x\":3}", 0, "not an object");
}

/* 200,000 tensors with one repeated name at the end: found by sorting (a pairwise scan would take
 * minutes on such a header, which the 100 MB header cap allows). */
static void test_many_tensors(void **state)
{
    (void)state;
    enum { N = 200000 };
    size_t cap = (size_t)N * 64 + 64, n = 0;
    char *h = malloc(cap);
    assert_non_null(h);
    n += (size_t)snprintf(h + n, cap - n, "{");
    for (int i = 0; i < N; i++)
        n += (size_t)snprintf(h + n, cap - n, "\"t%d\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},",
                              i == N - 1 ? 17 : i);
    h[n - 1] = '}';
    expect_error(h, 0, "'t17' appears twice");
    free(h);
}

static void test_missing_file(void **state)
{
    (void)state;
    wl_st_file st;
    char err[512];
    assert_int_equal(wl_st_open(&st, "build/tmp/no-such-file.safetensors", err, sizeof err), -1);
    assert_non_null(strstr(err, "no-such-file.safetensors: cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_truncated_file),
        cmocka_unit_test(test_header_longer_than_file),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_many_tensors),
        cmocka_unit_test(test_missing_file),
    };
    if (system("mkdir -p build/tmp")) return 1;
    return cmocka_run_group_tests_name("safetensors", tests, NULL, NULL);
}
