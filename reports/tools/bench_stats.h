/* Whether B is slower or faster than A, from repeated timings of each, beyond the noise the
 * repeats show.
 * Interleaved rounds (a[i] and b[i] timed side by side): B/A is the median over the rounds of
 * b[i] / a[i], so that the machine's speed drifting from round to round cancels in each ratio,
 * and its interval is the distribution-free one of a median (the sign test's): the k-th smallest
 * and k-th largest ratio, k the largest for which at least 99 % of such intervals hold the true
 * median whatever the noise's distribution (k = 1 of 8 to 11 rounds, 2 of 12 to 14, 3 of 15 to
 * 17, ...; under 8 rounds there is none, and no verdict but "no change"). 99 %, not 95 %: a
 * comparison judges some 15 stages at once, and at 95 % one in three comparisons of a build with
 * itself would call some stage changed.
 * Timings not interleaved (a stored run): B/A is the median of b over the median of a, its
 * interval the 0.5th and 99.5th percentiles of 2000 bootstrap resamples (each side resampled on
 * its own, fixed seed): an approximation, and the samples' drift is not cancelled.
 * Either way B is slower when the whole interval lies above 1, B/A is at least 1 + min_effect and
 * the medians lie at least min_shift apart; faster likewise below; else no change. The minimum
 * effect keeps a shift the size of the machine's noise from ever being called a change, however
 * narrow the interval; the minimum shift does the same for a stage of a few microseconds, which
 * two processes of one build can time apart by a fixed 20 % (where their memory landed). */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

enum { BENCH_STATS_RESAMPLES = 2000, BENCH_STATS_MAX_SAMPLES = 1000, BENCH_STATS_MIN_PAIRED = 8 };
#define BENCH_STATS_MIN_EFFECT 0.03
#define BENCH_STATS_MIN_SHIFT 10e-6 /* seconds */
#define BENCH_STATS_LEVEL 0.99

typedef enum { BENCH_FASTER = -1, BENCH_NO_CHANGE = 0, BENCH_SLOWER = 1 } bench_verdict;

typedef struct {
    double median_a, median_b;
    double ratio;    /* B/A as above */
    double lo, hi;   /* its interval */
    double coverage; /* the interval's confidence: exact for rounds (>= 0.99), nominal 0.99 otherwise */
    bench_verdict verdict;
} bench_comparison;

/* The median of x[0..n) (the mean of the middle two when n is even); NAN when n is 0. */
double bench_stats_median(const double *x, int n);

/* k of the interleaved interval for n rounds (0 when n < 8), and its coverage into *coverage:
 * 1 - 2 P(X < k), X binomial(n, 1/2). */
int bench_stats_sign_rank(int n, double *coverage);

/* Compares b[0..nb) with a[0..na) (positive times; 1 to BENCH_STATS_MAX_SAMPLES each). paired:
 * interleaved rounds (na == nb). 0, or -1 when the samples cannot be compared (an empty or
 * oversized side, a time that is not positive, paired with na != nb, a negative minimum). */
int bench_stats_compare(const double *a, int na, const double *b, int nb, int paired, double min_effect,
                        double min_shift, bench_comparison *out);

/* "slower", "faster" or "no change". */
const char *bench_verdict_name(bench_verdict v);

#endif
