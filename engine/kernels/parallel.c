/* wl_parallel_for on a small persistent pool of pthreads. A generation step calls it dozens of
 * times for a few microseconds of work each, so workers are started once and, between jobs,
 * spin briefly before sleeping: a job that follows closely starts without a wake-up. */
#include "parallel.h"

#include "../base/util.h"
#include "blas_threads.h"

#include <cblas.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define MAX_THREADS 64
#define SPIN_ROUNDS 20000 /* about 20-50 us of polling before a worker sleeps */
#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#else
#define CPU_RELAX() sched_yield()
#endif

typedef struct {
    void (*fn)(void *, int, int);
    void *ctx;
    int begin, end;
} slice;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    atomic_uint gen;     /* bumped once per job */
    atomic_int pending;  /* workers still running the current job */
    atomic_flag busy;    /* one job at a time; a second caller runs serially */
    atomic_int oom;      /* a worker noted an out of memory in the current job */
    int started;         /* workers alive: pool.slice[1..started] */
    slice slice[MAX_THREADS];
    unsigned born[MAX_THREADS]; /* the generation when each worker was started: its next job is the one after */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ATOMIC_FLAG_INIT, 0, 0, {{0}}, {0}};

static _Thread_local int my_slot; /* wl_parallel_slot: a worker's id, else 0 */

int wl_parallel_slot(void) { return my_slot; }

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    unsigned seen = pool.born[id];
    my_slot = id;
    for (;;) {
        for (int i = 0; i < SPIN_ROUNDS && atomic_load(&pool.gen) == seen; i++) CPU_RELAX();
        if (atomic_load(&pool.gen) == seen) {
            pthread_mutex_lock(&pool.mu);
            while (atomic_load(&pool.gen) == seen) pthread_cond_wait(&pool.wake, &pool.mu);
            pthread_mutex_unlock(&pool.mu);
        }
        seen = atomic_load(&pool.gen);
        slice s = pool.slice[id];
        if (s.fn && s.begin < s.end) s.fn(s.ctx, s.begin, s.end);
        if (wl_oom_take()) atomic_store(&pool.oom, 1); /* for the job's caller */
        if (atomic_fetch_sub(&pool.pending, 1) == 1) {
            pthread_mutex_lock(&pool.mu);
            pthread_cond_signal(&pool.done);
            pthread_mutex_unlock(&pool.mu);
        }
    }
    return NULL;
}

/* A child of fork() has none of the parent's workers: it starts its own. */
static void forget_workers(void)
{
    pthread_mutex_init(&pool.mu, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pthread_cond_init(&pool.done, NULL);
    atomic_flag_clear(&pool.busy);
    pool.started = 0;
}

static int ensure_workers(int n)
{
    static int atfork_set;
    if (!atfork_set) atfork_set = pthread_atfork(NULL, NULL, forget_workers) == 0;
    while (pool.started < n - 1) {
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        pool.born[pool.started + 1] = atomic_load(&pool.gen);
        int rc = pthread_create(&t, &a, worker, (void *)(long)(pool.started + 1));
        pthread_attr_destroy(&a);
        if (rc) break;
        pool.started++;
    }
    return pool.started + 1 < n ? pool.started + 1 : n; /* workers left from a larger count stay idle */
}

static int pool_threads; /* 0 until wl_parallel_set_threads: OpenBLAS's count */

void wl_parallel_set_threads(int n)
{
    static int openblas_choice;
    if (!openblas_choice) openblas_choice = wl_blas_default_threads();
    pool_threads = n > 0 ? n : openblas_choice;
    openblas_set_num_threads(1);
}

int wl_parallel_threads(void)
{
    int t = pool_threads ? pool_threads : wl_blas_default_threads();
    return t < 1 ? 1 : t > MAX_THREADS ? MAX_THREADS : t;
}

void wl_parallel_for(int n, int grain, void (*fn)(void *ctx, int begin, int end), void *ctx)
{
    int threads = wl_parallel_threads();
    if (grain < 1) grain = 1;
    if (threads > n / grain) threads = n / grain;
    if (threads > 1 && atomic_flag_test_and_set(&pool.busy)) threads = 1; /* another job is running */
    else if (threads > 1 && (threads = ensure_workers(threads)) <= 1) atomic_flag_clear(&pool.busy);
    if (threads <= 1) {
        if (n > 0) fn(ctx, 0, n);
        return;
    }
    int blas = openblas_get_num_threads(); /* 1 unless a caller changed it after wl_parallel_set_threads */
    if (blas != 1) openblas_set_num_threads(1); /* products inside fn: one thread each */
    for (int i = 0; i <= pool.started; i++)
        pool.slice[i] = i < threads ? (slice){fn, ctx, (int)((long long)n * i / threads),
                                              (int)((long long)n * (i + 1) / threads)}
                                    : (slice){NULL, NULL, 0, 0};
    atomic_store(&pool.pending, pool.started);
    pthread_mutex_lock(&pool.mu);
    atomic_fetch_add(&pool.gen, 1);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.mu);
    fn(ctx, pool.slice[0].begin, pool.slice[0].end);
    for (int i = 0; i < SPIN_ROUNDS && atomic_load(&pool.pending) > 0; i++) CPU_RELAX();
    if (atomic_load(&pool.pending) > 0) {
        pthread_mutex_lock(&pool.mu);
        while (atomic_load(&pool.pending) > 0) pthread_cond_wait(&pool.done, &pool.mu);
        pthread_mutex_unlock(&pool.mu);
    }
    if (blas != 1) openblas_set_num_threads(blas);
    if (atomic_exchange(&pool.oom, 0)) wl_oom_note();
    atomic_flag_clear(&pool.busy);
}

typedef struct {
    void (*fn)(void *, int, int);
    void *ctx;
    int n, block;
} aligned_job;

static void aligned_slice(void *p, int b0, int b1)
{
    const aligned_job *j = p;
    int64_t end = (int64_t)b1 * j->block;
    j->fn(j->ctx, b0 * j->block, end < j->n ? (int)end : j->n);
}

void wl_parallel_for_aligned(int n, int block, void (*fn)(void *ctx, int begin, int end), void *ctx)
{
    aligned_job j = {fn, ctx, n, block};
    wl_parallel_for((int)(((int64_t)n + block - 1) / block), 1, aligned_slice, &j);
}
