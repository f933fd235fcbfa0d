/* How monotone a cross-attention matrix is: as the decoder moves on through the text, does the
 * place it listens to move on through the audio? */
#ifndef MONOTONICITY_H
#define MONOTONICITY_H

/* Spearman's rank correlation of x and y (ties get their average rank). NAN when n < 2 or
 * either has no spread. */
double monotonicity_spearman(const double *x, const double *y, int n);

typedef struct {
    int n;                /* rows (tokens) measured */
    double rho_peak;      /* Spearman(token index, column of the row's maximum) */
    double rho_centroid;  /* Spearman(token index, attention-weighted mean column) */
    double nondecreasing; /* fraction of consecutive rows whose peak does not move back (NAN if n < 2) */
} monotonicity;

/* Measures rows [rows][stride] over columns c0 <= c < c1 (the speech); peak[r] and centroid[r]
 * (may be NULL) receive each row's peak column and centroid (absolute column numbers). */
monotonicity monotonicity_measure(const float *m, int rows, int stride, int c0, int c1, double *peak,
                                        double *centroid);

#endif
