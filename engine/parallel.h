/* Splitting elementwise and per-head work over threads. OpenBLAS threads its own matrix
 * products; this is for the work between them (softmax, GELU, attention heads). Each item's
 * result never depends on how items are split, so outputs are bitwise the same for any count. */
#ifndef WL_PARALLEL_H
#define WL_PARALLEL_H

/* Calls fn(ctx, begin, end) on n_threads contiguous slices of [0, n) (fewer when n is small or
 * grain items per slice are not reached; the calling thread runs one slice). While slices run,
 * OpenBLAS is held to one thread, so products inside fn do not oversubscribe the cores. */
void wl_parallel_for(int n, int grain, void (*fn)(void *ctx, int begin, int end), void *ctx);

/* The thread count wl_parallel_for uses: OpenBLAS's (wl_threads()). */
int wl_parallel_threads(void);

#endif
