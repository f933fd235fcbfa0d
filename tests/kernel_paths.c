#include "kernel_paths.h"

#include "../engine/kernels/gemm.h"
#include "../engine/kernels/kernel_env.h"
#include "../engine/kernels/vmath.h"

#include <cblas.h>
#include <dnnl.h>
#include <dnnl_debug.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* oneDNN's ISA caps that change its sgemm kernels, highest first: a cap is a subset of the
 * machine's ISA bits */
static const struct {
    const char *env;
    dnnl_cpu_isa_t isa;
} dnnl_caps[] = {{"AVX512_CORE", dnnl_cpu_isa_avx512_core},
                 {"AVX2", dnnl_cpu_isa_avx2},
                 {"AVX", dnnl_cpu_isa_avx},
                 {"SSE41", dnnl_cpu_isa_sse41}};

/* OpenBLAS's x86-64 sgemm kernel families, highest first */
static const char *openblas_cores[] = {"SkylakeX", "Haswell", "Sandybridge", "Nehalem"};

/* Whether the CPU runs a core's kernels: a forced core it cannot run stops on an illegal
 * instruction (OpenBLAS does not check). */
static int cpu_runs(const char *core)
{
    if (!strcmp(core, "SkylakeX"))
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    if (!strcmp(core, "Haswell")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (!strcmp(core, "Sandybridge")) return __builtin_cpu_supports("avx");
    return __builtin_cpu_supports("sse4.2");
}

static const char *isa_name(dnnl_cpu_isa_t isa)
{
    const char *s = dnnl_cpu_isa2str(isa);
    return strncmp(s, "cpu_isa_", 8) ? s : s + 8;
}

int t_kernel_paths(t_kernel_path *p, int max)
{
    int n = 0;
    const dnnl_cpu_isa_t own = dnnl_get_effective_cpu_isa();
#define ADD(...) (n < max ? (p[n] = (t_kernel_path){__VA_ARGS__}, &p[n++]) : NULL)
    t_kernel_path *k;
    if ((k = ADD(0))) snprintf(k->label, sizeof k->label, "oneDNN (%s)", isa_name(own));
    for (size_t i = 0; i < sizeof dnnl_caps / sizeof *dnnl_caps; i++)
        if ((dnnl_caps[i].isa & own) == dnnl_caps[i].isa && dnnl_caps[i].isa != own &&
            (k = ADD(.dnnl_isa = dnnl_caps[i].env)))
            snprintf(k->label, sizeof k->label, "oneDNN capped at %s", dnnl_caps[i].env);
    if (wl_vmath_lanes() == 16 && (k = ADD(.narrow = 1)))
        snprintf(k->label, sizeof k->label, "oneDNN (%s), 8-lane vector kernels", isa_name(own));
    const char *core = openblas_get_corename();
    if ((k = ADD(.openblas = 1))) snprintf(k->label, sizeof k->label, "OpenBLAS (%s)", core);
    for (size_t i = 0; i < sizeof openblas_cores / sizeof *openblas_cores; i++)
        if (cpu_runs(openblas_cores[i]) && strcasecmp(openblas_cores[i], core) &&
            (k = ADD(.openblas = 1, .openblas_core = openblas_cores[i])))
            snprintf(k->label, sizeof k->label, "OpenBLAS forced to %s", openblas_cores[i]);
#undef ADD
    return n;
}

void t_kernel_path_export(const t_kernel_path *p)
{
    setenv("WL_SGEMM_OPENBLAS", p->openblas ? "1" : "0", 1);
    setenv("WL_VMATH_LANES", p->narrow ? "8" : "0", 1);
    if (p->dnnl_isa) setenv("DNNL_MAX_CPU_ISA", p->dnnl_isa, 1);
    else unsetenv("DNNL_MAX_CPU_ISA");
    if (p->openblas_core) setenv("OPENBLAS_CORETYPE", p->openblas_core, 1);
    else unsetenv("OPENBLAS_CORETYPE");
}

void t_kernel_paths_list(void)
{
    t_kernel_path p[16];
    int n = t_kernel_paths(p, 16);
    for (int k = 0; k < n; k++) {
        if (!p[k].dnnl_isa) printf("-u DNNL_MAX_CPU_ISA ");
        if (!p[k].openblas_core) printf("-u OPENBLAS_CORETYPE ");
        printf("WL_SGEMM_OPENBLAS=%d WL_VMATH_LANES=%d", p[k].openblas, p[k].narrow ? 8 : 0);
        if (p[k].dnnl_isa) printf(" DNNL_MAX_CPU_ISA=%s", p[k].dnnl_isa);
        if (p[k].openblas_core) printf(" OPENBLAS_CORETYPE=%s", p[k].openblas_core);
        printf("\t%s\n", p[k].label);
    }
}

int t_kernel_path_take(char *err, size_t errlen)
{
    const char *isa = getenv("DNNL_MAX_CPU_ISA"), *core = getenv("OPENBLAS_CORETYPE");
    if (wl_kernels_from_env(err, errlen)) return -1;
    const char *got = isa_name(dnnl_get_effective_cpu_isa());
    if (isa && strcasecmp(got, isa)) {
        snprintf(err, errlen, "DNNL_MAX_CPU_ISA=%s did not take: oneDNN runs %s", isa, got);
        return -1;
    }
    if (core && strcasecmp(openblas_get_corename(), core)) {
        snprintf(err, errlen, "OPENBLAS_CORETYPE=%s did not take: OpenBLAS runs %s", core, openblas_get_corename());
        return -1;
    }
    char path[256];
    printf("kernel path: %s\n", wl_kernels_describe(path, sizeof path));
    return 0;
}

const char *t_kernel_path_label(void)
{
    static char s[160];
    snprintf(s, sizeof s, "%s, %d lanes", wl_sgemm_library(), wl_vmath_lanes());
    return s;
}
