/* Reading a JSON file whose top level must be an object (configs, tokenizer files, markers), as
 * Python's json module (which HF reads them with) would: the last of a repeated key wins, text
 * after the object is an error, and a number written with a fraction or an exponent is a float. */
#ifndef WL_JSON_FILE_H
#define WL_JSON_FILE_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* The parsed object (free with cJSON_Delete), or NULL with err "<path>: not a valid JSON object",
 * "<path>: text after the JSON object at byte N" or the read error (wl_read_file's limits apply).
 * Of a key repeated in one object only the last is kept. */
cJSON *wl_json_read_object(const char *path, char *err, size_t errlen);

/* Whether v is a number Python reads as an int: written without fraction or exponent (of a
 * wl_json_read_object tree; other trees have no such mark, and any integral number passes). */
int wl_json_is_int(const cJSON *v);

/* cJSON's allocations, from now on in the whole process, note a failure (wl_oom_note), so a
 * parse or a document that could not be built says "out of memory" rather than "not valid". */
void wl_json_track_memory(void);

#endif
