/* safetensors files: a validating, mmap-based reader and a small writer.
 * Format: u64 little-endian header length N, N bytes of JSON
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the data. */
#ifndef WL_SAFETENSORS_H
#define WL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

typedef enum { WL_F32, WL_F16, WL_BF16, WL_F64, WL_I64, WL_I32, WL_I16, WL_I8, WL_U8, WL_BOOL } wl_dtype;

#define WL_MAX_DIMS 8

typedef struct {
    char *name;
    wl_dtype dtype;
    int ndim;
    int64_t shape[WL_MAX_DIMS];
    const void *data; /* into the mapping; not aligned beyond what the file gives */
    size_t nbytes;
} wl_st_tensor;

typedef struct {
    void *map;
    size_t map_size;
    int n;
    wl_st_tensor *tensors; /* in file (header) order */
    char *path;
} wl_st_file;

/* Maps and validates a file: header size, JSON, known dtypes, shapes, offsets in bounds and
 * consistent with shape x dtype, no overlaps. Returns 0, or -1 with a one-line message. */
int wl_st_open(wl_st_file *f, const char *path, char *err, size_t errlen);
void wl_st_close(wl_st_file *f);
/* Gives back the mapping's pages under a tensor's bytes (they stay mapped, and a later read
 * faults them in again from the page cache): for a reader that has copied the tensor, so that
 * its RSS does not hold two copies. */
void wl_st_drop_pages(const wl_st_file *f, const wl_st_tensor *t);
const wl_st_tensor *wl_st_find(const wl_st_file *f, const char *name);
size_t wl_dtype_size(wl_dtype t);
const char *wl_dtype_name(wl_dtype t);

/* Writes tensors (name, dtype, shape, data) to path, in the order given, with
 * "__metadata__": {"format": "pt"} so torch/transformers accept the file. */
int wl_st_write(const char *path, const wl_st_tensor *tensors, int n, char *err, size_t errlen);

#endif
