/* Spearman correlation and the monotonicity of attention rows. */
#include "monotonicity.h"

#include <math.h>
#include <stdlib.h>

/* Average ranks (1-based) of x into r. */
static void ranks(const double *x, int n, double *r)
{
    for (int i = 0; i < n; i++) {
        int below = 0, equal = 0;
        for (int j = 0; j < n; j++) below += x[j] < x[i], equal += x[j] == x[i];
        r[i] = below + (equal + 1) / 2.0;
    }
}

double monotonicity_spearman(const double *x, const double *y, int n)
{
    if (n < 2) return NAN;
    double *rx = malloc(sizeof *rx * (size_t)n), *ry = malloc(sizeof *ry * (size_t)n);
    if (!rx || !ry) return free(rx), free(ry), NAN;
    ranks(x, n, rx), ranks(y, n, ry);
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) mx += rx[i] / n, my += ry[i] / n;
    for (int i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    free(rx), free(ry);
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

monotonicity monotonicity_measure(const float *m, int rows, int stride, int c0, int c1, double *peak,
                                        double *centroid)
{
    monotonicity out = {.n = rows, .rho_peak = NAN, .rho_centroid = NAN, .nondecreasing = NAN};
    double *idx = malloc(sizeof *idx * (size_t)(rows > 0 ? rows : 1));
    double *pk = malloc(sizeof *pk * (size_t)(rows > 0 ? rows : 1));
    double *ct = malloc(sizeof *ct * (size_t)(rows > 0 ? rows : 1));
    if (!idx || !pk || !ct || c1 <= c0 || rows < 1) {
        free(idx), free(pk), free(ct);
        return out;
    }
    int steps_up = 0;
    for (int r = 0; r < rows; r++) {
        const float *row = m + (size_t)r * stride;
        int best = c0;
        double sum = 0, wsum = 0;
        for (int c = c0; c < c1; c++) {
            if (row[c] > row[best]) best = c;
            sum += row[c], wsum += (double)row[c] * c;
        }
        idx[r] = r, pk[r] = best, ct[r] = sum > 0 ? wsum / sum : (c0 + c1 - 1) / 2.0;
        if (r > 0 && pk[r] >= pk[r - 1]) steps_up++;
        if (peak) peak[r] = pk[r];
        if (centroid) centroid[r] = ct[r];
    }
    out.rho_peak = monotonicity_spearman(idx, pk, rows);
    out.rho_centroid = monotonicity_spearman(idx, ct, rows);
    if (rows > 1) out.nondecreasing = (double)steps_up / (rows - 1);
    free(idx), free(pk), free(ct);
    return out;
}
