/* OpenBLAS's own thread count, decided before OpenBLAS is loaded (blas_threads.c says why). */
#ifndef WL_BLAS_THREADS_H
#define WL_BLAS_THREADS_H

/* OpenBLAS's choice (OPENBLAS_NUM_THREADS, or the cores) as the process started: OpenBLAS itself
 * is then held to one thread. */
int wl_blas_default_threads(void);

#endif
