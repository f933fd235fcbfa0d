/* Strict reading of the report's JSON files against reports/report_schema.json: every field
 * present with its type and range, no field unknown. */
#ifndef SCHEMA_H
#define SCHEMA_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Loads the schema file (NULL with err on failure). */
cJSON *schema_load(const char *path, char *err, size_t errlen);

/* Reads dir/name and checks it against the schema's entry for name. Returns the parsed file
 * (free with cJSON_Delete), or NULL with err "<dir/name>: <json path>: <problem>". */
cJSON *schema_read(const cJSON *schema, const char *dir, const char *name, char *err, size_t errlen);

/* Checks a parsed value against a spec of the schema (for tests). 0, or -1 with err. */
int schema_check(const cJSON *schema, const cJSON *spec, const cJSON *value, const char *where, char *err,
                    size_t errlen);

#endif
