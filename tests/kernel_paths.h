/* The kernel paths the engine can take on this CPU, for tests that must hold on each: oneDNN at
 * its own ISA and capped (DNNL_MAX_CPU_ISA) at each lower one, OpenBLAS computing every product
 * at its own core and forced (OPENBLAS_CORETYPE) to each lower one, and the 8-lane vector kernels
 * where the CPU would take 16. The libraries choose their kernels once per process, so a path is
 * a set of environment variables for a new process, which takes it with t_kernel_path_take. */
#ifndef T_KERNEL_PATHS_H
#define T_KERNEL_PATHS_H

#include <stddef.h>

typedef struct {
    char label[96];
    const char *dnnl_isa, *openblas_core; /* DNNL_MAX_CPU_ISA, OPENBLAS_CORETYPE, or NULL */
    int openblas, narrow;                 /* WL_SGEMM_OPENBLAS=1, WL_VMATH_LANES=8 */
} t_kernel_path;

/* The paths this CPU runs, the libraries' own first: n of them into p (at most max). */
int t_kernel_paths(t_kernel_path *p, int max);

/* Sets the environment that makes a new process take path p (in a child, before exec). */
void t_kernel_path_export(const t_kernel_path *p);

/* Prints each path as one line, "-u NAME ... NAME=VALUE ...<TAB>label": env(1)'s arguments. */
void t_kernel_paths_list(void);

/* Takes the path the environment names (WL_SGEMM_OPENBLAS, WL_VMATH_LANES) and checks that the
 * libraries took DNNL_MAX_CPU_ISA and OPENBLAS_CORETYPE: 0, or -1 with err. Prints the path. */
int t_kernel_path_take(char *err, size_t errlen);

/* The path taken, as baselines name it: "oneDNN 2.6.3 (avx2 kernels), 8 lanes". */
const char *t_kernel_path_label(void);

#endif
