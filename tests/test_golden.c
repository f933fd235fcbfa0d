/* The committed HF goldens: fresh (same exporter, model, configs and clips), complete (every
 * stage of every clip, in the documented layout: lab clips, the edge clips of
 * data/audio/edge/clips.json when the export had them, the KV-cache step goldens), within the
 * size budget, and consistent with themselves (checks that need no engine, run through the same
 * diff library and table: HF's float32 mel against the float64 mel64 within HF's own bound, the
 * cached decoder's logits against the teacher-forced ones).
 * Paths: WL_GOLDEN (golden/whisper-tiny.en-synthetic), WL_MODEL (the synthetic build). */
#include "../engine/model/config.h"
#include "../engine/model/stages.h"
#include "../engine/base/util.h"
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
/* The real checkpoint's goldens: each user exports them (make golden MODEL=openai/whisper-tiny.en)
 * and git ignores them, so they are outside the repository's budget; they alone must fit it. */
#define LOCAL_GOLDEN "whisper-tiny.en"

static const char *golden_dir, *model_dir;
static t_golden G;
static wl_config CFG;

static int setup(void **state)
{
    (void)state;
    char err[512];
    golden_dir = t_golden_dir_under_test();
    model_dir = t_model_dir_under_test();
    char cfg[1100];
    snprintf(cfg, sizeof cfg, "%s/config.json", model_dir);
    char tol_file[1100];
    t_golden_tolerance_file(golden_dir, tol_file, sizeof tol_file);
    if (t_golden_open(&G, golden_dir, err, sizeof err) || wl_config_load(&CFG, cfg, err, sizeof err) ||
        t_tol_load(tol_file, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    t_golden_close(&G);
    return 0;
}

static void test_goldens_are_fresh(void **state)
{
    (void)state;
    char err[1024];
    if (t_golden_check_fresh(&G, model_dir, "data/audio", "gen/export_golden.py", err, sizeof err))
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
    t_golden s;
    char err[1024];
    assert_int_equal(t_golden_open(&s, "build/tmp/stale", err, sizeof err), 0);
    assert_int_equal(t_golden_check_fresh(&s, model_dir, "data/audio", "gen/export_golden.py", err, sizeof err), -1);
    t_golden_close(&s);
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
    char parent[1100], local[1200];
    struct stat st;
    snprintf(parent, sizeof parent, "%s/..", golden_dir);
    snprintf(local, sizeof local, "%s/" LOCAL_GOLDEN, parent);
    double mine = folder_bytes(golden_dir), all = folder_bytes(parent);
    if (stat(local, &st) == 0 && S_ISDIR(st.st_mode)) all -= folder_bytes(local);
    printf("  %s: %.2f MiB; the repository's goldens (all but " LOCAL_GOLDEN "/): %.2f MiB of the 64 MiB budget\n",
           golden_dir, mine / 1048576, all / 1048576);
    assert_true(mine <= BUDGET_BYTES);
    assert_true(all <= BUDGET_BYTES);
}

/* The golden's stage names, in data-flow order, for this config: the engine's (stages.h), and
 * after mel the goldens' exact log-mel, mel64. */
#define MAX_STAGES 128
typedef char stage_name[32];

static int stage_names(stage_name *names)
{
    int n = 0;
    for (int s = 0; s < WL_N_STAGES; s++)
        for (int l = 0; l < wl_stage_count((wl_stage)s, CFG.enc_layers, CFG.dec_layers); l++) {
            if (n < MAX_STAGES) wl_stage_name((wl_stage)s, l, names[n++], sizeof names[0]);
            if (s == WL_STAGE_MEL && n < MAX_STAGES) snprintf(names[n++], sizeof names[0], "mel64");
        }
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
        if (strcmp(name, "logits") != 0 && strcmp(name, "step.logits") != 0) /* frame axes keep their last frame (conv edge) */
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

/* The decoding outputs every clip has. */
static void check_decoding(const wl_st_file *f, const char *id)
{
    const char *dec[] = {"greedy", "greedy_ts", "beam5", "beam5_ts"};
    for (int k = 0; k < 4; k++) {
        const char *parts[] = {"tokens", "logprob", "top5.ids", "top5.logprob"};
        for (int p = 0; p < 4; p++) {
            char key[128];
            snprintf(key, sizeof key, "%s.%s", dec[k], parts[p]);
            if (!wl_st_find(f, key)) fail_msg("clip %s: golden file lacks %s", id, key);
        }
    }
    if (!wl_st_find(f, "greedy.token_timestamps")) fail_msg("clip %s: no token timestamps", id);
}

/* Every stage of a clip that has stages, teacher-forced on its greedy sequence; and, when the
 * index says so, the step golden (prompt in one call, then single steps) over the same rows. */
static void check_stages(const wl_st_file *f, const cJSON *entry, const char *id, stage_name *names, int n_stages)
{
    const cJSON *layout = cJSON_GetObjectItem(entry, "stages");
    for (int i = 0; i < n_stages; i++) check_stage(f, layout, id, names[i]);
    const wl_st_tensor *tok = wl_st_find(f, "tokens"), *g = wl_st_find(f, "greedy.tokens");
    assert_non_null(tok);
    assert_int_equal(tok->nbytes, g->nbytes);
    assert_memory_equal(tok->data, g->data, tok->nbytes); /* teacher-forced on greedy */
    const wl_st_tensor *logits = wl_st_find(f, "logits");
    assert_int_equal(logits->shape[0], tok->shape[0] - 1);
    const cJSON *step = cJSON_GetObjectItem(entry, "step");
    if (!step) return;
    int prompt = cJSON_GetObjectItem(step, "prompt")->valueint, steps = cJSON_GetObjectItem(step, "steps")->valueint;
    if (prompt < 2 || steps < 1 || prompt + steps != logits->shape[0])
        fail_msg("clip %s: step golden has prompt %d + %d steps for %lld rows", id, prompt, steps,
                 (long long)logits->shape[0]);
    const cJSON *sl = cJSON_GetObjectItem(step, "stages");
    check_stage(f, sl, id, "step.logits");
    for (int l = 0; l < CFG.dec_layers; l++) {
        char name[64];
        snprintf(name, sizeof name, "step.cross_attn.%d", l);
        check_stage(f, sl, id, name);
    }
}

/* The edge clips of the list the export was given (settings.edge_clips): each is in the index
 * (set "edge", with every stage) or recorded as skipped (longer than this model's window). */
static int check_edge_clips(stage_name *names, int n_stages)
{
    const cJSON *set = cJSON_GetObjectItem(G.index, "settings");
    const cJSON *list = cJSON_GetObjectItem(set, "edge_clips"), *skipped = cJSON_GetObjectItem(set, "edge_skipped");
    int n = 0, listed = 0;
    char err[512];
    if (cJSON_IsString(list)) {
        size_t len;
        char *text = wl_read_file(list->valuestring, &len, err, sizeof err);
        if (!text) fail_msg("%s", err);
        cJSON *edge = cJSON_ParseWithLength(text, len);
        free(text);
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(edge, "clips"))
        {
            const char *id = cJSON_GetObjectItem(c, "id")->valuestring;
            const cJSON *e = t_golden_clip(&G, id), *why = cJSON_GetObjectItem(skipped, id);
            if (!e && !cJSON_IsString(why)) fail_msg("edge clip %s (%s) has no goldens", id, list->valuestring);
            if (!e) printf("  edge clip %s skipped by the export: %s\n", id, why->valuestring);
            listed++;
        }
        cJSON_Delete(edge);
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(G.index, "clips"))
    {
        if (strcmp(cJSON_GetObjectItem(c, "set")->valuestring, "edge") != 0) continue;
        wl_st_file f;
        if (t_golden_open_clip(&G, c->string, &f, err, sizeof err)) fail_msg("%s", err);
        check_decoding(&f, c->string);
        check_stages(&f, c, c->string, names, n_stages);
        wl_st_close(&f);
        n++;
    }
    printf("  %d edge clips with every stage (%d listed in %s)\n", n, listed,
           cJSON_IsString(list) ? list->valuestring : "no edge list");
    return n;
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
            const cJSON *entry = t_golden_clip(&G, id);
            if (!entry) fail_msg("clip %s has no goldens", id);
            wl_st_file f;
            if (t_golden_open_clip(&G, id, &f, err, sizeof err)) fail_msg("%s", err);
            check_decoding(&f, id);
            if (s == 0) check_stages(&f, entry, id, names, n_stages);
            wl_st_close(&f);
            n_clips++;
        }
    }
    cJSON_Delete(clips);
    printf("  %d clips: %d stages each for the 24 lab clips, decoding outputs for all\n", n_clips, n_stages);
    assert_int_equal(n_clips, 29);
    check_edge_clips(names, n_stages);
    const cJSON *c;
    int n_step = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(G.index, "clips")) n_step += cJSON_GetObjectItem(c, "step") != NULL;
    printf("  %d clips with a KV-cache step golden\n", n_step);
    assert_true(n_step >= 1);
}

/* HF's tensor a against HF's tensor b of the same stage shape in one golden file: at the entries
 * b keeps along axis (a is gathered there when stored whole; when both are reduced they must
 * keep the same entries), then their whole-axis mean and RMS. */
static t_diff compare_golden(const wl_st_file *f, const char *a, const char *b, int axis, t_tol tol, const char *id)
{
    char key[128];
    t_view va = t_golden_view(f, a), vb = t_golden_view(f, b);
    if (!va.data || !vb.data) fail_msg("clip %s: golden lacks %s or %s", id, a, b);
    snprintf(key, sizeof key, "%s.index", a);
    const wl_st_tensor *ia = wl_st_find(f, key);
    snprintf(key, sizeof key, "%s.index", b);
    const wl_st_tensor *ib = wl_st_find(f, key);
    float *buf = NULL;
    if (ib && !ia) { /* a stored whole: gather it where b keeps entries */
        t_view g = va;
        g.shape[axis] = ib->shape[0];
        int64_t n = 1;
        for (int i = 0; i < g.ndim; i++) n *= g.shape[i];
        buf = malloc((size_t)n * sizeof *buf);
        t_gather(va, axis, ib->data, ib->shape[0], buf);
        g.data = buf;
        va = g;
    } else if (!ia != !ib || (ia && (ia->nbytes != ib->nbytes || memcmp(ia->data, ib->data, ia->nbytes)))) {
        fail_msg("clip %s: %s and %s keep different entries", id, a, b);
    }
    t_diff d = t_diff_views(va, vb, tol);
    free(buf);
    const char *stats[] = {"mean", "rms"};
    for (int k = 0; k < 2; k++) {
        char ka[128], kb[128];
        snprintf(ka, sizeof ka, "%s.%s", a, stats[k]);
        snprintf(kb, sizeof kb, "%s.%s", b, stats[k]);
        t_view sa = t_golden_view(f, ka), sb = t_golden_view(f, kb);
        if (!sa.data || !sb.data) fail_msg("clip %s: golden lacks %s or %s", id, ka, kb);
        d = t_diff_merge(d, t_diff_views(sa, sb, tol));
    }
    return d;
}

/* Self-consistency of HF's numbers, through the suite table. */
static void test_self_consistency(void **state)
{
    (void)state;
    t_suite *s = t_suite_new("golden self-consistency (HF's numbers against themselves)");
    t_tol tol_sum, tol_top1, tol_beam, tol_mel, tol_step, tol_step_ca;
    assert_int_equal(t_tol_find("golden.mel_vs_mel64", &tol_mel, NULL), 0);
    assert_int_equal(t_tol_find("golden.step_logits", &tol_step, NULL), 0);
    assert_int_equal(t_tol_find("golden.step_cross_attn", &tol_step_ca, NULL), 0);
    assert_int_equal(t_tol_find("golden.cross_attn_sum", &tol_sum, NULL), 0);
    assert_int_equal(t_tol_find("golden.greedy_top1", &tol_top1, NULL), 0);
    assert_int_equal(t_tol_find("golden.beam_score", &tol_beam, NULL), 0);
    const cJSON *c;
    char err[512];
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(G.index, "clips"))
    {
        const char *id = c->string;
        wl_st_file f;
        if (t_golden_open_clip(&G, id, &f, err, sizeof err)) fail_msg("%s", err);
        if (wl_st_find(&f, "mel64")) { /* HF's float32 STFT against the float64 formula */
            t_diff d = compare_golden(&f, "mel", "mel64", 1, tol_mel, id);
            t_suite_add(s, "golden.mel_vs_mel64", id, &d, tol_mel);
        }
        if (wl_st_find(&f, "step.logits")) { /* HF through its KV cache against HF teacher-forced */
            t_diff d = compare_golden(&f, "logits", "step.logits", 1, tol_step, id);
            t_suite_add(s, "golden.step_logits", id, &d, tol_step);
            for (int l = 0; l < CFG.dec_layers; l++) {
                char a[64], b[64];
                snprintf(a, sizeof a, "cross_attn.%d", l);
                snprintf(b, sizeof b, "step.cross_attn.%d", l);
                d = compare_golden(&f, a, b, 2, tol_step_ca, id);
                t_suite_add(s, "golden.step_cross_attn", id, &d, tol_step_ca);
            }
        }
        for (int l = 0; l < CFG.dec_layers && wl_st_find(&f, "cross_attn.0.mean"); l++) {
            char key[128];
            snprintf(key, sizeof key, "cross_attn.%d.mean", l);
            t_view m = t_golden_view(&f, key);
            int64_t n = m.shape[0] * m.shape[1];
            float *sum = malloc((size_t)n * sizeof *sum), *one = malloc((size_t)n * sizeof *one);
            for (int64_t i = 0; i < n; i++) sum[i] = m.data[i] * (float)CFG.n_audio_ctx, one[i] = 1;
            t_diff d = t_diff_arrays(sum, one, n, tol_sum);
            t_suite_add(s, "golden.cross_attn_sum", id, &d, tol_sum);
            free(sum), free(one);
        }
        const char *greedy[] = {"greedy", "greedy_ts"};
        for (int k = 0; k < 2; k++) {
            char a[128], b[128];
            snprintf(a, sizeof a, "%s.logprob", greedy[k]);
            snprintf(b, sizeof b, "%s.top5.logprob", greedy[k]);
            t_view lp = t_golden_view(&f, a), top = t_golden_view(&f, b);
            float *top1 = malloc((size_t)lp.shape[0] * sizeof *top1);
            for (int64_t t = 0; t < lp.shape[0]; t++) top1[t] = top.data[t * 5];
            t_diff d = t_diff_arrays(lp.data, top1, lp.shape[0], tol_top1);
            t_suite_add(s, "golden.greedy_top1", id, &d, tol_top1);
            free(top1);
        }
        const char *beams[] = {"beam5", "beam5_ts"};
        for (int k = 0; k < 2; k++) {
            char a[128], b[128];
            snprintf(a, sizeof a, "%s.logprob", beams[k]);
            snprintf(b, sizeof b, "%s.score", beams[k]);
            t_view lp = t_golden_view(&f, a), score = t_golden_view(&f, b);
            double total = 0;
            for (int64_t t = 0; t < lp.shape[0]; t++) total += lp.data[t];
            /* Length-normalised with the EOS counted when present, as HF does (the cap means none here). */
            float mean = (float)(total / (double)lp.shape[0]);
            t_diff d = t_diff_arrays(&mean, score.data, 1, tol_beam);
            t_suite_add(s, "golden.beam_score", id, &d, tol_beam);
        }
        wl_st_close(&f);
    }
    t_suite_print(s);
    assert_int_equal(system("mkdir -p build/verify"), 0);
    char json[1200], name[1024]; /* by the golden folder, as test_stages names its tables */
    t_golden_name(G.dir, name, sizeof name);
    t_suite_json_path(json, sizeof json, "golden_selfcheck", name);
    assert_int_equal(t_suite_write_json(s, json), 0);
    int failures = t_suite_failures(s);
    t_suite_free(s);
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
