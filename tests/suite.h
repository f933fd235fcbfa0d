/* The golden suite's result table: per stage, how many clips passed, the worst errors and the
 * headroom, printed for the CI log and written as JSON. Stages keep the order they are first
 * added in (the data-flow order), so the first failing row is the first broken stage. */
#ifndef T_SUITE_H
#define T_SUITE_H

#include "diff.h"

typedef struct t_suite t_suite;

t_suite *t_suite_new(const char *title);
void t_suite_free(t_suite *s);

/* Records one (stage, clip) comparison and prints a FAIL line when it did not pass.
 * Returns d->pass. */
int t_suite_add(t_suite *s, const char *stage, const char *clip, const t_diff *d, t_tol tol);

/* Prints the table and, if any, the first failing stage with its worst clip. */
void t_suite_print(const t_suite *s);

/* Writes every result as JSON; returns 0 or -1. */
int t_suite_write_json(const t_suite *s, const char *path);

int t_suite_failures(const t_suite *s);

#endif
