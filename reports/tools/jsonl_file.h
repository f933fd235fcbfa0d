/* A file of JSON records, one a line (JSON Lines): appended to whole or not at all, read with
 * every line that is not a JSON object reported and skipped rather than ending the read. */
#ifndef JSONL_FILE_H
#define JSONL_FILE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>

/* Appends record, printed on one line, to path (made if missing). Concurrent appenders wait for
 * each other on an flock of the file's folder; the new contents (the old lines, then the new one) are
 * written to a temporary file and renamed over path, so a reader or a crash never sees half a
 * line. 0, or -1 and a one-line err naming the file, the file unchanged. */
int jsonl_append(const char *path, const cJSON *record, char *err, size_t errlen);

/* The file's records as a cJSON array, each object given a "line" number (from 1) unless it has
 * one. A line that is not a JSON object is reported to `report` (when non-NULL) as
 * "<path>:<line>: not a JSON record; skipped" and left out; blank lines are skipped quietly.
 * NULL and err when the file cannot be read. */
cJSON *jsonl_read(const char *path, FILE *report, char *err, size_t errlen);

#endif
