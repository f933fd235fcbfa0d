#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

int wl_strmap_init(wl_strmap *m, size_t expected)
{
    memset(m, 0, sizeof *m);
    m->cap = 16;
    while (m->cap < 2 * expected) m->cap *= 2; /* load factor at most 1/2 */
    m->keys = calloc(m->cap, sizeof *m->keys);
    m->lens = calloc(m->cap, sizeof *m->lens);
    m->vals = calloc(m->cap, sizeof *m->vals);
    if (!m->keys || !m->lens || !m->vals) return wl_strmap_free(m), -1;
    return 0;
}

void wl_strmap_free(wl_strmap *m)
{
    for (size_t i = 0; m->keys && i < m->cap; i++) free(m->keys[i]);
    free(m->keys), free(m->lens), free(m->vals);
    memset(m, 0, sizeof *m);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t slot(const wl_strmap *m, const char *key, size_t len)
{
    size_t i = (size_t)hash(key, len) & (m->cap - 1);
    while (m->keys[i] && !(m->lens[i] == len && memcmp(m->keys[i], key, len) == 0)) i = (i + 1) & (m->cap - 1);
    return i;
}

static int grow(wl_strmap *m)
{
    wl_strmap bigger;
    if (wl_strmap_init(&bigger, m->cap)) return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i]) {
            size_t j = slot(&bigger, m->keys[i], m->lens[i]);
            bigger.keys[j] = m->keys[i], bigger.lens[j] = m->lens[i], bigger.vals[j] = m->vals[i];
            m->keys[i] = NULL;
        }
    bigger.n = m->n;
    wl_strmap_free(m);
    *m = bigger;
    return 0;
}

int wl_strmap_put(wl_strmap *m, const char *key, size_t len, int val)
{
    if (2 * (m->n + 1) > m->cap && grow(m)) return -1;
    size_t i = slot(m, key, len);
    if (!m->keys[i]) {
        if (!(m->keys[i] = malloc(len ? len : 1))) return -1;
        memcpy(m->keys[i], key, len);
        m->lens[i] = len;
        m->n++;
    }
    m->vals[i] = val;
    return 0;
}

int wl_strmap_get(const wl_strmap *m, const char *key, size_t len, int dflt)
{
    if (!m->cap) return dflt;
    size_t i = slot(m, key, len);
    return m->keys[i] ? m->vals[i] : dflt;
}
