/* A test binary's cmocka log as JUnit test cases. cmocka writes "[ RUN      ] name" when a case
 * starts and "[       OK ] name", "[  FAILED  ] name" or "[  SKIPPED ] name" when it ends; its
 * error lines ("[  ERROR   ] --- ...") and the test's own output come between. After the
 * last case it lists the failed ones again: those lines close no open case and are ignored. */
#include "junit.h"

#include "../engine/base/util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN "[ RUN      ] "
#define OK "[       OK ] "
#define FAILED "[  FAILED  ] "
#define SKIPPED "[  SKIPPED ] "
#define CM_ERROR "[  ERROR   ] --- "
#define CM_LINE "[   LINE   ] --- "

/* A case's output kept as its failure text: the first and the last part of a long one. */
enum { DETAIL_HEAD = 16 << 10, DETAIL_TAIL = 48 << 10 };
/* A failure's message: at most this many lines of this many bytes (the text has the rest). */
enum { REASONS_MAX = 6, REASON_WIDTH = 400 };

static int starts(const char *line, const char *prefix) { return !strncmp(line, prefix, strlen(prefix)); }

/* Text between [from, to) of the log: whole, or its head and tail around a note. */
static char *detail_of(const char *from, const char *to, const char *log)
{
    size_t n = (size_t)(to - from);
    char *out;
    if (n <= DETAIL_HEAD + DETAIL_TAIL) {
        out = malloc(n + 1);
        if (out) memcpy(out, from, n), out[n] = 0;
        return out;
    }
    char note[1200];
    int k = snprintf(note, sizeof note, "\n[... %zu bytes left out: the whole output is in %s ...]\n",
                     n - DETAIL_HEAD - DETAIL_TAIL, log);
    out = malloc(DETAIL_HEAD + (size_t)k + DETAIL_TAIL + 1);
    if (!out) return NULL;
    memcpy(out, from, DETAIL_HEAD);
    memcpy(out + DETAIL_HEAD, note, (size_t)k);
    memcpy(out + DETAIL_HEAD + k, to - DETAIL_TAIL, DETAIL_TAIL);
    out[DETAIL_HEAD + k + DETAIL_TAIL] = 0;
    return out;
}

/* The last line of [from, to) that is not blank and not one of cmocka's (a setup's message
 * to stderr, a sanitizer's SUMMARY); n 0 when none. */
static const char *last_line(const char *from, const char *to, int *n)
{
    *n = 0;
    for (const char *e = to; e > from;) {
        const char *line = e;
        while (line > from && line[-1] != '\n') line--;
        int len = (int)(e - line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == ' ' || line[len - 1] == '\r')) len--;
        if (len && line[0] != '[') return *n = len, line;
        e = line > from ? line - 1 : from;
    }
    return NULL;
}

/* The reason for a failure, from its output [from, to): the test's own "FAIL ..." and
 * "ERROR: ..." lines (fail_msg), which carry the numbers, then cmocka's assertion and its
 * file:line; at most REASONS_MAX lines, then how many more there were. Without any: the last
 * line of output. */
static char *reasons_of(const char *from, const char *to)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f) return NULL;
    int shown = 0, more = 0;
    for (int pass = 0; pass < 2; pass++)
        for (const char *p = from; p < to;) {
            const char *nl = memchr(p, '\n', (size_t)(to - p)), *e = nl ? nl : to, *line = p;
            p = nl ? nl + 1 : to;
            int own = starts(line, "FAIL") || starts(line, "ERROR"), cm = starts(line, CM_ERROR) || starts(line, CM_LINE);
            if (pass == 0 ? !own : !cm) continue;
            if (shown == REASONS_MAX) {
                more++;
                continue;
            }
            while (starts(line, CM_ERROR) || starts(line, CM_LINE)) line += strlen(CM_ERROR);
            int len = (int)(e - line);
            fprintf(f, "%s%.*s%s", shown++ ? "\n" : "", len > REASON_WIDTH ? REASON_WIDTH : len, line,
                    len > REASON_WIDTH ? " ..." : "");
        }
    if (more) fprintf(f, "\n(%d more such lines in the output)", more);
    int n;
    const char *last = shown ? NULL : last_line(from, to, &n);
    if (last) fprintf(f, "%.*s", n, last);
    if (fclose(f)) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* "exited with status N" or "killed by signal N (SIGxxx)", from the shell's exit code. */
static void describe_exit(char *buf, size_t n, int code)
{
    const char *sig = code > 128 && code < 128 + NSIG ? sigabbrev_np(code - 128) : NULL;
    if (sig) snprintf(buf, n, "killed by signal %d (SIG%s)", code - 128, sig);
    else snprintf(buf, n, "exited with status %d", code);
}

static int set(char **field, const char *value)
{
    free(*field);
    *field = value ? strdup(value) : NULL;
    return value && !*field ? -1 : 0;
}

/* Closes case c as status with the output [from, to) of the log; message: the reason when
 * known (then followed by the output's last line), else taken from the output. */
static int close_case(t_junit_case *c, t_junit_status status, const char *type, const char *message,
                      const char *from, const char *to, const char *log)
{
    c->status = status;
    if (status == T_JUNIT_PASS) return 0;
    if (set(&c->type, type)) return -1;
    if (message) {
        int n;
        const char *last = from ? last_line(from, to, &n) : NULL;
        char *m = NULL;
        if (asprintf(&m, "%s%s%.*s", message, last ? "; last output: " : "", last ? n : 0, last ? last : "") < 0)
            return -1;
        c->message = m;
    } else {
        char *r = reasons_of(from, to);
        if (!r) return -1;
        if (!*r) free(r), r = strdup(status == T_JUNIT_SKIP ? "skipped" : "failed (no FAIL or ERROR line in its output)");
        c->message = r;
        if (!r) return -1;
    }
    if (from < to && !(c->detail = detail_of(from, to, log))) return -1;
    return 0;
}

/* Whether cmocka's own signal handler ended the case (a SIGSEGV, SIGFPE, ... in the test):
 * then it is an error, not a failed check. */
static int caught_signal(const char *from, const char *to)
{
    static const char mark[] = CM_ERROR "Test failed with exception: ";
    for (const char *p = from; p < to;) {
        const char *nl = memchr(p, '\n', (size_t)(to - p));
        if (starts(p, mark)) return 1;
        p = nl ? nl + 1 : to;
    }
    return 0;
}

typedef enum { OTHER, IS_RUN, IS_OK, IS_FAILED, IS_SKIPPED } line_kind;

static line_kind kind_of(const char *line)
{
    static const char *const PREFIX[] = {[IS_RUN] = RUN, [IS_OK] = OK, [IS_FAILED] = FAILED, [IS_SKIPPED] = SKIPPED};
    for (line_kind k = IS_RUN; k <= IS_SKIPPED; k++)
        if (starts(line, PREFIX[k])) return k;
    return OTHER;
}

/* A case's name in the report: nested under the case whose process ran it (test_threads runs
 * cmocka again in a child per kernel path), numbered when it repeats (CI systems key a case by
 * classname and name, and drop repeats). */
static t_junit_case *add_named(t_junit_suite *s, const char *classname, const char *parent, const char *name)
{
    char base[1100], unique[1200];
    snprintf(base, sizeof base, "%s%s%s", parent ? parent : "", parent ? "/" : "", *name ? name : "(unnamed)");
    snprintf(unique, sizeof unique, "%s", base);
    for (int k = 2, taken = 1; taken; k++) {
        taken = 0;
        for (int i = 0; i < s->n_cases && !taken; i++) taken = !strcmp(s->cases[i].name, unique);
        if (taken) snprintf(unique, sizeof unique, "%s #%d", base, k);
    }
    return t_junit_add_case(s, unique, classname);
}

enum { DEPTH_MAX = 8 };

typedef struct {
    int index;      /* in s->cases */
    char name[512]; /* cmocka's, as its result line gives it */
} open_case;

static int add_cases(t_junit_suite *s, const char *classname, const t_junit_run *run, const char *text, size_t len)
{
    const char *end = text + len, *chunk = text; /* the output since the last case opened or closed */
    const char *from[DEPTH_MAX];                /* where each open case's output starts */
    open_case stack[DEPTH_MAX];
    int depth = 0, broken = 0; /* broken: a case failed or errored */
    char why[160], msg[300];
    describe_exit(why, sizeof why, run->exit_code);
    for (const char *p = text; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end, *line = p;
        p = nl ? nl + 1 : end;
        line_kind kind = kind_of(line);
        if (kind == OTHER) continue;
        char name[512]; /* the four prefixes have one length */
        snprintf(name, sizeof name, "%.*s", (int)(e - line - strlen(RUN)), line + strlen(RUN));
        const char *parent = depth ? s->cases[stack[depth - 1].index].name : NULL;
        int open_at = -1; /* the open case this line closes */
        for (int d = depth - 1; d >= 0 && open_at < 0; d--)
            if (!strcmp(stack[d].name, name)) open_at = d;
        if (kind == IS_RUN && depth < DEPTH_MAX) {
            t_junit_case *c = add_named(s, classname, parent, name);
            if (!c) return -1;
            stack[depth].index = (int)(c - s->cases);
            snprintf(stack[depth].name, sizeof stack[depth].name, "%s", name);
            from[depth++] = p;
        } else if (kind != IS_RUN && open_at >= 0) {
            while (depth > open_at + 1) { /* cases inside it that never ended: their process died */
                depth--;
                snprintf(msg, sizeof msg, "the process running this case ended without a result line");
                if (close_case(&s->cases[stack[depth].index], T_JUNIT_ERROR, "crash", msg, from[depth], line, run->log))
                    return -1;
                broken = 1;
            }
            t_junit_status st = kind == IS_OK ? T_JUNIT_PASS : kind == IS_FAILED ? T_JUNIT_FAIL : T_JUNIT_SKIP;
            depth--;
            int signal = st == T_JUNIT_FAIL && caught_signal(from[depth], line);
            if (close_case(&s->cases[stack[depth].index], signal ? T_JUNIT_ERROR : st, signal ? "crash" : "assertion",
                           NULL, from[depth], line, run->log))
                return -1;
            broken |= st == T_JUNIT_FAIL;
        } else if (kind == IS_FAILED && (!strcmp(name, "GROUP SETUP") || !strcmp(name, "GROUP TEARDOWN"))) {
            t_junit_case *c = add_named(s, classname, parent, strcmp(name, "GROUP SETUP") ? "group teardown" : "group setup");
            if (!c || close_case(c, T_JUNIT_FAIL, "setup", NULL, chunk, line, run->log)) return -1;
            broken = 1;
        } else
            continue; /* the summary's list of failed cases, or a line in a test's output */
        chunk = p;
    }
    snprintf(msg, sizeof msg, "the binary ended during this case: %s", why);
    while (depth > 0) { /* the log ends inside a case: the binary died in it */
        depth--;
        if (close_case(&s->cases[stack[depth].index], T_JUNIT_ERROR, "crash", msg, from[depth], end, run->log)) return -1;
        broken = 1, chunk = end;
    }
    if (run->exit_code != 0 && !broken) { /* failed outside any case: a crash, a leak check */
        snprintf(msg, sizeof msg, "%s outside any test case", why);
        t_junit_case *c = t_junit_add_case(s, "exit status", classname);
        const char *tail = chunk < end ? chunk : text; /* the output after the last case, else all */
        if (!c || close_case(c, T_JUNIT_ERROR, "crash", msg, tail, end, run->log)) return -1;
    }
    return 0;
}

int t_junit_add_cmocka_run(t_junit *j, const t_junit_run *run, char *err, size_t errlen)
{
    char name[600], code[32];
    int golden = run->golden && *run->golden;
    snprintf(name, sizeof name, "%s%s%s", golden ? run->golden : "", golden ? "." : "", run->binary);
    snprintf(code, sizeof code, "%d", run->exit_code);
    t_junit_suite *s = t_junit_add_suite(j, name);
    if (!s || t_junit_add_property(s, "log", run->log) || t_junit_add_property(s, "exit", code) ||
        (golden && t_junit_add_property(s, "golden", run->golden))) {
        snprintf(err, errlen, "%s: out of memory", run->log);
        return -1;
    }
    s->time = run->seconds;
    char why[1200];
    size_t len;
    char *text = wl_read_file(run->log, &len, why, sizeof why);
    int rc;
    if (!text) { /* reported as a case: the other runs' results still count */
        t_junit_case *c = t_junit_add_case(s, "log", name);
        rc = !c || close_case(c, T_JUNIT_ERROR, "no log", why, NULL, NULL, run->log);
    } else
        rc = add_cases(s, name, run, text, len);
    free(text);
    if (rc) snprintf(err, errlen, "%s: out of memory", run->log);
    return rc ? -1 : 0;
}
