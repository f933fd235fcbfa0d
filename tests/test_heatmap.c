/* Heatmap PNGs: the image has the laid-out size, cells land where the layout says with the
 * viridis colour of their value, narrow peaks survive downsampling, awkward labels draw, and bad
 * input or an unwritable path fail with the path named and no file left behind. */
#include "../reports/tools/heatmap.h"

#include <cairo.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define DIR "build/tmp/heatmap"

static const char *const LABELS8[] = {"<|startoftranscript|>", " I", "I", " he", " works", ".", "  ", "<|endoftext|>"};

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* The PNG read back, with its size checked against the layout. */
static cairo_surface_t *load(const char *path, int width, int height)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s)) fail_msg("%s: %s", path, cairo_status_to_string(cairo_surface_status(s)));
    assert_int_equal(cairo_image_surface_get_width(s), width);
    assert_int_equal(cairo_image_surface_get_height(s), height);
    return s;
}

static void rgb(cairo_surface_t *s, int x, int y, int c[3])
{
    cairo_surface_flush(s);
    uint32_t p = *(uint32_t *)(cairo_image_surface_get_data(s) + (size_t)y * cairo_image_surface_get_stride(s) + 4 * (size_t)x);
    c[0] = p >> 16 & 255, c[1] = p >> 8 & 255, c[2] = p & 255;
}

static double luma(const int c[3]) { return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; }

/* Centre pixel of cell (r, c) from the layout. */
static void cell_centre(const heatmap_geom *g, const heatmap *h, int r, int c, int *x, int *y)
{
    *x = g->plot_x + (int)((c + 0.5) * g->plot_w / h->cols);
    *y = g->plot_y + (int)((r + 0.5) * g->plot_h / h->rows);
}

static void test_diagonal(void **state)
{
    (void)state;
    assert_int_equal(system("rm -rf " DIR " && mkdir -p " DIR), 0);
    float v[8 * 40];
    for (int i = 0; i < 8 * 40; i++) v[i] = (i % 40) / 5 == i / 40 ? 0.9f : 0.0f;
    heatmap h = {v, 8, 40, LABELS8, 0.0, 0.02, "clip 03: \"he works\"", "diagonal 8x40, test"};
    heatmap_geom g;
    char err[512] = "";
    if (heatmap_layout(&h, &g, err, sizeof err)) fail_msg("%s", err);
    if (heatmap_png(DIR "/diag.png", &h, err, sizeof err)) fail_msg("%s", err);
    assert_false(exists(DIR "/diag.png.tmp"));
    printf("  image %dx%d, plot %dx%d at (%d,%d), bar %dx%d at (%d,%d)\n", g.width, g.height, g.plot_w, g.plot_h,
           g.plot_x, g.plot_y, g.bar_w, g.bar_h, g.bar_x, g.bar_y);
    assert_in_range(g.width, 900, 1400);
    assert_true(g.plot_x + g.plot_w < g.bar_x && g.bar_x + g.bar_w < g.width);
    assert_true(g.plot_y + g.plot_h < g.height);

    cairo_surface_t *s = load(DIR "/diag.png", g.width, g.height);
    double dim_on = 255, bright_off = 0;
    for (int r = 0; r < 8; r++) {
        int x, y, on[3], off[3];
        cell_centre(&g, &h, r, r * 5 + 2, &x, &y);
        rgb(s, x, y, on);
        cell_centre(&g, &h, r, (r + 4) % 8 * 5 + 2, &x, &y);
        rgb(s, x, y, off);
        printf("  row %d: diagonal (%3d,%3d,%3d) luma %5.1f   off-diagonal (%3d,%3d,%3d) luma %5.1f\n", r, on[0], on[1],
               on[2], luma(on), off[0], off[1], off[2], luma(off));
        /* the bright end of viridis is yellow (253,231,37), the dark end purple (68,1,84) */
        assert_true(on[0] > 200 && on[1] > 200 && on[2] < 90);
        assert_true(off[0] < 100 && off[1] < 30 && off[2] > 60);
        if (luma(on) < dim_on) dim_on = luma(on);
        if (luma(off) > bright_off) bright_off = luma(off);
    }
    printf("  dimmest diagonal luma %.1f, brightest off-diagonal luma %.1f (want a gap > 100)\n", dim_on, bright_off);
    assert_true(dim_on - bright_off > 100);

    /* the colour bar: yellow at the top, purple at the bottom */
    int top[3], bottom[3];
    rgb(s, g.bar_x + g.bar_w / 2, g.bar_y + 1, top);
    rgb(s, g.bar_x + g.bar_w / 2, g.bar_y + g.bar_h - 2, bottom);
    printf("  colour bar top (%d,%d,%d), bottom (%d,%d,%d)\n", top[0], top[1], top[2], bottom[0], bottom[1], bottom[2]);
    assert_true(top[0] > 200 && top[1] > 200 && bottom[1] < 30);
    cairo_surface_destroy(s);
}

/* 1500 columns in fewer pixels: a one-column peak still shows, where its column is. */
static void test_narrow_peak_survives(void **state)
{
    (void)state;
    static float v[3 * 1500];
    v[1 * 1500 + 777] = 0.5f, v[0] = 0.1f;
    heatmap h = {v, 3, 1500, (const char *const[]){" the", " cat", "<|endoftext|>"}, 0.0, 0.02, "3x1500", NULL};
    heatmap_geom g;
    char err[512] = "";
    if (heatmap_layout(&h, &g, err, sizeof err)) fail_msg("%s", err);
    if (heatmap_png(DIR "/wide.png", &h, err, sizeof err)) fail_msg("%s", err);
    cairo_surface_t *s = load(DIR "/wide.png", g.width, g.height);
    int y = g.plot_y + g.plot_h / 2, best_x = -1;
    double best = -1;
    for (int x = g.plot_x; x < g.plot_x + g.plot_w; x++) {
        int c[3];
        rgb(s, x, y, c);
        if (luma(c) > best) best = luma(c), best_x = x;
    }
    double want = g.plot_x + 777.5 * g.plot_w / 1500;
    printf("  plot %d px wide for 1500 columns; brightest pixel of row 1 at x %d (column 777 at %.1f), luma %.1f\n",
           g.plot_w, best_x, want, best);
    assert_true(best > 200 && fabs(best_x - want) <= 1.5);
    int last[3];
    rgb(s, g.plot_x + g.plot_w - 1, y, last); /* the plot is filled to its right edge */
    assert_true(last[0] == 68 && last[1] == 1 && last[2] == 84);
    cairo_surface_destroy(s);
}

/* Labels cairo would refuse or that would overflow, no labels at all, and an all-zero matrix. */
static void test_awkward_input_draws(void **state)
{
    (void)state;
    float v[4 * 10] = {0};
    const char *const labels[] = {"bad \xff\xfe utf-8 \xe2\x82", "tab\there\nnewline\x01", "\xc3\xa9t\xc3\xa9 \xe2\x90\xa3 \xe4\xb8\xad",
                                  "a very long token label that goes on and on and on and on and on and on and on and on"};
    heatmap h = {v, 4, 10, labels, 1.5, 0.25, "zeros \x07 title", NULL};
    char err[512] = "";
    if (heatmap_png(DIR "/awkward.png", &h, err, sizeof err)) fail_msg("%s", err);
    h.row_labels = NULL;
    if (heatmap_png(DIR "/numbered.png", &h, err, sizeof err)) fail_msg("%s", err);
    heatmap_geom g;
    if (heatmap_layout(&h, &g, err, sizeof err)) fail_msg("%s", err);
    cairo_surface_t *s = load(DIR "/numbered.png", g.width, g.height);
    int x, y, c[3];
    cell_centre(&g, &h, 3, 9, &x, &y);
    rgb(s, x, y, c);
    printf("  all-zero matrix: cell colour (%d,%d,%d)\n", c[0], c[1], c[2]);
    assert_true(c[0] == 68 && c[1] == 1 && c[2] == 84);
    cairo_surface_destroy(s);
}

static void test_grid(void **state)
{
    (void)state;
    enum { L = 2, H = 4, R = 6, C = 50 };
    static float v[L * H][R * C];
    heatmap p[L * H];
    char names[L * H][32];
    const char *titles[L * H];
    for (int i = 0; i < L * H; i++) {
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++) v[i][r * C + c] = (float)exp(-pow((c - (r * 8 + i)) / 3.0, 2)) * (i + 1) / (L * H);
        p[i] = (heatmap){v[i], R, C, LABELS8, 0.0, 0.02, "clip 07: grid", "every layer and head"};
        snprintf(names[i], sizeof names[i], "layer %d head %d", i / H, i % H);
        titles[i] = names[i];
    }
    char err[512] = "";
    if (heatmap_grid_png(DIR "/grid.png", p, titles, L * H, H, NULL, err, sizeof err)) fail_msg("%s", err);
    cairo_surface_t *s = cairo_image_surface_create_from_png(DIR "/grid.png");
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    printf("  grid of %d panels: %dx%d px\n", L * H, cairo_image_surface_get_width(s), cairo_image_surface_get_height(s));
    assert_true(cairo_image_surface_get_width(s) >= 900 && cairo_image_surface_get_height(s) >= 300);
    cairo_surface_destroy(s);
    assert_false(exists(DIR "/grid.png.tmp"));
    /* fewer panels than columns, and an explicit title */
    if (heatmap_grid_png(DIR "/grid3.png", p, NULL, 3, 4, "three panels", err, sizeof err)) fail_msg("%s", err);
}

/* f returns -1 with a message naming path and containing why; neither path nor its .tmp exist. */
static void expect_failure(int rc, const char *err, const char *path, const char *why)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (rc != -1) fail_msg("%s: returned %d, want -1", path, rc);
    if (!strstr(err, path) || !strstr(err, why)) fail_msg("got '%s', want the path %s and '%s'", err, path, why);
    assert_false(exists(tmp));
    printf("  %s\n", err);
}

static void test_errors(void **state)
{
    (void)state;
    float v[2 * 3] = {0, 0.5f, 1, 0, 0, 0};
    heatmap h = {v, 2, 3, NULL, 0, 0.02, "t", NULL};
    char err[512];
    const char *p = DIR "/bad.png";

    v[4] = NAN;
    expect_failure(heatmap_png(p, &h, err, sizeof err), err, p, "row 1 column 1 is nan");
    v[4] = -0.5f;
    expect_failure(heatmap_png(p, &h, err, sizeof err), err, p, "row 1 column 1 is -0.5");
    v[4] = 0;
    h.rows = 0;
    expect_failure(heatmap_png(p, &h, err, sizeof err), err, p, "0 rows");
    h.rows = 5000;
    expect_failure(heatmap_png(p, &h, err, sizeof err), err, p, "5000 rows");
    h.rows = 2, h.cols = 0;
    expect_failure(heatmap_png(p, &h, err, sizeof err), err, p, "0 columns");
    h.cols = 3, h.values = NULL;
    expect_failure(heatmap_png(p, &h, err, sizeof err), err, p, "values is NULL");
    h.values = v, h.dt = 0;
    expect_failure(heatmap_png(p, &h, err, sizeof err), err, p, "dt 0");
    h.dt = 0.02;
    assert_false(exists(p));

    heatmap two[2] = {h, h};
    expect_failure(heatmap_grid_png(p, two, NULL, 0, 2, NULL, err, sizeof err), err, p, "0 panels");
    expect_failure(heatmap_grid_png(p, two, NULL, 2, 0, NULL, err, sizeof err), err, p, "0 columns of panels");
    two[1].cols = 2;
    expect_failure(heatmap_grid_png(p, two, NULL, 2, 2, NULL, err, sizeof err), err, p, "panel 1: 2x2");
    two[1].cols = 3, v[0] = INFINITY;
    expect_failure(heatmap_grid_png(p, two, NULL, 2, 2, NULL, err, sizeof err), err, p, "panel 0: value at row 0 column 0 is inf");
    v[0] = 0;
    assert_false(exists(p));

    const char *nodir = DIR "/no/such/dir/x.png";
    expect_failure(heatmap_png(nodir, &h, err, sizeof err), err, nodir, "No such file or directory");
    assert_false(exists(nodir));
    /* the .tmp is written but cannot be renamed onto a directory: it must be removed */
    assert_int_equal(system("mkdir -p " DIR "/adir.png"), 0);
    expect_failure(heatmap_png(DIR "/adir.png", &h, err, sizeof err), err, DIR "/adir.png", "directory");
    assert_false(exists(DIR "/adir.png.tmp"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diagonal),
        cmocka_unit_test(test_narrow_peak_survives),
        cmocka_unit_test(test_awkward_input_draws),
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("heatmap PNGs", tests, NULL, NULL);
}
