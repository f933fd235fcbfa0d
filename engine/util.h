/* Small helpers shared by the engine: error messages and whole-file reads. */
#ifndef WL_UTIL_H
#define WL_UTIL_H

#include <stddef.h>

/* Formats a one-line message into err (if non-NULL) and returns -1. */
int wl_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Text inputs (configs, vocab.json, merges.txt, golden indexes) are at most a few MB; the cap
 * keeps a wrong path (a device, a huge file) from exhausting memory. */
#define WL_MAX_TEXT_FILE (64 << 20)

/* Reads a whole regular file of at most WL_MAX_TEXT_FILE bytes into a NUL-terminated malloc'd
 * buffer; NULL and err on failure (devices, FIFOs and directories are refused, never waited on). */
char *wl_read_file(const char *path, size_t *len, char *err, size_t errlen);

#endif
