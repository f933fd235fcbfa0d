/* The synthetic checkpoint: model.safetensors with every tensor a real checkpoint of the given
 * config holds (HF names, shapes, F32), values from synthetic_values.h. */
#ifndef GEN_SYNTHETIC_CHECKPOINT_H
#define GEN_SYNTHETIC_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

/* Writes the checkpoint for config_path to out_path, tensors in name order. On success sets
 * *n_tensors and *n_params when non-NULL. */
int gen_write_synthetic(const char *config_path, const char *out_path, int *n_tensors,
                        int64_t *n_params, char *err, size_t errlen);

#endif
