/* Small helpers shared by the engine: error messages, whole-file reads, large buffers. */
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

/* Whether s is a whole decimal number in [lo, hi] (no sign-only, blank or trailing text, no
 * overflow); then *out holds it. The command lines' counts (threads, beams, tokens, clips). */
int wl_parse_whole(const char *s, long lo, long hi, int *out);

/* n bytes (zeroed if zero) for a buffer of megabytes that is filled once it is made (converted
 * weights, the encoder's workspace, the mel's spectra). From 2 MB up it is 2 MB-aligned and asks
 * for transparent huge pages: touching it costs one page fault per 2 MB instead of 512.
 * Where the kernel gives none, it is an ordinary buffer. Smaller ones are 64-byte aligned (a
 * cache line: vector loads from them never straddle two). Freed with free(). */
void *wl_alloc_big(size_t n, int zero);
/* A buffer kept between calls (*buf, *cap floats, from wl_alloc_big) with room for `floats`:
 * reallocated, its contents lost, only when it has less. NULL (and *cap 0) when out of memory. */
float *wl_kept_buffer(float **buf, size_t *cap, size_t floats);

/* Kernels that return nothing (a matrix product, a block of attention heads) note here that they
 * could not get memory, and leave their output unwritten; the stage that called them (encoder,
 * decoder) takes the note when it is done and fails with "out of memory". Per thread: the pool
 * hands its workers' notes to the thread whose job they ran. */
void wl_oom_note(void);
/* 1 when an out of memory was noted since the last call (the note is cleared). */
int wl_oom_take(void);

#endif
