/* Reading a JSON file whose top level must be an object (configs, tokenizer files, markers). */
#ifndef WL_JSON_FILE_H
#define WL_JSON_FILE_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* The parsed object (free with cJSON_Delete), or NULL with err "<path>: not a valid JSON object"
 * or the read error (wl_read_file's limits apply). */
cJSON *wl_json_read_object(const char *path, char *err, size_t errlen);

#endif
