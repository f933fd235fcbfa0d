/* The committed HF goldens: fresh (same exporter, model, configs and clips), complete (every
 * stage of every clip, in the documented layout), within the size budget, and consistent with
 * themselves (checks that need no engine, run through the same diff library and table).
 * Paths: WL_GOLDEN (golden/whisper-tiny.en-synthetic), WL_MODEL (the synthetic build). */
#include "../engine/config.h"
#include "../engine/util.h"
#include "diff.h"
#include "golden.h"
#include "suite.h"
#include "tolerances.h"

#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

/* golden/ as a whole (every model's goldens) stays within the repository's budget. */
#define BUDGET_BYTES (64.0 * 1024 * 1024)

static const char *golden_dir, *model_dir;
static wl_golden G;
static wl_config CFG;

static int setup(void **state)
{
    (void)state;
    char err[512];
    golden_dir = wl_golden_dir_under_test();
    model_dir = wl_model_dir_under_test();
    char cfg[1100];
    snprintf(cfg, sizeof cfg, "%s/config.json", model_dir);
    char tol_file[1100];
    wl_golden_tolerance_file(golden_dir, tol_file, sizeof tol_file);
    if (wl_golden_open(&G, golden_dir, err, sizeof err) || wl_config_load(&CFG, cfg, err, sizeof err) ||
        wl_tol_load(tol_file, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wl_golden_close(&G);
    return 0;
}

static void test_goldens_are_fresh(void **state)
{
    (void)state;
    char err[1024];
    if (wl_golden_check_fresh(&G, model_dir, "data/audio", "gen/export_golden.py", err, sizeof err))
        fail_msg("%s", err);
    const cJSON *v = cJSON_GetObjectItem(G.index, "versions");
    printf("  %s: exported with transformers %s, torch %s on %s\n", golden_dir,
           cJSON_GetObjectItem(v, "transformers")->valuestring, cJSON_GetObjectItem(v, "torch")->valuestring,
           cJSON_GetObjectItem(G.index, "date")->valuestring);
}

/* A copy of the index with one field changed must be called stale, naming what changed. */
static void expect_stale(const char *field, const char *clip_field, const char *needle)
{
    cJSON *copy = cJSON_Duplicate(G.index, 1);
    cJSON *target = clip_field ? cJSON_GetObjectItem(cJSON_GetObjectItem(copy, "clips"), "01") : copy;
    const char *key = clip_field ? clip_field : field;
    if (strcmp(key, "exporter_version") == 0)
        cJSON_ReplaceItemInObject(target, key, cJSON_CreateNumber(cJSON_GetObjectItem(target, key)->valueint + 1));
    else
        cJSON_ReplaceItemInObject(target, key, cJSON_CreateString("0000000000000000"));
    assert_int_equal(system("mkdir -p build/tmp/stale"), 0);
    char *text = cJSON_Print(copy);
    FILE *f = fopen("build/tmp/stale/index.json", "w");
    fputs(text, f);
    fclose(f);
    free(text);
    cJSON_Delete(copy);
    wl_golden s;
    char err[1024];
    assert_int_equal(wl_golden_open(&s, "build/tmp/stale", err, sizeof err), 0);
    assert_int_equal(wl_golden_check_fresh(&s, model_dir, "data/audio", "gen/export_golden.py", err, sizeof err), -1);
    wl_golden_close(&s);
    if (strncmp(err, "goldens are stale: re-run make golden", 37) || !strstr(err, needle))
        fail_msg("changing %s gave '%s'", key, err);
}

static void test_stale_goldens_are_detected(void **state)
{
    (void)state;
    expect_stale("exporter_version", NULL, "exporter version");
    expect_stale("model_sha256", NULL, "model.safetensors");
    expect_stale(NULL, "wav_sha256", "clip_01.wav");
}

static double folder_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    double total = 0;
    for (struct dirent *e; (e = readdir(d));) {
        char p[2048];
        struct stat st;
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) != 0) continue;
        total += S_ISDIR(st.st_mode) ? folder_bytes(p) : S_ISREG(st.st_mode) ? (double)st.st_size : 0;
    }
    closedir(d);
    return total;
}

static void test_size_budget(void **state)
{
    (void)state;
    char parent[1100];
    snprintf(parent, sizeof parent, "%s/..", golden_dir);
    double mine = folder_bytes(golden_dir), all = folder_bytes(parent);
    printf("  %s: %.2f MiB; all goldens: %.2f MiB of the 64 MiB budget\n", golden_dir, mine / 1048576,
           all / 1048576);
    assert_true(all <= BUDGET_BYTES);
}

/* The stage names, in data-flow order, for this config. */
#define MAX_STAGES 128
typedef char stage_name[32];

static void add_name(stage_name *names, int *n, const char *fmt, int layer)
{
    if (*n < MAX_STAGES) snprintf(names[(*n)++], sizeof names[0], fmt, layer);
}

static int stage_names(stage_name *names)
{
    int n = 0;
    const char *head[] = {"mel", "conv1", "conv2", "enc.embed"};
    for (int i = 0; i < 4; i++) add_name(names, &n, head[i], 0);
    for (int i = 0; i < CFG.enc_layers; i++) add_name(names, &n, "enc.layer.%d", i);
    add_name(names, &n, "enc.out", 0);
    add_name(names, &n, "dec.embed", 0);
    for (int i = 0; i < CFG.dec_layers; i++) add_name(names, &n, "dec.layer.%d", i);
    add_name(names, &n, "dec.out", 0);
    add_name(names, &n, "logits", 0);
    for (int i = 0; i < CFG.dec_layers; i++) add_name(names, &n, "cross_attn.%d", i);
    return n;
}

static int64_t numel(const wl_st_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

/* One stage of one clip: the stored tensor matches the index's full shape, reduced along the
 * recorded axis to a sorted, in-range index that keeps the first frames; stats have the
 * reduced-away shape. */
static void check_stage(const wl_st_file *f, const cJSON *layout, const char *id, const char *name)
{
    const cJSON *e = cJSON_GetObjectItem(layout, name);
    if (!e) fail_msg("clip %s: index.json has no stage %s", id, name);
    const cJSON *shape = cJSON_GetObjectItem(e, "shape"), *axis_j = cJSON_GetObjectItem(e, "axis");
    const wl_st_tensor *t = wl_st_find(f, name);
    if (!t) fail_msg("clip %s: golden file lacks %s", id, name);
    assert_int_equal(t->ndim, cJSON_GetArraySize(shape));
    int axis = cJSON_IsNumber(axis_j) ? axis_j->valueint : -1;
    char key[128];
    snprintf(key, sizeof key, "%.100s.index", name);
    const wl_st_tensor *ix = wl_st_find(f, key);
    for (int i = 0; i < t->ndim; i++) {
        int64_t full = (int64_t)cJSON_GetArrayItem(shape, i)->valuedouble;
        int64_t want = (i == axis && ix) ? ix->shape[0] : full;
        if (t->shape[i] != want) fail_msg("clip %s: %s dim %d is %lld, want %lld", id, name, i, (long long)t->shape[i], (long long)want);
    }
    if (ix) {
        const int32_t *k = ix->data;
        int64_t len = (int64_t)cJSON_GetArrayItem(shape, axis)->valuedouble;
        assert_int_equal(k[0], 0);
        for (int64_t i = 1; i < ix->shape[0]; i++)
            if (k[i] <= k[i - 1] || k[i] >= len) fail_msg("clip %s: %s.index not sorted or out of range", id, name);
        if (strcmp(name, "logits") != 0) /* frame axes keep their last frame (conv edge) */
            assert_int_equal(k[ix->shape[0] - 1], len - 1);
    }
    if (axis >= 0) { /* stats over the whole axis: one value per element of the other axes */
        int64_t want = 1;
        for (int i = 0; i < t->ndim; i++)
            if (i != axis) want *= (int64_t)cJSON_GetArrayItem(shape, i)->valuedouble;
        const char *stats[] = {"mean", "rms"};
        for (int k = 0; k < 2; k++) {
            snprintf(key, sizeof key, "%.100s.%s", name, stats[k]);
            const wl_st_tensor *st = wl_st_find(f, key);
            if (!st || numel(st) != want) fail_msg("clip %s: %s missing or not %lld values", id, key, (long long)want);
        }
    }
}

static void test_every_stage_of_every_clip(void **state)
{
    (void)state;
    stage_name names[MAX_STAGES];
    char err[512];
    int n_stages = stage_names(names);
    size_t len;
    char *text = wl_read_file("data/clips.json", &len, err, sizeof err);
    cJSON *clips = cJSON_ParseWithLength(text, len);
    free(text);
    const char *sets[] = {"clips", "grammar_errors"};
    int n_clips = 0;
    for (int s = 0; s < 2; s++) {
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(clips, sets[s]))
        {
            const char *id = cJSON_GetObjectItem(c, "id")->valuestring;
            const cJSON *entry = wl_golden_clip(&G, id);
            if (!entry) fail_msg("clip %s has no goldens", id);
            wl_st_file f;
            if (wl_golden_open_clip(&G, id, &f, err, sizeof err)) fail_msg("%s", err);
            const char *dec[] = {"greedy", "greedy_ts", "beam5", "beam5_ts"};
            for (int k = 0; k < 4; k++) {
                const char *parts[] = {"tokens", "logprob", "top5.ids", "top5.logprob"};
                for (int p = 0; p < 4; p++) {
                    char key[128];
                    snprintf(key, sizeof key, "%s.%s", dec[k], parts[p]);
                    if (!wl_st_find(&f, key)) fail_msg("clip %s: golden file lacks %s", id, key);
                }
            }
            if (!wl_st_find(&f, "greedy.token_timestamps")) fail_msg("clip %s: no token timestamps", id);
            if (s == 0) {
                const cJSON *layout = cJSON_GetObjectItem(entry, "stages");
                for (int i = 0; i < n_stages; i++) check_stage(&f, layout, id, names[i]);
                const wl_st_tensor *tok = wl_st_find(&f, "tokens"), *g = wl_st_find(&f, "greedy.tokens");
                assert_non_null(tok);
                assert_int_equal(tok->nbytes, g->nbytes);
                assert_memory_equal(tok->data, g->data, tok->nbytes); /* teacher-forced on greedy */
                const wl_st_tensor *logits = wl_st_find(&f, "logits");
                assert_int_equal(logits->shape[0], tok->shape[0] - 1);
            }
            wl_st_close(&f);
            n_clips++;
        }
    }
    cJSON_Delete(clips);
    printf("  %d clips: %d stages each for the 24 lab clips, decoding outputs for all\n", n_clips, n_stages);
    assert_int_equal(n_clips, 29);
}

/* Self-consistency of HF's numbers, through the suite table. */
static void test_self_consistency(void **state)
{
    (void)state;
    wl_suite *s = wl_suite_new("golden self-consistency (HF's numbers against themselves)");
    wl_tol tol_sum, tol_top1, tol_beam;
    assert_int_equal(wl_tol_find("golden.cross_attn_sum", &tol_sum, NULL), 0);
    assert_int_equal(wl_tol_find("golden.greedy_top1", &tol_top1, NULL), 0);
    assert_int_equal(wl_tol_find("golden.beam_score", &tol_beam, NULL), 0);
    const cJSON *c;
    char err[512];
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(G.index, "clips"))
    {
        const char *id = c->string;
        wl_st_file f;
        if (wl_golden_open_clip(&G, id, &f, err, sizeof err)) fail_msg("%s", err);
        for (int l = 0; l < CFG.dec_layers && wl_st_find(&f, "cross_attn.0.mean"); l++) {
            char key[128];
            snprintf(key, sizeof key, "cross_attn.%d.mean", l);
            wl_view m = wl_golden_view(&f, key);
            int64_t n = m.shape[0] * m.shape[1];
            float *sum = malloc((size_t)n * sizeof *sum), *one = malloc((size_t)n * sizeof *one);
            for (int64_t i = 0; i < n; i++) sum[i] = m.data[i] * (float)CFG.n_audio_ctx, one[i] = 1;
            wl_diff d = wl_diff_arrays(sum, one, n, tol_sum);
            wl_suite_add(s, "golden.cross_attn_sum", id, &d, tol_sum);
            free(sum), free(one);
        }
        const char *greedy[] = {"greedy", "greedy_ts"};
        for (int k = 0; k < 2; k++) {
            char a[128], b[128];
            snprintf(a, sizeof a, "%s.logprob", greedy[k]);
            snprintf(b, sizeof b, "%s.top5.logprob", greedy[k]);
            wl_view lp = wl_golden_view(&f, a), top = wl_golden_view(&f, b);
            float *top1 = malloc((size_t)lp.shape[0] * sizeof *top1);
            for (int64_t t = 0; t < lp.shape[0]; t++) top1[t] = top.data[t * 5];
            wl_diff d = wl_diff_arrays(lp.data, top1, lp.shape[0], tol_top1);
            wl_suite_add(s, "golden.greedy_top1", id, &d, tol_top1);
            free(top1);
        }
        const char *beams[] = {"beam5", "beam5_ts"};
        for (int k = 0; k < 2; k++) {
            char a[128], b[128];
            snprintf(a, sizeof a, "%s.logprob", beams[k]);
            snprintf(b, sizeof b, "%s.score", beams[k]);
            wl_view lp = wl_golden_view(&f, a), score = wl_golden_view(&f, b);
            double total = 0;
            for (int64_t t = 0; t < lp.shape[0]; t++) total += lp.data[t];
            /* Length-normalised with the EOS counted when present, as HF does (the cap means none here). */
            float mean = (float)(total / (double)lp.shape[0]);
            wl_diff d = wl_diff_arrays(&mean, score.data, 1, tol_beam);
            wl_suite_add(s, "golden.beam_score", id, &d, tol_beam);
        }
        wl_st_close(&f);
    }
    wl_suite_print(s);
    assert_int_equal(system("mkdir -p build/verify"), 0);
    assert_int_equal(wl_suite_write_json(s, "build/verify/golden_selfcheck.json"), 0);
    int failures = wl_suite_failures(s);
    wl_suite_free(s);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_goldens_are_fresh),
        cmocka_unit_test(test_stale_goldens_are_detected),
        cmocka_unit_test(test_size_budget),
        cmocka_unit_test(test_every_stage_of_every_clip),
        cmocka_unit_test(test_self_consistency),
    };
    if (system("mkdir -p build/tmp")) return 1;
    return cmocka_run_group_tests_name("goldens", tests, setup, teardown);
}
