#include "kernel_env.h"

#include "gemm.h"
#include "vmath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A variable's value when it is one of allowed (a NULL-terminated list); "" when unset or empty. */
static const char *env_choice(const char *name, const char *const *allowed, const char *expected, char *err,
                              size_t errlen, int *bad)
{
    const char *v = getenv(name);
    if (!v || !*v) return "";
    for (int i = 0; allowed[i]; i++)
        if (!strcmp(v, allowed[i])) return v;
    if (!*bad) snprintf(err, errlen, "%s='%s': expected %s", name, v, expected);
    *bad = 1;
    return "";
}

int wl_kernels_from_env(char *err, size_t errlen)
{
    static const char *const blas[] = {"0", "1", NULL}, *const lanes[] = {"0", "8", "16", NULL};
    int bad = 0;
    const char *b = env_choice("WL_SGEMM_OPENBLAS", blas, "0 or 1", err, errlen, &bad);
    const char *l = env_choice("WL_VMATH_LANES", lanes, "0, 8 or 16", err, errlen, &bad);
    if (bad) return -1;
    wl_sgemm_use_openblas(!strcmp(b, "1"));
    wl_vmath_force(atoi(l));
    return 0;
}

const char *wl_kernels_describe(char *buf, size_t len)
{
    snprintf(buf, len, "products by %s; vector kernels at %d lanes", wl_sgemm_library(), wl_vmath_lanes());
    return buf;
}
