/* The golden suite's result table: per stage, how many clips passed, the worst errors and the
 * headroom, printed for the CI log and written as JSON. Stages keep the order they are first
 * added in (the data-flow order), so the first failing row is the first broken stage. */
#ifndef T_SUITE_H
#define T_SUITE_H

#include "diff.h"

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct t_suite t_suite;

t_suite *t_suite_new(const char *title);
void t_suite_free(t_suite *s);

/* Records one (stage, clip) comparison and prints a FAIL line when it did not pass.
 * Returns d->pass. */
int t_suite_add(t_suite *s, const char *stage, const char *clip, const t_diff *d, t_tol tol);

/* Prints the table and, if any, the first failing stage with its worst clip. */
void t_suite_print(const t_suite *s);

/* Every result as JSON: {title, failures, stages: [{stage, atol, rtol, clips, passed,
 * results: [{clip, pass, elements, bad, max_abs, max_rel, nmse, cosine, headroom}]}]}
 * (a non-finite headroom as 1e300). The caller frees it. */
cJSON *t_suite_json(const t_suite *s);

/* Writes root to path whole or not at all (a temporary file renamed over it); 0, or -1 with a
 * line on stderr naming the file. */
int t_json_write_file(const cJSON *root, const char *path);

/* t_suite_json(s) written to path. */
int t_suite_write_json(const t_suite *s, const char *path);

/* Where make verify's tables go: build/verify/<kind>.<model>.json, model being the golden
 * index's "model", so the pass on another model keeps the first pass's tables beside it. */
void t_suite_json_path(char *buf, size_t n, const char *kind, const char *model);

int t_suite_failures(const t_suite *s);

#endif
