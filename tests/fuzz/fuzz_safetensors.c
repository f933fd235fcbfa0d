/* Fuzzes the safetensors reader (wl_st_open, wl_st_find) with the input as the whole file.
 * A file it accepts must hold what it claims: every tensor's bytes inside the data section,
 * nbytes = numel x dtype size, no overlaps, unique names that wl_st_find returns; and writing the
 * tensors back with wl_st_write and reading that file gives the same tensors. */
#include "../../engine/io/safetensors.h"
#include "fuzz.h"

static int by_data(const void *a, const void *b)
{
    const char *x = (*(const wl_st_tensor *const *)a)->data, *y = (*(const wl_st_tensor *const *)b)->data;
    return x < y ? -1 : x > y;
}

static void check_file(const wl_st_file *f, size_t file_size)
{
    const char *map = f->map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | (unsigned char)map[i];
    FZ_CHECK(f->map_size == file_size && hlen <= file_size - 8, "header %llu, file %zu", (unsigned long long)hlen,
             file_size);
    const wl_st_tensor **order = malloc(((size_t)f->n + 1) * sizeof *order);
    unsigned sum = 0;
    for (int i = 0; i < f->n; i++) {
        const wl_st_tensor *t = &f->tensors[i];
        order[i] = t;
        FZ_CHECK(t->ndim >= 0 && t->ndim <= WL_MAX_DIMS && t->dtype <= WL_BOOL, "tensor %d", i);
        uint64_t numel = 1;
        for (int d = 0; d < t->ndim; d++) {
            FZ_CHECK(t->shape[d] >= 0, "tensor %s", t->name);
            numel *= (uint64_t)t->shape[d];
        }
        FZ_CHECK(numel * wl_dtype_size(t->dtype) == t->nbytes, "tensor %s: %zu bytes", t->name, t->nbytes);
        const char *p = t->data;
        FZ_CHECK(p >= map + 8 + hlen && t->nbytes <= (size_t)(map + file_size - p), "tensor %s out of the file", t->name);
        FZ_CHECK(wl_st_find(f, t->name) == t, "tensor %s: wl_st_find finds another entry", t->name);
        for (size_t k = 0; k < t->nbytes; k += 4096) sum += (unsigned char)p[k]; /* readable */
        if (t->nbytes) sum += (unsigned char)p[t->nbytes - 1];
    }
    qsort(order, (size_t)f->n, sizeof *order, by_data);
    for (int i = 1; i < f->n; i++)
        FZ_CHECK((const char *)order[i - 1]->data + order[i - 1]->nbytes <= (const char *)order[i]->data,
                 "tensors %s and %s overlap", order[i - 1]->name, order[i]->name);
    free(order);
    (void)sum;
}

/* Written back and read again: the same tensors, in the same order. */
static void check_round_trip(const wl_st_file *f)
{
    char path[512], err[512];
    fz_join(path, sizeof path, fz_scratch(), "rt.safetensors");
    FZ_CHECK(wl_st_write(path, f->tensors, f->n, err, sizeof err) == 0, "%s", err);
    wl_st_file g;
    FZ_CHECK(wl_st_open(&g, path, err, sizeof err) == 0, "rewritten file refused: %s", err);
    FZ_CHECK(g.n == f->n, "%d tensors, rewritten %d", f->n, g.n);
    for (int i = 0; i < f->n; i++) {
        const wl_st_tensor *a = &f->tensors[i], *b = &g.tensors[i];
        FZ_CHECK(!strcmp(a->name, b->name) && a->dtype == b->dtype && a->ndim == b->ndim && a->nbytes == b->nbytes &&
                     !memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof *a->shape) &&
                     (!a->nbytes || !memcmp(a->data, b->data, a->nbytes)),
                 "tensor %d (%s) changed in the round trip", i, a->name);
    }
    wl_st_close(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wl_st_file f;
    char err[512] = "";
    if (wl_st_open(&f, fz_memfd(data, size), err, sizeof err) != 0) {
        FZ_CHECK(err[0] && !f.map && !f.tensors && f.n == 0, "a refusal without a message or with state left");
        return 0;
    }
    check_file(&f, size);
    wl_st_find(&f, "model.encoder.conv1.weight");
    check_round_trip(&f);
    wl_st_close(&f);
    return 0;
}
