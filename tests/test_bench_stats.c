/* The statistic make bench-compare judges by (reports/tools/bench_stats.h), on synthetic timings
 * from a seeded generator: two samples of one distribution give no change, a 10 % shift is
 * found and its size estimated, a 2 % shift under 5 % noise is not called a change, a machine
 * whose speed drifts from round to round neither hides a shift nor makes one, and fewer rounds
 * than an interval needs give no verdict. The rates are over many seeded trials, so each
 * bound is a property of the statistic, not of one lucky draw. The interval's ranks are checked
 * against binomial tails worked out by hand. */
#include "../reports/tools/bench_stats.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

/* xorshift64*: the trials are the same on every run and platform. */
static uint64_t rng_state;
static double uniform(void)
{
    rng_state ^= rng_state >> 12, rng_state ^= rng_state << 25, rng_state ^= rng_state >> 27;
    return ((rng_state * 0x2545f4914f6cdd1dULL) >> 11) * (1.0 / 9007199254740992.0);
}
static double gaussian(void)
{
    double u = uniform(), v = uniform();
    return sqrt(-2 * log(u > 0 ? u : 1e-300)) * cos(2 * M_PI * v);
}

/* A timing of `base` seconds under noise: a log-normal factor of relative spread `noise` and,
 * in a share `interference` of the runs, another job's: up to 30 % more, never less. */
static double timing(double base, double noise, double interference)
{
    double t = base * exp(noise * gaussian());
    return uniform() < interference ? t * (1 + 0.3 * uniform()) : t;
}

typedef struct {
    int rounds, paired;
    double shift, noise, drift; /* drift: the spread of a round's speed, shared by its A and B */
    double interference;
} trial_setup;

/* One comparison of B = A * (1 + shift) under the setup's noise. */
static bench_comparison trial(const trial_setup *s)
{
    double a[64], b[64];
    for (int i = 0; i < s->rounds; i++) {
        double speed = exp(s->drift * gaussian());
        a[i] = timing(0.2 * speed, s->noise, s->interference);
        b[i] = timing(0.2 * speed * (1 + s->shift), s->noise, s->interference);
    }
    bench_comparison c;
    assert_int_equal(bench_stats_compare(a, s->rounds, b, s->rounds, s->paired, BENCH_STATS_MIN_EFFECT, 0, &c), 0);
    return c;
}

/* The share of n seeded trials with verdict v. */
static double rate(const trial_setup *s, bench_verdict v, int n, uint64_t seed)
{
    rng_state = seed;
    int hits = 0;
    for (int i = 0; i < n; i++) hits += trial(s).verdict == v;
    return (double)hits / n;
}

static void test_median(void **state)
{
    (void)state;
    const double odd[] = {5, 1, 3}, even[] = {4, 1, 3, 2};
    assert_true(bench_stats_median(odd, 3) == 3);
    assert_true(bench_stats_median(even, 4) == 2.5);
    assert_true(isnan(bench_stats_median(odd, 0)));
}

/* k: the largest with 2 P(X < k) <= 0.01, X ~ binomial(n, 1/2). By hand: n = 7: P(X = 0) =
 * 1/128 > 0.005, none; n = 8: 1/256; n = 11: P(X <= 1) = 12/2048 > 0.005; n = 12: P(X <= 1) =
 * 13/4096; n = 15: P(X <= 2) = 121/32768 while P(X <= 3) = 576/32768 > 0.005. */
static void test_sign_ranks(void **state)
{
    (void)state;
    double cov;
    assert_int_equal(bench_stats_sign_rank(7, &cov), 0);
    assert_int_equal(bench_stats_sign_rank(8, &cov), 1);
    assert_true(fabs(cov - (1 - 2.0 / 256)) < 1e-12);
    assert_int_equal(bench_stats_sign_rank(11, &cov), 1);
    assert_true(fabs(cov - (1 - 2.0 / 2048)) < 1e-12);
    assert_int_equal(bench_stats_sign_rank(12, &cov), 2);
    assert_true(fabs(cov - (1 - 26.0 / 4096)) < 1e-12);
    assert_int_equal(bench_stats_sign_rank(15, &cov), 3);
    assert_true(fabs(cov - (1 - 242.0 / 32768)) < 1e-12);
}

static void test_same_build_is_no_change(void **state)
{
    (void)state;
    trial_setup s = {12, 1, 0, 0.05, 0, 0.2};
    rng_state = 11;
    bench_comparison c = trial(&s);
    assert_int_equal(c.verdict, BENCH_NO_CHANGE);
    assert_true(c.lo <= 1 && c.hi >= 1);
    double wrong = rate(&s, BENCH_SLOWER, 1000, 12) + rate(&s, BENCH_FASTER, 1000, 12);
    printf("  identical, 5 %% noise, 12 rounds: a change called in %.1f %% of trials\n", 100 * wrong);
    assert_true(wrong <= 0.02);
}

static void test_ten_percent_slower_is_found(void **state)
{
    (void)state;
    trial_setup s = {12, 1, 0.10, 0.03, 0, 0};
    rng_state = 21;
    bench_comparison c = trial(&s);
    assert_int_equal(c.verdict, BENCH_SLOWER);
    assert_true(c.ratio > 1.05 && c.ratio < 1.15);
    assert_true(c.lo > 1 && c.lo <= c.ratio && c.ratio <= c.hi);
    double found = rate(&s, BENCH_SLOWER, 1000, 22);
    printf("  10 %% slower, 3 %% noise, 12 rounds: found in %.1f %% of trials\n", 100 * found);
    assert_true(found >= 0.95);
    s.shift = 1 / 1.10 - 1;
    assert_true(rate(&s, BENCH_FASTER, 1000, 23) >= 0.95);
    assert_true(rate(&s, BENCH_SLOWER, 1000, 23) == 0);
    /* Another job slowing one run in five by up to 30 % costs power, and is never a false call. */
    s.shift = 0.10, s.interference = 0.2;
    found = rate(&s, BENCH_SLOWER, 1000, 24);
    printf("  the same with interference in one run in five: found in %.1f %% of trials\n", 100 * found);
    assert_true(found >= 0.50);
    assert_true(rate(&s, BENCH_FASTER, 1000, 24) == 0);
}

static void test_two_percent_under_five_percent_noise_is_no_change(void **state)
{
    (void)state;
    trial_setup s = {12, 1, 0.02, 0.05, 0, 0.2};
    rng_state = 31;
    assert_int_equal(trial(&s).verdict, BENCH_NO_CHANGE);
    double called = rate(&s, BENCH_SLOWER, 1000, 32);
    printf("  2 %% slower, 5 %% noise, 12 rounds: called slower in %.1f %% of trials\n", 100 * called);
    assert_true(called <= 0.05);
    /* Without noise a 2 % shift is certain, and still below the minimum effect. */
    s.noise = 0, s.drift = 0;
    double a[12], b[12];
    for (int i = 0; i < 12; i++) a[i] = 0.2, b[i] = 0.204;
    bench_comparison c;
    assert_int_equal(bench_stats_compare(a, 12, b, 12, 1, BENCH_STATS_MIN_EFFECT, 0, &c), 0);
    assert_true(c.lo > 1);
    assert_int_equal(c.verdict, BENCH_NO_CHANGE);
}

/* Each round's speed varies by a factor of about 1.5 (the machine's other jobs come and go):
 * interleaving pairs A and B under the same speed, so neither a change appears nor one hides. */
static void test_drift_cancels_in_the_pairs(void **state)
{
    (void)state;
    trial_setup s = {12, 1, 0, 0.03, 0.4, 0};
    double wrong = rate(&s, BENCH_SLOWER, 1000, 41) + rate(&s, BENCH_FASTER, 1000, 41);
    s.shift = 0.10;
    double found = rate(&s, BENCH_SLOWER, 1000, 42);
    printf("  drifting machine: a change called in %.1f %% of null trials; 10 %% found in %.1f %%\n", 100 * wrong,
           100 * found);
    assert_true(wrong <= 0.02);
    assert_true(found >= 0.95);
}

/* A stored run is not paired: the bootstrap's interval, on a steady machine. */
static void test_stored_run_unpaired(void **state)
{
    (void)state;
    trial_setup s = {12, 0, 0.10, 0.03, 0, 0};
    assert_true(rate(&s, BENCH_SLOWER, 300, 51) >= 0.95);
    s.shift = 0;
    assert_true(rate(&s, BENCH_SLOWER, 300, 52) + rate(&s, BENCH_FASTER, 300, 52) <= 0.10);
}

static void test_too_few_rounds_give_no_verdict(void **state)
{
    (void)state;
    double a[7] = {1, 1, 1, 1, 1, 1, 1}, b[7] = {2, 2, 2, 2, 2, 2, 2};
    bench_comparison c;
    assert_int_equal(bench_stats_compare(a, 7, b, 7, 1, BENCH_STATS_MIN_EFFECT, 0, &c), 0);
    assert_true(c.ratio == 2);
    assert_int_equal(c.verdict, BENCH_NO_CHANGE);
}

/* A stage of a few microseconds that two processes of one build time apart by a steady 20 %
 * (where their memory landed) is under the minimum shift: never called a change. */
static void test_shift_under_the_floor_is_no_change(void **state)
{
    (void)state;
    double a[12], b[12];
    for (int i = 0; i < 12; i++) a[i] = 5e-6 * (1 + 0.01 * i), b[i] = 1.2 * a[i];
    bench_comparison c;
    assert_int_equal(bench_stats_compare(a, 12, b, 12, 1, BENCH_STATS_MIN_EFFECT, BENCH_STATS_MIN_SHIFT, &c), 0);
    assert_true(c.lo > 1.1);
    assert_int_equal(c.verdict, BENCH_NO_CHANGE);
    /* the same 20 % on a 1 ms stage is a change */
    for (int i = 0; i < 12; i++) a[i] *= 200, b[i] *= 200;
    assert_int_equal(bench_stats_compare(a, 12, b, 12, 1, BENCH_STATS_MIN_EFFECT, BENCH_STATS_MIN_SHIFT, &c), 0);
    assert_int_equal(c.verdict, BENCH_SLOWER);
    assert_int_equal(bench_stats_compare(a, 12, b, 12, 1, BENCH_STATS_MIN_EFFECT, -1, &c), -1);
}

static void test_refuses_unusable_samples(void **state)
{
    (void)state;
    double a[6] = {1, 1, 1, 1, 1, 1}, b[6] = {1, 1, 0, 1, 1, 1}, c6[6] = {1, 1, NAN, 1, 1, 1};
    bench_comparison c;
    assert_int_equal(bench_stats_compare(a, 6, b, 6, 1, 0.03, 0, &c), -1);
    assert_int_equal(bench_stats_compare(a, 6, c6, 6, 0, 0.03, 0, &c), -1);
    assert_int_equal(bench_stats_compare(a, 6, a, 5, 1, 0.03, 0, &c), -1);
    assert_int_equal(bench_stats_compare(a, 0, a, 6, 0, 0.03, 0, &c), -1);
    assert_int_equal(bench_stats_compare(a, 6, a, 6, 1, -1, 0, &c), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_median),
        cmocka_unit_test(test_sign_ranks),
        cmocka_unit_test(test_same_build_is_no_change),
        cmocka_unit_test(test_ten_percent_slower_is_found),
        cmocka_unit_test(test_two_percent_under_five_percent_noise_is_no_change),
        cmocka_unit_test(test_drift_cancels_in_the_pairs),
        cmocka_unit_test(test_stored_run_unpaired),
        cmocka_unit_test(test_too_few_rounds_give_no_verdict),
        cmocka_unit_test(test_shift_under_the_floor_is_no_change),
        cmocka_unit_test(test_refuses_unusable_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
