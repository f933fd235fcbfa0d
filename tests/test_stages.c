/* The engine against HF, stage by stage, on every lab clip and every edge clip the goldens hold
 * (quiet, exactly 30 s, 44.1 kHz stereo, 8 kHz: data/audio/edge/): audio -> mel -> encoder ->
 * decoder teacher-forced on HF's greedy tokens. Each stage is compared where the golden keeps
 * values (kept frames) and through its whole-axis mean/RMS, with the tolerance table's limits;
 * mel64 (HF's log-mel formula in float64) checks the engine's mel tightly. One table for the lab
 * clips, one for the edge clips; they and build/verify/stages[_edge].<golden folder>.json say
 * which stage broke first and by how much.
 * WL_THREADS sets OpenBLAS threads (default 1, one fixed summation order); WL_GOLDEN and
 * WL_MODEL choose another golden folder and model. Each clip's encoder output goes to
 * WL_ENCODER_CACHE (when make verify sets it) for test_decode. */
#include "../engine/whisperlab.h"
#include "baseline.h"
#include "diff.h"
#include "encode.h"
#include "golden.h"
#include "fatal_signal.h"
#include "kernel_paths.h"
#include "suite.h"
#include "tolerances.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#define MAX_CAPTURE 64

typedef struct {
    char name[32];
    float *data;
    t_view view;
} captured;

static captured cap[MAX_CAPTURE];
static int n_cap;

static void on_stage(void *user, const char *stage, const float *data, int ndim, const int64_t *shape)
{
    (void)user;
    if (n_cap == MAX_CAPTURE) return;
    captured *c = &cap[n_cap++];
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    snprintf(c->name, sizeof c->name, "%s", stage);
    c->data = malloc((size_t)n * sizeof(float));
    memcpy(c->data, data, (size_t)n * sizeof(float));
    c->view = (t_view){c->data, ndim, {shape[0], shape[1], ndim > 2 ? shape[2] : 0, 0}};
}

static void clear_captures(void)
{
    for (int i = 0; i < n_cap; i++) free(cap[i].data);
    n_cap = 0;
}

static const captured *find_capture(const char *name)
{
    for (int i = 0; i < n_cap; i++)
        if (strcmp(cap[i].name, name) == 0) return &cap[i];
    return NULL;
}

/* The engine stage a golden stage is checked against: mel64 is the exact log-mel. */
static const char *engine_stage(const char *golden_stage)
{
    return strcmp(golden_stage, "mel64") == 0 ? "mel" : golden_stage;
}

/* Compares one engine stage with its golden: kept entries along axis (from index.json), then
 * the whole-axis mean and RMS. */
static t_diff compare_stage(const wl_st_file *f, const char *name, int axis, const captured *got, t_tol tol)
{
    return t_golden_compare(f, name, axis, got->view, tol);
}

static void test_stages_match_hf(void **state)
{
    (void)state;
    t_exit_on_fatal_signal();
    char err[1024];
    const char *golden_dir = t_golden_dir_under_test(), *model_dir = t_model_dir_under_test();
    t_golden g;
    char tol_file[1100];
    t_golden_tolerance_file(golden_dir, tol_file, sizeof tol_file);
    if (t_golden_open(&g, golden_dir, err, sizeof err) || t_tol_load(tol_file, err, sizeof err))
        fail_msg("%s", err);
    if (t_kernel_path_take(err, sizeof err)) fail_msg("%s", err); /* make verify-kernels */
    wl_params p = wl_default_params();
    p.n_threads = getenv("WL_THREADS") ? atoi(getenv("WL_THREADS")) : 1; /* the table's figures come from one fixed summation order */
    wl_model *m;
    wl_state *ms = NULL;
    if (wl_model_load(model_dir, p, &m, err, sizeof err) || wl_state_new(m, on_stage, NULL, &ms, err, sizeof err)) fail_msg("%s", err);
    wl_dims dims = wl_model_dims(m);
    char title[1600];
    snprintf(title, sizeof title, "engine vs HF goldens: stage x clips (%s, %d OpenBLAS thread(s), %s)",
             golden_dir, wl_threads(), tol_file);
    t_suite *s = t_suite_new(title);
    snprintf(title, sizeof title, "edge clips: engine vs HF goldens (%s, %s)", golden_dir, tol_file);
    t_suite *se = t_suite_new(title);
    float *mel = malloc((size_t)dims.n_mels * dims.n_frames * sizeof(float));
    float *enc = malloc((size_t)dims.n_audio_ctx * dims.d_model * sizeof(float));
    const cJSON *c;
    int clips = 0, edge_clips = 0;
    double t_total = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(g.index, "clips"))
    {
        const char *set = cJSON_GetObjectItem(c, "set")->valuestring;
        int edge = strcmp(set, "edge") == 0;
        if (!edge && strcmp(set, "clips") != 0) continue;
        const char *id = c->string;
        char wav[512];
        snprintf(wav, sizeof wav, "data/audio/%s", cJSON_GetObjectItem(c, "wav")->valuestring);
        wl_st_file f;
        if (t_golden_open_clip(&g, id, &f, err, sizeof err)) fail_msg("%s", err);
        const wl_st_tensor *tok = wl_st_find(&f, "tokens");
        float *samples, *logits = malloc((size_t)tok->shape[0] * dims.n_vocab * sizeof(float));
        size_t n;
        wl_decoder *dec;
        clock_t t0 = clock();
        if (wl_audio_load(wav, (size_t)dims.n_samples, &samples, &n, err, sizeof err) ||
            wl_mel(ms, samples, n, mel, err, sizeof err) ||
            wl_encode(ms, mel, enc, err, sizeof err) || wl_decoder_new(ms, enc, &dec, err, sizeof err) ||
            wl_decoder_feed(dec, tok->data, (int)tok->shape[0] - 1, logits, err, sizeof err))
            fail_msg("clip %s: %s", id, err);
        t_cache_put(model_dir, wav, wl_threads(), enc, (size_t)dims.n_audio_ctx * dims.d_model); /* for test_decode */
        if (edge)
            printf("edge clip %s (%s): %zu samples at 16 kHz (%.6f s) accepted\n", id,
                   cJSON_GetObjectItem(c, "wav")->valuestring, n, (double)n / 16000);
        t_total += (double)(clock() - t0) / CLOCKS_PER_SEC;
        const cJSON *stage;
        cJSON_ArrayForEach(stage, cJSON_GetObjectItem(c, "stages"))
        {
            t_tol tol;
            if (t_tol_find(stage->string, &tol, NULL)) fail_msg("no tolerance for stage %s", stage->string);
            const captured *got = find_capture(engine_stage(stage->string));
            if (!got) fail_msg("clip %s: the engine produced no stage %s", id, stage->string);
            const cJSON *axis = cJSON_GetObjectItem(stage, "axis");
            t_diff d = compare_stage(&f, stage->string, cJSON_IsNumber(axis) ? axis->valueint : -1, got, tol);
            t_suite_add(edge ? se : s, stage->string, id, &d, tol);
            int64_t n_got = 1;
            for (int k = 0; k < got->view.ndim; k++) n_got *= got->view.shape[k];
            t_suite_fingerprint(edge ? se : s, stage->string, id, got->data, (size_t)n_got * sizeof(float));
        }
        clear_captures();
        free(samples), free(logits);
        wl_decoder_free(dec);
        wl_st_close(&f);
        edge ? edge_clips++ : clips++;
    }
    t_suite_describe(s, "stages", t_kernel_path_label());
    t_suite_describe(se, "stages_edge", t_kernel_path_label());
    int drifted = t_baseline_check(s, golden_dir, err, sizeof err);
    int drifted_edge = edge_clips ? t_baseline_check(se, golden_dir, err, sizeof err) : 0;
    if (drifted < 0 || drifted_edge < 0) fail_msg("%s", err);
    t_suite_print(s);
    if (edge_clips) t_suite_print(se);
    printf("%d lab clips and %d edge clips, %.2f s of CPU in the engine\n", clips, edge_clips, t_total);
    assert_int_equal(system("mkdir -p build/verify"), 0);
    /* Named by the golden folder, not the index's model: a copy of one model's goldens checked
     * under another name (make verify-real-offline) never overwrites the original's tables. */
    char json[1200], name[1024];
    t_golden_name(golden_dir, name, sizeof name);
    t_suite_json_path(json, sizeof json, "stages", name);
    assert_int_equal(t_suite_write_json(s, json), 0);
    t_suite_json_path(json, sizeof json, "stages_edge", name);
    assert_int_equal(t_suite_write_json(se, json), 0);
    int failures = t_suite_failures(s) + t_suite_failures(se);
    t_suite_free(s), t_suite_free(se);
    free(mel), free(enc);
    wl_state_free(ms);
    wl_model_free(m);
    t_golden_close(&g);
    assert_int_equal(clips, 24);
    assert_int_equal(failures, 0);
    if (drifted + drifted_edge) fail_msg("%d stage(s) drifted over their budget from the baseline (tests/drift.tsv): "
                                         "the first is named above; make baseline REASON=... accepts the change", drifted + drifted_edge);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stages_match_hf),
    };
    return cmocka_run_group_tests_name("engine stages vs HF", tests, NULL, NULL);
}
