/* make verify's JUnit XML (tests/junit.h, ci/junit_report.c): built from hand-written cmocka logs
 * and golden-suite tables (a passing case, a failing one, a skipped one, a binary killed inside a
 * case and one that fails outside any, a failed group setup, cases run again in a child, a
 * missing log; stages out of tolerance and drifted, decoding modes), then read back with
 * libxml2 and validated against tests/junit.xsd (xmlSchemaValidateDoc): the counts per suite
 * and in all, the numbers in each failure's message, text that XML must escape or cannot hold.
 * The schema must also reject documents that break it, and the command its bad input.
 * $WL_BIN holds junit_report (default build). */
#include "junit.h"

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#define DIR "build/tmp/junit"
#define XSD "tests/junit.xsd"

static xmlSchemaPtr SCHEMA;
static xmlDocPtr DOC; /* the report built from the fixtures below */
static char LAST_ERROR[1024]; /* the schema validator's last message */

/* --- fixtures: what cmocka and the golden suite write, by hand --- */

/* A pass, a failure whose lines hold < & " , a UTF-8 é, a stray byte 0xff and a terminal's
 * escape code, a skip, then cmocka's closing list (which repeats the failure: no new case). */
static const char LOG_UNIT[] =
    "[==========] Running 3 test(s).\n"
    "[ RUN      ] test_passes\n"
    "some output\n"
    "[       OK ] test_passes\n"
    "[ RUN      ] test_fails\n"
    "FAIL stage x clip 07: max-abs 0.25 <limit & \"quoted\"> caf\xc3\xa9 \xff\x1b[0m\n"
    "[  ERROR   ] --- 0x1 != 0\n"
    "[   LINE   ] --- tests/test_unit.c:42: error: Failure!\n"
    "[  FAILED  ] test_fails\n"
    "[ RUN      ] test_skips\n"
    "[  SKIPPED ] test_skips\n"
    "[==========] 3 test(s) run.\n"
    "[  PASSED  ] 1 test(s).\n"
    "[  FAILED  ] 1 test(s), listed below:\n"
    "[  FAILED  ] test_fails\n";
static const char UNIT_MESSAGE[] = "FAIL stage x clip 07: max-abs 0.25 <limit & \"quoted\"> caf\xc3\xa9 "
                                   "\xef\xbf\xbd\xef\xbf\xbd[0m\n0x1 != 0\ntests/test_unit.c:42: error: Failure!";

/* a SIGFPE that cmocka's handler caught in the first case, then killed by SIGSEGV (exit 139)
 * inside the second */
static const char LOG_CRASH[] = "[==========] Running 2 test(s).\n"
                                "[ RUN      ] test_first\n"
                                "[  ERROR   ] --- Test failed with exception: Floating point exception(8)\n"
                                "[  FAILED  ] test_first\n"
                                "[ RUN      ] test_dies\n"
                                "about to read past the end\n";

/* every case passed, then SIGABRT (exit 134) at exit */
static const char LOG_EXIT[] = "[==========] Running 1 test(s).\n"
                               "[ RUN      ] test_only\n"
                               "[       OK ] test_only\n"
                               "[==========] 1 test(s) run.\n"
                               "[  PASSED  ] 1 test(s).\n"
                               "free(): invalid pointer\n";

static const char LOG_SETUP[] = "[==========] Running 2 test(s).\n"
                                "cannot open golden/x/index.json: No such file or directory\n"
                                "[  FAILED  ] GROUP SETUP\n"
                                "[  ERROR   ] grp\n"
                                "[==========] 0 test(s) run.\n"
                                "[  PASSED  ] 0 test(s).\n";

/* a case that runs cmocka again in two child processes (as test_threads does per kernel path) */
static const char LOG_NESTED[] = "[==========] Running 1 test(s).\n"
                                 "[ RUN      ] test_paths\n"
                                 "[==========] Running 1 test(s).\n"
                                 "[ RUN      ] test_child\n"
                                 "[       OK ] test_child\n"
                                 "[==========] Running 1 test(s).\n"
                                 "[ RUN      ] test_child\n"
                                 "[       OK ] test_child\n"
                                 "[       OK ] test_paths\n";

#define RESULT(clip, pass, bad, max_abs, max_rel, headroom)                                                       \
    "{\"clip\": \"" clip "\", \"pass\": " pass ", \"elements\": 100, \"bad\": " bad ", \"max_abs\": " max_abs \
    ", \"max_rel\": " max_rel ", \"nmse\": 0.01, \"cosine\": 0.99, \"headroom\": " headroom "}"

/* mel passes; encoder fails on clip 02; logits passes but has drifted; decoder has not;
 * decoder.ln fails both ways */
static const char STAGES[] =
    "{\"title\": \"stages vs HF\", \"failures\": 1, \"stages\": ["
    "{\"stage\": \"mel\", \"atol\": 0.001, \"rtol\": 0.01, \"clips\": 2, \"passed\": 2, \"results\": ["
    RESULT("01", "true", "0", "0.0001", "0.0002", "0.1") ", " RESULT("02", "true", "0", "0.0002", "0.0001", "0.2") "]},"
    "{\"stage\": \"encoder\", \"atol\": 0.001, \"rtol\": 0.01, \"clips\": 2, \"passed\": 1, \"results\": ["
    RESULT("01", "true", "0", "0.0001", "0.0001", "0.1") ", " RESULT("02", "false", "3", "0.5", "0.25", "50") "]},"
    "{\"stage\": \"logits\", \"atol\": 0.001, \"rtol\": 0.01, \"clips\": 1, \"passed\": 1, \"results\": ["
    RESULT("01", "true", "0", "0.0002", "0.0001", "0.2") "], \"drift\": {\"fail\": true, \"verdict\": \"worse\", "
    "\"message\": \"max-abs 2e-4 is 4x the baseline's 5e-5\"}},"
    "{\"stage\": \"decoder\", \"atol\": 0.001, \"rtol\": 0.01, \"clips\": 1, \"passed\": 1, \"results\": ["
    RESULT("01", "true", "0", "0.0002", "0.0001", "0.2") "], \"drift\": {\"fail\": false, \"verdict\": \"same\", "
    "\"message\": \"within the baseline\"}},"
    "{\"stage\": \"decoder.ln\", \"atol\": 0.001, \"rtol\": 0.01, \"clips\": 1, \"passed\": 0, \"results\": ["
    RESULT("01", "false", "100", "1.5", "0.75", "150") "], \"drift\": {\"fail\": true, \"verdict\": \"worse\", "
    "\"message\": \"10x the baseline\"}}]}";

static const char DECODE[] =
    "{\"title\": \"decoding\", \"failures\": 0, \"stages\": [], \"modes\": ["
    "{\"mode\": \"greedy\", \"clips\": 3, \"equal\": 3, \"tie_clips\": 0, \"failed\": 0, \"steps\": 30, "
    "\"tie_steps\": 0, \"failed_clips\": []},"
    "{\"mode\": \"beam5\", \"clips\": 3, \"equal\": 1, \"tie_clips\": 1, \"failed\": 1, \"steps\": 30, "
    "\"tie_steps\": 2, \"failed_clips\": [\"03\"]},"
    "{\"mode\": \"beam5_early\", \"skipped\": \"not in this golden\"}]}";

/* suites, in order, with tests / failures / errors / skipped */
static const struct {
    const char *name;
    int tests, failures, errors, skipped;
} SUITES[] = {
    {"test_unit", 3, 1, 0, 1},          {"model-x.test_crash", 2, 0, 2, 0}, {"test_exit", 2, 0, 1, 0},
    {"test_setup", 1, 1, 0, 0},         {"test_nested", 3, 0, 0, 0},        {"test_missing", 1, 0, 1, 0},
    {"model-x.decode", 0, 0, 0, 0},     {"model-x.decode_modes", 3, 1, 0, 1}, {"model-x.stages", 5, 3, 0, 0},
};
#define N_SUITES (int)(sizeof SUITES / sizeof *SUITES)

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, DIR "/%s", name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* --- reading the XML back --- */

static void on_schema_error(void *user, xmlErrorPtr e)
{
    (void)user;
    snprintf(LAST_ERROR, sizeof LAST_ERROR, "%s", e && e->message ? e->message : "?");
}

/* 0 when doc is valid against tests/junit.xsd; LAST_ERROR says why not. */
static int validate(xmlDocPtr doc)
{
    xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(SCHEMA);
    assert_non_null(v);
    xmlSchemaSetValidStructuredErrors(v, on_schema_error, NULL);
    LAST_ERROR[0] = 0;
    int rc = xmlSchemaValidateDoc(v, doc);
    xmlSchemaFreeValidCtxt(v);
    return rc;
}

static double number(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr x = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, x);
    assert_non_null(o);
    double n = xmlXPathCastToNumber(o);
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(x);
    return n;
}

/* The string value of expr (freed by the caller). */
static char *text(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr x = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, x);
    assert_non_null(o);
    char *s = (char *)xmlXPathCastToString(o);
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(x);
    return s;
}

static void expect_text(const char *expr, const char *want)
{
    char *got = text(DOC, expr);
    printf("%s = \"%s\"\n", expr, got);
    assert_string_equal(got, want);
    xmlFree(got);
}

static void expect_contains(const char *expr, const char *want)
{
    char *got = text(DOC, expr);
    if (!strstr(got, want)) fail_msg("%s is \"%s\", without \"%s\"", expr, got, want);
    xmlFree(got);
}

static int setup(void **state)
{
    (void)state;
    if (system("rm -rf " DIR " && mkdir -p " DIR "/tables " DIR "/bad")) return -1;
    xmlSchemaParserCtxtPtr p = xmlSchemaNewParserCtxt(XSD);
    SCHEMA = p ? xmlSchemaParse(p) : NULL;
    xmlSchemaFreeParserCtxt(p);
    if (!SCHEMA) return fprintf(stderr, XSD ": not a schema\n"), -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    xmlFreeDoc(DOC);
    xmlSchemaFree(SCHEMA);
    return 0;
}

/* --- the tests --- */

static void test_report_validates_with_its_counts(void **state)
{
    (void)state;
    write_file("test_unit.log", LOG_UNIT);
    write_file("test_crash.log", LOG_CRASH);
    write_file("test_exit.log", LOG_EXIT);
    write_file("test_setup.log", LOG_SETUP);
    write_file("test_nested.log", LOG_NESTED);
    write_file("tables/decode.model-x.json", DECODE);
    write_file("tables/stages.model-x.json", STAGES);
    const t_junit_run runs[] = {
        {DIR "/test_unit.log", "test_unit", "", 1, 0.5},     {DIR "/test_crash.log", "test_crash", "model-x", 139, 1.25},
        {DIR "/test_exit.log", "test_exit", NULL, 134, -1},  {DIR "/test_setup.log", "test_setup", "", 1, 0.01},
        {DIR "/test_nested.log", "test_nested", "", 0, 2},   {DIR "/test_missing.log", "test_missing", "", 1, -1},
    };
    t_junit j = {0};
    char err[1024];
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) assert_int_equal(t_junit_add_cmocka_run(&j, &runs[i], err, sizeof err), 0);
    assert_int_equal(t_junit_add_suite_json(&j, DIR "/tables/decode.model-x.json", err, sizeof err), 0);
    assert_int_equal(t_junit_add_suite_json(&j, DIR "/tables/stages.model-x.json", err, sizeof err), 0);
    assert_int_equal(t_junit_write(&j, DIR "/junit.xml", err, sizeof err), 0);
    t_junit_free(&j);

    DOC = xmlReadFile(DIR "/junit.xml", NULL, XML_PARSE_NONET);
    assert_non_null(DOC);
    int rc = validate(DOC);
    if (rc) fail_msg(DIR "/junit.xml does not match " XSD ": %s", LAST_ERROR);
    assert_int_equal(number(DOC, "count(/testsuites/testsuite)"), N_SUITES);
    int all[4] = {0};
    for (int i = 0; i < N_SUITES; i++) {
        char e[200];
        const int want[4] = {SUITES[i].tests, SUITES[i].failures, SUITES[i].errors, SUITES[i].skipped};
        const char *child[4] = {"", "/failure", "/error", "/skipped"}, *attr[4] = {"tests", "failures", "errors", "skipped"};
        for (int k = 0; k < 4; k++) {
            snprintf(e, sizeof e, "count(/testsuites/testsuite[%d]/testcase%s)", i + 1, child[k]);
            double elements = number(DOC, e);
            snprintf(e, sizeof e, "number(/testsuites/testsuite[%d]/@%s)", i + 1, attr[k]);
            double counted = number(DOC, e);
            printf("%-22s %-8s %d (elements %g, attribute %g)\n", SUITES[i].name, attr[k], want[k], elements, counted);
            assert_int_equal(elements, want[k]);
            assert_int_equal(counted, want[k]);
            all[k] += want[k];
        }
        snprintf(e, sizeof e, "string(/testsuites/testsuite[%d]/@name)", i + 1);
        expect_text(e, SUITES[i].name);
    }
    assert_int_equal(all[0], 20);
    assert_int_equal(number(DOC, "number(/testsuites/@tests)"), all[0]);
    assert_int_equal(number(DOC, "number(/testsuites/@failures)"), all[1]);
    assert_int_equal(number(DOC, "number(/testsuites/@errors)"), all[2]);
    assert_int_equal(number(DOC, "number(/testsuites/@skipped)"), all[3]);
    expect_text("string(//testsuite[@name='model-x.test_crash']/@time)", "1.250");
    assert_int_equal(number(DOC, "count(//testsuite[@name='test_exit']/@time)"), 0); /* unknown: left out */
}

static void test_cmocka_cases(void **state)
{
    (void)state;
    assert_non_null(DOC);
    expect_text("string(//testcase[@classname='test_unit'][1]/@name)", "test_passes");
    expect_text("string(//testcase[@name='test_fails']/failure/@message)", UNIT_MESSAGE);
    expect_contains("string(//testcase[@name='test_fails']/failure)", "[   LINE   ] --- tests/test_unit.c:42");
    expect_text("string(//testcase[@name='test_first']/error/@message)", "Test failed with exception: Floating point exception(8)");
    expect_text("string(//testcase[@name='test_first']/error/@type)", "crash");
    expect_text("string(//testcase[@name='test_dies']/@classname)", "model-x.test_crash");
    expect_text("string(//testcase[@name='test_dies']/error/@message)",
                "the binary ended during this case: killed by signal 11 (SIGSEGV); last output: about to read past the end");
    expect_text("string(//testcase[@name='test_dies']/error/@type)", "crash");
    expect_text("string(//testsuite[@name='test_exit']/testcase[2]/@name)", "exit status");
    expect_text("string(//testsuite[@name='test_exit']/testcase[2]/error/@message)",
                "killed by signal 6 (SIGABRT) outside any test case; last output: free(): invalid pointer");
    expect_text("string(//testsuite[@name='test_setup']/testcase/@name)", "group setup");
    expect_text("string(//testsuite[@name='test_setup']/testcase/failure/@message)",
                "cannot open golden/x/index.json: No such file or directory");
    expect_text("string(//testsuite[@name='test_nested']/testcase[2]/@name)", "test_paths/test_child");
    expect_text("string(//testsuite[@name='test_nested']/testcase[3]/@name)", "test_paths/test_child #2");
    expect_contains("string(//testsuite[@name='test_missing']/testcase/error/@message)", DIR "/test_missing.log");
    expect_text("string(//testsuite[@name='test_missing']/properties/property[@name='exit']/@value)", "1");
}

static void test_failures_carry_the_numbers(void **state)
{
    (void)state;
    assert_non_null(DOC);
    expect_text("count(//testsuite[@name='model-x.stages']/testcase[@name='mel']/*[self::failure or self::error])", "0");
    expect_text("string(//testcase[@name='encoder']/@classname)", "model-x.stages");
    expect_text("string(//testcase[@name='encoder']/failure/@message)",
                "1/2 clips passed; worst max-abs 0.5, max-rel 0.25; headroom 50 at clip 02 (atol 0.001, rtol 0.01)");
    expect_text("string(//testcase[@name='encoder']/failure/@type)", "tolerance");
    expect_text("string(//testcase[@name='encoder']/failure)",
                "clip 02: 3 of 100 elements out of tolerance; max-abs 0.5, max-rel 0.25, nmse 0.01, cosine 0.9900000, "
                "headroom 50\n");
    expect_text("string(//testcase[@name='logits']/failure/@message)",
                "drift (worse): max-abs 2e-4 is 4x the baseline's 5e-5");
    expect_text("string(//testcase[@name='logits']/failure/@type)", "drift");
    expect_text("count(//testcase[@name='decoder']/failure)", "0");
    expect_text("string(//testcase[@name='decoder']/system-out)",
                "1/1 clips passed; worst max-abs 0.0002, max-rel 0.0001; headroom 0.2 at clip 01 (atol 0.001, rtol 0.01); "
                "drift: same");
    expect_text("string(//testcase[@name='mel']/system-out)",
                "2/2 clips passed; worst max-abs 0.0002, max-rel 0.0002; headroom 0.2 at clip 02 (atol 0.001, rtol 0.01)");
    expect_text("string(//testcase[@name='decoder.ln']/failure/@message)",
                "0/1 clips passed; worst max-abs 1.5, max-rel 0.75; headroom 150 at clip 01 (atol 0.001, rtol 0.01); "
                "drift (worse): 10x the baseline");
    expect_text("string(//testcase[@name='decoder.ln']/failure/@type)", "tolerance, drift");
    expect_text("string(//testcase[@name='beam5']/@classname)", "model-x.decode_modes");
    expect_text("string(//testcase[@name='beam5']/failure/@message)",
                "1 of 3 clips failed; 1 equal to HF's sequence, 1 different only at ties; 30 steps, 2 at ties; "
                "failing clips: 03");
    expect_text("count(//testcase[@name='greedy']/failure)", "0");
    expect_text("string(//testcase[@name='beam5_early']/skipped/@message)", "not in this golden");
}

/* The file itself: < & " escaped in the attribute, the é kept as UTF-8, nothing XML cannot hold. */
static void test_escaping(void **state)
{
    (void)state;
    size_t n = 0;
    char buf[1 << 16];
    FILE *f = fopen(DIR "/junit.xml", "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    assert_non_null(strstr(buf, "max-abs 0.25 &lt;limit &amp; &quot;quoted&quot;&gt; caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd[0m"));
    assert_null(strchr(buf, '\xff'));
    assert_null(strchr(buf, '\x1b'));
}

/* A document is parsed from text and must fail validation, the validator naming why. */
static void expect_invalid(const char *xml, const char *why)
{
    xmlDocPtr d = xmlReadMemory(xml, (int)strlen(xml), "bad.xml", NULL, XML_PARSE_NONET);
    assert_non_null(d);
    int rc = validate(d);
    xmlFreeDoc(d);
    printf("rejected: %s -> %s", why, LAST_ERROR);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(LAST_ERROR, why));
}

static void test_schema_rejects_what_breaks_it(void **state)
{
    (void)state;
    const char *good = "<testsuites><testsuite name=\"s\" tests=\"1\" failures=\"1\"><testcase name=\"a\" classname=\"s\" "
                       "time=\"0.5\"><failure message=\"m\" type=\"t\">x</failure></testcase></testsuite></testsuites>";
    xmlDocPtr d = xmlReadMemory(good, (int)strlen(good), "good.xml", NULL, XML_PARSE_NONET);
    assert_int_equal(validate(d), 0);
    xmlFreeDoc(d);
    expect_invalid("<testsuites><testsuite name=\"s\" tests=\"1\"><testcase classname=\"s\"/></testsuite></testsuites>",
                   "'name' is required");
    expect_invalid("<testsuites><testsuite name=\"s\" tests=\"1\" failures=\"two\"><testcase name=\"a\" classname=\"s\"/>"
                   "</testsuite></testsuites>",
                   "'two' is not a valid value");
    expect_invalid("<testsuites><testsuite name=\"s\" tests=\"1\"><testcase name=\"a\" classname=\"s\" time=\"-1\"/>"
                   "</testsuite></testsuites>",
                   "less than the minimum");
    expect_invalid("<testsuites><testsuite name=\"s\"><testcase name=\"a\" classname=\"s\"/></testsuite></testsuites>",
                   "'tests' is required");
    expect_invalid("<testsuites><testsuite name=\"s\" tests=\"1\"><testcase name=\"a\" classname=\"s\"><skipped/>"
                   "<failure/></testcase></testsuite></testsuites>",
                   "not expected");
    expect_invalid("<testsuite name=\"s\" tests=\"0\"/>", "No matching global declaration");
}

/* Tables that are not what the suite writes are refused naming the file and the field; a write
 * that cannot happen leaves nothing behind. */
static void test_bad_input_is_named(void **state)
{
    (void)state;
    t_junit j = {0};
    char err[1024];
    write_file("bad/stages.broken.json", "{\"title\": \"t\", \"stages\": [{\"stage\": \"mel\", \"atol\": 1, "
                                            "\"rtol\": 1, \"clips\": 1, \"passed\": 1, \"results\": [{\"clip\": \"01\"}]}]}");
    assert_int_equal(t_junit_add_suite_json(&j, DIR "/bad/stages.broken.json", err, sizeof err), -1);
    printf("%s\n", err);
    assert_string_equal(err, DIR "/bad/stages.broken.json: stages[0].results[0] has no pass of the right type");
    write_file("bad/stages.text.json", "not json");
    assert_int_equal(t_junit_add_suite_json(&j, DIR "/bad/stages.text.json", err, sizeof err), -1);
    printf("%s\n", err);
    assert_non_null(strstr(err, DIR "/bad/stages.text.json: "));
    write_file("bad/stages.drift.json", "{\"title\": \"t\", \"stages\": [{\"stage\": \"mel\", \"atol\": 1, \"rtol\": 1, "
                                           "\"clips\": 0, \"passed\": 0, \"results\": [], \"drift\": {\"fail\": 1}}]}");
    assert_int_equal(t_junit_add_suite_json(&j, DIR "/bad/stages.drift.json", err, sizeof err), -1);
    printf("%s\n", err);
    assert_string_equal(err, DIR "/bad/stages.drift.json: stages[0].drift has no fail of the right type");
    assert_int_equal(t_junit_write(&j, DIR "/no-such-folder/junit.xml", err, sizeof err), -1);
    printf("%s\n", err);
    assert_non_null(strstr(err, DIR "/no-such-folder/junit.xml"));
    struct stat st;
    assert_int_not_equal(stat(DIR "/no-such-folder", &st), 0);
    t_junit_free(&j);
}

/* junit_report: usage errors exit 2, a bad run list 1 naming the file and line, a good run 0. */
static void test_command(void **state)
{
    (void)state;
    const char *b = getenv("WL_BIN") && *getenv("WL_BIN") ? getenv("WL_BIN") : "build";
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s/junit_report --runs " DIR "/runs.tsv 2>" DIR "/err.txt", b);
    assert_int_equal(WEXITSTATUS(system(cmd)), 2);
    write_file("runs.tsv", "# log name\tbinary\tgolden\texit\tseconds\ntest_unit\ttest_unit\t\t1\n");
    snprintf(cmd, sizeof cmd, "%s/junit_report --runs " DIR "/runs.tsv --tables " DIR "/none --out " DIR "/cmd.xml 2>" DIR
             "/err.txt", b);
    assert_int_equal(WEXITSTATUS(system(cmd)), 1);
    char line[512] = "";
    FILE *f = fopen(DIR "/err.txt", "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    printf("%s", line);
    assert_non_null(strstr(line, "junit_report: " DIR "/runs.tsv: line 2: "));
    struct stat st;
    assert_int_not_equal(stat(DIR "/cmd.xml", &st), 0);
    write_file("runs.tsv", "# log name\tbinary\tgolden\texit\tseconds\ntest_unit\ttest_unit\t\t1\t0.5\n"
                           "test_crash\ttest_crash\tmodel-x\t139\t-1\n");
    snprintf(cmd, sizeof cmd, "%s/junit_report --runs " DIR "/runs.tsv --tables " DIR "/tables --out " DIR "/cmd.xml", b);
    assert_int_equal(WEXITSTATUS(system(cmd)), 0);
    xmlDocPtr d = xmlReadFile(DIR "/cmd.xml", NULL, XML_PARSE_NONET);
    assert_non_null(d);
    assert_int_equal(validate(d), 0);
    assert_int_equal(number(d, "number(/testsuites/@tests)"), 3 + 2 + 0 + 3 + 5);
    assert_int_equal(number(d, "number(/testsuites/@errors)"), 2);
    xmlFreeDoc(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_validates_with_its_counts),
        cmocka_unit_test(test_cmocka_cases),
        cmocka_unit_test(test_failures_carry_the_numbers),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_schema_rejects_what_breaks_it),
        cmocka_unit_test(test_bad_input_is_named),
        cmocka_unit_test(test_command),
    };
    return cmocka_run_group_tests_name("JUnit XML", tests, setup, teardown);
}
