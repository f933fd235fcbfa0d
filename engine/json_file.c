#include "json_file.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>

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
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        if (wl_oom_take()) wl_fail(err, errlen, "%s: out of memory", path);
        else wl_fail(err, errlen, "%s: not a valid JSON object", path);
        return NULL;
    }
    return root;
}
