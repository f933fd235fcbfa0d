/* A growable string for text built piece by piece (decoded tokens, normalised text, tables). */
#ifndef WL_STRBUF_H
#define WL_STRBUF_H

#include <stddef.h>

typedef struct {
    char *s; /* NUL-terminated once anything was added */
    size_t n, cap;
    int oom; /* an allocation failed: later adds do nothing, wl_strbuf_done gives NULL */
} wl_strbuf;

void wl_strbuf_add(wl_strbuf *b, const char *s, size_t n);
void wl_strbuf_puts(wl_strbuf *b, const char *s);
void wl_strbuf_printf(wl_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The finished string, which the caller frees ("" when nothing was added); NULL (and the
 * storage freed) if out of memory. */
char *wl_strbuf_done(wl_strbuf *b);

#endif
