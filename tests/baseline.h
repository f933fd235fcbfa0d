/* The committed baseline of a golden folder (tests/baselines/<folder>.tsv) and the drift budgets
 * (tests/drift.tsv).
 *
 * A baseline holds, per suite ("stages", "stages_edge", "decode", "decode_steps"), stage and kernel
 * path, the worst max-abs and the mean NMSE against HF over the clips, and the engine's own bits
 * per clip (a fingerprint of what it computed). make verify judges every stage against it: the same
 * bits, or the error now as a multiple of the baseline's, failing beyond the stage's budget even
 * inside tolerance. Each run leaves its own record in build/verify/baseline/; make baseline merges
 * those records in with the commit and a reason, so the file's git history is the error history. */
#ifndef T_BASELINE_H
#define T_BASELINE_H

#include "stage_table.h"
#include "suite.h"

#include <stddef.h>

typedef struct t_baseline t_baseline;

/* tests/baselines/<golden folder name>.tsv */
void t_baseline_file(const char *golden_dir, char *out, size_t outlen);

/* Loads path; a missing file is an empty baseline. -1 with err naming the file and line when a
 * line is malformed. */
int t_baseline_load(const char *path, t_baseline **b, char *err, size_t errlen);
void t_baseline_free(t_baseline *b);
int t_baseline_empty(const t_baseline *b);
/* When and why it was measured: "<commit> <date> <reason>" ("" when none). */
const char *t_baseline_measured(const t_baseline *b);

/* Judges every row of s against b with the budgets: each row's drift text says "same bits", or
 * how its error compares, or that there is nothing to compare with. Rows of a kernel path the
 * baseline lacks are judged against the worst recorded path. Returns the rows over budget. */
int t_baseline_judge(const t_baseline *b, const t_stage_table *budgets, t_suite *s);

/* Writes s's rows (errors and bits) as baseline lines to the file at path. */
int t_baseline_record(const t_suite *s, const char *path, char *err, size_t errlen);

/* Appends more's lines to into (records of several suites made one). */
void t_baseline_merge(t_baseline *into, const t_baseline *more);

/* Replaces in b every (suite, kernel path) group the records hold by theirs, sets the measured
 * line, and writes b to path atomically (a temporary file renamed over it). */
int t_baseline_accept(t_baseline *b, const t_baseline *records, const char *measured, const char *path,
                      char *err, size_t errlen);

/* What a golden test does with its suite after comparing: loads the golden folder's baseline and
 * tests/drift.tsv, judges s, prints which baseline it used, and writes s's record to
 * build/verify/baseline/<golden folder name>.<suite>.<kernel path>.tsv. Returns the rows over budget, 0 when
 * WL_DRIFT=record (make baseline: the run is to be accepted), -1 with err on a file error. */
int t_baseline_check(t_suite *s, const char *golden_dir, char *err, size_t errlen);

#endif
