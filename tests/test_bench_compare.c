/* make bench-compare's program (bench_compare in $WL_BIN) end to end, on stand-in benches whose
 * reports hold chosen times, so the verdicts are known without timing anything: a stage 10 %
 * slower in B is called slower and a steady one no change; the runs go A B, B A, ...; both sides'
 * rounds go to the history, and a stored run from there is compared (and called weaker
 * evidence), a corrupt history line reported and skipped; noise wider than the minimum effect
 * is said; a bench lacking an option the comparison needs, or writing no report, stops it with
 * that bench named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define DIR "build/tmp/bench_compare"

static char tool[512];

/* A stand-in bench: each run appends `name` to DIR/order and writes a report whose "steady"
 * stage takes 0.100 s and "planted" 0.100 s x factor, both within +-2 x wobble from run to run. */
static void write_fake_wobbling(const char *name, double factor, double wobble, const char *extra)
{
    char path[256];
    snprintf(path, sizeof path, DIR "/bench_%s", name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n"
               "n=$(cat " DIR "/count_%s 2>/dev/null || echo 0); n=$((n + 1)); echo $n > " DIR "/count_%s\n"
               "printf %s >> " DIR "/order\n"
               "awk -v n=$n -v f=%g 'BEGIN { w = 1 + %g * ((n * 7) %% 5 - 2);\n"
               "  printf \"{\\\"git_commit\\\": \\\"c%s\\\", \\\"stage_clock\\\": \\\"cpu\\\", \\\"machine\\\": {}, "
               "\\\"models\\\": [{\\\"runs\\\": [{\\\"stages\\\": [\", \"\";\n"
               "  printf \"{\\\"stage\\\": \\\"steady\\\", \\\"median_s\\\": %%.6f}, \", 0.1 * w;\n"
               "  printf \"{\\\"stage\\\": \\\"planted\\\", \\\"median_s\\\": %%.6f}]}]}]}\", 0.1 * f * w }' > \"$8\"\n",
            extra, name, name, name, factor, wobble, name);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "chmod +x %s", path);
    assert_int_equal(system(cmd), 0);
}

static void write_fake(const char *name, double factor, const char *extra)
{
    write_fake_wobbling(name, factor, 0.005, extra);
}

/* Runs bench_compare with args; its output (both streams) into out; its exit status. */
static int compare(const char *args, char *out, size_t n)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s --model build/whisper-tiny.en-synthetic %s > " DIR "/out 2>&1", tool, args);
    int rc = system(cmd);
    FILE *f = fopen(DIR "/out", "r");
    assert_non_null(f);
    size_t got = fread(out, 1, n - 1, f);
    out[got] = 0;
    fclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static const char *row(const char *out, const char *stage)
{
    static char line[256];
    char key[64];
    snprintf(key, sizeof key, "\n  %s ", stage);
    const char *s = strstr(out, key);
    if (!s) return "";
    snprintf(line, sizeof line, "%.*s", (int)strcspn(s + 1, "\n"), s + 1);
    return line;
}

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("WL_BIN") && *getenv("WL_BIN") ? getenv("WL_BIN") : "build";
    snprintf(tool, sizeof tool, "%s/bench_compare", b);
    return system("rm -rf " DIR " && mkdir -p " DIR);
}

static void test_interleaved_verdicts_and_history(void **state)
{
    (void)state;
    static char out[16384];
    write_fake("A", 1.0, "");
    write_fake("B", 1.1, "");
    int rc = compare("--a " DIR "/bench_A --b " DIR "/bench_B --clock cpu --rounds 8 --history " DIR "/h.jsonl", out,
                     sizeof out);
    printf("%s", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(row(out, "planted"), "slower"));
    assert_non_null(strstr(row(out, "steady"), "no change"));
    assert_non_null(strstr(out, "1 slower, 0 faster, 1 no change"));
    FILE *f = fopen(DIR "/order", "r");
    char order[64] = "";
    assert_non_null(f);
    assert_non_null(fgets(order, sizeof order, f));
    fclose(f);
    assert_string_equal(order, "ABBAABBAABBAABBA");

    /* The history: A's record, then B's; B's 6 rounds are the stored run now, against A again,
     * after a line that is not a record. */
    assert_int_equal(system("grep -c '\"side\":\"A\"' " DIR "/h.jsonl > /dev/null && "
                            "grep -c '\"side\":\"B\"' " DIR "/h.jsonl > /dev/null && "
                            "test $(wc -l < " DIR "/h.jsonl) -eq 2"), 0);
    assert_int_equal(system("echo '{\"cut short' >> " DIR "/h.jsonl"), 0);
    rc = compare("--run " DIR "/h.jsonl:2 --b " DIR "/bench_A --clock cpu --rounds 8", out, sizeof out);
    printf("%s", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, DIR "/h.jsonl:3: not a JSON record; skipped"));
    assert_non_null(strstr(out, "weaker evidence"));
    assert_non_null(strstr(row(out, "planted"), "faster"));
    assert_non_null(strstr(row(out, "steady"), "no change"));
    /* elapsed-time rounds are not these */
    rc = compare("--run " DIR "/h.jsonl --b " DIR "/bench_A --clock wall --rounds 8", out, sizeof out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "timed in elapsed seconds"));
}

/* B's times wobble by up to 10 % where A's by 1 %, in step: the rounds' ratios run from
 * 0.90 / 0.99 = 0.909 to 1.10 / 1.01 = 1.089, so no change, but a change of up to 9 % (1 - 0.909)
 * is not ruled out, which is said. */
static void test_noise_wider_than_the_minimum_effect_is_said(void **state)
{
    (void)state;
    static char out[16384];
    write_fake("A", 1.0, "");
    write_fake_wobbling("B", 1.0, 0.05, "");
    int rc = compare("--a " DIR "/bench_A --b " DIR "/bench_B --rounds 8", out, sizeof out);
    assert_int_equal(rc, 0);
    if (!strstr(row(out, "steady"), "no change (noisy: up to 9% not ruled out)")) fail_msg("%s", row(out, "steady"));
    assert_non_null(strstr(out, "2 of the no-change stages were too noisy to rule out a 3% change"));
}

static void test_a_bench_that_cannot_take_part_is_named(void **state)
{
    (void)state;
    static char out[4096];
    write_fake("B", 1.0, "");
    write_fake("old", 1.0, "case \"$*\" in *--clock*) echo \"bench: unknown option '--clock'\" >&2; exit 2;; esac");
    write_fake("silent", 1.0, "exit 0");
    int rc = compare("--a " DIR "/bench_old --a-label REV=old --b " DIR "/bench_B --clock cpu --rounds 8", out,
                     sizeof out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "REV=old's bench (" DIR "/bench_old) lacks --clock"));
    rc = compare("--a " DIR "/bench_silent --a-label REV=older --b " DIR "/bench_B --rounds 8", out, sizeof out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "REV=older's bench (" DIR "/bench_silent) ran but wrote no report"));
    rc = compare("--a " DIR "/bench_B --b " DIR "/bench_B --rounds 7", out, sizeof out);
    assert_int_equal(rc, 2);
    printf("%s", out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_interleaved_verdicts_and_history, setup),
        cmocka_unit_test_setup(test_noise_wider_than_the_minimum_effect_is_said, setup),
        cmocka_unit_test_setup(test_a_bench_that_cannot_take_part_is_named, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
