/* A side's decoding of the clips, read from `whisperlab transcribe --json` (one call per
 * decoding mode over every clip), as sequences for cmp_decode. */
#ifndef CMP_TRANSCRIPT_H
#define CMP_TRANSCRIPT_H

#include "../compare_core.h"

#include <stddef.h>

typedef struct {
    int n;
    cmp_seq *seq;   /* one per file, in the order the command was given them */
    void **owned;   /* the arrays behind each seq */
    int n_owned;
} transcript;

/* Reads path (n_files records expected, in order); 0, or -1 with err naming path and the problem. */
int transcript_read(const char *path, int n_files, transcript *t, char *err, size_t errlen);
void transcript_free(transcript *t);

#endif
