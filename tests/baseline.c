#include "baseline.h"
#include "golden.h"
#include "../reports/tools/replace_file.h"
#include "../engine/base/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    int is_bits;
    char suite[32], stage[64], path[128];
    int clips;
    double max_abs, nmse;
    char *bits; /* "01:hex 02:hex ...": the clips' fingerprints */
} line;

struct t_baseline {
    char measured[512];
    int n;
    line *l;
};

void t_baseline_file(const char *golden_dir, char *out, size_t outlen)
{
    char name[256];
    t_golden_name(golden_dir, name, sizeof name);
    snprintf(out, outlen, "tests/baselines/%s.tsv", name);
}

void t_baseline_free(t_baseline *b)
{
    if (!b) return;
    for (int i = 0; i < b->n; i++) free(b->l[i].bits);
    free(b->l);
    free(b);
}

int t_baseline_empty(const t_baseline *b) { return b->n == 0; }
const char *t_baseline_measured(const t_baseline *b) { return b->measured; }

static line *add_line(t_baseline *b)
{
    b->l = realloc(b->l, (size_t)(b->n + 1) * sizeof *b->l);
    memset(&b->l[b->n], 0, sizeof *b->l);
    return &b->l[b->n++];
}

/* Splits s at tabs into at most max fields; returns how many. */
static int split_tabs(char *s, char **f, int max)
{
    int n = 0;
    while (n < max) {
        f[n++] = s;
        char *tab = strchr(s, '\t');
        if (!tab) break;
        *tab = 0;
        s = tab + 1;
    }
    return n;
}

static int fits(const char *s, size_t cap) { return strlen(s) < cap; }

/* One line of a baseline file into b; 0, or -1 when malformed. */
static int parse_line(t_baseline *b, char *text)
{
    char *f[8];
    int n = split_tabs(text, f, 8);
    if (n == 2 && strcmp(f[0], "measured") == 0 && fits(f[1], sizeof b->measured)) {
        snprintf(b->measured, sizeof b->measured, "%s", f[1]);
        return 0;
    }
    int is_bits = strcmp(f[0], "bits") == 0;
    if (!(is_bits ? n == 5 : n == 7 && strcmp(f[0], "error") == 0)) return -1;
    if (!fits(f[1], 32) || !fits(f[2], 64) || !fits(f[3], 128)) return -1;
    line l = {.is_bits = is_bits};
    snprintf(l.suite, sizeof l.suite, "%s", f[1]);
    snprintf(l.stage, sizeof l.stage, "%s", f[2]);
    snprintf(l.path, sizeof l.path, "%s", f[3]);
    if (!is_bits) {
        char *e1, *e2, *e3;
        long clips = strtol(f[4], &e1, 10);
        l.max_abs = strtod(f[5], &e2), l.nmse = strtod(f[6], &e3);
        if (*e1 || *e2 || *e3 || clips < 1 || clips > 100000 || !(l.max_abs >= 0) || !(l.nmse >= 0) ||
            !isfinite(l.max_abs) || !isfinite(l.nmse))
            return -1;
        l.clips = (int)clips;
    } else if (!(l.bits = strdup(f[4]))) {
        return -1;
    }
    *add_line(b) = l;
    return 0;
}

int t_baseline_load(const char *path, t_baseline **out, char *err, size_t errlen)
{
    t_baseline *b = calloc(1, sizeof *b);
    *out = b;
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? 0 : wl_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    char *text = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (getline(&text, &cap, f) > 0) {
        lineno++;
        text[strcspn(text, "\r\n")] = 0;
        if (text[0] == '#' || !text[0]) continue;
        if (parse_line(b, text)) {
            rc = wl_fail(err, errlen, "%s:%d: not a baseline line (measured, error or bits with their fields; see the file's header)",
                         path, lineno);
            break;
        }
    }
    free(text);
    fclose(f);
    return rc;
}

static const line *find(const t_baseline *b, int is_bits, const char *suite, const char *stage, const char *path)
{
    for (int i = 0; i < b->n; i++) {
        const line *l = &b->l[i];
        if (l->is_bits == is_bits && !strcmp(l->suite, suite) && !strcmp(l->stage, stage) && !strcmp(l->path, path))
            return l;
    }
    return NULL;
}

/* The worst error any recorded kernel path has for (suite, stage); 0 when none has one. */
static int envelope(const t_baseline *b, const char *suite, const char *stage, double *max_abs, double *nmse)
{
    int n = 0;
    *max_abs = *nmse = 0;
    for (int i = 0; i < b->n; i++) {
        const line *l = &b->l[i];
        if (l->is_bits || strcmp(l->suite, suite) || strcmp(l->stage, stage)) continue;
        *max_abs = fmax(*max_abs, l->max_abs), *nmse = fmax(*nmse, l->nmse);
        n++;
    }
    return n;
}

/* The fingerprint recorded for clip in a bits line, copied to hex; 0 when it has none. */
static int recorded_bits(const line *l, const char *clip, char hex[2 * T_BITS_BYTES + 1])
{
    size_t n = strlen(clip);
    for (const char *p = l->bits; p && *p;) {
        if (!strncmp(p, clip, n) && p[n] == ':') {
            snprintf(hex, 2 * T_BITS_BYTES + 1, "%.*s", (int)strcspn(p + n + 1, " "), p + n + 1);
            return 1;
        }
        p = strchr(p, ' ');
        if (p) p++;
    }
    return 0;
}

/* now as a multiple of then; a change from exactly 0 is infinitely many times it. */
static double ratio(double now, double then) { return then > 0 ? now / then : now > 0 ? INFINITY : 1; }

int t_baseline_judge(const t_baseline *b, const t_stage_table *budgets, t_suite *s)
{
    const char *suite = t_suite_key(s), *path = t_suite_kernel_path(s);
    int over = 0;
    for (int r = 0; r < t_suite_rows(s); r++) {
        t_row_stats now = t_suite_row_stats(s, r);
        char text[256];
        double base_abs, base_nmse, budget[2];
        const line *err_line = find(b, 0, suite, now.stage, path), *bits_line = find(b, 1, suite, now.stage, path);
        int paths = err_line ? 1 : envelope(b, suite, now.stage, &base_abs, &base_nmse);
        if (err_line) base_abs = err_line->max_abs, base_nmse = err_line->nmse;
        if (!paths) {
            t_suite_set_drift(s, r, "no baseline for this stage", 0);
            continue;
        }
        int same = 0, have = 0;
        for (int k = 0; k < now.clips; k++) {
            char hex[2 * T_BITS_BYTES + 1], was[2 * T_BITS_BYTES + 1];
            t_suite_row_clip(s, r, k, hex);
            if (bits_line && hex[0] && recorded_bits(bits_line, t_suite_row_clip(s, r, k, hex), was)) {
                have++;
                same += strcmp(hex, was) == 0;
            }
        }
        if (have == now.clips && same == have) {
            t_suite_set_drift(s, r, "same bits", 0);
            continue;
        }
        if (t_stage_table_find(budgets, now.stage, budget, NULL)) {
            t_suite_set_drift(s, r, "no drift budget for this stage (tests/drift.tsv)", 1);
            over++;
            continue;
        }
        double ra = ratio(now.max_abs, base_abs), rn = ratio(now.nmse, base_nmse);
        int fail = ra > budget[0] || rn > budget[1];
        char bits[64];
        if (have) snprintf(bits, sizeof bits, "bits differ in %d/%d clips", have - same, now.clips);
        else snprintf(bits, sizeof bits, "no bits recorded for this path");
        snprintf(text, sizeof text, "%s; max-abs x%.3g, nmse x%.3g of %s (budget x%g, x%g)%s", bits, ra, rn,
                 err_line ? "the baseline" : "the worst recorded path", budget[0], budget[1], fail ? "  DRIFT" : "");
        t_suite_set_drift(s, r, text, fail);
        over += fail;
    }
    return over;
}

/* Appends line l to a growing string. */
static void put_line(char **text, size_t *len, const line *l)
{
    char head[300];
    int n = l->is_bits ? snprintf(head, sizeof head, "bits\t%s\t%s\t%s\t", l->suite, l->stage, l->path)
                       : snprintf(head, sizeof head, "error\t%s\t%s\t%s\t%d\t%.6e\t%.6e\n", l->suite, l->stage,
                                  l->path, l->clips, l->max_abs, l->nmse);
    size_t extra = (size_t)n + (l->is_bits ? strlen(l->bits) + 1 : 0);
    *text = realloc(*text, *len + extra + 1);
    memcpy(*text + *len, head, (size_t)n);
    if (l->is_bits) {
        memcpy(*text + *len + n, l->bits, strlen(l->bits));
        (*text)[*len + extra - 1] = '\n';
    }
    *len += extra;
    (*text)[*len] = 0;
}

static const char HEADER[] =
    "# The engine's baseline for these goldens, written by make baseline (docs/testing.md): per suite,\n"
    "# stage and kernel path, the worst max-abs and the mean NMSE against HF over the clips, and the\n"
    "# engine's own bits per clip (SHA-256 of its output, 64 bits kept). make verify reports each stage's\n"
    "# error against these and fails beyond tests/drift.tsv's budgets. Its git log is the error history.\n"
    "# measured <commit> <date> <reason>\n"
    "# error <suite> <stage> <kernel path> <clips> <max-abs> <nmse>\n"
    "# bits <suite> <stage> <kernel path> <clip>:<fingerprint> ...\n";

static int serialise(const t_baseline *b, const char *path, char *err, size_t errlen)
{
    size_t len = 0;
    char *text = NULL;
    if (b->measured[0]) {
        size_t n = strlen(HEADER) + strlen(b->measured) + 16;
        text = malloc(n);
        len = (size_t)snprintf(text, n, "%smeasured\t%s\n", HEADER, b->measured);
    }
    for (int i = 0; i < b->n; i++) put_line(&text, &len, &b->l[i]);
    int rc = replace_file(path, text ? text : "", text ? len : 0, err, errlen);
    free(text);
    return rc;
}

int t_baseline_record(const t_suite *s, const char *path, char *err, size_t errlen)
{
    t_baseline b = {0};
    for (int r = 0; r < t_suite_rows(s); r++) {
        t_row_stats st = t_suite_row_stats(s, r);
        line e = {.clips = st.clips, .max_abs = st.max_abs, .nmse = st.nmse};
        snprintf(e.suite, sizeof e.suite, "%s", t_suite_key(s));
        snprintf(e.stage, sizeof e.stage, "%s", st.stage);
        snprintf(e.path, sizeof e.path, "%s", t_suite_kernel_path(s));
        *add_line(&b) = e;
        size_t cap = (size_t)st.clips * (64 + 2 * T_BITS_BYTES) + 1, used = 0;
        char *bits = calloc(cap, 1);
        for (int k = 0; k < st.clips; k++) {
            char hex[2 * T_BITS_BYTES + 1];
            const char *clip = t_suite_row_clip(s, r, k, hex);
            if (hex[0]) used += (size_t)snprintf(bits + used, cap - used, "%s%s:%s", used ? " " : "", clip, hex);
        }
        if (used) {
            e.is_bits = 1, e.bits = bits;
            *add_line(&b) = e;
        } else {
            free(bits);
        }
    }
    int rc = serialise(&b, path, err, errlen);
    for (int i = 0; i < b.n; i++) free(b.l[i].bits);
    free(b.l);
    return rc;
}

void t_baseline_merge(t_baseline *into, const t_baseline *more)
{
    for (int i = 0; i < more->n; i++) {
        line *l = add_line(into);
        *l = more->l[i];
        if (l->bits) l->bits = strdup(l->bits);
    }
}

/* Whether records hold a group (suite, kernel path). */
static int has_group(const t_baseline *records, const char *suite, const char *path)
{
    for (int i = 0; i < records->n; i++)
        if (!strcmp(records->l[i].suite, suite) && !strcmp(records->l[i].path, path)) return 1;
    return 0;
}

int t_baseline_accept(t_baseline *b, const t_baseline *records, const char *measured, const char *path,
                      char *err, size_t errlen)
{
    t_baseline out = {0};
    snprintf(out.measured, sizeof out.measured, "%s", measured);
    /* kept groups first, in their order, then the new records in theirs */
    for (int i = 0; i < b->n; i++)
        if (!has_group(records, b->l[i].suite, b->l[i].path)) {
            *add_line(&out) = b->l[i];
            b->l[i].bits = NULL; /* moved */
        }
    for (int i = 0; i < records->n; i++) {
        line *l = add_line(&out);
        *l = records->l[i];
        if (l->bits) l->bits = strdup(l->bits);
    }
    int rc = serialise(&out, path, err, errlen);
    for (int i = 0; i < b->n; i++) free(b->l[i].bits);
    free(b->l);
    *b = out;
    return rc;
}

int t_baseline_check(t_suite *s, const char *golden_dir, char *err, size_t errlen)
{
    char file[1100], name[256], record[1400];
    t_baseline_file(golden_dir, file, sizeof file);
    t_baseline *b;
    t_stage_table *budgets;
    if (t_baseline_load(file, &b, err, errlen)) {
        t_baseline_free(b);
        return -1;
    }
    if (t_stage_table_load("tests/drift.tsv", "stage max-abs-factor nmse-factor reason", &budgets, err, errlen)) {
        t_baseline_free(b);
        return -1;
    }
    int over = t_baseline_judge(b, budgets, s);
    if (t_baseline_empty(b))
        printf("baseline: %s has none yet (make baseline records one)\n", file);
    else
        printf("baseline: %s, measured %s; drift budgets: tests/drift.tsv\n", file, t_baseline_measured(b));
    t_baseline_free(b);
    t_stage_table_free(budgets);
    t_golden_name(golden_dir, name, sizeof name);
    char slug[128]; /* the kernel path as a file name: each path's run keeps its own record */
    size_t n = 0;
    for (const char *p = t_suite_kernel_path(s); *p && n + 1 < sizeof slug; p++)
        if (isalnum((unsigned char)*p) || *p == '.') slug[n++] = *p;
        else if (n && slug[n - 1] != '-') slug[n++] = '-';
    slug[n] = 0;
    snprintf(record, sizeof record, "build/verify/baseline/%s.%s.%s.tsv", name, t_suite_key(s), slug);
    if (system("mkdir -p build/verify/baseline") != 0 || t_baseline_record(s, record, err, errlen)) {
        if (!*err) wl_fail(err, errlen, "build/verify/baseline: cannot create");
        return -1;
    }
    const char *mode = getenv("WL_DRIFT");
    return mode && !strcmp(mode, "record") ? 0 : over;
}
