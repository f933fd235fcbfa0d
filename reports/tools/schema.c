/* The report's JSON files checked against a schema written as JSON (forms in report_schema.json). */
#include "schema.h"

#include "../../engine/io/json_file.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *where, const char *what)
{
    snprintf(err, errlen, "%s: %s", where[0] ? where : "(top level)", what);
    return -1;
}

static int check(const cJSON *schema, const cJSON *spec, const cJSON *v, char *where, size_t wlen, char *err,
                 size_t errlen, int depth);

/* Checks a child, with ".key" or "[i]" appended to the path while it is checked. */
static int child(const cJSON *schema, const cJSON *spec, const cJSON *v, char *where, size_t wlen, const char *key,
                 int index, char *err, size_t errlen, int depth)
{
    size_t n = strlen(where);
    if (key) snprintf(where + n, wlen - n, "%s%s", n ? "." : "", key);
    else snprintf(where + n, wlen - n, "[%d]", index);
    int rc = check(schema, spec, v, where, wlen, err, errlen, depth + 1);
    where[n] = 0;
    return rc;
}

static int range(const cJSON *spec_range, const cJSON *v, int want_int, const char *where, char *err, size_t errlen)
{
    char msg[160];
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return fail(err, errlen, where, want_int ? "must be an integer" : "must be a number");
    if (want_int && v->valuedouble != floor(v->valuedouble)) return fail(err, errlen, where, "must be an integer");
    if (cJSON_IsArray(spec_range)) {
        double lo = cJSON_GetArrayItem(spec_range, 0)->valuedouble, hi = cJSON_GetArrayItem(spec_range, 1)->valuedouble;
        if (v->valuedouble < lo || v->valuedouble > hi) {
            snprintf(msg, sizeof msg, "%g is outside %g..%g", v->valuedouble, lo, hi);
            return fail(err, errlen, where, msg);
        }
    }
    return 0;
}

static int check(const cJSON *schema, const cJSON *spec, const cJSON *v, char *where, size_t wlen, char *err,
                 size_t errlen, int depth)
{
    if (depth > 32 || !spec) return fail(err, errlen, where, "schema error: nesting too deep or spec missing");
    if (cJSON_IsString(spec)) {
        const char *t = spec->valuestring;
        if (!strcmp(t, "string")) return cJSON_IsString(v) ? 0 : fail(err, errlen, where, "must be a string");
        if (!strcmp(t, "bool")) return cJSON_IsBool(v) ? 0 : fail(err, errlen, where, "must be true or false");
        if (!strcmp(t, "int")) return range(NULL, v, 1, where, err, errlen);
        if (!strcmp(t, "number")) return range(NULL, v, 0, where, err, errlen);
        return fail(err, errlen, where, "schema error: unknown type");
    }
    const cJSON *form = spec->child;
    if (!cJSON_IsObject(spec) || !form) return fail(err, errlen, where, "schema error: bad spec");
    const char *k = form->string;
    if (!strcmp(k, "int") || !strcmp(k, "number")) return range(form, v, k[0] == 'i', where, err, errlen);
    if (!strcmp(k, "nullable")) return cJSON_IsNull(v) ? 0 : check(schema, form, v, where, wlen, err, errlen, depth + 1);
    if (!strcmp(k, "$ref"))
        return check(schema, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(schema, "types"),
                                                              form->valuestring),
                     v, where, wlen, err, errlen, depth + 1);
    if (!strcmp(k, "enum")) {
        const cJSON *e;
        if (cJSON_IsString(v)) cJSON_ArrayForEach(e, form) if (!strcmp(e->valuestring, v->valuestring)) return 0;
        return fail(err, errlen, where, "is not one of the allowed strings");
    }
    if (!strcmp(k, "array")) {
        if (!cJSON_IsArray(v)) return fail(err, errlen, where, "must be an array");
        int i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, v) if (child(schema, form, e, where, wlen, NULL, i++, err, errlen, depth)) return -1;
        return 0;
    }
    if (!strcmp(k, "map")) {
        if (!cJSON_IsObject(v)) return fail(err, errlen, where, "must be an object");
        const cJSON *e;
        cJSON_ArrayForEach(e, v) if (child(schema, form, e, where, wlen, e->string, 0, err, errlen, depth)) return -1;
        return 0;
    }
    if (!strcmp(k, "object")) {
        if (!cJSON_IsObject(v)) return fail(err, errlen, where, "must be an object");
        const cJSON *f, *e;
        char msg[200];
        cJSON_ArrayForEach(e, v) /* no field the schema does not know, none twice */
        {
            if (!cJSON_GetObjectItemCaseSensitive(form, e->string))
                return snprintf(msg, sizeof msg, "unknown field \"%.100s\"", e->string), fail(err, errlen, where, msg);
            for (const cJSON *x = e->next; x; x = x->next)
                if (!strcmp(x->string, e->string))
                    return snprintf(msg, sizeof msg, "field \"%.100s\" twice", e->string), fail(err, errlen, where, msg);
        }
        cJSON_ArrayForEach(f, form)
        {
            const cJSON *fs = f, *x = cJSON_GetObjectItemCaseSensitive(v, f->string);
            int optional = cJSON_IsObject(f) && f->child && !strcmp(f->child->string, "optional");
            if (optional) fs = f->child;
            if (!x) {
                if (optional) continue;
                return snprintf(msg, sizeof msg, "missing field \"%.100s\"", f->string), fail(err, errlen, where, msg);
            }
            if (child(schema, fs, x, where, wlen, f->string, 0, err, errlen, depth)) return -1;
        }
        return 0;
    }
    return fail(err, errlen, where, "schema error: unknown form");
}

int schema_check(const cJSON *schema, const cJSON *spec, const cJSON *value, const char *where, char *err,
                    size_t errlen)
{
    char path[1024];
    char msg[1024];
    path[0] = 0;
    if (!check(schema, spec, value, path, sizeof path, msg, sizeof msg, 0)) return 0;
    snprintf(err, errlen, "%s: %s", where, msg);
    return -1;
}

cJSON *schema_load(const char *path, char *err, size_t errlen)
{
    cJSON *s = wl_json_read_object(path, err, errlen);
    if (s && !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(s, "files"))) {
        snprintf(err, errlen, "%s: no \"files\" object", path);
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

cJSON *schema_read(const cJSON *schema, const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(schema, "files"), name);
    if (!spec) return snprintf(err, errlen, "%s: the schema does not describe this file", path), NULL;
    cJSON *v = wl_json_read_object(path, err, errlen);
    if (v && schema_check(schema, spec, v, path, err, errlen)) cJSON_Delete(v), v = NULL;
    return v;
}
