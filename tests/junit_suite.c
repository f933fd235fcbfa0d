/* A golden-suite table (tests/suite.h's JSON, build/verify/<kind>.<model>.json) as JUnit test
 * cases: one per stage, and one per decoding mode where the table has "modes". The numbers in
 * a failure's message are the table's: the CI page then says which stage broke and by how much
 * without the log. */
#include "junit.h"

#include "../engine/io/json_file.h"

#include <cjson/cJSON.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *path;
    char *err;
    size_t errlen;
    int bad; /* a field was missing or of the wrong type: err says which */
} reader;

static const cJSON *field(reader *r, const cJSON *o, const char *where, const char *key, int (*is)(const cJSON *))
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!r->bad && !is(v)) {
        snprintf(r->err, r->errlen, "%s: %s has no %s of the right type", r->path, where, key);
        r->bad = 1;
    }
    return r->bad ? NULL : v;
}

static double number(reader *r, const cJSON *o, const char *where, const char *key)
{
    const cJSON *v = field(r, o, where, key, cJSON_IsNumber);
    return v ? v->valuedouble : 0;
}

static const char *string(reader *r, const cJSON *o, const char *where, const char *key)
{
    const cJSON *v = field(r, o, where, key, cJSON_IsString);
    return v ? v->valuestring : "";
}

/* A malloc'd formatted string, NULL when out of memory. */
static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    return n < 0 ? NULL : s;
}

static int out_of_memory(reader *r)
{
    if (!r->bad) snprintf(r->err, r->errlen, "%s: out of memory", r->path);
    r->bad = 1;
    return -1;
}

/* A headroom of 1e300 stands for a non-finite one (suite.c). */
static void put_headroom(FILE *f, double h)
{
    if (h >= 1e300) fputs("non-finite", f);
    else fprintf(f, "%.3g", h);
}

typedef struct {
    double max_abs, max_rel, headroom; /* the worst over the clips */
    const char *worst;                 /* the clip with that headroom */
    int failing;
} stage_stats;

/* The worst numbers over a stage's clips; a line per failing clip to detail. */
static stage_stats scan_results(reader *r, const cJSON *results, const char *where, FILE *detail)
{
    stage_stats t = {0, 0, -1, "-", 0};
    const cJSON *res;
    int k = 0;
    cJSON_ArrayForEach(res, results)
    {
        char w[96];
        snprintf(w, sizeof w, "%s.results[%d]", where, k++);
        const char *clip = string(r, res, w, "clip");
        const cJSON *pass = field(r, res, w, "pass", cJSON_IsBool);
        double el = number(r, res, w, "elements"), bad = number(r, res, w, "bad"), ma = number(r, res, w, "max_abs"),
               mr = number(r, res, w, "max_rel"), nmse = number(r, res, w, "nmse"), cos = number(r, res, w, "cosine"),
               h = number(r, res, w, "headroom");
        if (r->bad) break;
        if (ma > t.max_abs) t.max_abs = ma;
        if (mr > t.max_rel) t.max_rel = mr;
        if (h > t.headroom) t.headroom = h, t.worst = clip;
        if (cJSON_IsTrue(pass)) continue;
        t.failing++;
        fprintf(detail, "clip %s: %.0f of %.0f elements out of tolerance; max-abs %.3g, max-rel %.3g, nmse %.3g, "
                        "cosine %.7f, headroom ", clip, bad, el, ma, mr, nmse, cos);
        put_headroom(detail, h);
        fputc('\n', detail);
    }
    if (t.headroom < 0) t.headroom = 0;
    return t;
}

/* One stage's case: failed when a clip is out of tolerance or its drift check says so. */
static int stage_case(reader *r, t_junit_suite *s, const char *classname, const cJSON *st, int index)
{
    char where[64];
    snprintf(where, sizeof where, "stages[%d]", index);
    const char *name = string(r, st, where, "stage");
    double atol = number(r, st, where, "atol"), rtol = number(r, st, where, "rtol");
    int clips = (int)number(r, st, where, "clips"), passed = (int)number(r, st, where, "passed");
    const cJSON *results = field(r, st, where, "results", cJSON_IsArray);
    if (r->bad) return -1;
    char *detail = NULL, *numbers = NULL;
    size_t dn = 0, nn = 0;
    FILE *d = open_memstream(&detail, &dn), *m = open_memstream(&numbers, &nn);
    stage_stats t = {0};
    if (d && m) {
        t = scan_results(r, results, where, d);
        fprintf(m, "%d/%d clips passed; worst max-abs %.3g, max-rel %.3g; headroom ", passed, clips, t.max_abs, t.max_rel);
        put_headroom(m, t.headroom);
        fprintf(m, " at clip %s (atol %g, rtol %g)", t.worst, atol, rtol);
    }
    int oom = !d || !m;
    if (d && fclose(d)) oom = 1;
    if (m && fclose(m)) oom = 1;
    /* the drift check against a committed baseline, where the table has it */
    const cJSON *drift = cJSON_GetObjectItemCaseSensitive(st, "drift");
    const char *drift_msg = "", *verdict = NULL;
    int drift_fail = 0;
    if (!r->bad && drift) {
        char w[96];
        snprintf(w, sizeof w, "%s.drift", where);
        drift_fail = cJSON_IsTrue(field(r, drift, w, "fail", cJSON_IsBool));
        verdict = string(r, drift, w, "verdict");
        drift_msg = string(r, drift, w, "message");
    }
    int out_of_tol = t.failing || passed < clips;
    t_junit_case *c = oom || r->bad ? NULL : t_junit_add_case(s, name, classname);
    if (c) {
        c->out = verdict ? format("%s; drift: %s", numbers, verdict) : strdup(numbers);
        if (out_of_tol || drift_fail) {
            c->status = T_JUNIT_FAIL;
            c->type = strdup(out_of_tol && drift_fail ? "tolerance, drift" : out_of_tol ? "tolerance" : "drift");
            c->message = !drift_fail ? strdup(numbers)
                       : out_of_tol ? format("%s; drift (%s): %s", numbers, verdict, drift_msg)
                                    : format("drift (%s): %s", verdict, drift_msg);
            c->detail = detail, detail = NULL;
            oom = !c->type || !c->message;
        }
        oom |= !c->out;
    }
    free(detail), free(numbers);
    return r->bad ? -1 : oom || !c ? out_of_memory(r) : 0;
}

/* A decoding mode's case (test_decode's per-mode table). */
static int mode_case(reader *r, t_junit_suite *s, const char *classname, const cJSON *mo, int index)
{
    char where[64];
    snprintf(where, sizeof where, "modes[%d]", index);
    const char *name = string(r, mo, where, "mode");
    if (r->bad) return -1;
    t_junit_case *c = t_junit_add_case(s, name, classname);
    if (!c) return out_of_memory(r);
    const cJSON *skipped = cJSON_GetObjectItemCaseSensitive(mo, "skipped");
    if (cJSON_IsString(skipped)) {
        c->status = T_JUNIT_SKIP;
        return (c->message = strdup(skipped->valuestring)) ? 0 : out_of_memory(r);
    }
    int clips = (int)number(r, mo, where, "clips"), equal = (int)number(r, mo, where, "equal"),
        ties = (int)number(r, mo, where, "tie_clips"), failed = (int)number(r, mo, where, "failed"),
        steps = (int)number(r, mo, where, "steps"), tie_steps = (int)number(r, mo, where, "tie_steps");
    const cJSON *ids = field(r, mo, where, "failed_clips", cJSON_IsArray), *id;
    if (r->bad) return -1;
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    if (!f) return out_of_memory(r);
    fprintf(f, "%d of %d clips failed; %d equal to HF's sequence, %d different only at ties; %d steps, %d at ties",
            failed, clips, equal, ties, steps, tie_steps);
    const char *sep = "; failing clips: ";
    cJSON_ArrayForEach(id, ids) fprintf(f, "%s%s", sep, cJSON_IsString(id) ? id->valuestring : "?"), sep = ", ";
    if (fclose(f)) return out_of_memory(r);
    if (failed) {
        c->status = T_JUNIT_FAIL;
        c->message = text;
        if (!(c->type = strdup("sequence"))) return out_of_memory(r);
    } else
        c->out = text;
    return 0;
}

int t_junit_add_suite_json(t_junit *j, const char *path, char *err, size_t errlen)
{
    reader r = {path, err, errlen, 0};
    cJSON *root = wl_json_read_object(path, err, errlen);
    if (!root) return -1;
    /* <kind>.<model>.json: the kind up to the first dot, the model up to ".json" */
    char *copy = strdup(path), kind[256], model[512] = "";
    if (!copy) return cJSON_Delete(root), out_of_memory(&r);
    const char *base = basename(copy), *dot = strchr(base, '.'), *ext = strrchr(base, '.');
    snprintf(kind, sizeof kind, "%.*s", (int)((dot ? dot : base + strlen(base)) - base), base);
    if (dot && ext > dot) snprintf(model, sizeof model, "%.*s", (int)(ext - dot - 1), dot + 1);
    free(copy);
    char name[800], modes_name[820];
    snprintf(name, sizeof name, "%s%s%s", model, *model ? "." : "", kind);
    snprintf(modes_name, sizeof modes_name, "%s_modes", name);

    const char *title = string(&r, root, "the table", "title");
    const cJSON *stages = field(&r, root, "the table", "stages", cJSON_IsArray), *st;
    t_junit_suite *s = r.bad ? NULL : t_junit_add_suite(j, name);
    if (!r.bad && (!s || t_junit_add_property(s, "file", path) || t_junit_add_property(s, "title", title)))
        out_of_memory(&r);
    int i = 0;
    cJSON_ArrayForEach(st, stages) if (r.bad || stage_case(&r, s, name, st, i++)) break;

    const cJSON *modes = cJSON_GetObjectItemCaseSensitive(root, "modes"), *mo;
    if (!r.bad && modes) {
        if (!cJSON_IsArray(modes)) snprintf(err, errlen, "%s: modes is not an array", path), r.bad = 1;
        t_junit_suite *ms = r.bad ? NULL : t_junit_add_suite(j, modes_name);
        if (!r.bad && (!ms || t_junit_add_property(ms, "file", path))) out_of_memory(&r);
        i = 0;
        cJSON_ArrayForEach(mo, modes) if (r.bad || mode_case(&r, ms, modes_name, mo, i++)) break;
    }
    cJSON_Delete(root);
    return r.bad ? -1 : 0;
}
