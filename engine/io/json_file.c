#include "json_file.h"
#include "../base/strmap.h"
#include "../base/util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A number written "50256.0" or "5e4" is a float in Python: HF fails on it where it wants an
 * id or a size (or, as a dict key, silently finds nothing). cJSON keeps only the value, so such
 * numbers are marked here: valuestring (unused by numbers, freed by cJSON_Delete) set to "float".
 * The text's number literals and the tree's number nodes are both met in document order. */
static const char *next_number(const char *p, const char *end, int *is_float)
{
    for (; p < end; p++) {
        if (*p == '"') { /* a string (keys included): skip it, escapes too */
            for (p++; p < end && *p != '"'; p++)
                if (*p == '\\') p++;
            continue;
        }
        if (*p == '-' || (*p >= '0' && *p <= '9')) {
            *is_float = 0;
            for (; p < end && strchr("+-.eE0123456789", *p); p++)
                if (*p == '.' || *p == 'e' || *p == 'E') *is_float = 1;
            return p;
        }
    }
    return NULL;
}

static int mark_floats(cJSON *node, const char **p, const char *end)
{
    for (; node; node = node->next) {
        if (cJSON_IsNumber(node)) {
            int is_float = 0;
            const char *q = next_number(*p, end, &is_float);
            if (!q) return 0; /* cannot happen for text cJSON parsed; then nothing is marked */
            *p = q;
            if (is_float && !(node->valuestring = strdup("float"))) return -1;
        }
        if (node->child && mark_floats(node->child, p, end)) return -1;
    }
    return 0;
}

int wl_json_is_int(const cJSON *v)
{
    return cJSON_IsNumber(v) && !v->valuestring && v->valuedouble == (double)(long long)v->valuedouble;
}

/* Python's dict keeps the last value of a repeated key; cJSON's lookups find the first. The
 * earlier ones are deleted, in every object of the tree. Returns -1 when out of memory. */
static int drop_repeated_keys(cJSON *node)
{
    for (; node; node = node->next) {
        if (!node->child) continue;
        if (drop_repeated_keys(node->child)) return -1;
        if (!cJSON_IsObject(node)) continue;
        int n = cJSON_GetArraySize(node), i = 0;
        wl_strmap seen;
        cJSON **items = malloc((size_t)(n ? n : 1) * sizeof *items);
        if (!items || wl_strmap_init(&seen, (size_t)n)) return free(items), -1;
        int rc = 0;
        for (cJSON *c = node->child; c && !rc; c = c->next, i++) {
            items[i] = c;
            int before = wl_strmap_get(&seen, c->string, strlen(c->string), -1);
            if (before >= 0) items[before] = NULL; /* superseded */
            rc = wl_strmap_put(&seen, c->string, strlen(c->string), i);
        }
        i = 0; /* the superseded children deleted in one walk */
        for (cJSON *c = node->child, *next; c && !rc; c = next, i++) {
            next = c->next;
            if (!items[i]) cJSON_Delete(cJSON_DetachItemViaPointer(node, c));
        }
        wl_strmap_free(&seen);
        free(items);
        if (rc) return -1;
    }
    return 0;
}

static void *noting_malloc(size_t n)
{
    void *p = malloc(n);
    if (!p) wl_oom_note();
    return p;
}

static void track(void) { cJSON_InitHooks(&(cJSON_Hooks){noting_malloc, free}); }

void wl_json_track_memory(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, track);
}

cJSON *wl_json_read_object(const char *path, char *err, size_t errlen)
{
    size_t len;
    char *text = wl_read_file(path, &len, err, errlen);
    if (!text) return NULL;
    wl_json_track_memory();
    wl_oom_take(); /* a note from before is not this file's */
    const char *end = NULL, *p = text;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        free(text);
        if (wl_oom_take()) wl_fail(err, errlen, "%s: out of memory", path);
        else wl_fail(err, errlen, "%s: not a valid JSON object", path);
        return NULL;
    }
    /* json.loads allows only whitespace after the value. */
    size_t at = (size_t)(end - text);
    while (at < len && strchr(" \t\r\n", text[at]) && text[at]) at++;
    if (at < len) {
        cJSON_Delete(root);
        free(text);
        wl_fail(err, errlen, "%s: text after the JSON object at byte %zu", path, at);
        return NULL;
    }
    int oom = mark_floats(root, &p, text + len) || drop_repeated_keys(root);
    free(text);
    if (oom) {
        cJSON_Delete(root);
        wl_fail(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    return root;
}
