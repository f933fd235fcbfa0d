#include "gemm.h"
#include "../base/util.h"

#include <cblas.h>
#include <dnnl.h>
#include <dnnl_debug.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

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
    if (!use_openblas) {
        dnnl_status_t st = dnnl_sgemm('N', b_transposed ? 'T' : 'N', M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
        if (st == dnnl_success) return;
        /* No packing buffers: not OpenBLAS instead, which spins forever when it cannot allocate
         * its own (and would give other bits); the caller reports it. */
        if (st == dnnl_out_of_memory) {
            wl_oom_note();
            return;
        }
    }
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

int wl_sgemm_prepare(void)
{
    static _Atomic int ready;
    if (ready) return 0;
    /* Building its kernels takes several MB, more with AVX-512 (docs/performance.md), and oneDNN
     * crashes when an allocation there fails: the room is checked, with a margin, then given back. */
    const size_t room = (size_t)64 << 20;
    void *p = mmap(NULL, room, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return -1;
    munmap(p, room);
    float a[8 * 8] = {0}, b[8 * 8] = {0}, c[8 * 8];
    if (omp_get_max_threads() != 1) omp_set_num_threads(1);
    if (dnnl_sgemm('N', 'N', 8, 8, 8, 1.0f, a, 8, b, 8, 0.0f, c, 8) != dnnl_success ||
        dnnl_sgemm('N', 'T', 8, 8, 8, 1.0f, a, 8, b, 8, 0.0f, c, 8) != dnnl_success)
        return -1;
    ready = 1;
    return 0;
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
