#include "json_file.h"
#include "util.h"

#include <stdlib.h>

cJSON *wl_json_read_object(const char *path, char *err, size_t errlen)
{
    size_t len;
    char *text = wl_read_file(path, &len, err, errlen);
    if (!text) return NULL;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        wl_fail(err, errlen, "%s: not a valid JSON object", path);
        return NULL;
    }
    return root;
}
