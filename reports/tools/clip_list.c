#include "clip_list.h"

#include "../../engine/io/json_file.h"
#include "../../engine/base/util.h"

#include <string.h>

int clip_list_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int len = *p < 0x80 ? 1 : *p >= 0xC2 && *p <= 0xDF ? 2 : *p >= 0xE0 && *p <= 0xEF ? 3 : *p >= 0xF0 && *p <= 0xF4 ? 4 : 0;
        if (!len) return 0;
        /* the second byte's range rules out overlong forms, surrogates and > U+10FFFF */
        unsigned lo = *p == 0xE0 ? 0xA0 : *p == 0xF0 ? 0x90 : 0x80, hi = *p == 0xED ? 0x9F : *p == 0xF4 ? 0x8F : 0xBF;
        if (len > 1 && (p[1] < lo || p[1] > hi)) return 0;
        for (int k = 2; k < len; k++)
            if ((p[k] & 0xC0) != 0x80) return 0;
        p += len;
    }
    return 1;
}

static int has_word(const char *s) { return s[strspn(s, " \t\r\n")] != 0; }

static int good_id(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 32 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

/* Entry i of list `group`: its fields, as the lab and the manifest use them. */
static int check_entry(const cJSON *e, const char *group, int i, int is_error, const char *path, char *err,
                       size_t errlen)
{
    if (!cJSON_IsObject(e)) return wl_fail(err, errlen, "%s: %s[%d] is not an object", path, group, i);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
    if (!cJSON_IsString(id) || !good_id(id->valuestring))
        return wl_fail(err, errlen, "%s: %s[%d] needs an \"id\" of 1 to 32 letters, digits, '-' or '_'", path, group, i);
    const char *c = id->valuestring;
    static const char *const required[] = {"sentence", "file", "correct"};
    for (int k = 0; k < (is_error ? 3 : 2); k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, required[k]);
        if (!cJSON_IsString(v) || !has_word(v->valuestring))
            return wl_fail(err, errlen, "%s: clip \"%s\": \"%s\" is missing or empty", path, c, required[k]);
    }
    /* every string is copied into the report's JSON, which must stay valid */
    const cJSON *v;
    cJSON_ArrayForEach(v, e)
    {
        if (!clip_list_utf8(v->string) || (cJSON_IsString(v) && !clip_list_utf8(v->valuestring)))
            return wl_fail(err, errlen, "%s: clip \"%s\": \"%s\" is not valid UTF-8", path, c,
                           clip_list_utf8(v->string) ? v->string : "a key");
    }
    return 0;
}

cJSON *clip_list_read(const char *path, const char *audio_dir, char *err, size_t errlen)
{
    if (!clip_list_utf8(audio_dir)) {
        wl_fail(err, errlen, "%s: the audio folder's name is not valid UTF-8 (the report's JSON names the clips' "
                "paths)", audio_dir);
        return NULL;
    }
    cJSON *spec = wl_json_read_object(path, err, errlen);
    if (!spec) return NULL;
    static const char *const groups[] = {"clips", "grammar_errors"};
    const cJSON *g[2] = {cJSON_GetObjectItemCaseSensitive(spec, "clips"),
                         cJSON_GetObjectItemCaseSensitive(spec, "grammar_errors")};
    int rc = 0;
    if (!cJSON_IsArray(g[0]) || (g[1] && !cJSON_IsNull(g[1]) && !cJSON_IsArray(g[1])))
        rc = wl_fail(err, errlen, "%s: \"clips\" (and \"grammar_errors\", if present) must be lists", path);
    else if (cJSON_GetArraySize(g[0]) == 0)
        rc = wl_fail(err, errlen, "%s: \"clips\" is empty: a report over no clips says nothing", path);
    for (int k = 0; k < 2 && !rc; k++) {
        const cJSON *e, *list = cJSON_IsArray(g[k]) ? g[k] : NULL;
        int i = 0;
        cJSON_ArrayForEach(e, list)
        {
            if ((rc = check_entry(e, groups[k], i++, k == 1, path, err, errlen))) break;
        }
    }
    /* ids name the heatmaps and key every file: one id, one clip (both lists together) */
    for (int k = 0; k < 2 && !rc; k++) {
        const cJSON *e, *f, *list = cJSON_IsArray(g[k]) ? g[k] : NULL;
        cJSON_ArrayForEach(e, list)
        {
            const char *id = cJSON_GetObjectItemCaseSensitive(e, "id")->valuestring;
            for (int j = k; j < 2 && !rc; j++)
                for (f = j == k ? e->next : cJSON_IsArray(g[j]) ? g[j]->child : NULL; f && !rc; f = f->next)
                    if (!strcmp(id, cJSON_GetObjectItemCaseSensitive(f, "id")->valuestring))
                        rc = wl_fail(err, errlen, "%s: clip id \"%s\" appears twice", path, id);
            if (rc) break;
        }
    }
    if (rc) cJSON_Delete(spec), spec = NULL;
    return spec;
}
