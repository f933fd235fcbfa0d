/* junit_report: make verify's JUnit XML from the run ci/run-tests.sh just made (its run list,
 * beside the logs it names) and the golden-suite tables in a folder (every *.json there), written
 * whole or not at all. The logic is tests/junit.c's (unit-tested by test_junit).
 *
 *   junit_report --runs build/logs/runs.tsv --tables build/verify --out build/verify/junit.xml
 *
 * The run list: a line per test binary run, tab-separated: log name (build/logs/<name>.log),
 * binary, golden folder name (empty on the first pass), exit code, wall seconds; lines that
 * start with # are comments. Exit 0 when written (whatever the tests' results), 1 on bad input
 * or a failed write, 2 on bad usage. */
#include "../tests/junit.h"

#include "../engine/base/util.h"

#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int usage(const char *why)
{
    fprintf(stderr, "junit_report: %s\nusage: junit_report --runs FILE --tables DIR --out FILE.xml\n", why);
    return 2;
}

/* Adds every run of the run list (log files beside it). */
static int add_runs(t_junit *j, const char *runs, char *err, size_t errlen)
{
    size_t len;
    char *text = wl_read_file(runs, &len, err, errlen);
    if (!text) return -1;
    char *copy = strdup(runs);
    const char *dir = copy ? dirname(copy) : ".";
    int rc = 0, line_no = 0;
    for (char *line = text, *next; !rc && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        line_no++;
        if (*line == '#' || !*line) continue;
        char *f[5], *p = line;
        int n = 0;
        for (; n < 5 && p; n++) {
            f[n] = p;
            p = strchr(p, '\t');
            if (p) *p++ = 0;
        }
        char *end1, *end2;
        long code = n == 5 ? strtol(f[3], &end1, 10) : 0;
        double seconds = n == 5 ? strtod(f[4], &end2) : 0;
        if (n != 5 || p || !*f[0] || !*f[1] || !*f[3] || *end1 || !*f[4] || *end2 || code < 0 || code > 255) {
            snprintf(err, errlen, "%s: line %d: not name, binary, golden, exit code (0-255) and seconds, tab-separated",
                     runs, line_no);
            rc = -1;
            break;
        }
        char log[4200];
        snprintf(log, sizeof log, "%s/%s.log", dir, f[0]);
        t_junit_run run = {log, f[1], f[2], (int)code, seconds};
        rc = t_junit_add_cmocka_run(j, &run, err, errlen);
    }
    free(copy);
    free(text);
    return rc;
}

/* Adds every table of the folder, in name order. */
static int add_tables(t_junit *j, const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st)) return snprintf(err, errlen, "%s: %s", dir, strerror(errno)), -1;
    if (!S_ISDIR(st.st_mode)) return snprintf(err, errlen, "%s: not a folder", dir), -1;
    char pattern[4200];
    snprintf(pattern, sizeof pattern, "%s/*.json", dir);
    glob_t g;
    int found = glob(pattern, 0, NULL, &g);
    if (found == GLOB_NOMATCH) return 0;
    if (found) {
        snprintf(err, errlen, "%s: cannot list its files", dir);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; !rc && i < g.gl_pathc; i++) rc = t_junit_add_suite_json(j, g.gl_pathv[i], err, errlen);
    globfree(&g);
    return rc;
}

int main(int argc, char **argv)
{
    const char *runs = NULL, *tables = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char **slot = !strcmp(argv[i], "--runs") ? &runs : !strcmp(argv[i], "--tables") ? &tables
                          : !strcmp(argv[i], "--out") ? &out : NULL;
        if (!slot) return usage(argv[i][0] == '-' ? "unknown option" : "unexpected argument");
        if (i + 1 == argc) return usage("an option lacks its value");
        *slot = argv[++i];
    }
    if (!runs || !tables || !out) return usage("--runs, --tables and --out are all needed");
    t_junit j = {0};
    char err[4400];
    int rc = add_runs(&j, runs, err, sizeof err) || add_tables(&j, tables, err, sizeof err) ||
             t_junit_write(&j, out, err, sizeof err);
    if (rc) fprintf(stderr, "junit_report: %s\n", err);
    else {
        t_junit_counts k = t_junit_counts_of(&j);
        printf("junit: %s: %d test cases in %d suites: %d failures, %d errors, %d skipped\n", out, k.tests, j.n_suites,
               k.failures, k.errors, k.skipped);
    }
    t_junit_free(&j);
    return rc ? 1 : 0;
}
