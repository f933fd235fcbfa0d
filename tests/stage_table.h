/* A table of two numbers and a reason per stage name, read from a TSV file: the tolerances
 * (atol, rtol) and the drift budgets (max-abs and NMSE growth) share this form. A name ending in *
 * matches every stage with that prefix; the exact name, else the longest prefix, wins. */
#ifndef T_STAGE_TABLE_H
#define T_STAGE_TABLE_H

#include <stddef.h>

typedef struct t_stage_table t_stage_table;

/* Loads path; columns names the line form for the error message (e.g. "stage atol rtol
 * reason"). Values must be finite and >= 0. Returns 0, or -1 with err naming the file and line. */
int t_stage_table_load(const char *path, const char *columns, t_stage_table **t, char *err, size_t errlen);
void t_stage_table_free(t_stage_table *t);

/* The row for stage: its two values and reason (may be NULL). Returns 0, or -1 when none matches. */
int t_stage_table_find(const t_stage_table *t, const char *stage, double v[2], const char **reason);

#endif
