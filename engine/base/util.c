#include "util.h"
#include "../whisperlab.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int wl_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

char *wl_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is rejected below anyway. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        wl_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        wl_fail(err, errlen, "%s: not a regular file", path);
        return NULL;
    }
    if (st.st_size > WL_MAX_TEXT_FILE) {
        close(fd);
        wl_fail(err, errlen, "%s: %lld bytes; whisperlab reads text files of at most %d MiB", path,
                (long long)st.st_size, WL_MAX_TEXT_FILE >> 20);
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        wl_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 65536) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                wl_fail(err, errlen, "%s: out of memory", path);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
        if (n > WL_MAX_TEXT_FILE) { /* the file grew while being read */
            free(buf);
            fclose(f);
            wl_fail(err, errlen, "%s: larger than %d MiB", path, WL_MAX_TEXT_FILE >> 20);
            return NULL;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        wl_fail(err, errlen, "%s: read error", path);
        return NULL;
    }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

void wl_tune_malloc(void)
{
    mallopt(M_MMAP_THRESHOLD, 4 << 20); /* fixing it also stops glibc moving it */
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
}

void *wl_alloc_big(size_t n, int zero)
{
    const size_t huge = (size_t)2 << 20;
    void *p;
    if (n < huge) {
        if (posix_memalign(&p, 64, n ? n : 1)) return NULL;
        return zero ? memset(p, 0, n) : p;
    }
    size_t whole = (n + huge - 1) / huge * huge; /* the last page is a huge one too */
    if (whole < n || posix_memalign(&p, huge, whole)) return NULL;
    madvise(p, whole, MADV_HUGEPAGE); /* advice: without it the buffer only faults more */
    if (zero) memset(p, 0, n);
    return p;
}

float *wl_kept_buffer(float **buf, size_t *cap, size_t floats)
{
    if (floats > *cap) {
        free(*buf);
        *buf = wl_alloc_big(floats * sizeof(float), 0);
        *cap = *buf ? floats : 0;
    }
    return *buf;
}

/* Per thread: a call notes its own failures, never another state's on another thread; the pool
 * hands its workers' notes to the thread that ran the job (parallel.c). */
static _Thread_local int oom_noted;

void wl_oom_note(void) { oom_noted = 1; }

int wl_oom_take(void)
{
    int noted = oom_noted;
    oom_noted = 0;
    return noted;
}

int wl_parse_whole(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno == ERANGE || v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}
