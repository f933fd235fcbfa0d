/* Reading HF goldens (golden/<model>/index.json + one safetensors per clip; layout in
 * golden/README.md): freshness against the model, clips and exporter, and the helpers that
 * bring a full engine tensor to the golden's stored form (kept frames, per-channel stats). */
#ifndef T_GOLDEN_H
#define T_GOLDEN_H

#include "../engine/io/safetensors.h"
#include "diff.h"

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct {
    char dir[1024];
    cJSON *index;
} t_golden;

/* The goldens and model under test: $WL_GOLDEN and $WL_MODEL, else the synthetic checkpoint's. */
const char *t_golden_dir_under_test(void);
const char *t_model_dir_under_test(void);

/* A golden folder's name, its last path component (golden/whisper-micro.en/ -> whisper-micro.en):
 * what its tolerance table and make verify's JSON tables are named by. */
void t_golden_name(const char *golden_dir, char *out, size_t outlen);

/* The tolerance table for a golden folder: tests/tolerances.<folder name>.tsv when the model needs
 * its own limits, else tests/tolerances.tsv. */
void t_golden_tolerance_file(const char *golden_dir, char *out, size_t outlen);

int t_golden_open(t_golden *g, const char *dir, char *err, size_t errlen);
void t_golden_close(t_golden *g);

/* Checks the goldens were exported by the current exporter (EXPORTER_VERSION in
 * exporter_path), from this model folder's weights and configs, on these clip WAVs, and that
 * each golden file is intact. On a mismatch err starts "goldens are stale: re-run make golden"
 * and names what changed. */
int t_golden_check_fresh(const t_golden *g, const char *model_dir, const char *audio_dir,
                         const char *exporter_path, char *err, size_t errlen);

/* The clips entry of index.json for id, or NULL. */
const cJSON *t_golden_clip(const t_golden *g, const char *id);

/* Opens clip id's golden safetensors. */
int t_golden_open_clip(const t_golden *g, const char *id, wl_st_file *f, char *err, size_t errlen);

/* A float tensor of a golden file as a view; NULL data when absent or not F32. */
t_view t_golden_view(const wl_st_file *f, const char *name);

/* out[...] = full with the given axis restricted to index[0..n) (the golden's kept frames).
 * out has full's shape with shape[axis] = n. */
void t_gather(t_view full, int axis, const int32_t *index, int64_t n, float *out);

/* Float64 mean and RMS of full over axis (the golden's .mean/.rms), as float. */
void t_axis_stats(t_view full, int axis, float *mean, float *rms);

/* A full computed tensor against golden stage name stored in f (reduced along axis, or whole):
 * got gathered at name.index (when present) against name, then got's whole-axis mean and RMS
 * against name.mean / name.rms. A missing golden, a bad index or a shape mismatch fails. */
t_diff t_golden_compare(const wl_st_file *f, const char *name, int axis, t_view got, t_tol tol);

#endif
