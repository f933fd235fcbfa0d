/* The kernel path a program runs on, from its environment, read the same way by whisperlab, the
 * bench and the tests, so that runs can be compared path against path:
 *   WL_SGEMM_OPENBLAS=1   OpenBLAS computes the products (0 or unset: oneDNN)
 *   WL_VMATH_LANES=8, 16  the vector kernels' width (0 or unset: the CPU's)
 * DNNL_MAX_CPU_ISA and OPENBLAS_CORETYPE are read by the libraries themselves. */
#ifndef WL_KERNEL_ENV_H
#define WL_KERNEL_ENV_H

#include <stddef.h>

/* Applies the two variables above. 0, or -1 with "NAME='value': expected ..." in err when one
 * holds anything else (nothing is applied then). */
int wl_kernels_from_env(char *err, size_t errlen);

/* "products by <library and its kernels>; vector kernels at N lanes", into buf. */
const char *wl_kernels_describe(char *buf, size_t len);

#endif
