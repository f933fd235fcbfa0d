/* Attention heatmaps as PNG (cairo): one matrix of tokens x encoder positions, or a grid of them
 * (every layer and head of one clip). */
#ifndef HEATMAP_H
#define HEATMAP_H

#include <stddef.h>

#define HEATMAP_MAX_ROWS 4096
#define HEATMAP_MAX_COLS 100000
#define HEATMAP_MAX_PANELS 1024

typedef struct {
    const float *values;           /* [rows][cols], row-major, values >= 0 (attention weights) */
    int rows, cols;
    const char *const *row_labels; /* rows strings: the decoded token text of each row (UTF-8; may
                                    * begin with a space, may be "<|endoftext|>"); NULL: row numbers */
    double t0, dt;                 /* column c spans [t0 + c*dt, t0 + (c+1)*dt) seconds; dt > 0 */
    const char *title;             /* e.g. "clip 03: \"he works\""; NULL: none */
    const char *subtitle;          /* e.g. "alignment heads (1,1) (1,3) - whisper-micro.en"; NULL: none */
} heatmap;

/* Where heatmap_png draws, in pixels. Cell (r, c) covers x from plot_x + c*plot_w/cols to
 * plot_x + (c+1)*plot_w/cols, and y likewise from plot_y + r*plot_h/rows. */
typedef struct {
    int width, height;                         /* the image */
    int plot_x, plot_y, plot_w, plot_h;        /* the cells */
    int bar_x, bar_y, bar_w, bar_h;            /* the colour bar, max at the top */
} heatmap_geom;

/* The layout heatmap_png uses for h (it measures the row labels, so it needs the font).
 * Returns 0, or -1 with a message in err when h is invalid. */
int heatmap_layout(const heatmap *h, heatmap_geom *g, char *err, size_t errlen);

/* One heatmap as PNG: tokens labelled on the left (every space shown as "␣", so " I" and "I"
 * differ; control characters and invalid UTF-8 escaped as \n, \xHH; long labels cut with "…"),
 * encoder positions along an x axis in seconds with ticks at round values, a viridis colour bar
 * on the right from 0 to the largest value (all values 0: all dark, bar 0..1), title and subtitle
 * on top. Each image pixel shows the largest value among the cells it covers, so a 10x60 and a
 * 3x1500 matrix both fill the plot and a one-column peak never disappears. The image is written
 * to "<path>.tmp" and renamed to path. Returns 0, or -1 with a one-line message in err naming
 * path (bad arguments: rows/cols out of 1..HEATMAP_MAX_*, NULL values, a value negative or
 * not finite, dt not > 0; or a file that cannot be written); on -1 neither file is left. */
int heatmap_png(const char *path, const heatmap *h, char *err, size_t errlen);

/* n panels in ncols columns (fewer when n < ncols), each a small heatmap titled panel_titles[i]
 * (e.g. "layer 0 head 2"; NULL array or entry: "panel i"). All panels must have the same rows,
 * cols, t0 and dt; row labels are panels[0]'s, shown left of the first column only; x tick labels
 * on the bottom row only; one colour bar for 0 .. the largest value of all panels. Overall title
 * is `title` when non-NULL, else panels[0].title; the subtitle is panels[0].subtitle. Same
 * returns, errors and file handling as heatmap_png (also n outside 1..HEATMAP_MAX_PANELS,
 * ncols < 1, panels that differ in shape or time axis). */
int heatmap_grid_png(const char *path, const heatmap *panels, const char *const *panel_titles,
                        int n, int ncols, const char *title, char *err, size_t errlen);

#endif
