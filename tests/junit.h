/* make verify's results as JUnit XML (build/verify/junit.xml, the format CI systems read; its
 * schema is tests/junit.xsd): a testsuite per test binary run, per golden pass, holding a
 * testcase per cmocka case read from the run's log; and a testsuite per golden-suite table
 * (tests/suite.h's JSON) holding a testcase per stage, plus one per decoding mode where the
 * table lists them. A case that did not pass carries a short message with the numbers and, as
 * its text, the output or the per-clip numbers behind it.
 *
 * junit.c holds the report and writes it, junit_cmocka.c reads a run's log, junit_suite.c a
 * table. */
#ifndef T_JUNIT_H
#define T_JUNIT_H

#include <stddef.h>

typedef enum { T_JUNIT_PASS, T_JUNIT_FAIL, T_JUNIT_ERROR, T_JUNIT_SKIP } t_junit_status;

/* Strings are owned (malloc'd) by the report; NULL where absent. */
typedef struct {
    char *name, *classname;
    t_junit_status status;
    char *type;    /* FAIL / ERROR: the kind ("assertion", "crash", "tolerance", "drift", ...) */
    char *message; /* not PASS: the short reason, with the numbers */
    char *detail;  /* not PASS: the details (the case's output, the failing clips) */
    char *out;     /* system-out: what a passing case measured */
    double time;   /* seconds; negative when not known */
} t_junit_case;

typedef struct {
    char *name, *value;
} t_junit_property;

typedef struct {
    char *name;
    double time; /* seconds; negative when not known */
    t_junit_property *props;
    int n_props;
    t_junit_case *cases;
    int n_cases;
} t_junit_suite;

typedef struct {
    t_junit_suite *suites;
    int n_suites;
} t_junit; /* zero-initialised: an empty report */

typedef struct {
    int tests, failures, errors, skipped;
} t_junit_counts;

/* A new suite / case / property at the end (names copied); NULL when out of memory. */
t_junit_suite *t_junit_add_suite(t_junit *j, const char *name);
t_junit_case *t_junit_add_case(t_junit_suite *s, const char *name, const char *classname);
int t_junit_add_property(t_junit_suite *s, const char *name, const char *value);

t_junit_counts t_junit_suite_counts(const t_junit_suite *s);
t_junit_counts t_junit_counts_of(const t_junit *j);

void t_junit_free(t_junit *j);

/* Writes the report to path whole or not at all (a temporary file renamed over it). Text is
 * written as UTF-8 with whatever XML cannot hold (bytes that are not UTF-8, control
 * characters) replaced by U+FFFD. 0, or -1 and err naming the file. */
int t_junit_write(const t_junit *j, const char *path, char *err, size_t errlen);

/* One test binary's run, as ci/run-tests.sh records it. */
typedef struct {
    const char *log;    /* its output (cmocka's lines and the tests' own) */
    const char *binary; /* e.g. test_stages */
    const char *golden; /* the WL_GOLDEN folder's name of that pass, or NULL / "" */
    int exit_code;      /* as the shell gives it: 128 + N when killed by signal N */
    double seconds;     /* wall time; negative when not known */
} t_junit_run;

/* Adds a suite named "<golden>.<binary>" (or the binary alone) with a testcase per
 * "[ RUN      ]" of the log: passed, failed (message: the FAIL and ERROR lines of its output),
 * skipped, or an error when the log ends inside it (the binary died). A group setup or
 * teardown that failed is a failed case of that name; a binary that exits non-zero with no
 * failed case (a crash outside any case) adds an error case "exit status". An unreadable log
 * is an error case too. 0, or -1 and err when out of memory. */
int t_junit_add_cmocka_run(t_junit *j, const t_junit_run *run, char *err, size_t errlen);

/* Adds the suite of a golden-suite table, build/verify/<kind>.<model>.json (tests/suite.h),
 * named "<model>.<kind>": a testcase per stage, failed when a clip is out of tolerance (message:
 * clips passed, worst max-abs and max-rel, the worst clip's headroom, atol and rtol) or when its
 * optional "drift" object says {"fail": true} (its message); and, when the table has "modes"
 * (test_decode's), a suite "<model>.<kind>_modes" with a testcase per decoding mode. 0, or -1
 * and err naming the file and the field when it cannot be read or lacks what a table holds. */
int t_junit_add_suite_json(t_junit *j, const char *path, char *err, size_t errlen);

#endif
