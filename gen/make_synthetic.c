/* Writes the synthetic checkpoint's model.safetensors (see synthetic_values.h for the values).
 * Usage: make_synthetic CONFIG.json OUT.safetensors */
#include "synthetic_checkpoint.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: %s CONFIG.json OUT.safetensors\n", argv[0]);
        return 2;
    }
    char err[512];
    int n;
    int64_t params;
    if (gen_write_synthetic(argv[1], argv[2], &n, &params, err, sizeof err)) {
        fprintf(stderr, "make_synthetic: %s\n", err);
        return 1;
    }
    printf("make_synthetic: %s: %d tensors, %lld parameters\n", argv[2], n, (long long)params);
    return 0;
}
