/* The golden suite's result table: per stage, how many clips passed, the worst errors and the
 * headroom, printed for the CI log and written as JSON. Stages keep the order they are first
 * added in (the data-flow order), so the first failing row is the first broken stage. */
#ifndef T_SUITE_H
#define T_SUITE_H

#include "diff.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* Bytes kept of a result's fingerprint (SHA-256 truncated: 64 bits tell a change apart). */
#define T_BITS_BYTES 8

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

/* Names the suite for its baseline (key: "stages", "decode", ...) and the kernel path it ran on;
 * both are written to the JSON. */
void t_suite_describe(t_suite *s, const char *key, const char *kernel_path);
const char *t_suite_key(const t_suite *s);
const char *t_suite_kernel_path(const t_suite *s);

/* Folds the engine's own output for (stage, clip) into that result's fingerprint, after
 * t_suite_add: a chained SHA-256, so several arrays may be given in turn. -1 if no such result. */
int t_suite_fingerprint(t_suite *s, const char *stage, const char *clip, const void *data, size_t bytes);

/* Per row, what a baseline judges: the worst max-abs and the mean NMSE over the clips. */
typedef struct {
    const char *stage;
    int clips;
    double max_abs, nmse;
} t_row_stats;

int t_suite_rows(const t_suite *s);
t_row_stats t_suite_row_stats(const t_suite *s, int row);

/* Clip k of a row: returns its id; hex gets its fingerprint ("" when none was given). */
const char *t_suite_row_clip(const t_suite *s, int row, int k, char hex[2 * T_BITS_BYTES + 1]);

/* The row's standing against the baseline, printed beside it; fail: drifted over its budget. */
void t_suite_set_drift(t_suite *s, int row, const char *text, int fail);
int t_suite_drift_failures(const t_suite *s);

#endif
