/* compare: two whisperlab commands (two revisions' builds, or one build at two thread counts or
 * on two kernel paths) run on the same clips, stage by stage and decoding by decoding, against
 * each other and against the HF goldens (make compare; docs/testing.md).
 *
 * Each side runs through its own command: `dump` per clip (every stage, decoder teacher-forced on
 * HF's greedy tokens), compared and deleted before the next clip, then `transcribe --json` once
 * per decoding mode over all clips. Differences are findings (exit 0); a bad option (exit 2),
 * missing or stale goldens, or a side that fails or crashes (exit 1) stop it with one line. */
#include "../../engine/base/util.h"
#include "../../engine/io/safetensors.h"
#include "../compare_core.h"
#include "../golden.h"
#include "../tolerances.h"
#include "result.h"
#include "side.h"
#include "transcript.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    side s[2];
    const char *model, *golden, *audio, *json, *tmp_root, *clips, *only;
    char tmp[1024];
    t_golden g;
    const char *ids[512];
    int n_ids;
} ctx;

static char err[8192];

static int usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, "compare: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\n");
    return 2;
}

static const char USAGE[] =
    "usage: compare --a-cli WHISPERLAB --b-cli WHISPERLAB --model DIR --golden DIR [options]\n"
    "  --a-label S, --b-label S   what each side is (for the report)\n"
    "  --a-threads N, --b-threads N   engine threads per side (default 1)\n"
    "  --a-env 'NAME=VALUE ...', --b-env ...   environment per side (kernel paths)\n"
    "  --clips 01,02,...          a subset of the goldens' clips (default: all)\n"
    "  --only stages|decoding     one half of the comparison\n"
    "  --json FILE                the result as JSON too\n"
    "  --audio DIR (data/audio), --tmp DIR (build/compare: a scratch folder inside, removed at the end)\n";

static int parse_int(const char *name, const char *v, int *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < 0 || x > 256) return usage_error("%s: expected a thread count 0..256", name);
    *out = (int)x;
    return 0;
}

static int parse_args(int argc, char **argv, ctx *c)
{
    c->s[0] = (side){.name = 'A', .label = "A", .threads = 1};
    c->s[1] = (side){.name = 'B', .label = "B", .threads = 1};
    c->audio = "data/audio", c->tmp_root = "build/compare";
    const char *env[2] = {"", ""};
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--help")) return printf("%s", USAGE), -1;
        if (!v) return usage_error("%s needs a value", k);
        i++;
        int side = k[2] == 'b';
        if (!strcmp(k, "--a-cli") || !strcmp(k, "--b-cli")) c->s[side].cli = v;
        else if (!strcmp(k, "--a-label") || !strcmp(k, "--b-label")) c->s[side].label = v;
        else if (!strcmp(k, "--a-env") || !strcmp(k, "--b-env")) env[side] = v;
        else if (!strcmp(k, "--a-threads") || !strcmp(k, "--b-threads")) {
            if (parse_int(k, v, &c->s[side].threads)) return 2;
        } else if (!strcmp(k, "--model")) c->model = v;
        else if (!strcmp(k, "--golden")) c->golden = v;
        else if (!strcmp(k, "--audio")) c->audio = v;
        else if (!strcmp(k, "--json")) c->json = v;
        else if (!strcmp(k, "--tmp")) c->tmp_root = v;
        else if (!strcmp(k, "--clips")) c->clips = v;
        else if (!strcmp(k, "--only")) c->only = v;
        else return usage_error("unknown option %s (see --help)", k);
    }
    if (!c->s[0].cli || !c->s[1].cli || !c->model || !c->golden)
        return usage_error("%s", "--a-cli, --b-cli, --model and --golden are needed");
    if (c->only && *c->only && strcmp(c->only, "stages") && strcmp(c->only, "decoding"))
        return usage_error("--only '%s': expected stages or decoding", c->only);
    for (int i = 0; i < 2; i++) {
        if (access(c->s[i].cli, X_OK))
            return usage_error("%s: no such command (build it first)", c->s[i].cli);
        if (side_parse_env(&c->s[i], env[i], err, sizeof err)) return usage_error("%s", err);
    }
    return 0;
}

/* The clips to run: --clips (each must be in the goldens) or every clip of index.json. */
static int pick_clips(ctx *c)
{
    const cJSON *clips = cJSON_GetObjectItem(c->g.index, "clips"), *x;
    if (!c->clips || !*c->clips) {
        cJSON_ArrayForEach(x, clips) if (c->n_ids < 512) c->ids[c->n_ids++] = x->string;
        return 0;
    }
    for (const char *p = c->clips; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
        int len = (int)strcspn(p, ",");
        const cJSON *hit = NULL;
        cJSON_ArrayForEach(x, clips) if ((int)strlen(x->string) == len && !strncmp(x->string, p, len)) hit = x;
        if (!hit) {
            fprintf(stderr, "compare: CLIPS: no clip '%.*s' in %s/index.json\n", len, p, c->golden);
            return 2;
        }
        if (c->n_ids < 512) c->ids[c->n_ids++] = hit->string;
    }
    return 0;
}

/* Each side's kernel path, and that the variables naming one took on it. */
static int check_kernels(ctx *c)
{
    for (int i = 0; i < 2; i++) {
        side *s = &c->s[i];
        if (side_info(s, c->model, c->tmp, err, sizeof err)) return fprintf(stderr, "compare: %s\n", err), 1;
        for (int k = 0; k < s->n_env; k++) {
            const char *e = s->env[k], *v = strchr(e, '=') + 1, *want = NULL;
            if (!strncmp(e, "WL_SGEMM_OPENBLAS=", 18)) want = !strcmp(v, "1") ? "OpenBLAS" : "oneDNN";
            else if (!strncmp(e, "DNNL_MAX_CPU_ISA=", 17) && !strstr(s->kernels, "OpenBLAS")) want = v;
            else if (!strncmp(e, "OPENBLAS_CORETYPE=", 18) && strstr(s->kernels, "OpenBLAS")) want = v;
            else if (!strncmp(e, "WL_VMATH_LANES=", 15) && strcmp(v, "0")) want = v;
            if (!want) continue;
            if (!*s->kernels) {
                fprintf(stderr, "compare: side %c: %s cannot be checked: %s does not report its kernel path (a "
                        "revision before the command took the kernel variables)\n", s->name, e, s->cli);
                return 1;
            }
            if (!strcasestr(s->kernels, want)) {
                fprintf(stderr, "compare: side %c: %s did not take: %s runs %s\n", s->name, e, s->cli, s->kernels);
                return 1;
            }
        }
    }
    return 0;
}

static t_view view_of(const wl_st_file *f, const char *name)
{
    const wl_st_tensor *t = wl_st_find(f, name);
    t_view v = {0};
    if (!t || t->dtype != WL_F32 || t->ndim > 4) return v;
    v.data = t->data, v.ndim = t->ndim;
    for (int i = 0; i < t->ndim; i++) v.shape[i] = t->shape[i];
    return v;
}

/* One stage of one clip: A against B, and each against the golden where it has the stage. */
static int compare_stage(cmp_result *r, const char *id, const cJSON *gstages, const wl_st_file *gf,
                         const wl_st_file dumps[2], const char *name)
{
    cmp_stage *row = cmp_stage_row(&r->stages, name);
    if (!row) return fprintf(stderr, "compare: out of memory\n"), 1;
    const char *engine_name = strcmp(name, "mel64") ? name : "mel"; /* mel64: the exact log-mel */
    t_view v[2] = {view_of(&dumps[0], engine_name), view_of(&dumps[1], engine_name)};
    cmp_stage_add_ab(row, id, v[0], v[1]);
    const cJSON *gs = cJSON_GetObjectItem(gstages, name);
    if (!gs || t_tol_find(name, &row->tol, NULL)) return 0;
    row->has_tol = 1;
    const cJSON *axis = cJSON_GetObjectItem(gs, "axis");
    for (int i = 0; i < 2; i++)
        if (v[i].data) {
            t_diff d = t_golden_compare(gf, name, cJSON_IsNumber(axis) ? axis->valueint : -1, v[i], row->tol);
            cmp_stage_add_hf(row, i, &d);
        }
    return 0;
}

/* Dumps one clip on both sides, compares every stage (in the order the engine emits them, mel64
 * beside mel, then any stage only the goldens or side A have), deletes the dumps. */
static int compare_clip_stages(ctx *c, cmp_result *r, const char *id, const cJSON *clip)
{
    const cJSON *gstages = cJSON_GetObjectItem(clip, "stages");
    wl_st_file gf;
    if (t_golden_open_clip(&c->g, id, &gf, err, sizeof err)) return fprintf(stderr, "compare: %s\n", err), 1;
    const wl_st_tensor *tok = wl_st_find(&gf, "tokens");
    if (!tok || tok->dtype != WL_I32 || tok->ndim != 1 || tok->shape[0] < 2 || tok->shape[0] > 449) {
        wl_st_close(&gf);
        return fprintf(stderr, "compare: %s: clip %s lacks its greedy tokens\n", c->golden, id), 1;
    }
    char tokens[449 * 12] = "", *w = tokens;
    for (int64_t i = 0; i + 1 < tok->shape[0]; i++) w += sprintf(w, "%s%d", i ? "," : "", ((const int32_t *)tok->data)[i]);
    char wav[2048], out[2][1100], log[1100], threads[2][16], what[64];
    snprintf(wav, sizeof wav, "%s/%s", c->audio, cJSON_GetObjectItem(clip, "wav")->valuestring);
    snprintf(what, sizeof what, "dump of clip %s", id);
    wl_st_file dumps[2];
    int opened = 0, rc = 0;
    for (int i = 0; i < 2 && !rc; i++) {
        snprintf(out[i], sizeof out[i], "%s/%s.%c.safetensors", c->tmp, id, c->s[i].name);
        snprintf(log, sizeof log, "%s/dump.%c.log", c->tmp, c->s[i].name);
        snprintf(threads[i], sizeof threads[i], "%d", c->s[i].threads);
        const char *argv[] = {"dump", "--audio", wav, "--out", out[i], "--model", c->model, "--tokens", tokens,
                              "--threads", threads[i], NULL};
        rc = side_run(&c->s[i], argv, NULL, log, what, err, sizeof err) || wl_st_open(&dumps[i], out[i], err, sizeof err);
        if (rc) fprintf(stderr, "compare: %s\n", err);
        else opened++;
    }
    for (int i = 0; i < opened && !rc; i++) {
        const wl_st_file *f = &dumps[i ? 0 : 1]; /* B's order (this tree's engine), then A's other stages */
        for (int k = 0; k < f->n && !rc; k++) {
            if (i && wl_st_find(&dumps[1], f->tensors[k].name)) continue;
            rc = compare_stage(r, id, gstages, &gf, dumps, f->tensors[k].name);
            if (!rc && !strcmp(f->tensors[k].name, "mel") && cJSON_GetObjectItem(gstages, "mel64"))
                rc = compare_stage(r, id, gstages, &gf, dumps, "mel64");
        }
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, gstages) if (!rc && !wl_st_find(&dumps[1], s->string) && strcmp(s->string, "mel64"))
        rc = compare_stage(r, id, gstages, &gf, dumps, s->string);
    for (int i = 0; i < opened; i++) wl_st_close(&dumps[i]);
    for (int i = 0; i < 2; i++) remove(out[i]);
    wl_st_close(&gf);
    return rc;
}

static int compare_stages(ctx *c, cmp_result *r)
{
    for (int i = 0; i < c->n_ids; i++) {
        const cJSON *clip = t_golden_clip(&c->g, c->ids[i]), *st = cJSON_GetObjectItem(clip, "stages");
        if (!cJSON_IsObject(st) || !st->child) continue; /* grammar-error clips: decoding only */
        if (compare_clip_stages(c, r, c->ids[i], clip)) return 1;
        r->stage_clips++;
        fprintf(stderr, "\rcompare: stages of clip %s (%d)   ", c->ids[i], r->stage_clips);
    }
    fprintf(stderr, "\n");
    return 0;
}

/* ---- decoding ---- */

static const struct {
    const char *name;
    int beam, timestamps;
} MODES[MAX_MODES] = {{"greedy", 0, 0}, {"greedy_ts", 0, 1}, {"beam5", 1, 0}, {"beam5_ts", 1, 1}};

/* HF's decoding of a clip in a mode, from its golden file; the arrays are malloc'd into keep. */
static int hf_seq(const wl_st_file *f, const char *mode, cmp_seq *s, double **keep)
{
    char name[64];
    const wl_st_tensor *t[4];
    const char *what[4] = {"tokens", "top5.ids", "top5.logprob", "score"};
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s.%s", mode, what[i]);
        t[i] = wl_st_find(f, name);
    }
    if (!t[0] || !t[1] || !t[2] || t[0]->dtype != WL_I32 || t[1]->dtype != WL_I32 || t[2]->dtype != WL_F32 ||
        t[1]->ndim != 2 || t[1]->shape[1] != CMP_TOP || t[2]->shape[0] != t[1]->shape[0] ||
        t[1]->shape[0] > t[0]->shape[0])
        return -1;
    int steps = (int)t[1]->shape[0];
    *keep = malloc((size_t)steps * CMP_TOP * sizeof **keep);
    if (!*keep) return -1;
    for (int i = 0; i < steps * CMP_TOP; i++) (*keep)[i] = ((const float *)t[2]->data)[i];
    *s = (cmp_seq){.n_tokens = (int)t[0]->shape[0], .n_prompt = (int)(t[0]->shape[0] - steps), .tokens = t[0]->data,
                   .top_id = t[1]->data, .top_lp = *keep,
                   .score = t[3] && t[3]->dtype == WL_F32 ? ((const float *)t[3]->data)[0] : 0};
    return 0;
}

/* Runs one mode's transcribe on both sides over the clips and compares clip by clip. */
static int compare_mode(ctx *c, cmp_result *r, int mi, const char **ids, const char **wavs, int n)
{
    const cJSON *set = cJSON_GetObjectItem(c->g.index, "settings");
    const cJSON *mx = cJSON_GetObjectItem(set, "max_new_tokens"), *bm = cJSON_GetObjectItem(set, "beams");
    char beams[16], max_new[16], out[2][1100], log[1100], threads[16], what[64];
    snprintf(beams, sizeof beams, "%d", MODES[mi].beam ? (cJSON_IsNumber(bm) ? bm->valueint : 5) : 1);
    snprintf(max_new, sizeof max_new, "%d", cJSON_IsNumber(mx) ? mx->valueint : 0);
    snprintf(what, sizeof what, "transcribe (%s)", MODES[mi].name);
    transcript t[2] = {0};
    int rc = 0;
    for (int i = 0; i < 2 && !rc; i++) {
        const char *argv[300];
        int a = 0;
        argv[a++] = "transcribe";
        for (int k = 0; k < n; k++) argv[a++] = wavs[k];
        snprintf(threads, sizeof threads, "%d", c->s[i].threads);
        argv[a++] = "--json", argv[a++] = "--model", argv[a++] = c->model, argv[a++] = "--threads", argv[a++] = threads;
        argv[a++] = "--beams", argv[a++] = beams;
        if (MODES[mi].timestamps) argv[a++] = "--timestamps";
        if (cJSON_IsNumber(mx)) argv[a++] = "--max-new-tokens", argv[a++] = max_new; /* the goldens' cap */
        argv[a] = NULL;
        snprintf(out[i], sizeof out[i], "%s/%s.%c.json", c->tmp, MODES[mi].name, c->s[i].name);
        snprintf(log, sizeof log, "%s/transcribe.%c.log", c->tmp, c->s[i].name);
        rc = side_run(&c->s[i], argv, out[i], log, what, err, sizeof err) || transcript_read(out[i], n, &t[i], err, sizeof err);
        remove(out[i]);
    }
    mode_rec *m = &r->modes[r->n_modes++];
    *m = (mode_rec){.name = MODES[mi].name, .beam = MODES[mi].beam};
    for (int k = 0; k < n && !rc; k++) {
        wl_st_file f;
        double *keep = NULL;
        cmp_seq hf;
        if (t_golden_open_clip(&c->g, ids[k], &f, err, sizeof err)) {
            rc = 1;
            break;
        }
        if (hf_seq(&f, MODES[mi].name, &hf, &keep)) {
            snprintf(err, sizeof err, "%s: clip %s lacks %s's tokens or top-5", c->golden, ids[k], MODES[mi].name);
            rc = 1;
        }
        const cmp_seq *pairs[N_PAIRS][2] = {{&t[0].seq[k], &t[1].seq[k]}, {&t[0].seq[k], &hf}, {&t[1].seq[k], &hf}};
        for (int p = 0; p < N_PAIRS && !rc; p++) {
            cmp_flip fl = cmp_decode(pairs[p][0], pairs[p][1], MODES[mi].beam, r->eps[p]);
            m->same[p] += fl.kind == CMP_SAME;
            m->ties[p] += fl.kind == CMP_TIE;
            if (fl.kind != CMP_SAME && result_add_flip(m, ids[k], p, &fl)) rc = 1, snprintf(err, sizeof err, "out of memory");
        }
        m->clips++;
        free(keep);
        wl_st_close(&f);
    }
    if (rc) fprintf(stderr, "compare: %s\n", err);
    transcript_free(&t[0]), transcript_free(&t[1]);
    return rc;
}

static int compare_decoding(ctx *c, cmp_result *r)
{
    const char *ids[256], *wavs[256];
    static char paths[256][1100];
    int n = 0;
    for (int i = 0; i < c->n_ids && n < 256; i++) {
        const cJSON *clip = t_golden_clip(&c->g, c->ids[i]);
        snprintf(paths[n], sizeof paths[n], "%s/%s", c->audio, cJSON_GetObjectItem(clip, "wav")->valuestring);
        ids[n] = c->ids[i], wavs[n] = paths[n], n++;
    }
    r->decode_clips = n;
    if (cJSON_IsString(cJSON_GetObjectItem(cJSON_GetObjectItem(c->g.index, "settings"), "early_stopping_mode")))
        r->note = "beam5_early (early_stopping=True) is in the goldens but not run: whisperlab transcribe has no "
                  "option for it";
    for (int mi = 0; mi < MAX_MODES; mi++) {
        fprintf(stderr, "compare: decoding %s on %d clips\n", MODES[mi].name, n);
        if (compare_mode(c, r, mi, ids, wavs, n)) return 1;
    }
    return 0;
}

/* Removes the scratch folder and whatever a failed run left in it. */
static void remove_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char p[2048];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.') remove(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

static int run(ctx *c, cmp_result *r)
{
    char tol_file[1100];
    if (t_golden_open(&c->g, c->golden, err, sizeof err) ||
        t_golden_check_fresh(&c->g, c->model, c->audio, "gen/export_golden.py", err, sizeof err))
        return fprintf(stderr, "compare: %s\n", err), 1;
    t_golden_tolerance_file(c->golden, tol_file, sizeof tol_file);
    t_tol tie;
    if (t_tol_load(tol_file, err, sizeof err)) return fprintf(stderr, "compare: %s\n", err), 1;
    if (t_tol_find("decode.tie", &tie, NULL)) return fprintf(stderr, "compare: %s has no decode.tie row\n", tol_file), 1;
    int rc = pick_clips(c);
    if (rc) return rc;
    mkdir(c->tmp_root, 0755);
    snprintf(c->tmp, sizeof c->tmp, "%s/tmp.XXXXXX", c->tmp_root);
    if (!mkdtemp(c->tmp)) return fprintf(stderr, "compare: %s: cannot make a scratch folder: %s\n", c->tmp_root, strerror(errno)), 1;
    static char tol_name[1100];
    snprintf(tol_name, sizeof tol_name, "%s", tol_file);
    *r = (cmp_result){.sides = {&c->s[0], &c->s[1]}, .model = c->model, .golden = c->golden, .tol_file = tol_name,
                      .tie_atol = tie.atol};
    /* Two builds each within the logits tolerance of HF's scores may be twice it apart. */
    r->eps[PAIR_AB] = 2 * tie.atol, r->eps[PAIR_A_HF] = r->eps[PAIR_B_HF] = tie.atol;
    side_catch_interrupts(); /* from here on, a stop goes through remove_tmp */
    rc = check_kernels(c);
    if (!rc && (!c->only || strcmp(c->only, "decoding"))) rc = compare_stages(c, r);
    if (!rc && (!c->only || strcmp(c->only, "stages"))) rc = compare_decoding(c, r);
    remove_tmp(c->tmp);
    if (rc) return rc;
    result_print(r);
    if (c->json && result_write_json(r, c->json, err, sizeof err)) return fprintf(stderr, "compare: %s\n", err), 1;
    if (c->json) printf("\nJSON: %s\n", c->json);
    return 0;
}

int main(int argc, char **argv)
{
    ctx c = {0};
    int rc = parse_args(argc, argv, &c);
    if (rc) return rc < 0 ? 0 : rc;
    cmp_result r = {0};
    rc = run(&c, &r);
    result_free(&r);
    t_golden_close(&c.g);
    side_free(&c.s[0]), side_free(&c.s[1]);
    return rc;
}
