/* The JUnit report in memory, and written as XML with libxml2's xmlTextWriter (which escapes
 * < & " and line breaks in attributes), whole or not at all (replace_file). */
#include "junit.h"

#include "../reports/tools/replace_file.h"

#include <libxml/chvalid.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlstring.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

t_junit_suite *t_junit_add_suite(t_junit *j, const char *name)
{
    t_junit_suite *grown = realloc(j->suites, (size_t)(j->n_suites + 1) * sizeof *grown);
    if (!grown) return NULL;
    j->suites = grown;
    t_junit_suite *s = &grown[j->n_suites];
    memset(s, 0, sizeof *s);
    s->time = -1;
    if (!(s->name = strdup(name))) return NULL;
    j->n_suites++;
    return s;
}

t_junit_case *t_junit_add_case(t_junit_suite *s, const char *name, const char *classname)
{
    t_junit_case *grown = realloc(s->cases, (size_t)(s->n_cases + 1) * sizeof *grown);
    if (!grown) return NULL;
    s->cases = grown;
    t_junit_case *c = &grown[s->n_cases];
    memset(c, 0, sizeof *c);
    c->time = -1;
    c->name = strdup(name), c->classname = strdup(classname);
    if (!c->name || !c->classname) {
        free(c->name), free(c->classname);
        return NULL;
    }
    s->n_cases++;
    return c;
}

int t_junit_add_property(t_junit_suite *s, const char *name, const char *value)
{
    t_junit_property *grown = realloc(s->props, (size_t)(s->n_props + 1) * sizeof *grown);
    if (!grown) return -1;
    s->props = grown;
    t_junit_property *p = &grown[s->n_props];
    p->name = strdup(name), p->value = strdup(value);
    if (!p->name || !p->value) {
        free(p->name), free(p->value);
        return -1;
    }
    s->n_props++;
    return 0;
}

t_junit_counts t_junit_suite_counts(const t_junit_suite *s)
{
    t_junit_counts k = {s->n_cases, 0, 0, 0};
    for (int i = 0; i < s->n_cases; i++) {
        k.failures += s->cases[i].status == T_JUNIT_FAIL;
        k.errors += s->cases[i].status == T_JUNIT_ERROR;
        k.skipped += s->cases[i].status == T_JUNIT_SKIP;
    }
    return k;
}

t_junit_counts t_junit_counts_of(const t_junit *j)
{
    t_junit_counts all = {0, 0, 0, 0};
    for (int i = 0; i < j->n_suites; i++) {
        t_junit_counts k = t_junit_suite_counts(&j->suites[i]);
        all.tests += k.tests, all.failures += k.failures, all.errors += k.errors, all.skipped += k.skipped;
    }
    return all;
}

void t_junit_free(t_junit *j)
{
    for (int i = 0; i < j->n_suites; i++) {
        t_junit_suite *s = &j->suites[i];
        for (int k = 0; k < s->n_cases; k++) {
            t_junit_case *c = &s->cases[k];
            free(c->name), free(c->classname), free(c->type), free(c->message), free(c->detail), free(c->out);
        }
        for (int k = 0; k < s->n_props; k++) free(s->props[k].name), free(s->props[k].value);
        free(s->cases), free(s->props), free(s->name);
    }
    free(j->suites);
    j->suites = NULL, j->n_suites = 0;
}

/* s as text XML 1.0 can hold: each valid UTF-8 character that is an XML Char is kept (written
 * again from its code point, so an overlong form cannot pass), anything else becomes U+FFFD.
 * Logs may hold a stray byte of another encoding or a terminal's escape codes; a report that
 * does not parse would hide every result in it. */
static xmlChar *xml_text(const char *s)
{
    size_t n = strlen(s);
    xmlChar *out = malloc(n * 3 + 1), *o = out; /* U+FFFD for a byte is its most growth */
    if (!out) return NULL;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        int len = end - p > 4 ? 4 : (int)(end - p);
        int c = xmlGetUTF8Char(p, &len);
        if (c >= 0 && xmlIsCharQ(c)) {
            o += xmlCopyCharMultiByte(o, c);
            p += len;
        } else {
            o += xmlCopyCharMultiByte(o, 0xFFFD);
            p++;
        }
    }
    *o = 0;
    return out;
}

typedef struct {
    xmlTextWriterPtr w;
    int bad; /* a libxml2 call failed (out of memory) */
} writer;

static void attr(writer *x, const char *name, const char *value)
{
    xmlChar *v = xml_text(value);
    if (!v || xmlTextWriterWriteAttribute(x->w, BAD_CAST name, v) < 0) x->bad = 1;
    free(v);
}

static void attr_int(writer *x, const char *name, int value)
{
    if (xmlTextWriterWriteFormatAttribute(x->w, BAD_CAST name, "%d", value) < 0) x->bad = 1;
}

static void attr_time(writer *x, double seconds)
{
    if (seconds >= 0 && xmlTextWriterWriteFormatAttribute(x->w, BAD_CAST "time", "%.3f", seconds) < 0) x->bad = 1;
}

static void start(writer *x, const char *element)
{
    if (xmlTextWriterStartElement(x->w, BAD_CAST element) < 0) x->bad = 1;
}

static void end(writer *x)
{
    if (xmlTextWriterEndElement(x->w) < 0) x->bad = 1;
}

static void text(writer *x, const char *s)
{
    xmlChar *v = xml_text(s);
    if (!v || xmlTextWriterWriteString(x->w, v) < 0) x->bad = 1;
    free(v);
}

/* <name>s</name>, when s is set */
static void text_element(writer *x, const char *name, const char *s)
{
    if (!s) return;
    start(x, name);
    text(x, s);
    end(x);
}

static const char *const OUTCOME[] = {[T_JUNIT_FAIL] = "failure", [T_JUNIT_ERROR] = "error", [T_JUNIT_SKIP] = "skipped"};

static void write_case(writer *x, const t_junit_case *c)
{
    start(x, "testcase");
    attr(x, "name", c->name);
    attr(x, "classname", c->classname);
    attr_time(x, c->time);
    if (c->status != T_JUNIT_PASS) {
        start(x, OUTCOME[c->status]);
        if (c->message) attr(x, "message", c->message);
        if (c->type && c->status != T_JUNIT_SKIP) attr(x, "type", c->type);
        if (c->detail) text(x, c->detail);
        end(x);
    }
    text_element(x, "system-out", c->out);
    end(x);
}

static void write_counts(writer *x, t_junit_counts k)
{
    attr_int(x, "tests", k.tests);
    attr_int(x, "failures", k.failures);
    attr_int(x, "errors", k.errors);
    attr_int(x, "skipped", k.skipped);
}

static void write_suite(writer *x, const t_junit_suite *s)
{
    start(x, "testsuite");
    attr(x, "name", s->name);
    write_counts(x, t_junit_suite_counts(s));
    attr_time(x, s->time);
    if (s->n_props) {
        start(x, "properties");
        for (int i = 0; i < s->n_props; i++) {
            start(x, "property");
            attr(x, "name", s->props[i].name);
            attr(x, "value", s->props[i].value);
            end(x);
        }
        end(x);
    }
    for (int i = 0; i < s->n_cases; i++) write_case(x, &s->cases[i]);
    end(x);
}

int t_junit_write(const t_junit *j, const char *path, char *err, size_t errlen)
{
    xmlBufferPtr buf = xmlBufferCreate();
    writer x = {buf ? xmlNewTextWriterMemory(buf, 0) : NULL, 0};
    if (!x.w) {
        xmlBufferFree(buf);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    xmlTextWriterSetIndent(x.w, 1);
    xmlTextWriterSetIndentString(x.w, BAD_CAST "  ");
    if (xmlTextWriterStartDocument(x.w, NULL, "UTF-8", NULL) < 0) x.bad = 1;
    start(&x, "testsuites");
    attr(&x, "name", "make verify");
    write_counts(&x, t_junit_counts_of(j));
    for (int i = 0; i < j->n_suites; i++) write_suite(&x, &j->suites[i]);
    end(&x);
    if (xmlTextWriterEndDocument(x.w) < 0) x.bad = 1;
    xmlFreeTextWriter(x.w); /* flushes into buf */
    int rc = -1;
    if (x.bad) snprintf(err, errlen, "%s: out of memory while writing the XML; not written", path);
    else rc = replace_file(path, (const char *)xmlBufferContent(buf), (size_t)xmlBufferLength(buf), err, errlen);
    xmlBufferFree(buf);
    return rc;
}
