/* Reading a JSON file whose top level must be an object (configs, tokenizer files, markers). */
#ifndef WL_JSON_FILE_H
#define WL_JSON_FILE_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* The parsed object (free with cJSON_Delete), or NULL with err "<path>: not a valid JSON object"
 * or the read error (wl_read_file's limits apply). */
cJSON *wl_json_read_object(const char *path, char *err, size_t errlen);

/* cJSON's allocations, from now on in the whole process, note a failure (wl_oom_note), so a
 * parse or a document that could not be built says "out of memory" rather than "not valid". */
void wl_json_track_memory(void);

#endif
