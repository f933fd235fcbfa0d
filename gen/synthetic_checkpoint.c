#include "synthetic_checkpoint.h"
#include "../engine/model/config.h"
#include "../engine/model/layout.h"
#include "../engine/io/safetensors.h"
#include "../engine/base/util.h"
#include "synthetic_values.h"

#include <stdlib.h>
#include <string.h>

#define MAX_TENSORS 4096

static int by_name(const void *a, const void *b)
{
    return strcmp(((const wl_tensor_spec *)a)->name, ((const wl_tensor_spec *)b)->name);
}

int gen_write_synthetic(const char *config_path, const char *out_path, int *n_tensors,
                        int64_t *n_params, char *err, size_t errlen)
{
    wl_config cfg;
    if (wl_config_load(&cfg, config_path, err, errlen)) return -1;
    static wl_tensor_spec specs[MAX_TENSORS];
    int n = wl_layout(&cfg, specs, MAX_TENSORS);
    if (n < 0) return wl_fail(err, errlen, "%s: too many tensors", config_path);
    qsort(specs, (size_t)n, sizeof specs[0], by_name);
    wl_st_tensor *ts = calloc((size_t)n, sizeof *ts);
    int64_t params = 0;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        int64_t numel = wl_spec_numel(&specs[i]);
        float *data = malloc((size_t)numel * sizeof(float));
        if (!data) {
            rc = wl_fail(err, errlen, "%s: out of memory", out_path);
            break;
        }
        gen_synth_fill(WL_SYNTH_SEED, &specs[i], data);
        ts[i] = (wl_st_tensor){.name = specs[i].name, .dtype = WL_F32, .ndim = specs[i].ndim,
                               .data = data, .nbytes = (size_t)numel * sizeof(float)};
        memcpy(ts[i].shape, specs[i].shape, sizeof specs[i].shape);
        params += numel;
    }
    if (rc == 0) rc = wl_st_write(out_path, ts, n, err, errlen);
    for (int i = 0; i < n; i++) free((void *)ts[i].data);
    free(ts);
    if (rc == 0 && n_tensors) *n_tensors = n;
    if (rc == 0 && n_params) *n_params = params;
    return rc;
}
