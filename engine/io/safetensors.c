#include "safetensors.h"
#include "json_file.h"
#include "../base/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A header larger than this is rejected before it is read (the real tiny.en header is ~20 KB). */
#define MAX_HEADER (100u << 20)

static const struct { const char *name; wl_dtype t; size_t size; } DTYPES[] = {
    {"F32", WL_F32, 4}, {"F16", WL_F16, 2}, {"BF16", WL_BF16, 2}, {"F64", WL_F64, 8},
    {"I64", WL_I64, 8}, {"I32", WL_I32, 4}, {"I16", WL_I16, 2}, {"I8", WL_I8, 1},
    {"U8", WL_U8, 1},   {"BOOL", WL_BOOL, 1},
};
#define N_DTYPES (sizeof DTYPES / sizeof DTYPES[0])

size_t wl_dtype_size(wl_dtype t) { return DTYPES[t].size; }
const char *wl_dtype_name(wl_dtype t) { return DTYPES[t].name; }

static int parse_dtype(const char *s, wl_dtype *t)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (strcmp(s, DTYPES[i].name) == 0) return *t = DTYPES[i].t, 0;
    return -1;
}

static int cmp_offset(const void *a, const void *b)
{
    const wl_st_tensor *x = a, *y = b;
    const char *px = x->data, *py = y->data;
    return px < py ? -1 : px > py;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const wl_st_tensor *)a)->name, ((const wl_st_tensor *)b)->name);
}

/* Parses one header entry into t. data_base is the start of the data section. */
static int parse_entry(const cJSON *e, wl_st_tensor *t, const char *base, size_t data_size,
                       const char *path, char *err, size_t errlen)
{
    const char *nm = e->string;
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(dt))
        return wl_fail(err, errlen, "%s: tensor '%s' has no dtype string", path, nm);
    if (parse_dtype(dt->valuestring, &t->dtype))
        return wl_fail(err, errlen, "%s: tensor '%s' has unknown dtype '%.20s'", path, nm, dt->valuestring);
    if (!cJSON_IsArray(sh) || cJSON_GetArraySize(sh) > WL_MAX_DIMS)
        return wl_fail(err, errlen, "%s: tensor '%s' has a bad shape", path, nm);
    t->ndim = cJSON_GetArraySize(sh);
    uint64_t numel = 1;
    for (int i = 0; i < t->ndim; i++) {
        const cJSON *d = cJSON_GetArrayItem(sh, i);
        if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble > 4e9 ||
            d->valuedouble != (double)(int64_t)d->valuedouble)
            return wl_fail(err, errlen, "%s: tensor '%s' has a bad dimension", path, nm);
        t->shape[i] = (int64_t)d->valuedouble;
        if (t->shape[i] && numel > UINT64_MAX / 16 / (uint64_t)t->shape[i])
            return wl_fail(err, errlen, "%s: tensor '%s' shape overflows", path, nm);
        numel *= (uint64_t)t->shape[i];
    }
    /* Two whole numbers: a string reads as 0 in cJSON, and a fraction would be truncated into an
     * offset nobody wrote. */
    const cJSON *ob = cJSON_GetArrayItem(of, 0), *oe = cJSON_GetArrayItem(of, 1);
    if (!cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2 || !cJSON_IsNumber(ob) || !cJSON_IsNumber(oe) ||
        ob->valuedouble != floor(ob->valuedouble) || oe->valuedouble != floor(oe->valuedouble))
        return wl_fail(err, errlen, "%s: tensor '%s': data_offsets must be two integers [begin, end]", path, nm);
    double b = ob->valuedouble, en = oe->valuedouble;
    if (en < b)
        return wl_fail(err, errlen, "%s: tensor '%s' data_offsets [%.0f, %.0f] ends before it begins", path, nm, b, en);
    if (!(b >= 0 && en <= (double)data_size))
        return wl_fail(err, errlen, "%s: tensor '%s' data_offsets [%.0f, %.0f] out of bounds (data is %zu bytes)",
                       path, nm, b, en, data_size);
    t->nbytes = (size_t)(en - b);
    if (t->nbytes != numel * wl_dtype_size(t->dtype))
        return wl_fail(err, errlen, "%s: tensor '%s' holds %zu bytes but its shape needs %llu", path,
                       nm, t->nbytes, (unsigned long long)(numel * wl_dtype_size(t->dtype)));
    t->data = base + (size_t)b;
    t->name = strdup(nm);
    return t->name ? 0 : wl_fail(err, errlen, "%s: out of memory", path);
}

int wl_st_open(wl_st_file *f, const char *path, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return wl_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return wl_fail(err, errlen, "%s: not a regular file", path);
    }
    if (st.st_size < 8) {
        close(fd);
        return wl_fail(err, errlen, "%s: truncated safetensors file (%lld bytes)", path,
                       (long long)st.st_size);
    }
    f->map_size = (size_t)st.st_size;
    f->map = mmap(NULL, f->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (f->map == MAP_FAILED) {
        f->map = NULL;
        return wl_fail(err, errlen, "%s: %s", path, errno == ENOMEM ? "out of memory (mapping the file)" : strerror(errno));
    }
    f->path = strdup(path);
    const unsigned char *p = f->map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | p[i];
    if (hlen > MAX_HEADER || hlen > f->map_size - 8) {
        wl_fail(err, errlen, "%s: header length %llu exceeds the file (%zu bytes): truncated or not safetensors",
                path, (unsigned long long)hlen, f->map_size);
        goto fail;
    }
    wl_json_track_memory();
    wl_oom_take(); /* a note from before is not this header's */
    cJSON *root = cJSON_ParseWithLength((const char *)p + 8, (size_t)hlen);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        if (wl_oom_take()) wl_fail(err, errlen, "%s: out of memory (reading the header)", path);
        else wl_fail(err, errlen, "%s: header is not a JSON object", path);
        goto fail;
    }
    int n = cJSON_GetArraySize(root);
    f->tensors = calloc((size_t)n + 1, sizeof *f->tensors);
    if (!f->tensors) {
        cJSON_Delete(root);
        wl_fail(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    const char *base = (const char *)p + 8 + hlen;
    size_t data_size = f->map_size - 8 - (size_t)hlen;
    int rc = 0;
    for (const cJSON *e = root->child; e && rc == 0; e = e->next) {
        if (strcmp(e->string, "__metadata__") == 0) continue;
        if (!cJSON_IsObject(e)) {
            rc = wl_fail(err, errlen, "%s: entry '%s' is not an object", path, e->string);
            break;
        }
        rc = parse_entry(e, &f->tensors[f->n], base, data_size, path, err, errlen);
        if (rc == 0) f->n++;
    }
    cJSON_Delete(root);
    if (rc) goto fail;
    /* Overlapping tensors would alias each other's data: reject them. */
    wl_st_tensor *sorted = malloc(((size_t)f->n + 1) * sizeof *sorted);
    if (!sorted) {
        free(sorted);
        wl_fail(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    memcpy(sorted, f->tensors, (size_t)f->n * sizeof *sorted);
    qsort(sorted, (size_t)f->n, sizeof *sorted, cmp_offset);
    for (int i = 1; i < f->n; i++)
        if ((const char *)sorted[i - 1].data + sorted[i - 1].nbytes > (const char *)sorted[i].data) {
            wl_fail(err, errlen, "%s: tensors '%s' and '%s' overlap", path, sorted[i - 1].name,
                    sorted[i].name);
            free(sorted);
            goto fail;
        }
    /* Duplicate names (JSON allows repeated keys): sorted, so O(n log n) on hostile headers. */
    qsort(sorted, (size_t)f->n, sizeof *sorted, cmp_name);
    for (int i = 1; i < f->n; i++)
        if (strcmp(sorted[i - 1].name, sorted[i].name) == 0) {
            wl_fail(err, errlen, "%s: tensor '%s' appears twice", path, sorted[i].name);
            free(sorted);
            goto fail;
        }
    free(sorted);
    return 0;
fail:
    wl_st_close(f);
    return -1;
}

void wl_st_close(wl_st_file *f)
{
    if (f->tensors)
        for (int i = 0; i < f->n; i++) free(f->tensors[i].name);
    free(f->tensors);
    free(f->path);
    if (f->map) munmap(f->map, f->map_size);
    memset(f, 0, sizeof *f);
}

void wl_st_drop_pages(const wl_st_file *f, const wl_st_tensor *t)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t lo = ((size_t)((const char *)t->data - (const char *)f->map)) / page * page;
    size_t hi = (size_t)((const char *)t->data - (const char *)f->map) + t->nbytes;
    hi = hi + page - 1 < f->map_size ? (hi + page - 1) / page * page : f->map_size;
    if (f->map && hi > lo) madvise((char *)f->map + lo, hi - lo, MADV_DONTNEED); /* advice: failing costs memory */
}

const wl_st_tensor *wl_st_find(const wl_st_file *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

int wl_st_write(const char *path, const wl_st_tensor *tensors, int n, char *err, size_t errlen)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
    cJSON_AddStringToObject(meta, "format", "pt");
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        const wl_st_tensor *t = &tensors[i];
        cJSON *e = cJSON_AddObjectToObject(root, t->name);
        cJSON_AddStringToObject(e, "dtype", wl_dtype_name(t->dtype));
        cJSON *sh = cJSON_AddArrayToObject(e, "shape");
        for (int d = 0; d < t->ndim; d++) cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)t->shape[d]));
        cJSON *of = cJSON_AddArrayToObject(e, "data_offsets");
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)(off + t->nbytes)));
        off += t->nbytes;
    }
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    /* Written beside the target and renamed over it: a failed write never leaves a half file. */
    size_t tlen = strlen(path) + 32;
    char *tmp = malloc(tlen);
    if (!json || !tmp) {
        free(json), free(tmp);
        return wl_fail(err, errlen, "%s: out of memory", path);
    }
    snprintf(tmp, tlen, "%s.tmp-%ld", path, (long)getpid());
    size_t hlen = strlen(json);
    size_t padded = (hlen + 7) & ~(size_t)7; /* data starts 8-byte aligned, as safetensors does */
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        int e = errno;
        free(json), free(tmp);
        return wl_fail(err, errlen, "%s: cannot create: %s", path, strerror(e));
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    int ok = fwrite(len8, 1, 8, fp) == 8 && fwrite(json, 1, hlen, fp) == hlen;
    for (size_t i = hlen; i < padded && ok; i++) ok = fputc(' ', fp) != EOF;
    for (int i = 0; i < n && ok; i++) ok = fwrite(tensors[i].data, 1, tensors[i].nbytes, fp) == tensors[i].nbytes;
    free(json);
    /* on disk before the rename: a crash then leaves the old file or the whole new one */
    ok = ok && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
    int e = errno;
    if (fclose(fp) != 0 && ok) ok = 0, e = errno;
    if (ok && rename(tmp, path) == 0) return free(tmp), 0;
    if (ok) e = errno;
    unlink(tmp);
    free(tmp);
    return wl_fail(err, errlen, "%s: write failed: %s", path, strerror(e));
}
