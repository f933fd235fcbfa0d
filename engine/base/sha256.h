/* SHA256 of files (OpenSSL's libcrypto), for provenance: model, clips, goldens. */
#ifndef WL_SHA256_H
#define WL_SHA256_H

#include <stddef.h>

/* Writes the lowercase hex digest (64 chars + NUL) of the file at path into hex. */
int wl_sha256_file(const char *path, char hex[65], char *err, size_t errlen);

#endif
