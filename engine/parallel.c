/* wl_parallel_for with plain pthreads: a handful of calls per layer, each long enough that
 * starting threads (tens of microseconds) does not matter. */
#include "parallel.h"

#include <cblas.h>
#include <pthread.h>

#define MAX_THREADS 64

typedef struct {
    void (*fn)(void *, int, int);
    void *ctx;
    int begin, end;
} slice;

static void *run_slice(void *p)
{
    slice *s = p;
    s->fn(s->ctx, s->begin, s->end);
    return NULL;
}

int wl_parallel_threads(void)
{
    int t = openblas_get_num_threads();
    return t < 1 ? 1 : t > MAX_THREADS ? MAX_THREADS : t;
}

void wl_parallel_for(int n, int grain, void (*fn)(void *ctx, int begin, int end), void *ctx)
{
    int threads = wl_parallel_threads(), before = threads;
    if (grain < 1) grain = 1;
    if (threads > n / grain) threads = n / grain;
    if (threads <= 1) {
        if (n > 0) fn(ctx, 0, n);
        return;
    }
    slice s[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    openblas_set_num_threads(1);
    for (int i = 0; i < threads; i++)
        s[i] = (slice){fn, ctx, (int)((long long)n * i / threads), (int)((long long)n * (i + 1) / threads)};
    for (int i = 1; i < threads; i++) started[i] = pthread_create(&tid[i], NULL, run_slice, &s[i]) == 0;
    run_slice(&s[0]);
    for (int i = 1; i < threads; i++) { /* a thread that could not start: its slice runs here */
        if (started[i]) pthread_join(tid[i], NULL);
        else run_slice(&s[i]);
    }
    openblas_set_num_threads(before);
}
