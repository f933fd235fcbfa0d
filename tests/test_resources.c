/* When the machine runs short: memory capped by `ulimit -v`, stdout on /dev/full or closed, a
 * full filesystem. Every whisperlab command (and the lab) must then say "out of memory" or
 * "cannot write" on one line and exit 1: never crash, hang, or exit 0 having written nothing.
 * Runs $WL_CLI (default build/whisperlab) and $WL_BIN/lab on the trained local model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli_run.h"

#define MODEL "build/whisper-micro.en"
#define WAV "data/audio/clip_01.wav"
#define TMP "build/tmp/resources"

static char out_text[1 << 16], err_text[1 << 16];

static void slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    buf[n] = 0;
    if (f) fclose(f);
}

/* Runs `sh -c script` (it names the program and its redirections), stderr and stdout captured
 * unless the script redirects them; returns the exit code (128 + N for signal N, 124 timeout). */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char script[8192], cmd[9000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(script, sizeof script, fmt, ap);
    va_end(ap);
    /* OpenBLAS's own threads as a user has them (the test runner holds them to one) */
    snprintf(cmd, sizeof cmd, "mkdir -p " TMP " && (unset OPENBLAS_NUM_THREADS; %s) >" TMP "/out 2>" TMP "/err </dev/null",
             script);
    int st = system(cmd);
    slurp(TMP "/out", out_text, sizeof out_text);
    slurp(TMP "/err", err_text, sizeof err_text);
    if (st == -1) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const char *last_line(const char *text)
{
    static char line[2048];
    size_t n = strlen(text);
    while (n && text[n - 1] == '\n') n--;
    size_t b = n;
    while (b && text[b - 1] != '\n') b--;
    snprintf(line, sizeof line, "%.*s", (int)(n - b), text + b);
    return line;
}

/* The sanitizer build reserves terabytes of address space: a cap on it says nothing. */
static int sanitized(const char *bin) { return strstr(bin, "/san/") != NULL; }

static const char *lab_path(void)
{
    static char p[1024];
    const char *b = getenv("WL_BIN");
    snprintf(p, sizeof p, "%s/lab", b && *b ? b : "build");
    return p;
}

/* Under each cap (MB) the command finishes or fails with "out of memory" (exit 1, the last line of
 * stderr); it must run out at least once, so the caps reach the allocations they are meant to. The
 * caps sit on the failures once seen: 105-120 MB a write through a NULL weight buffer (SIGSEGV),
 * 150 MB oneDNN building its kernels (SIGSEGV), 160-235 MB OpenBLAS's pool retrying its buffer
 * forever (a hang, here a timeout). */
static void expect_capped(const char *prog, const char *args, const int *caps, int n)
{
    int ran_out = 0;
    for (int i = 0; i < n; i++) {
        int code = run("ulimit -v %d && exec timeout 20 %s %s", caps[i] * 1024, prog, args);
        const char *why = last_line(err_text);
        printf("  %3d MB  exit %3d  %.100s\n", caps[i], code, why);
        if (code == 1 && strstr(why, "out of memory")) ran_out++;
        else if (code == 127 && strstr(why, "error while loading shared libraries"))
            continue; /* too small for the loader to map the libraries: before any of our code */
        else if (code != 0)
            fail_msg("%s %s under %d MB: exit %d '%s'; want 0, or 1 and 'out of memory'", prog, args, caps[i], code, why);
    }
    if (!ran_out) fail_msg("%s %s never ran out of memory: the caps miss its allocations", prog, args);
}

static void test_short_memory(void **state)
{
    (void)state;
    const char *cli = t_cli_path();
    if (sanitized(cli)) skip();
    static const int all[] = {105, 115, 150, 200, 230};
    static const int few[] = {110, 150, 200};
    expect_capped(cli, "transcribe --json --timestamps --beams 5 --model " MODEL " " WAV, all, 5);
    expect_capped(cli, "transcribe --model " MODEL " " WAV, few, 3);
    expect_capped(cli, "inspect --model " MODEL " " WAV, few, 3);
    expect_capped(cli, "info --model " MODEL, few, 3);
    expect_capped(cli, "dump --model " MODEL " --audio " WAV " --out " TMP "/capped.st", few, 3);
    static const int lab[] = {120, 160};
    expect_capped(lab_path(), "--clips data/clips.json --audio data/audio --model " MODEL " --limit 1 --out " TMP "/lab",
                  lab, 2);
}

/* Every command's stdout to /dev/full and closed: exit 1 and a message, not exit 0. */
static void test_lost_stdout(void **state)
{
    (void)state;
    static const char *const cmds[] = {
        "info --model " MODEL,
        "transcribe --model " MODEL " " WAV,
        "transcribe --json --model " MODEL " " WAV,
        "inspect --model " MODEL " " WAV,
        "dump --model " MODEL " --audio " WAV " --out " TMP "/full.st",
        "--help",
    };
    const char *cli = t_cli_path();
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        remove(TMP "/full.st"); /* dump writes its file whole, then its line to stdout */
        int code = run("%s %s >/dev/full", cli, cmds[i]);
        printf("  /dev/full  exit %d  %s\n", code, last_line(err_text));
        if (code != 1 || !strstr(last_line(err_text), "cannot write to standard output: No space left on device"))
            fail_msg("'%s' to /dev/full: exit %d '%s'", cmds[i], code, last_line(err_text));
        code = run("%s %s >&-", cli, cmds[i]);
        printf("  closed     exit %d  %s\n", code, last_line(err_text));
        if (code != 1 || !strstr(last_line(err_text), "standard output is closed"))
            fail_msg("'%s' to a closed stdout: exit %d '%s'", cmds[i], code, last_line(err_text));
    }
    struct stat st;
    assert_int_not_equal(stat(TMP "/full.st", &st), 0); /* the closed-stdout dump did nothing */
}

/* A 64 KB tmpfs: dump's --out there keeps the old file whole (no temporary left), and a
 * transcript redirected there fails. Needs mount (root, or a user namespace). */
static void test_full_disk(void **state)
{
    (void)state;
    const char *cli = t_cli_path();
    if (run("mkdir -p " TMP "/disk && mount -t tmpfs -o size=64k wl-test " TMP "/disk") != 0) {
        printf("  skipped: cannot mount a tmpfs here (%s)\n", last_line(err_text));
        skip();
    }
    int code = run("printf old > " TMP "/disk/d.st && %s dump --model " MODEL " --audio " WAV " --out " TMP "/disk/d.st", cli);
    char dump_err[1024], old[16] = "";
    snprintf(dump_err, sizeof dump_err, "%s", last_line(err_text));
    FILE *f = fopen(TMP "/disk/d.st", "rb");
    if (f) old[fread(old, 1, sizeof old - 1, f)] = 0, fclose(f);
    int left = run("ls " TMP "/disk | wc -l");
    int n_files = atoi(out_text);
    printf("  dump: exit %d '%s'; old file '%s', %d files\n", code, dump_err, old, n_files);
    int ok = code == 1 && strstr(dump_err, "d.st: write failed: No space left on device") && !strcmp(old, "old") &&
             left == 0 && n_files == 1;
    code = run("dd if=/dev/zero of=" TMP "/disk/fill bs=4k 2>/dev/null; %s transcribe --json --model " MODEL " " WAV
               " > " TMP "/disk/t.json", cli);
    printf("  transcribe: exit %d '%s'\n", code, last_line(err_text));
    ok = ok && code == 1 && strstr(last_line(err_text), "cannot write to standard output: No space left on device");
    run("umount " TMP "/disk");
    if (!ok) fail_msg("on a full disk: dump '%s' (old file '%s', %d files), transcribe exit %d", dump_err, old, n_files, code);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lost_stdout),
        cmocka_unit_test(test_full_disk),
        cmocka_unit_test(test_short_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
