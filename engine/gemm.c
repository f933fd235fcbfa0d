#include "gemm.h"

#include <cblas.h>
#include <dnnl.h>
#include <dnnl_debug.h>
#include <stdio.h>
#include <string.h>

/* oneDNN's CPU runtime here is OpenMP (libgomp): a call would start a team of threads on top of
 * the engine's pool unless the calling thread's OpenMP count is 1 (each thread has its own; a
 * caller, such as the bench's peak, may have raised it). */
int omp_get_max_threads(void);
void omp_set_num_threads(int n);

static int use_openblas; /* wl_sgemm_use_openblas */

void wl_sgemm_use_openblas(int on) { use_openblas = on; }

void wl_sgemm(int b_transposed, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,
              int ldc)
{
    if (omp_get_max_threads() != 1) omp_set_num_threads(1);
    if (!use_openblas && dnnl_sgemm('N', b_transposed ? 'T' : 'N', M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc) == dnnl_success)
        return;
    /* chosen, or oneDNN failed (only when it cannot get its packing buffers: OpenBLAS packs into
     * its own) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, b_transposed ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb,
                0.0f, C, ldc);
}

void wl_sgemm_own_threads(int openblas, int threads, int M, int N, int K, const float *A, const float *B, float *C)
{
    if (openblas) {
        int before = openblas_get_num_threads();
        openblas_set_num_threads(threads);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
        openblas_set_num_threads(before);
        return;
    }
    int before = omp_get_max_threads();
    omp_set_num_threads(threads);
    dnnl_sgemm('N', 'N', M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
    omp_set_num_threads(before);
}

const char *wl_sgemm_library(void)
{
    static char s[96], blas[96];
    if (use_openblas) {
        snprintf(blas, sizeof blas, "OpenBLAS cblas_sgemm (%s kernels)", openblas_get_corename());
        return blas;
    }
    if (!s[0]) {
        const dnnl_version_t *v = dnnl_version();
        const char *isa = dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()); /* "cpu_isa_avx2" */
        snprintf(s, sizeof s, "oneDNN %d.%d.%d (%s kernels)", v->major, v->minor, v->patch,
                 strncmp(isa, "cpu_isa_", 8) ? isa : isa + 8);
    }
    return s;
}
