/* A file's contents replaced whole or not at all: the new bytes go to a temporary file beside
 * the real file (a symbolic link is followed, and kept), which gets the old file's mode and
 * owner, is synced, and is renamed over it. A file with more than one hard link is refused:
 * the rename would split it from its other names, and rewriting it in place could leave it
 * half-written. */
#ifndef REPLACE_FILE_H
#define REPLACE_FILE_H

#include <stddef.h>

/* Makes path hold data[0..len) (a new file when there is none). 0, or -1 and a one-line err
 * naming path (a failed write, a full disk) with the old file untouched. */
int replace_file(const char *path, const char *data, size_t len, char *err, size_t errlen);

#endif
