#include "diff.h"

#include <math.h>

t_diff t_diff_arrays(const float *got, const float *ref, int64_t n, t_tol tol)
{
    t_diff d = {.shape_ok = 1, .n = n, .worst = -1};
    double err2 = 0, ref2 = 0, got2 = 0, dot = 0;
    for (int64_t i = 0; i < n; i++) {
        double g = got[i], r = ref[i], h;
        if (!isfinite(r)) {
            /* -inf for a suppressed token: got must be the same non-finite value. */
            h = (g == r) ? 0 : INFINITY;
        } else if (!isfinite(g)) {
            d.n_nonfinite++;
            h = INFINITY;
        } else {
            double e = fabs(g - r);
            d.max_abs = fmax(d.max_abs, e);
            err2 += e * e, ref2 += r * r, got2 += g * g, dot += g * r;
            h = e / (tol.atol + tol.rtol * fabs(r));
            if (tol.atol == 0 && tol.rtol == 0) h = e > 0 ? INFINITY : 0;
        }
        if (h > 1) d.n_bad++;
        if (d.worst < 0 || h > d.headroom) d.headroom = h, d.worst = i;
    }
    double ref_rms = n ? sqrt(ref2 / (double)n) : 0;
    d.max_rel = ref_rms > 0 ? d.max_abs / ref_rms : d.max_abs;
    d.nmse = ref2 > 0 ? err2 / ref2 : err2;
    d.cosine = (ref2 > 0 && got2 > 0) ? dot / sqrt(ref2 * got2) : (ref2 == got2 ? 1 : 0);
    d.pass = d.n_bad == 0;
    return d;
}

t_diff t_diff_views(t_view got, t_view ref, t_tol tol)
{
    int same = got.ndim == ref.ndim;
    int64_t n = 1;
    for (int i = 0; same && i < got.ndim; i++) {
        same = got.shape[i] == ref.shape[i];
        n *= ref.shape[i];
    }
    if (!same) {
        t_diff d = {.pass = 0, .shape_ok = 0, .worst = -1, .headroom = INFINITY};
        return d;
    }
    return t_diff_arrays(got.data, ref.data, n, tol);
}

t_diff t_diff_merge(t_diff a, t_diff b)
{
    t_diff d = a;
    d.pass = a.pass && b.pass;
    d.shape_ok = a.shape_ok && b.shape_ok;
    d.n = a.n + b.n;
    d.n_bad = a.n_bad + b.n_bad;
    d.n_nonfinite = a.n_nonfinite + b.n_nonfinite;
    d.max_abs = fmax(a.max_abs, b.max_abs);
    d.max_rel = fmax(a.max_rel, b.max_rel);
    d.nmse = fmax(a.nmse, b.nmse);
    d.cosine = fmin(a.cosine, b.cosine);
    if (b.headroom > a.headroom) d.headroom = b.headroom, d.worst = a.n + b.worst;
    return d;
}
