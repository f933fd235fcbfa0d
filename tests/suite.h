/* The golden suite's result table: per stage, how many clips passed, the worst errors and the
 * headroom, printed for the CI log and written as JSON. Stages keep the order they are first
 * added in (the data-flow order), so the first failing row is the first broken stage. */
#ifndef WL_SUITE_H
#define WL_SUITE_H

#include "diff.h"

typedef struct wl_suite wl_suite;

wl_suite *t_suite_new(const char *title);
void t_suite_free(wl_suite *s);

/* Records one (stage, clip) comparison and prints a FAIL line when it did not pass.
 * Returns d->pass. */
int t_suite_add(wl_suite *s, const char *stage, const char *clip, const wl_diff *d, wl_tol tol);

/* Prints the table and, if any, the first failing stage with its worst clip. */
void t_suite_print(const wl_suite *s);

/* Writes every result as JSON; returns 0 or -1. */
int t_suite_write_json(const wl_suite *s, const char *path);

int t_suite_failures(const wl_suite *s);

#endif
