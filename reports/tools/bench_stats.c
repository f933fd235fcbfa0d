/* bench_stats: the ratio, its interval and the verdict. */
#include "bench_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *p, const void *q)
{
    double x = *(const double *)p, y = *(const double *)q;
    return x < y ? -1 : x > y;
}

/* Sorts x in place. */
static double median_sorting(double *x, int n)
{
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

double bench_stats_median(const double *x, int n)
{
    if (n <= 0 || n > BENCH_STATS_MAX_SAMPLES) return NAN;
    double tmp[BENCH_STATS_MAX_SAMPLES];
    memcpy(tmp, x, (size_t)n * sizeof *x);
    return median_sorting(tmp, n);
}

int bench_stats_sign_rank(int n, double *coverage)
{
    /* P(X <= j) summed term by term in logs: exact enough for n up to the cap. */
    double below = 0; /* P(X < k) */
    int k = 0;
    for (int j = 0; j < n; j++) {
        double term = exp(lgamma(n + 1.0) - lgamma(j + 1.0) - lgamma(n - j + 1.0) - n * log(2.0));
        if (2 * (below + term) > 1 - BENCH_STATS_LEVEL) break;
        below += term;
        k = j + 1;
    }
    *coverage = k ? 1 - 2 * below : 0;
    return k;
}

/* splitmix64: the same stream on every platform and C library, unlike rand(). */
static unsigned long long next_random(unsigned long long *state)
{
    unsigned long long z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void resample(const double *x, int n, double *out, unsigned long long *state)
{
    for (int i = 0; i < n; i++) out[i] = x[next_random(state) % (unsigned long long)n];
}

static int usable(const double *x, int n)
{
    if (n < 1 || n > BENCH_STATS_MAX_SAMPLES) return 0;
    for (int i = 0; i < n; i++)
        if (!(x[i] > 0) || !isfinite(x[i])) return 0;
    return 1;
}

int bench_stats_compare(const double *a, int na, const double *b, int nb, int paired, double min_effect,
                        double min_shift, bench_comparison *out)
{
    if (!usable(a, na) || !usable(b, nb) || (paired && na != nb) || !(min_effect >= 0) || !(min_shift >= 0))
        return -1;
    double x[BENCH_STATS_MAX_SAMPLES], y[BENCH_STATS_MAX_SAMPLES];
    out->median_a = bench_stats_median(a, na);
    out->median_b = bench_stats_median(b, nb);
    if (paired) {
        for (int i = 0; i < na; i++) x[i] = b[i] / a[i];
        out->ratio = median_sorting(x, na);
        int k = bench_stats_sign_rank(na, &out->coverage);
        out->lo = k ? x[k - 1] : x[0];
        out->hi = k ? x[na - k] : x[na - 1];
        if (!k) { /* too few rounds for any interval: no verdict */
            out->verdict = BENCH_NO_CHANGE;
            return 0;
        }
    } else {
        static double ratios[BENCH_STATS_RESAMPLES];
        unsigned long long state = 1;
        for (int r = 0; r < BENCH_STATS_RESAMPLES; r++) {
            resample(a, na, x, &state);
            resample(b, nb, y, &state);
            ratios[r] = median_sorting(y, nb) / median_sorting(x, na);
        }
        qsort(ratios, BENCH_STATS_RESAMPLES, sizeof *ratios, cmp_double);
        int tail = (int)((1 - BENCH_STATS_LEVEL) / 2 * BENCH_STATS_RESAMPLES);
        out->ratio = out->median_b / out->median_a;
        out->lo = ratios[tail];
        out->hi = ratios[BENCH_STATS_RESAMPLES - 1 - tail];
        out->coverage = BENCH_STATS_LEVEL;
    }
    out->verdict = BENCH_NO_CHANGE;
    if (fabs(out->median_b - out->median_a) < min_shift) return 0;
    if (out->lo > 1 && out->ratio >= 1 + min_effect) out->verdict = BENCH_SLOWER;
    if (out->hi < 1 && out->ratio <= 1 / (1 + min_effect)) out->verdict = BENCH_FASTER;
    return 0;
}

const char *bench_verdict_name(bench_verdict v)
{
    return v == BENCH_SLOWER ? "slower" : v == BENCH_FASTER ? "faster" : "no change";
}
