/* Comparing a computed tensor with its HF golden: the numbers a CI log reader needs.
 *
 * For every element: pass iff |got - ref| <= atol + rtol * |ref|. A non-finite ref (the -inf of a
 * suppressed token) must be matched exactly; a non-finite got where ref is finite always fails.
 * Errors are reported as max-abs, max-rel (max-abs over the reference's RMS, so near-zero
 * elements do not blow it up), NMSE, cosine, and headroom: the largest
 * |got - ref| / (atol + rtol * |ref|); below 1 passes, and 1 - headroom is the margin left. */
#ifndef T_DIFF_H
#define T_DIFF_H

#include <stdint.h>

typedef struct {
    const float *data;
    int ndim;
    int64_t shape[4];
} t_view;

typedef struct {
    double atol, rtol;
} t_tol;

typedef struct {
    int pass;          /* shapes equal, every element within tolerance */
    int shape_ok;
    int64_t n;         /* elements compared */
    int64_t n_bad;     /* elements outside tolerance (non-finite ones included) */
    int64_t n_nonfinite; /* non-finite values in got where ref is finite */
    int64_t worst;     /* flat index of the element with the largest headroom */
    double max_abs, max_rel, nmse, cosine, headroom;
} t_diff;

/* Compares got with ref. Shapes must match exactly (else pass = shape_ok = 0). */
t_diff t_diff_views(t_view got, t_view ref, t_tol tol);

/* Same for flat arrays of n elements. */
t_diff t_diff_arrays(const float *got, const float *ref, int64_t n, t_tol tol);


/* One result covering both comparisons (e.g. kept frames and whole-axis stats). */
t_diff t_diff_merge(t_diff a, t_diff b);

#endif
