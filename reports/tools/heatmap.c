/* Attention heatmaps drawn with cairo's toy text API and written as PNG. */
#include "heatmap.h"

#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FONT "DejaVu Sans"
#define PAD 14
#define MAX_SIDE 32000 /* cairo image surfaces stop at 32767 px */

/* Everything the drawer needs to place; a single heatmap is a 1x1 grid without panel titles. */
typedef struct {
    int grid;                       /* small panels with titles */
    int width, height;
    int plot_x, plot_y, pw, ph;     /* first panel's cells */
    int ncols, nrows, gap_x, gap_y; /* panel i at plot_x + (i%ncols)*(pw+gap_x), plot_y + (i/ncols)*(ph+gap_y) */
    int bar_x, bar_y, bar_w, bar_h;
    int title_y, subtitle_y;        /* baselines; 0: none */
    double label_w, label_font, tick_font, tick_px; /* tick_px: least space between x ticks */
    int label_every;                /* label every k-th row when rows are thinner than text */
} layout;

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- colour ---- */

/* viridis at 16 even steps (matplotlib's), interpolated linearly between them */
static const unsigned char VIRIDIS[16][3] = {
    {68, 1, 84},    {72, 26, 108},  {71, 47, 125},  {65, 68, 135},  {57, 86, 140},   {49, 104, 142},
    {42, 120, 142}, {35, 136, 142}, {31, 152, 139}, {34, 168, 132}, {53, 183, 121},  {84, 197, 104},
    {122, 209, 81}, {165, 219, 54}, {210, 226, 27}, {253, 231, 37},
};

static uint32_t viridis(double u)
{
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    double x = u * 15;
    int i = x >= 15 ? 14 : (int)x;
    double f = x - i;
    uint32_t px = 0;
    for (int k = 0; k < 3; k++)
        px = px << 8 | (uint32_t)lround(VIRIDIS[i][k] + f * (VIRIDIS[i + 1][k] - VIRIDIS[i][k]));
    return px;
}

/* ---- text ---- */

/* Bytes in the well-formed UTF-8 sequence at p, or 0 (overlong, surrogate, cut short...). */
static int utf8_len(const unsigned char *p)
{
    int n = p[0] < 0x80 ? 1 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3
          : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
    for (int k = 1; k < n; k++)
        if ((p[k] & 0xc0) != 0x80) return 0;
    if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) || (p[0] == 0xf0 && p[1] < 0x90) ||
        (p[0] == 0xf4 && p[1] >= 0x90))
        return 0;
    return n;
}

/* Copies s for display into out (outlen >= 8): spaces as "␣" when mark_spaces, control
 * characters and bytes that are not UTF-8 escaped (cairo rejects invalid UTF-8 and would stop
 * drawing). Leaves room for a "…". Returns 1 when s was cut short. */
static int sanitise(const char *s, int mark_spaces, char *out, size_t outlen)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        char piece[16];
        int n = utf8_len(p);
        if (*p == ' ' && mark_spaces) strcpy(piece, "\xe2\x90\xa3"), n = 1;
        else if (*p == '\n') strcpy(piece, "\\n"), n = 1;
        else if (*p == '\t') strcpy(piece, "\\t"), n = 1;
        else if (*p < 0x20 || *p == 0x7f || n == 0) snprintf(piece, sizeof piece, "\\x%02X", *p), n = 1;
        else if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) snprintf(piece, sizeof piece, "\\u%04X", p[1]); /* C1 */
        else memcpy(piece, p, (size_t)n), piece[n] = 0;
        size_t len = strlen(piece);
        if (o + len + 4 > outlen) return out[o] = 0, 1;
        memcpy(out + o, piece, len), o += len, p += n;
    }
    out[o] = 0;
    return 0;
}

static double text_w(cairo_t *cr, const char *s)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

/* Cuts s (from sanitise) to at most maxw pixels, ending it with "…" when anything is dropped. */
static void fit(cairo_t *cr, char *s, double maxw, int cut)
{
    if (!cut && text_w(cr, s) <= maxw) return;
    for (size_t n = strlen(s); n > 0;) {
        do n--; while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80);
        strcpy(s + n, "\xe2\x80\xa6");
        if (text_w(cr, s) <= maxw) return;
    }
}

static void font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

/* Draws s with its baseline at y; anchor 0 puts its left end at x, 0.5 its centre, 1 its right end. */
static void text_at(cairo_t *cr, const char *s, double x, double y, double anchor)
{
    cairo_move_to(cr, x - anchor * text_w(cr, s), y);
    cairo_show_text(cr, s);
}

/* The display form of row r's label (row number when there are no labels). */
static void row_label(cairo_t *cr, const heatmap *h, int r, double maxw, char *out, size_t outlen)
{
    int cut;
    if (h->row_labels && h->row_labels[r]) cut = sanitise(h->row_labels[r], 1, out, outlen);
    else snprintf(out, outlen, "%d", r), cut = 0;
    fit(cr, out, maxw, cut);
}

/* ---- checks and layout ---- */

/* who: "path: " or "path: panel 3: " for messages */
static int check(const heatmap *h, const char *who, float *max, char *err, size_t errlen)
{
    if (!h) return fail(err, errlen, "%sno heatmap (NULL)", who);
    if (h->rows < 1 || h->rows > HEATMAP_MAX_ROWS)
        return fail(err, errlen, "%s%d rows (want 1..%d)", who, h->rows, HEATMAP_MAX_ROWS);
    if (h->cols < 1 || h->cols > HEATMAP_MAX_COLS)
        return fail(err, errlen, "%s%d columns (want 1..%d)", who, h->cols, HEATMAP_MAX_COLS);
    if (!h->values) return fail(err, errlen, "%svalues is NULL", who);
    if (!isfinite(h->t0) || !isfinite(h->dt) || h->dt <= 0 || !isfinite(h->t0 + h->cols * h->dt))
        return fail(err, errlen, "%stime axis t0 %g dt %g (want finite, dt > 0)", who, h->t0, h->dt);
    *max = 0;
    for (size_t i = 0; i < (size_t)h->rows * h->cols; i++) {
        float v = h->values[i];
        if (!isfinite(v) || v < 0)
            return fail(err, errlen, "%svalue at row %zu column %zu is %g (want finite and >= 0)", who,
                         i / h->cols, i % h->cols, v);
        if (v > *max) *max = v;
    }
    return 0;
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Lays out n panels shaped like h in ncols columns (grid) or h alone; measures the row labels. */
static int make_layout(const heatmap *h, int n, int ncols, int grid, int has_title, int has_subtitle,
                       layout *L, char *err, size_t errlen, const char *who)
{
    memset(L, 0, sizeof *L);
    L->grid = grid;
    L->ncols = ncols < n ? ncols : n;
    L->nrows = (n + L->ncols - 1) / L->ncols;
    L->label_font = grid ? 11 : 13;
    L->tick_font = grid ? 11 : 12;
    L->tick_px = grid ? 40 : 70;

    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(s);
    font(cr, L->label_font, 0);
    double cap = grid ? 160 : 220;
    char buf[160];
    for (int r = 0; r < h->rows; r++) {
        row_label(cr, h, r, cap, buf, sizeof buf);
        double w = text_w(cr, buf);
        if (w > L->label_w) L->label_w = w;
    }
    int bad = cairo_status(cr) != CAIRO_STATUS_SUCCESS;
    cairo_destroy(cr), cairo_surface_destroy(s);
    if (bad) return fail(err, errlen, "%scannot measure the labels (cairo: out of memory?)", who);

    int y = PAD;
    if (has_title) L->title_y = y + 17, y += 26;
    if (has_subtitle) L->subtitle_y = y + 13, y += 20;
    L->plot_y = y + 12 + (grid ? 18 : 0); /* room for the bar's top label; panel titles */
    L->gap_x = 30, L->gap_y = 28;
    L->bar_w = 16;
    int left = PAD + 16 + 10 + (int)ceil(L->label_w) + 8, right = 28 + L->bar_w + 8 + 56 + PAD;
    int bottom = 60, max_h = grid ? 3000 : 2000;
    L->plot_x = left;

    /* row height: taller rows for few tokens, never so short that the plot is a sliver */
    int rh = grid ? (h->rows <= 12 ? 18 : h->rows <= 40 ? 14 : 10) : (h->rows <= 12 ? 28 : h->rows <= 40 ? 22 : 18);
    int min_h = grid ? 60 : 140;
    if (h->rows * rh < min_h) rh = (min_h + h->rows - 1) / h->rows;
    L->ph = h->rows * rh;
    int fixed_h = L->plot_y + bottom + (L->nrows - 1) * L->gap_y;
    if (fixed_h + L->nrows * L->ph > max_h) L->ph = (max_h - fixed_h) / L->nrows;
    if (L->ph < 30) L->ph = 30;
    L->height = fixed_h + L->nrows * L->ph;

    if (grid) {
        L->pw = clampi(h->cols * 3, 180, 320);
        int spare = 2400 - left - right - (L->ncols - 1) * L->gap_x;
        if (L->ncols * L->pw > spare) L->pw = spare / L->ncols > 40 ? spare / L->ncols : 40;
        L->width = left + right + L->ncols * L->pw + (L->ncols - 1) * L->gap_x;
    } else {
        L->width = clampi(left + right + h->cols * 8, 900, 1400);
        L->pw = L->width - left - right;
    }
    if (L->width > MAX_SIDE || L->height > MAX_SIDE)
        return fail(err, errlen, "%sa %d x %d px image is too large for PNG (fewer panels?)", who, L->width, L->height);

    double row_px = (double)L->ph / h->rows, text_px = L->label_font + 3;
    L->label_every = row_px >= text_px ? 1 : (int)ceil(text_px / row_px);
    L->bar_x = L->plot_x + L->ncols * L->pw + (L->ncols - 1) * L->gap_x + 28;
    L->bar_y = L->plot_y;
    L->bar_h = L->nrows * L->ph + (L->nrows - 1) * L->gap_y;
    return 0;
}

int heatmap_layout(const heatmap *h, heatmap_geom *g, char *err, size_t errlen)
{
    float max;
    layout L;
    if (check(h, "heatmap: ", &max, err, errlen) || make_layout(h, 1, 1, 0, h->title != NULL, h->subtitle != NULL, &L, err, errlen, "heatmap: "))
        return -1;
    *g = (heatmap_geom){L.width, L.height, L.plot_x, L.plot_y, L.pw, L.ph, L.bar_x, L.bar_y, L.bar_w, L.bar_h};
    return 0;
}

/* ---- drawing ---- */

/* Cells [lo[i], hi[i]) under each of n pixels across m cells: the nearest cell when cells are at
 * least a pixel wide, else every cell in the pixel (so the pixel can show their largest value). */
static void spans(int n, int m, int *lo, int *hi)
{
    for (int i = 0; i < n; i++) {
        if (m <= n) lo[i] = (int)((2LL * i + 1) * m / (2LL * n)), hi[i] = lo[i] + 1;
        else lo[i] = (int)((long long)i * m / n), hi[i] = (int)((long long)(i + 1) * m / n);
    }
}

static int draw_cells(cairo_t *cr, const heatmap *h, int x0, int y0, int pw, int ph, float vmax)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, pw, ph);
    int *span = malloc(sizeof *span * 2 * (size_t)(pw + ph));
    if (!span || cairo_surface_status(img)) return free(span), cairo_surface_destroy(img), -1;
    int *c_lo = span, *c_hi = c_lo + pw, *r_lo = c_hi + pw, *r_hi = r_lo + ph;
    spans(pw, h->cols, c_lo, c_hi), spans(ph, h->rows, r_lo, r_hi);
    cairo_surface_flush(img);
    unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int y = 0; y < ph; y++) {
        uint32_t *line = (uint32_t *)(data + (size_t)y * stride);
        if (y > 0 && r_lo[y] == r_lo[y - 1] && r_hi[y] == r_hi[y - 1]) { /* same cells: same pixels */
            memcpy(line, data + (size_t)(y - 1) * stride, sizeof *line * (size_t)pw);
            continue;
        }
        for (int x = 0; x < pw; x++) {
            float v = 0;
            for (int r = r_lo[y]; r < r_hi[y]; r++)
                for (int c = c_lo[x]; c < c_hi[x]; c++)
                    if (h->values[(size_t)r * h->cols + c] > v) v = h->values[(size_t)r * h->cols + c];
            line[x] = viridis(v / vmax);
        }
    }
    cairo_surface_mark_dirty(img);
    cairo_set_source_surface(cr, img, x0, y0);
    cairo_paint(cr);
    cairo_surface_destroy(img);
    free(span);
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x0 - 0.5, y0 - 0.5, pw + 1, ph + 1);
    cairo_stroke(cr);
    return 0;
}

/* The smallest step of 1, 2 or 5 x 10^k that is at least least. */
static double nice_step(double least)
{
    double p = pow(10, floor(log10(least)));
    const double m[] = {1, 2, 5, 10};
    for (int i = 0; i < 3; i++)
        if (m[i] * p >= least * (1 - 1e-9)) return m[i] * p;
    return m[3] * p;
}

/* A tick value as text: fixed decimals enough for step, or %g for steps too small or large. */
static void tick_label(char *s, size_t n, double v, double step)
{
    if (step < 1e-4 || step >= 1e6) {
        snprintf(s, n, "%.3g", v);
        return;
    }
    int d = (int)ceil(-log10(step) - 1e-9);
    snprintf(s, n, "%.*f", d < 0 ? 0 : d, fabs(v) < step / 2 ? 0.0 : v); /* never "-0.0" */
}

/* Tick marks under one panel at round seconds; their labels only when labelled. */
static void x_ticks(cairo_t *cr, const layout *L, const heatmap *h, int x0, int y0, int labelled)
{
    double span = h->cols * h->dt, step = nice_step(span * L->tick_px / L->pw), t1 = h->t0 + span;
    double k0 = ceil(h->t0 / step - 1e-9), k1 = floor(t1 / step + 1e-9);
    font(cr, L->tick_font, 0);
    for (double k = k0; k <= k1 && k - k0 < 200; k++) {
        double t = k * step, x = x0 + (t - h->t0) / span * L->pw;
        char s[40];
        tick_label(s, sizeof s, t, step);
        cairo_move_to(cr, floor(x) + 0.5, y0 + L->ph);
        cairo_rel_line_to(cr, 0, 5);
        cairo_stroke(cr);
        if (labelled) text_at(cr, s, x, y0 + L->ph + 8 + 0.72 * L->tick_font, 0.5);
    }
}

static void row_labels(cairo_t *cr, const layout *L, const heatmap *h, int y0)
{
    char buf[160];
    font(cr, L->label_font, 0);
    for (int r = 0; r < h->rows; r += L->label_every) {
        double cy = y0 + (r + 0.5) * L->ph / h->rows;
        row_label(cr, h, r, L->label_w + 0.5, buf, sizeof buf);
        text_at(cr, buf, L->plot_x - 8, cy + 0.36 * L->label_font, 1);
    }
}

/* The colour bar with ticks at round values from 0 and the top value labelled. */
static int colour_bar(cairo_t *cr, const layout *L, float vmax)
{
    double top = vmax > 0 ? vmax : 1; /* all zeros: an honest 0..1 scale, everything dark */
    heatmap bar = {0};
    float *v = malloc(sizeof *v * (size_t)L->bar_h);
    if (!v) return -1;
    for (int y = 0; y < L->bar_h; y++) v[y] = (float)(top * (L->bar_h - 1 - y) / (L->bar_h > 1 ? L->bar_h - 1 : 1));
    bar.values = v, bar.rows = L->bar_h, bar.cols = 1;
    int rc = draw_cells(cr, &bar, L->bar_x, L->bar_y, L->bar_w, L->bar_h, (float)top);
    free(v);
    if (rc) return -1;

    /* ticks 36 px apart or more, at most about 8 */
    double step = nice_step(fmax(top * 36 / L->bar_h, top / 8)), x = L->bar_x + L->bar_w;
    int top_done = 0;
    char s[40];
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    font(cr, L->tick_font, 0);
    for (double k = 0; k * step <= top * (1 + 1e-9) && k < 200; k++) {
        double y = L->bar_y + L->bar_h - k * step / top * L->bar_h;
        int at_top = fabs(k * step - top) <= top * 1e-6;
        if (y - L->bar_y < 22 && !at_top) continue; /* would touch the top label */
        tick_label(s, sizeof s, k * step, step);
        cairo_move_to(cr, x, floor(y) + 0.5), cairo_rel_line_to(cr, 4, 0), cairo_stroke(cr);
        text_at(cr, s, x + 8, y + 0.36 * L->tick_font, 0);
        top_done |= at_top;
    }
    if (!top_done) { /* the largest value itself */
        snprintf(s, sizeof s, "%.3g", top);
        cairo_move_to(cr, x, L->bar_y + 0.5), cairo_rel_line_to(cr, 4, 0), cairo_stroke(cr);
        text_at(cr, s, x + 8, L->bar_y + 0.36 * L->tick_font, 0);
    }
    return 0;
}

/* A heading cut to fit maxw. */
static void heading(cairo_t *cr, const char *s, double size, int bold, double x, double y, double maxw, double anchor)
{
    char buf[512];
    font(cr, size, bold);
    int cut = sanitise(s, 0, buf, sizeof buf);
    fit(cr, buf, maxw, cut);
    text_at(cr, buf, x, y, anchor);
}

/* libpng's errors end the write through its jump buffer. */
static void png_failed(png_structp png, png_const_charp msg)
{
    snprintf(png_get_error_ptr(png), 256, "%s", msg);
    png_longjmp(png, 1);
}

static void png_warned(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

/* s's RGB24 pixels as an 8-bit RGB PNG into f. libpng rather than cairo's writer, to choose
 * the encoding: every row filtered "up" (a heatmap's rows repeat) and zlib level 3 write a map
 * several times faster than cairo's writer (adaptive filters, level 6), a little larger.
 * Returns 0, or -1 with why in msg[256]. */
static int encode_png(cairo_surface_t *s, FILE *f, char *msg)
{
    cairo_surface_flush(s);
    const int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    const int stride = cairo_image_surface_get_stride(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    unsigned char *volatile row = malloc((size_t)w * 3);
    png_structp png = row ? png_create_write_struct(PNG_LIBPNG_VER_STRING, msg, png_failed, png_warned) : NULL;
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!data || !info) {
        png_destroy_write_struct(&png, NULL);
        free(row);
        return snprintf(msg, 256, "out of memory"), -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
    png_set_compression_level(png, 3);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) {
        const uint32_t *px = (const uint32_t *)(data + (size_t)y * stride); /* xRGB in a native word */
        for (int x = 0; x < w; x++) row[3 * x] = px[x] >> 16, row[3 * x + 1] = px[x] >> 8, row[3 * x + 2] = px[x];
        png_write_row(png, row);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(row);
    return 0;
}

static int write_png(cairo_surface_t *s, const char *path, char *err, size_t errlen)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 5), msg[256] = "";
    if (!tmp) return fail(err, errlen, "%s: out of memory", path);
    memcpy(tmp, path, n), memcpy(tmp + n, ".tmp", 5);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        int e = errno;
        free(tmp);
        return fail(err, errlen, "%s: cannot create %s.tmp: %s", path, path, strerror(e));
    }
    int bad = encode_png(s, f, msg);
    int e = ferror(f) ? errno : 0;
    if (fclose(f) != 0 && !e) e = errno;
    if (!bad && !e && rename(tmp, path) == 0) return free(tmp), 0;
    if (!e) e = errno;
    remove(tmp), free(tmp);
    if (bad) return fail(err, errlen, "%s: cannot write: %s", path, msg);
    return fail(err, errlen, "%s: cannot write: %s", path, strerror(e));
}

static int render(const char *path, const layout *L, const heatmap *p, const char *const *titles, int n,
                  const char *title, const char *subtitle, float vmax, char *err, size_t errlen)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, L->width, L->height);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    double text_w_max = L->width - 2 * PAD;
    if (title) heading(cr, title, 18, 1, PAD, L->title_y, text_w_max, 0);
    if (subtitle) cairo_set_source_rgb(cr, 0.3, 0.3, 0.3), heading(cr, subtitle, 13, 0, PAD, L->subtitle_y, text_w_max, 0);

    int rc = 0;
    float scale = vmax > 0 ? vmax : 1;
    for (int i = 0; i < n && !rc; i++) {
        int col = i % L->ncols, row = i / L->ncols;
        int x0 = L->plot_x + col * (L->pw + L->gap_x), y0 = L->plot_y + row * (L->ph + L->gap_y);
        rc = draw_cells(cr, &p[i], x0, y0, L->pw, L->ph, scale);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        x_ticks(cr, L, &p[i], x0, y0, i + L->ncols >= n); /* labels where no panel is below */
        if (col == 0) row_labels(cr, L, &p[0], y0);
        if (L->grid) {
            char fallback[32];
            const char *t = titles && titles[i] ? titles[i] : (snprintf(fallback, sizeof fallback, "panel %d", i), fallback);
            heading(cr, t, 12, 0, x0 + L->pw / 2.0, y0 - 6, L->pw, 0.5);
        }
    }
    if (!rc) rc = colour_bar(cr, L, vmax);

    /* axis titles, centred on the block of panels */
    double block_w = L->ncols * L->pw + (L->ncols - 1) * L->gap_x;
    font(cr, 13, 0);
    text_at(cr, "encoder position time (s)", L->plot_x + block_w / 2, L->plot_y + L->bar_h + 42, 0.5);
    cairo_save(cr);
    cairo_translate(cr, PAD + 13, L->plot_y + L->bar_h / 2.0);
    cairo_rotate(cr, -M_PI / 2);
    text_at(cr, "decoded token", 0, 0, 0.5);
    cairo_restore(cr);

    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (rc || st) {
        cairo_surface_destroy(s);
        return fail(err, errlen, "%s: cannot draw: %s", path, st ? cairo_status_to_string(st) : "out of memory");
    }
    rc = write_png(s, path, err, errlen);
    cairo_surface_destroy(s);
    return rc;
}

int heatmap_png(const char *path, const heatmap *h, char *err, size_t errlen)
{
    if (!path) return fail(err, errlen, "heatmap: no output path (NULL)");
    char who[4200];
    snprintf(who, sizeof who, "%s: ", path);
    float max;
    layout L;
    if (check(h, who, &max, err, errlen) || make_layout(h, 1, 1, 0, h->title != NULL, h->subtitle != NULL, &L, err, errlen, who))
        return -1;
    return render(path, &L, h, NULL, 1, h->title, h->subtitle, max, err, errlen);
}

int heatmap_grid_png(const char *path, const heatmap *panels, const char *const *panel_titles, int n,
                        int ncols, const char *title, char *err, size_t errlen)
{
    if (!path) return fail(err, errlen, "heatmap grid: no output path (NULL)");
    if (n < 1 || n > HEATMAP_MAX_PANELS || !panels)
        return fail(err, errlen, "%s: %d panels%s (want 1..%d)", path, n, panels ? "" : " at NULL", HEATMAP_MAX_PANELS);
    if (ncols < 1) return fail(err, errlen, "%s: %d columns of panels (want >= 1)", path, ncols);
    char who[4200];
    float max = 0;
    for (int i = 0; i < n; i++) {
        const heatmap *a = &panels[i], *b = &panels[0];
        float m;
        snprintf(who, sizeof who, "%s: panel %d: ", path, i);
        if (check(a, who, &m, err, errlen)) return -1;
        if (a->rows != b->rows || a->cols != b->cols || a->t0 != b->t0 || a->dt != b->dt)
            return fail(err, errlen, "%s%dx%d from %g s step %g s, but panel 0 is %dx%d from %g s step %g s", who,
                        a->rows, a->cols, a->t0, a->dt, b->rows, b->cols, b->t0, b->dt);
        if (m > max) max = m;
    }
    snprintf(who, sizeof who, "%s: ", path);
    const char *t = title ? title : panels[0].title;
    layout L;
    if (make_layout(&panels[0], n, ncols, 1, t != NULL, panels[0].subtitle != NULL, &L, err, errlen, who)) return -1;
    return render(path, &L, panels, panel_titles, n, t, panels[0].subtitle, max, err, errlen);
}
