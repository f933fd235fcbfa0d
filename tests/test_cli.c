/* The whisperlab command on bad options: a one-line message naming the option or file, a usage
 * exit code, and nothing written, above all never over an input (the review's --out onto the
 * WAV or the model). Runs $WL_CLI (default build/whisperlab) with the trained local model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "cli_run.h"

#define MODEL "build/tmp/cli_model"
#define WAV "build/tmp/cli_input.wav"

static long long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

static int setup(void **state)
{
    (void)state;
    /* Copies, so a failing test can never damage the committed clip or the model. */
    return system("rm -rf " MODEL " && mkdir -p " MODEL " && cp build/whisper-micro.en/* " MODEL "/ && "
                  "cp data/audio/clip_01.wav " WAV);
}

static void test_unknown_and_malformed_options(void **state)
{
    (void)state;
    t_cli_expect("info --modle x", 2, "unknown option '--modle'");
    t_cli_expect("info --model", 2, "--model needs a value");
    t_cli_expect("info --model " MODEL " --threads -1", 2, "--threads '-1'");
    t_cli_expect("info --model " MODEL " --threads abc", 2, "--threads 'abc'");
    t_cli_expect("info --model " MODEL " --threads 100000", 2, "--threads '100000'");
    t_cli_expect("dump --audio " WAV " --out build/tmp/cli.st --model " MODEL " --stages bogus", 2, "'bogus' is not a stage");
    t_cli_expect("dump --audio " WAV " --out build/tmp/cli.st --model " MODEL " --stages enc.layer.9", 2, "'enc.layer.9'");
    t_cli_expect("dump --audio " WAV " --out build/tmp/cli.st --model " MODEL " --tokens 4294967296", 2, "'4294967296' is not a token id");
    t_cli_expect("dump --audio " WAV " --out build/tmp/cli.st --model " MODEL " --tokens 99999999999999999999", 2,
           "'99999999999999999999' is not a token id");
    t_cli_expect("dump --audio " WAV " --out build/tmp/cli.st --model " MODEL " --tokens 50257,,1", 2, "is not a token id");
    t_cli_expect("transcribe --model " MODEL " --beams 0 " WAV, 2, "--beams '0'");
    t_cli_expect("transcribe --model " MODEL " --bems 5 " WAV, 2, "--bems");
    /* inspect prints a table only: --json was accepted and ignored */
    t_cli_expect("inspect --json --model " MODEL " " WAV, 2, "unknown option '--json'");
    assert_int_equal(file_size("build/tmp/cli.st"), -1); /* no failed call wrote anything */
}

/* The kernel path variables the command takes (WL_SGEMM_OPENBLAS, WL_VMATH_LANES, as the tests
 * do): a bad value is a usage error naming it; a good one shows in info's kernels line. */
static void test_kernel_path_variables(void **state)
{
    (void)state;
    setenv("WL_SGEMM_OPENBLAS", "yes", 1);
    t_cli_expect("info --model " MODEL, 2, "WL_SGEMM_OPENBLAS='yes': expected 0 or 1");
    setenv("WL_SGEMM_OPENBLAS", "1", 1);
    setenv("WL_VMATH_LANES", "4", 1);
    t_cli_expect("info --model " MODEL, 2, "WL_VMATH_LANES='4': expected 0, 8 or 16");
    setenv("WL_VMATH_LANES", "16", 1);
    static t_cli_result r;
    t_cli_run("info --model " MODEL, &r);
    unsetenv("WL_SGEMM_OPENBLAS"), unsetenv("WL_VMATH_LANES");
    printf("  exit %d: %s", r.code, strstr(r.out, "kernels") ? strstr(r.out, "kernels") : r.out);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "kernels  products by OpenBLAS"));
    assert_non_null(strstr(r.out, "vector kernels at 16 lanes\n"));
}

static void test_never_overwrites_an_input(void **state)
{
    (void)state;
    long long wav = file_size(WAV), model = file_size(MODEL "/model.safetensors");
    t_cli_expect("dump --audio " WAV " --out " WAV " --model " MODEL, 2, "is the input audio");
    t_cli_expect("dump --audio " WAV " --out " MODEL "/model.safetensors --model " MODEL, 2, "is the model's model.safetensors");
    t_cli_expect("dump --audio " WAV " --out " MODEL "/config.json --model " MODEL, 2, "is the model's config.json");
    assert_int_equal(file_size(WAV), wav);
    assert_int_equal(file_size(MODEL "/model.safetensors"), model);
    /* An unwritable destination fails cleanly and leaves no temporary file. */
    t_cli_expect("dump --audio " WAV " --out build/tmp/no/such/dir/x.st --model " MODEL, 1, "build/tmp/no/such/dir/x.st");
    assert_int_equal(file_size("build/tmp/no"), -1);
}

/* A long but valid model path (3848 characters) is named whole in the message: it was cut at
 * 1024 characters, before the reason. */
static void test_long_path_message(void **state)
{
    (void)state;
    static char dir[4096], cmd[16384];
    int n = snprintf(dir, sizeof dir, "build/tmp/cli_long");
    while (n < 3848 - 210) n += snprintf(dir + n, sizeof dir - n, "/%0200d", 0);
    n += snprintf(dir + n, sizeof dir - n, "/%0*d", 3848 - n - 1, 0);
    snprintf(cmd, sizeof cmd, "rm -rf build/tmp/cli_long && mkdir -p %s && cp " MODEL "/* %s/ && rm %s/merges.txt", dir,
             dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "info --model %s", dir);
    char want[4200];
    snprintf(want, sizeof want, "%s: model folder lacks merges.txt", dir);
    static t_cli_result r;
    static char line[sizeof r.err];
    t_cli_run(cmd, &r);
    t_first_line(r.err, line, sizeof line);
    printf("  exit %d, %zu characters ending '%s'\n", r.code, strlen(line), line + (strlen(line) > 40 ? strlen(line) - 40 : 0));
    if (r.code != 1 || !strstr(line, want)) fail_msg("exit %d; the message is not the path and its reason whole", r.code);
    assert_int_equal(system("rm -rf build/tmp/cli_long"), 0);
}

/* which: the folder, where from and kind on stdout; a repo id the cache lacks exits 3, anything
 * else wrong 1, and a bad option 2. */
static void test_which(void **state)
{
    (void)state;
    t_cli_result r;
    assert_int_equal(t_cli_run("which --model " MODEL, &r), 0);
    assert_string_equal(r.out, "folder  " MODEL "\nfrom    the folder given\nkind    trained-here\n");
    assert_int_equal(system("rm -rf build/tmp/cli_hub && mkdir -p build/tmp/cli_hub/models--o--broken"), 0);
    setenv("HF_HUB_CACHE", "build/tmp/cli_hub", 1);
    assert_int_equal(t_cli_run("which --model o/m", &r), 3);
    assert_string_equal(r.err, "whisperlab: o/m is not in the HF cache (build/tmp/cli_hub)\n");
    assert_string_equal(r.out, "");
    t_cli_expect("which --model o/broken", 1, "models--o--broken/snapshots: no snapshots of o/broken");
    unsetenv("HF_HUB_CACHE");
    t_cli_expect("which --model build/tmp/cli_nowhere", 1, "build/tmp/cli_nowhere: no such model folder");
    t_cli_expect("which --modle x", 2, "unknown option '--modle'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_and_malformed_options),
        cmocka_unit_test(test_kernel_path_variables),
        cmocka_unit_test(test_never_overwrites_an_input),
        cmocka_unit_test(test_long_path_message),
        cmocka_unit_test(test_which),
    };
    return cmocka_run_group_tests_name("whisperlab command line", tests, setup, NULL);
}
