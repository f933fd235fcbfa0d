/* Row-major single-precision matrix products, on the calling thread alone (the engine's pool
 * splits the work: see parallel.h). They go through oneDNN's sgemm, whose kernels it generates at
 * run time for the CPU's own instruction set (AVX-512 where there is one); OpenBLAS's kernels are
 * chosen once per process and can be pinned to an older core by OPENBLAS_CORETYPE. */
#ifndef WL_GEMM_H
#define WL_GEMM_H

/* C[M, N] = A[M, K] . B, B stored as [K, N] (b_transposed 0) or as [N, K] (1); lda, ldb, ldc
 * are the row strides. */
void wl_sgemm(int b_transposed, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,
              int ldc);

/* oneDNN builds its kernels on its first product and crashes, rather than fails, when that
 * cannot get memory: this builds them once per process (a model load calls it), after checking
 * there is room. 0, or -1 when out of memory. */
int wl_sgemm_prepare(void);

/* The library and the kernels it runs here, e.g. "oneDNN 2.6.3 (avx512_core_bf16 kernels)". */
const char *wl_sgemm_library(void);

/* C[M, N] = A[M, K] . B[K, N] (row-major, packed) on the library's own `threads` threads rather
 * than the engine's pool (oneDNN's, or OpenBLAS's with openblas): the peak the bench measures
 * each library at. The calling thread's library thread counts are as before afterwards. */
void wl_sgemm_own_threads(int openblas, int threads, int M, int N, int K, const float *A, const float *B, float *C);

/* 1: OpenBLAS's cblas_sgemm computes the products instead (process-wide, set between calls):
 * for tests that hold both libraries to the engine's guarantees, and for comparisons. 0: oneDNN. */
void wl_sgemm_use_openblas(int on);

#endif
