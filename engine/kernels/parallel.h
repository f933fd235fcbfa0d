/* The engine's threads: a small pool that splits products (single-threaded sgemm calls, gemm.h,
 * on each thread's rows or columns) and the work between them (softmax, GELU, attention heads).
 * The libraries' own threads are never used: they would spin on the cores after every product.
 * Each item's result never depends on how items are split, so outputs are bitwise the same for
 * any count. */
#ifndef WL_PARALLEL_H
#define WL_PARALLEL_H

/* Calls fn(ctx, begin, end) on n_threads contiguous slices of [0, n) (fewer when n is small or
 * grain items per slice are not reached; the calling thread runs one slice). While slices run,
 * OpenBLAS is held to one thread, so products inside fn do not oversubscribe the cores. */
void wl_parallel_for(int n, int grain, void (*fn)(void *ctx, int begin, int end), void *ctx);

/* wl_parallel_for over n items whose slices begin and end only at multiples of block (or at n).
 * OpenBLAS's kernels compute a product's rows in groups (12 rows for its Haswell sgemm), and a
 * row's bits depend on the group it falls in: slices at fixed multiples of a block that the
 * groups divide keep every row's group, and so its result, whatever the thread count. oneDNN's
 * kernels may too (its AVX2 sgemm blocks its sums by a call's number of rows), so every kernel
 * path relies on the fixed blocks (test_threads checks each). */
void wl_parallel_for_aligned(int n, int block, void (*fn)(void *ctx, int begin, int end), void *ctx);

/* The calling thread's slot: 0 outside the pool's workers (the thread that calls wl_parallel_for
 * runs the first slice), a worker's own 1 .. wl_parallel_threads() - 1 while it runs a slice. A
 * thread runs one slice at a time, so a buffer per slot is a slice's own. */
int wl_parallel_slot(void);

/* The thread count wl_parallel_for uses (wl_threads()). */
int wl_parallel_threads(void);

/* Sets it: n > 0 threads, or 0 for OpenBLAS's choice at the first call (OPENBLAS_NUM_THREADS, or
 * the cores). OpenBLAS itself is held to one thread from then on. */
void wl_parallel_set_threads(int n);

#endif
