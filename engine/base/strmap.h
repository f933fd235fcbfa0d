/* A byte-string -> int map (open addressing, FNV-1a): the tokenizer's vocabulary, merge ranks
 * and added tokens. Keys are copied; they may hold any bytes, NUL included. */
#ifndef WL_STRMAP_H
#define WL_STRMAP_H

#include <stddef.h>

typedef struct {
    size_t cap, n;    /* slots (a power of two), entries */
    char **keys;      /* [cap], NULL = empty slot */
    size_t *lens;     /* [cap] */
    int *vals;        /* [cap] */
} wl_strmap;

/* Returns 0, or -1 when out of memory. */
int wl_strmap_init(wl_strmap *m, size_t expected);
void wl_strmap_free(wl_strmap *m);
/* Inserts or overwrites key -> val (the later value wins, as in a Python dict). 0 or -1. */
int wl_strmap_put(wl_strmap *m, const char *key, size_t len, int val);
/* The value of key, or dflt when absent. */
int wl_strmap_get(const wl_strmap *m, const char *key, size_t len, int dflt);

#endif
