/* Never lose a user's file: what `lab --out`, `make report OUT=` and `make tables FILE=` may
 * replace, and that a report appears whole or not at all. Folders that are not reports (a copy of
 * data/audio, a folder of the user's files, a file, a dangling link, the root) are refused
 * before the run with one line naming them, and stay byte for byte as they were; a run killed
 * mid-way (SIGINT, SIGTERM, SIGKILL), a failing clip, a failed write or a second run at once
 * leave the previous report whole, and no staging folder that the next run would trip on.
 * tables keeps every byte outside its markers (NULs too), writes through a link, keeps the
 * mode, refuses a hard-linked file and fails on a failed write with the file unchanged. The
 * Makefile's recipes take names with spaces and quotes. Copies stand in for the repository's
 * folders, so that a regression here damages nothing. $WL_BIN holds the tools. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#define DIR "build/tmp/out_folder"
#define REP DIR "/rep"

static const char *bin(void)
{
    const char *b = getenv("WL_BIN");
    return b && *b ? b : "build";
}

/* s as one shell word (single-quoted). */
static const char *shq(const char *s)
{
    static char buf[4][4200];
    static int k;
    char *q = buf[k++ % 4], *w = q;
    *w++ = '\'';
    for (; *s && w < q + sizeof buf[0] - 6; s++)
        if (*s == '\'') memcpy(w, "'\\''", 4), w += 4;
        else *w++ = *s;
    *w++ = '\'', *w = 0;
    return q;
}

/* Runs a shell command; returns its exit code (128 + signal if killed), the last line of its
 * stderr in msg and the number of stderr lines in *lines. */
static int sh(char *msg, size_t len, int *lines, const char *fmt, ...)
{
    char cmd[8192], full[8400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "( %s ) >" DIR ".out 2>" DIR ".err", cmd);
    int st = system(full);
    if (msg) msg[0] = 0;
    if (lines) *lines = 0;
    FILE *f = fopen(DIR ".err", "r");
    char line[4096];
    while (f && fgets(line, sizeof line, f)) {
        if (msg) snprintf(msg, len, "%s", line);
        if (lines) ++*lines;
    }
    if (f) fclose(f);
    if (msg) msg[strcspn(msg, "\n")] = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

/* The first line a command prints on stdout ("" if none). */
static void capture(char *out, size_t len, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    out[0] = 0;
    if (p && !fgets(out, (int)len, p)) out[0] = 0;
    if (p) pclose(p);
    out[strcspn(out, "\n")] = 0;
}

/* A hash over every name, kind and byte under path (links not followed). */
static void fingerprint(const char *path, char *out, size_t len)
{
    capture(out, len, "( cd '%s' 2>/dev/null && find . -printf '%%p %%y %%m %%n\\n' | LC_ALL=C sort && "
                             "find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum ) | sha256sum",
            path);
}

/* Staging folders beside OUT ("DIR/.NAME.new.*"; name is a regular expression). */
static int stages_left(const char *name)
{
    char n[64];
    capture(n, sizeof n, "ls -a " DIR " | grep -c '^\\.%s\\.new\\.' || true", name);
    return atoi(n);
}

#define LAB "%s/lab --clips data/clips.json --audio data/audio"
#define QUICK "--limit 1 --max-new-tokens 2"
#define REPORT_ENV "GOLDEN_CHECK=0 BIN=%s FALLBACK=build/whisper-micro.en"

/* A quick report into out (the "previous report" of a case). */
static void quick_report(const char *out)
{
    char msg[4096];
    int rc = sh(msg, sizeof msg, NULL, LAB " --out %s " QUICK, bin(), shq(out));
    if (rc) fail_msg("lab --out %s: exit %d: %s", out, rc, msg);
}

/* Top-level keys of a JSON file as cJSON prints it (one tab in). */
static int count_keys(const char *file)
{
    FILE *f = fopen(file, "r");
    char line[4096];
    int n = 0;
    while (f && fgets(line, sizeof line, f)) n += line[0] == '\t' && line[1] == '"';
    if (f) fclose(f);
    return n;
}

static int setup(void **state)
{
    (void)state;
    return system("umount " DIR "/mnt 2>/dev/null; rm -rf " DIR " && mkdir -p " DIR " && cp -r data/audio " DIR "/audio && mkdir " DIR "/user && "
                  "echo 'my notes' > " DIR "/user/notes.txt && mkdir " DIR "/user/sub && echo x > " DIR
                  "/user/sub/y && echo mine > " DIR "/file.md && ln -s nowhere " DIR "/dangling");
}

/* Not a report, so refused before the run (no model loaded, no "lab:" progress), one line
 * naming the folder, nothing changed: lab exits 2, make report 1. */
static void test_refused_before_the_run(void **state)
{
    (void)state;
    quick_report(REP);
    assert_int_equal(system("cp -a " REP " " DIR "/rep_plus && echo keep > " DIR "/rep_plus/mine.txt"), 0);
    static const char *const REFUSED[] = {DIR "/audio", DIR "/user", DIR "/file.md", DIR "/dangling", DIR "/rep_plus",
                                          "/", DIR "/audio/"};
    for (size_t i = 0; i < sizeof REFUSED / sizeof *REFUSED; i++) {
        const char *out = REFUSED[i];
        char before[256], after[256], msg[4096];
        fingerprint(strcmp(out, "/") ? DIR : "/dev/null", before, sizeof before);
        for (int tool = 0; tool < 2; tool++) {
            int lines, rc = tool ? sh(msg, sizeof msg, &lines, REPORT_ENV " OUT=%s LAB_ARGS='" QUICK "' bash reports/report.sh",
                                      bin(), shq(out))
                                 : sh(msg, sizeof msg, &lines, LAB " --out %s " QUICK, bin(), shq(out));
            printf("  %s %-28s exit %d: %s\n", tool ? "report" : "lab", out, rc, msg);
            char tidy[4200];
            snprintf(tidy, sizeof tidy, "%s", out);
            if (strlen(tidy) > 1 && tidy[strlen(tidy) - 1] == '/') tidy[strlen(tidy) - 1] = 0;
            if (rc != (tool ? 1 : 2) || lines != 1 || !strstr(msg, tidy))
                fail_msg("%s --out %s: exit %d, %d stderr lines, '%s' (want exit %d, one line naming it)",
                         tool ? "report" : "lab", out, rc, lines, msg, tool ? 1 : 2);
        }
        fingerprint(strcmp(out, "/") ? DIR : "/dev/null", after, sizeof after);
        if (strcmp(before, after)) fail_msg("--out %s: the folder changed", out);
    }
    /* --staged (make report's inner run) writes only into publish's fresh folder */
    char msg[4096], before[256], after[256];
    fingerprint(DIR, before, sizeof before);
    int lines, rc = sh(msg, sizeof msg, &lines, LAB " --out " DIR "/audio --staged " QUICK, bin());
    printf("  lab --staged audio: exit %d: %s\n", rc, msg);
    assert_int_equal(rc, 2);
    assert_int_equal(lines, 1);
    fingerprint(DIR, after, sizeof after);
    assert_string_equal(before, after);
    assert_int_equal(sh(msg, sizeof msg, NULL, "cd " DIR "/audio && sha256sum -c --quiet SHA256SUMS"), 0);
}

/* New, empty, a previous report (also one made before the marker existed), a link to a
 * report (kept, and pointing to the new one), a name with spaces and quotes: replaced. */
static void test_replaced_when_safe(void **state)
{
    (void)state;
    assert_int_equal(system("rm -rf " DIR "/new " DIR "/empty " DIR "/legacy " DIR "/target " DIR "/link && mkdir " DIR
                            "/empty"),
                     0);
    quick_report(DIR "/legacy");
    assert_int_equal(system("rm -f " DIR "/legacy/.whisperlab-report"), 0);
    quick_report(DIR "/target");
    assert_int_equal(system("ln -s target " DIR "/link"), 0);
    static const char *const OK[] = {DIR "/new", DIR "/empty", DIR "/legacy", DIR "/link", DIR "/a b'c\"d", REP};
    for (size_t i = 0; i < sizeof OK / sizeof *OK; i++) {
        char msg[4096], path[4200];
        int rc = sh(msg, sizeof msg, NULL, LAB " --out %s --limit 2 --max-new-tokens 4", bin(), shq(OK[i]));
        printf("  lab --out %-28s exit %d: %s\n", OK[i], rc, msg);
        assert_int_equal(rc, 0);
        snprintf(path, sizeof path, "%s/transcriptions.json", OK[i]);
        assert_int_equal(count_keys(path), 4); /* --limit 2 of each group: the new report */
        assert_int_equal(stages_left(".*"), 0);
    }
    /* a valid 3848-byte path (folders of 200 bytes): no fixed buffer cuts it */
    char deep[4000] = DIR "/long", cmd[4200], msg[4096];
    size_t n = strlen(deep);
    for (; n < 3848 - 220; n += 201) deep[n] = '/', memset(deep + n + 1, 'd', 200);
    deep[n] = 0;
    snprintf(cmd, sizeof cmd, "mkdir -p %s", deep);
    assert_int_equal(system(cmd), 0);
    deep[n] = '/', memset(deep + n + 1, 'r', 3848 - n - 1), deep[3848] = 0;
    int rc = sh(msg, sizeof msg, NULL, LAB " --out %s " QUICK, bin(), deep);
    printf("  lab --out <3848 bytes>: exit %d: %.60s...\n", rc, msg);
    assert_int_equal(rc, 0);
    snprintf(cmd, sizeof cmd, "%s/transcriptions.json", deep);
    assert_int_equal(count_keys(cmd), 2);

    struct stat st;
    assert_int_equal(lstat(DIR "/link", &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(count_keys(DIR "/target/transcriptions.json"), 4);
    /* make report: a missing parent is made; a name with spaces and quotes */
    rc = sh(msg, sizeof msg, NULL, REPORT_ENV " OUT='" DIR "/deep/er/r e'\\''p\"' LAB_ARGS='" QUICK "' bash reports/report.sh",
                bin());
    printf("  report -> deep/er/r e'p\": exit %d: %s\n", rc, msg);
    assert_int_equal(rc, 0);
    assert_int_equal(count_keys(DIR "/deep/er/r e'p\"/transcriptions.json"), 2);
    assert_int_equal(stat(DIR "/deep/er/r e'p\"/manifest.json", &st), 0);
}

/* Starts `cmd` in its own process group with stderr to DIR.bg_err; its pid. */
static pid_t start(const char *cmd)
{
    unlink(DIR ".bg_err"); /* else the last run's progress would be read as this one's */
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Waits until the run (stderr in DIR.bg_err) has finished its third clip: mid-way. */
static int wait_mid_run(void)
{
    char n[64];
    for (int i = 0; i < 1200; i++) {
        capture(n, sizeof n, "grep -c '^lab \\[ 3/' " DIR ".bg_err 2>/dev/null");
        if (atoi(n) > 0) return 0;
        usleep(50000);
    }
    return -1;
}

static int wait_exit(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0) {}
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A run killed mid-way (lab, and make report's publish or its whole process group) leaves the
 * previous report as it was; SIGINT and SIGTERM leave no staging folder; SIGKILL's is removed by
 * the next run. */
static void test_interrupted_run_keeps_previous_report(void **state)
{
    (void)state;
    quick_report(REP);
    char before[256], after[256], cmd[4096];
    fingerprint(REP, before, sizeof before);
    static const struct {
        int report, sig, group;
    } CASES[] = {{0, SIGINT, 0}, {0, SIGTERM, 0}, {0, SIGKILL, 0}, {1, SIGTERM, 0}, {1, SIGINT, 1}};
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        if (CASES[i].report)
            snprintf(cmd, sizeof cmd, "exec env " REPORT_ENV " OUT=" REP " LAB_ARGS='--max-new-tokens 8' bash reports/report.sh 2>" DIR ".bg_err >&2", bin());
        else snprintf(cmd, sizeof cmd, "exec " LAB " --out " REP " --max-new-tokens 8 2>" DIR ".bg_err", bin());
        pid_t pid = start(cmd);
        assert_int_equal(wait_mid_run(), 0);
        pid_t target = pid;
        if (CASES[i].report && !CASES[i].group) { /* publish itself: the report's bash runs it */
            char p[64];
            capture(p, sizeof p, "pgrep -P %d -x publish", (int)pid);
            target = atoi(p);
            assert_true(target > 0);
        }
        kill(CASES[i].group ? -pid : target, CASES[i].sig);
        int rc = wait_exit(pid);
        usleep(200000); /* the report's processes after publish has removed the stage */
        fingerprint(REP, after, sizeof after);
        int left = stages_left("rep");
        printf("  %s, signal %d%s: exit %d, previous report %s, %d staging folders left\n",
               CASES[i].report ? "report" : "lab", CASES[i].sig, CASES[i].group ? " to the group" : "", rc,
               strcmp(before, after) ? "CHANGED" : "intact", left);
        assert_int_not_equal(rc, 0);
        assert_string_equal(before, after);
        assert_int_equal(left, CASES[i].sig == SIGKILL ? 1 : 0);
        if (CASES[i].sig == SIGKILL) {
            quick_report(REP);
            assert_int_equal(stages_left("rep"), 0);
            fingerprint(REP, before, sizeof before);
        }
    }
}

/* A clip that fails mid-way and a write that fails (a file size limit) leave the previous report
 * and no staging folder. */
static void test_failed_run_keeps_previous_report(void **state)
{
    (void)state;
    quick_report(REP);
    char before[256], after[256], msg[4096];
    fingerprint(REP, before, sizeof before);
    FILE *f = fopen(DIR "/clips.json", "w");
    assert_non_null(f);
    fputs("{\"clips\": [{\"id\": \"01\", \"file\": \"clip_01.wav\", \"sentence\": \"I work\"},\n"
          "{\"id\": \"02\", \"file\": \"clip_02.wav\", \"sentence\": \"you work\"},\n"
          "{\"id\": \"03\", \"file\": \"missing.wav\", \"sentence\": \"we work\"}]}\n",
          f);
    fclose(f);
    int rc = sh(msg, sizeof msg, NULL, "%s/lab --clips " DIR "/clips.json --audio data/audio --out " REP, bin());
    printf("  failing clip: exit %d: %s\n", rc, msg);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(msg, "missing.wav"));
    rc = sh(msg, sizeof msg, NULL, "trap '' XFSZ; ulimit -f 8; " LAB " --out " REP, bin());
    printf("  8 KB file size limit: exit %d: %s\n", rc, msg);
    assert_int_equal(rc, 1);
    fingerprint(REP, after, sizeof after);
    assert_string_equal(before, after);
    assert_int_equal(stages_left("rep"), 0);
}

/* Two runs at once on one folder: the second is refused while the first holds it, and the
 * first's report is whole (every file from that run). */
static void test_concurrent_runs(void **state)
{
    (void)state;
    char cmd[4096], msg[4096];
    quick_report(REP);
    snprintf(cmd, sizeof cmd, "exec " LAB " --out " REP " 2>" DIR ".bg_err", bin());
    pid_t pid = start(cmd);
    assert_int_equal(wait_mid_run(), 0);
    int lines, rc = sh(msg, sizeof msg, &lines, LAB " --out " REP " " QUICK, bin());
    printf("  second lab: exit %d: %s\n", rc, msg);
    assert_int_equal(rc, 2);
    assert_int_equal(lines, 1);
    assert_non_null(strstr(msg, "another run"));
    rc = sh(msg, sizeof msg, NULL, REPORT_ENV " OUT=" REP " LAB_ARGS='" QUICK "' bash reports/report.sh", bin());
    printf("  second report: exit %d: %s\n", rc, msg);
    assert_int_equal(rc, 1);
    assert_int_equal(wait_exit(pid), 0);
    /* the first run's 24 + 5 clips everywhere */
    assert_int_equal(count_keys(REP "/transcriptions.json"), 29);
    assert_int_equal(count_keys(REP "/tokens.json"), 29);
    char n[64];
    capture(n, sizeof n, "ls " REP "/cross_attention_*.png | grep -vc _heads");
    assert_int_equal(atoi(n), 29);
    capture(n, sizeof n, "grep -c '\"clips\":[[:space:]]*29' " REP "/run.json");
    assert_int_equal(atoi(n), 1);
    assert_int_equal(stages_left("rep"), 0);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    char *s = malloc((size_t)len + 1);
    if (s && fread(s, 1, (size_t)len, f) != (size_t)len) free(s), s = NULL;
    fclose(f);
    *n = (size_t)len;
    return s;
}

static void put(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static const char BEFORE[] = "# notes\0with a NUL\n<!-- whisperlab:tables begin -->\n";
static const char AFTER[] = "<!-- whisperlab:tables end -->\ntail\0after a NUL\r\n\xff\xfe";

/* tables --splice: the bytes outside the markers kept exactly (NULs, CR, invalid UTF-8), a link
 * kept with its target written (mode 0600 kept), a hard-linked file and a failed write refused
 * with the file unchanged and no temporary file left. */
static void test_tables_splice_keeps_the_file(void **state)
{
    (void)state;
    quick_report(REP);
    char doc[512], msg[4096];
    size_t nb = sizeof BEFORE - 1, na = sizeof AFTER - 1, n;
    memcpy(doc, BEFORE, nb), memcpy(doc + nb, "old\n", 4), memcpy(doc + nb + 4, AFTER, na);
    const size_t ndoc = nb + 4 + na;
    assert_int_equal(system("rm -rf " DIR "/md && mkdir " DIR "/md"), 0);
    put(DIR "/md/real.md", doc, ndoc);
    assert_int_equal(chmod(DIR "/md/real.md", 0600), 0);
    assert_int_equal(symlink("real.md", DIR "/md/link.md"), 0);
    int rc = sh(msg, sizeof msg, NULL, "%s/tables --report " REP " --splice " DIR "/md/link.md", bin());
    printf("  splice through a link: exit %d %s\n", rc, msg);
    assert_int_equal(rc, 0);
    struct stat st;
    assert_int_equal(lstat(DIR "/md/link.md", &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(stat(DIR "/md/real.md", &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    char *s = slurp(DIR "/md/real.md", &n);
    assert_non_null(s);
    assert_true(n > ndoc + 100);
    assert_memory_equal(s, BEFORE, nb);                /* every byte before the begin marker */
    assert_memory_equal(s + n - na, AFTER, na);        /* and from the end marker on */
    assert_null(memmem(s, n, "\nold\n", 5));
    assert_non_null(memmem(s, n, "**WER**", 7));
    free(s);

    /* a hard-linked file: refused, both names as they were */
    put(DIR "/md/hard.md", doc, ndoc);
    assert_int_equal(chmod(DIR "/md/hard.md", 0600), 0);
    assert_int_equal(link(DIR "/md/hard.md", DIR "/md/hard2.md"), 0);
    int lines;
    rc = sh(msg, sizeof msg, &lines, "%s/tables --report " REP " --splice " DIR "/md/hard.md", bin());
    printf("  hard-linked: exit %d: %s\n", rc, msg);
    assert_int_equal(rc, 1);
    assert_int_equal(lines, 1);
    assert_non_null(strstr(msg, DIR "/md/hard.md"));
    assert_non_null(strstr(msg, "hard link"));
    assert_int_equal(stat(DIR "/md/hard2.md", &st), 0);
    assert_int_equal(st.st_nlink, 2);
    assert_int_equal(st.st_mode & 07777, 0600);
    s = slurp(DIR "/md/hard2.md", &n);
    assert_int_equal(n, ndoc);
    assert_memory_equal(s, doc, ndoc);
    free(s);

    /* a write that fails (a 1 KB file size limit): exit 1, the file unchanged */
    put(DIR "/md/full.md", doc, ndoc);
    rc = sh(msg, sizeof msg, &lines, "trap '' XFSZ; ulimit -f 1; %s/tables --report " REP " --splice " DIR "/md/full.md",
            bin());
    printf("  failed write: exit %d: %s\n", rc, msg);
    assert_int_equal(rc, 1);
    assert_int_equal(lines, 1);
    assert_non_null(strstr(msg, DIR "/md/full.md"));
    s = slurp(DIR "/md/full.md", &n);
    assert_int_equal(n, ndoc);
    assert_memory_equal(s, doc, ndoc);
    free(s);
    char count[64];
    capture(count, sizeof count, "ls -A " DIR "/md | wc -l");
    assert_int_equal(atoi(count), 5); /* real, link, hard, hard2, full: no temporary file */
}

/* A full disk (a small tmpfs, where this process may mount one; else skipped, the file size
 * limits above stand in), 16 KB left: the lab's staging folder starts, its first heatmap does
 * not fit; lab and tables fail with exit 1, the report and the file unchanged. */
static void test_full_disk(void **state)
{
    (void)state;
    char msg[4096], before[256], after[256];
    if (sh(msg, sizeof msg, NULL, "umount " DIR "/mnt 2>/dev/null; mkdir -p " DIR "/mnt && "
                                  "mount -t tmpfs -o size=256k tmpfs " DIR "/mnt")) {
        printf("  no tmpfs here (%s): skipped\n", msg);
        skip();
    }
    quick_report(DIR "/mnt/rep");
    assert_int_equal(system("printf 'a\\n<!-- whisperlab:tables begin -->\\n<!-- whisperlab:tables end -->\\nz\\n' > "
                            DIR "/mnt/x.md && cd " DIR "/mnt && "
                            "head -c $(($(df --output=avail -B1 . | tail -1) - 16384)) /dev/zero > fill"),
                     0);
    fingerprint(DIR "/mnt/rep", before, sizeof before);
    int lines, rc = sh(msg, sizeof msg, &lines, LAB " --out " DIR "/mnt/rep " QUICK, bin());
    printf("  lab onto a full disk: exit %d: %s\n", rc, msg);
    fingerprint(DIR "/mnt/rep", after, sizeof after);
    int left = stages_left(".*");
    char md_before[128], md_after[128];
    capture(md_before, sizeof md_before, "sha256sum < " DIR "/mnt/x.md");
    if (system("(head -c 1000000 /dev/zero >> " DIR "/mnt/fill) 2>/dev/null")) {} /* now full */
    int rc2 = sh(msg, sizeof msg, &lines, "%s/tables --report " REP " --splice " DIR "/mnt/x.md", bin());
    printf("  tables onto a full disk: exit %d: %s\n", rc2, msg);
    capture(md_after, sizeof md_after, "sha256sum < " DIR "/mnt/x.md");
    char n[64];
    capture(n, sizeof n, "ls -A " DIR "/mnt | wc -l");
    assert_int_equal(system("umount " DIR "/mnt"), 0);
    assert_int_equal(rc, 1);
    assert_string_equal(before, after);
    assert_int_equal(left, 0);
    assert_int_equal(rc2, 1);
    assert_int_equal(lines, 1);
    assert_string_equal(md_before, md_after);
    assert_int_equal(atoi(n), 4); /* rep, its lock, x.md, fill: no temporary file */
}

/* make report OUT= and make tables FILE= with spaces and quotes in the names. */
static void test_make_recipes_quote_names(void **state)
{
    (void)state;
    quick_report(REP);
    const char *san = strstr(bin(), "san") ? "SANITIZE=1" : "";
    char msg[4096];
    assert_int_equal(system("printf '<!-- whisperlab:tables begin -->\\n<!-- whisperlab:tables end -->\\n' > \"" DIR
                            "/x y'z\\\".md\""),
                     0);
    int rc = sh(msg, sizeof msg, NULL, "MAKEFLAGS= make -s %s -o %s/tables tables FILE='" DIR "/x y'\\''z\".md' REPORT=" REP, san,
                bin());
    printf("  make tables FILE=\"x y'z\\\".md\": exit %d %s\n", rc, msg);
    assert_int_equal(rc, 0);
    size_t n;
    char *s = slurp(DIR "/x y'z\".md", &n);
    assert_non_null(s);
    assert_non_null(memmem(s, n, "**WER**", 7));
    free(s);
    rc = sh(msg, sizeof msg, NULL,
            "GOLDEN_CHECK=0 MAKEFLAGS= make -s %s -o all -o %s/tests/test_stages report OUT='" DIR "/m a'\\''k\"e' LAB_ARGS='" QUICK "'",
            san, bin());
    printf("  make report OUT=\"m a'k\\\"e\": exit %d %s\n", rc, msg);
    assert_int_equal(rc, 0);
    assert_int_equal(count_keys(DIR "/m a'k\"e/transcriptions.json"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_before_the_run),
        cmocka_unit_test(test_replaced_when_safe),
        cmocka_unit_test(test_interrupted_run_keeps_previous_report),
        cmocka_unit_test(test_failed_run_keeps_previous_report),
        cmocka_unit_test(test_concurrent_runs),
        cmocka_unit_test(test_tables_splice_keeps_the_file),
        cmocka_unit_test(test_full_disk),
        cmocka_unit_test(test_make_recipes_quote_names),
    };
    return cmocka_run_group_tests_name("output folders and files", tests, setup, NULL);
}
