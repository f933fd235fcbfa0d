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
#include <sys/wait.h>
#include <cmocka.h>

#define MODEL "build/tmp/cli_model"
#define WAV "build/tmp/cli_input.wav"

/* Runs cmd (stderr captured); returns the exit code and the first line of stderr in msg. */
static int run(const char *cmd, char *msg, size_t len)
{
    char full[4096];
    snprintf(full, sizeof full, "%s 2>build/tmp/cli_err >/dev/null", cmd);
    int status = system(full);
    FILE *f = fopen("build/tmp/cli_err", "r");
    msg[0] = 0;
    if (f) {
        if (!fgets(msg, (int)len, f)) msg[0] = 0;
        fclose(f);
    }
    msg[strcspn(msg, "\n")] = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void expect(const char *args, int code, const char *needle)
{
    char cmd[2048], msg[1024];
    const char *cli = getenv("WL_CLI");
    snprintf(cmd, sizeof cmd, "%s %s", cli && *cli ? cli : "build/whisperlab", args);
    int rc = run(cmd, msg, sizeof msg);
    if (rc != code || !strstr(msg, needle)) fail_msg("'%s': exit %d '%s'; want exit %d and '%s'", args, rc, msg, code, needle);
    printf("  exit %d  %s\n", rc, msg);
}

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
    expect("info --modle x", 2, "unknown option '--modle'");
    expect("info --model", 2, "--model needs a value");
    expect("info --model " MODEL " --threads -1", 1, "--threads '-1'");
    expect("info --model " MODEL " --threads abc", 1, "--threads 'abc'");
    expect("info --model " MODEL " --threads 100000", 1, "--threads '100000'");
    expect("dump --audio " WAV " --out build/tmp/cli.st --model " MODEL " --stages bogus", 2, "'bogus' is not a stage");
    expect("dump --audio " WAV " --out build/tmp/cli.st --model " MODEL " --stages enc.layer.9", 2, "'enc.layer.9'");
    expect("dump --audio " WAV " --out build/tmp/cli.st --model " MODEL " --tokens 4294967296", 2, "'4294967296' is not a token id");
    expect("dump --audio " WAV " --out build/tmp/cli.st --model " MODEL " --tokens 99999999999999999999", 2,
           "'99999999999999999999' is not a token id");
    expect("dump --audio " WAV " --out build/tmp/cli.st --model " MODEL " --tokens 50257,,1", 2, "is not a token id");
    expect("transcribe --model " MODEL " --beams 0 " WAV, 2, "--beams '0'");
    expect("transcribe --model " MODEL " --bems 5 " WAV, 2, "--bems");
    assert_int_equal(file_size("build/tmp/cli.st"), -1); /* no failed call wrote anything */
}

static void test_never_overwrites_an_input(void **state)
{
    (void)state;
    long long wav = file_size(WAV), model = file_size(MODEL "/model.safetensors");
    expect("dump --audio " WAV " --out " WAV " --model " MODEL, 2, "is the input audio");
    expect("dump --audio " WAV " --out " MODEL "/model.safetensors --model " MODEL, 2, "is the model's model.safetensors");
    expect("dump --audio " WAV " --out " MODEL "/config.json --model " MODEL, 2, "is the model's config.json");
    assert_int_equal(file_size(WAV), wav);
    assert_int_equal(file_size(MODEL "/model.safetensors"), model);
    /* An unwritable destination fails cleanly and leaves no temporary file. */
    expect("dump --audio " WAV " --out build/tmp/no/such/dir/x.st --model " MODEL, 1, "build/tmp/no/such/dir/x.st");
    char msg[256];
    assert_int_equal(run("ls build/tmp/no 2>/dev/null | grep -q tmp", msg, sizeof msg), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_and_malformed_options),
        cmocka_unit_test(test_never_overwrites_an_input),
    };
    return cmocka_run_group_tests_name("whisperlab command line", tests, setup, NULL);
}
