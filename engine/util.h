/* Small helpers shared by the engine: error messages and whole-file reads. */
#ifndef WL_UTIL_H
#define WL_UTIL_H

#include <stddef.h>

/* Formats a one-line message into err (if non-NULL) and returns -1. */
int wl_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads a whole file into a NUL-terminated malloc'd buffer; NULL and err on failure. */
char *wl_read_file(const char *path, size_t *len, char *err, size_t errlen);

#endif
