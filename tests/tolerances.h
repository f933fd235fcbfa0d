/* The per-stage tolerance table (tests/tolerances.tsv): one place for every atol/rtol and why. */
#ifndef T_TOLERANCES_H
#define T_TOLERANCES_H

#include "diff.h"

#include <stddef.h>

/* Loads the table; returns 0, or -1 with err naming the file and line. */
int t_tol_load(const char *path, char *err, size_t errlen);

/* The tolerance for a stage (exact name, else the longest "prefix*" match). Returns 0, or -1
 * when the table has no entry: every checked stage must be listed. reason may be NULL. */
int t_tol_find(const char *stage, t_tol *tol, const char **reason);

#endif
