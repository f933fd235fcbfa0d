/* The kernel path the command runs on, from the environment: the same variables the tests take
 * (WL_SGEMM_OPENBLAS=1: OpenBLAS computes the products; WL_VMATH_LANES=8 or 16: the vector
 * kernels' width), so that two runs of the command can be compared path against path.
 * DNNL_MAX_CPU_ISA and OPENBLAS_CORETYPE are read by the libraries themselves. */
#include "args.h"

#include "../kernels/gemm.h"
#include "../kernels/vmath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A variable's value when it is one of allowed (a NULL-terminated list); "" when unset. */
static const char *env_choice(const char *name, const char *const *allowed, int *bad)
{
    const char *v = getenv(name);
    if (!v || !*v) return "";
    for (int i = 0; allowed[i]; i++)
        if (!strcmp(v, allowed[i])) return v;
    *bad = 1;
    cli_eprint("whisperlab: %s='%s': expected %s", name, v, allowed[2] ? "0, 8 or 16" : "0 or 1");
    return "";
}

int cli_take_kernel_env(void)
{
    static const char *const blas[] = {"0", "1", NULL}, *const lanes[] = {"0", "8", "16", NULL};
    int bad = 0;
    const char *b = env_choice("WL_SGEMM_OPENBLAS", blas, &bad), *l = env_choice("WL_VMATH_LANES", lanes, &bad);
    if (bad) return 2;
    wl_sgemm_use_openblas(!strcmp(b, "1"));
    wl_vmath_force(atoi(l));
    return 0;
}

const char *cli_kernel_path(char *buf, size_t len)
{
    snprintf(buf, len, "products by %s; vector kernels at %d lanes", wl_sgemm_library(), wl_vmath_lanes());
    return buf;
}
