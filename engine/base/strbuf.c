#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void wl_strbuf_add(wl_strbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p, b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

void wl_strbuf_puts(wl_strbuf *b, const char *s) { wl_strbuf_add(b, s, strlen(s)); }

void wl_strbuf_printf(wl_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0) return;
    char *tmp = malloc((size_t)need + 1);
    if (!tmp) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(tmp, (size_t)need + 1, fmt, ap);
    va_end(ap);
    wl_strbuf_add(b, tmp, (size_t)need);
    free(tmp);
}

char *wl_strbuf_done(wl_strbuf *b)
{
    if (!b->oom && !b->s) wl_strbuf_add(b, "", 0);
    if (b->oom) free(b->s), b->s = NULL;
    return b->s;
}
