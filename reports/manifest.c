/* Writes manifest.json: which model folder the lab used and what it is (real checkpoint, trained
 * here, synthetic) with the SHA256 of its weights and configs; the engine's version and commit,
 * compiler, flags and library versions; the decoding settings; the clips with SHA256s and
 * durations; the stage check against HF goldens when there are goldens for the model; and the
 * wall-clock of each stage and of the whole run.
 * Usage: manifest --model ARG [--fallback DIR] --clips CLIPS.json --audio DIR --out FILE
 *                 [--run run.json] [--started EPOCH_SECONDS] [--cflags S] [--cc S]
 *                 [--golden DIR --golden-check stages.json --golden-status S --golden-seconds S] */
#include "tools/clip_list.h"
#include "../engine/model/model_card.h"
#include "../engine/io/model_path.h"
#include "../engine/base/sha256.h"
#include "../engine/base/util.h"

#include "../engine/io/json_file.h"
#include "../engine/whisperlab.h"

#include <cairo.h>
#include <cblas.h>
#include <cjson/cJSON.h>
#include <espeak-ng/speak_lib.h>
#include <fftw3.h>
#include <math.h>
#include <sndfile.h>
#include <soxr.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *arg(int argc, char **argv, const char *key)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], key) == 0) return argv[i + 1];
    return NULL;
}

static int add_clips(cJSON *out, const cJSON *list, const char *audio_dir)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, list)
    {
        const cJSON *file = cJSON_GetObjectItemCaseSensitive(c, "file");
        if (!cJSON_IsString(file)) return fprintf(stderr, "manifest: clip entry without \"file\"\n"), -1;
        char path[4096], hex[65], err[512];
        snprintf(path, sizeof path, "%s/%s", audio_dir, file->valuestring);
        SF_INFO info = {0};
        SNDFILE *sf = sf_open(path, SFM_READ, &info);
        if (!sf) return fprintf(stderr, "manifest: %s: %s\n", path, sf_strerror(NULL)), -1;
        sf_close(sf);
        if (wl_sha256_file(path, hex, err, sizeof err)) return fprintf(stderr, "manifest: %s\n", err), -1;
        cJSON *e = cJSON_Duplicate(c, 1);
        cJSON_AddStringToObject(e, "path", path);
        cJSON_AddStringToObject(e, "sha256", hex);
        cJSON_AddNumberToObject(e, "sample_rate", info.samplerate);
        cJSON_AddNumberToObject(e, "seconds", (double)info.frames / info.samplerate);
        cJSON_AddItemToArray(out, e);
    }
    return 0;
}

/* The first line a command prints ("" if it fails). */
static void command_line(const char *cmd, char *out, size_t len)
{
    FILE *p = popen(cmd, "r");
    out[0] = 0;
    if (p) {
        if (!fgets(out, (int)len, p)) out[0] = 0;
        pclose(p);
    }
    out[strcspn(out, "\n")] = 0;
}

static cJSON *build_info(int argc, char **argv)
{
    cJSON *b = cJSON_CreateObject(), *libs = cJSON_CreateObject();
    char line[512];
    const char *cc = arg(argc, argv, "--cc"), *flags = arg(argc, argv, "--cflags");
    cJSON_AddStringToObject(b, "engine_version", WL_VERSION);
    command_line("git rev-parse HEAD 2>/dev/null", line, sizeof line);
    cJSON_AddStringToObject(b, "git_commit", line);
    command_line("git status --porcelain --untracked-files=no 2>/dev/null | head -1", line, sizeof line);
    cJSON_AddBoolToObject(b, "git_dirty", line[0] != 0);
    cJSON_AddStringToObject(b, "compiler", cc && *cc ? cc : "gcc " __VERSION__);
    cJSON_AddStringToObject(b, "cflags", flags ? flags : "");
    cJSON_AddStringToObject(libs, "openblas", openblas_get_config());
    cJSON_AddStringToObject(libs, "fftw", fftw_version);
    cJSON_AddStringToObject(libs, "libsndfile", sf_version_string());
    cJSON_AddStringToObject(libs, "libsoxr", soxr_version());
    const char *espeak_dir = NULL;
    cJSON_AddStringToObject(libs, "espeak-ng", espeak_Info(&espeak_dir));
    cJSON_AddStringToObject(libs, "cjson", cJSON_Version());
    cJSON_AddStringToObject(libs, "cairo", cairo_version_string());
    cJSON_AddItemToObject(b, "libraries", libs);
    return b;
}

/* The SHA256 of each config and tokenizer file the folder has. */
static int config_hashes(cJSON *model, const char *dir, char *err, size_t errlen)
{
    static const char *const FILES[] = {"config.json", "generation_config.json", "preprocessor_config.json",
                                        "vocab.json", "merges.txt", "added_tokens.json", "special_tokens_map.json",
                                        "tokenizer_config.json", "whisperlab.json"};
    cJSON *h = cJSON_AddObjectToObject(model, "files_sha256");
    for (size_t i = 0; i < sizeof FILES / sizeof *FILES; i++) {
        char path[4200], hex[65];
        snprintf(path, sizeof path, "%s/%s", dir, FILES[i]);
        FILE *f = fopen(path, "rb");
        if (!f) continue; /* optional files */
        fclose(f);
        if (wl_sha256_file(path, hex, err, errlen)) return -1;
        cJSON_AddStringToObject(h, FILES[i], hex);
    }
    return 0;
}

/* Per stage: clips passed and the worst error against its tolerance (from test_stages' JSON). */
static int golden_summary(cJSON *root, int argc, char **argv, char *err, size_t errlen)
{
    const char *dir = arg(argc, argv, "--golden"), *check = arg(argc, argv, "--golden-check");
    cJSON *g = cJSON_AddObjectToObject(root, "golden_check");
    if (!dir || !check) {
        cJSON_AddStringToObject(g, "status", "no goldens for this model");
        return 0;
    }
    cJSON *j = wl_json_read_object(check, err, errlen);
    if (!j) return -1;
    const char *status = arg(argc, argv, "--golden-status"), *secs = arg(argc, argv, "--golden-seconds");
    cJSON_AddStringToObject(g, "goldens", dir);
    cJSON_AddStringToObject(g, "status", status ? status : "unknown");
    cJSON_AddNumberToObject(g, "seconds", secs ? atof(secs) : 0);
    cJSON *stages = cJSON_AddArrayToObject(g, "stages");
    const cJSON *st;
    cJSON_ArrayForEach(st, cJSON_GetObjectItem(j, "stages"))
    {
        double worst = 0, headroom = 0;
        const cJSON *r;
        cJSON_ArrayForEach(r, cJSON_GetObjectItem(st, "results"))
        {
            const cJSON *m = cJSON_GetObjectItem(r, "max_abs"), *h = cJSON_GetObjectItem(r, "headroom");
            if (cJSON_IsNumber(m) && m->valuedouble > worst) worst = m->valuedouble;
            if (cJSON_IsNumber(h) && h->valuedouble > headroom) headroom = h->valuedouble;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "stage", cJSON_Duplicate(cJSON_GetObjectItem(st, "stage"), 1));
        cJSON_AddItemToObject(o, "clips", cJSON_Duplicate(cJSON_GetObjectItem(st, "clips"), 1));
        cJSON_AddItemToObject(o, "passed", cJSON_Duplicate(cJSON_GetObjectItem(st, "passed"), 1));
        cJSON_AddItemToObject(o, "atol", cJSON_Duplicate(cJSON_GetObjectItem(st, "atol"), 1));
        cJSON_AddNumberToObject(o, "worst_max_abs", worst);
        cJSON_AddNumberToObject(o, "worst_fraction_of_tolerance", headroom);
        cJSON_AddItemToArray(stages, o);
    }
    cJSON_Delete(j);
    return 0;
}

int main(int argc, char **argv)
{
    const char *model_arg = arg(argc, argv, "--model"), *fallback = arg(argc, argv, "--fallback"),
               *clips = arg(argc, argv, "--clips"), *audio = arg(argc, argv, "--audio"),
               *out = arg(argc, argv, "--out");
    if (!clips || !audio || !out) {
        fprintf(stderr, "usage: manifest --model ARG [--fallback DIR] --clips CLIPS.json --audio DIR --out FILE\n");
        return 2;
    }
    char err[512], dir[4096], path[4200], hex[65];
    if (wl_resolve_model(model_arg, fallback, dir, sizeof dir, err, sizeof err)) {
        fprintf(stderr, "manifest: %s\n", err);
        return 1;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (wl_sha256_file(path, hex, err, sizeof err)) {
        fprintf(stderr, "manifest: %s\n", err);
        return 1;
    }
    cJSON *spec = clip_list_read(clips, audio, err, sizeof err);
    if (!spec) return fprintf(stderr, "manifest: %s\n", err), 1;
    if (!clip_list_utf8(dir)) return fprintf(stderr, "manifest: %s: the model folder's name is not valid UTF-8\n", dir), 1;

    cJSON *root = cJSON_CreateObject();
    cJSON *model = cJSON_AddObjectToObject(root, "model");
    cJSON_AddStringToObject(model, "folder", dir);
    wl_model_card card;
    if (wl_model_card_read(dir, &card, err, sizeof err)) {
        fprintf(stderr, "manifest: %s\n", err);
        return 1;
    }
    cJSON_AddStringToObject(model, "kind", card.kind);
    cJSON_AddStringToObject(model, "what", card.summary);
    cJSON_AddStringToObject(model, "model_sha256", hex);
    if (config_hashes(model, dir, err, sizeof err)) return fprintf(stderr, "manifest: %s\n", err), 1;
    cJSON_AddItemToObject(root, "build", build_info(argc, argv));
    const char *run_path = arg(argc, argv, "--run");
    if (run_path) { /* the lab's settings and stage timings */
        cJSON *run = wl_json_read_object(run_path, err, sizeof err);
        if (!run) return fprintf(stderr, "manifest: %s\n", err), 1;
        cJSON_AddItemToObject(root, "settings", cJSON_DetachItemFromObject(run, "settings"));
        cJSON *secs = cJSON_DetachItemFromObject(run, "seconds");
        cJSON_AddItemToObject(root, "seconds", secs ? secs : cJSON_CreateObject());
        cJSON_Delete(run);
    }
    if (golden_summary(root, argc, argv, err, sizeof err)) return fprintf(stderr, "manifest: %s\n", err), 1;
    if (add_clips(cJSON_AddArrayToObject(root, "clips"),
                  cJSON_GetObjectItemCaseSensitive(spec, "clips"), audio) ||
        add_clips(cJSON_AddArrayToObject(root, "grammar_errors"),
                  cJSON_GetObjectItemCaseSensitive(spec, "grammar_errors"), audio))
        return 1;
    cJSON_Delete(spec);
    const char *started = arg(argc, argv, "--started");
    if (started) { /* the whole run, from the report script's start to here */
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        cJSON *secs = cJSON_GetObjectItem(root, "seconds");
        if (!secs) secs = cJSON_AddObjectToObject(root, "seconds");
        cJSON_AddNumberToObject(secs, "whole_run", round((t.tv_sec + t.tv_nsec * 1e-9 - atof(started)) * 1000) / 1000);
        const cJSON *g = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "golden_check"), "seconds");
        if (cJSON_IsNumber(g)) cJSON_AddNumberToObject(secs, "golden_check", g->valuedouble);
    }
    char *json = cJSON_Print(root);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    FILE *f = fopen(tmp, "w");
    int ok = f && fputs(json, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f)) ok = 0;
    if (!ok || rename(tmp, out)) {
        remove(tmp);
        fprintf(stderr, "manifest: %s: cannot write\n", out);
        return 1;
    }
    printf("manifest: model %s (%s), %d + %d clips -> %s\n", dir, card.summary,
           cJSON_GetArraySize(cJSON_GetObjectItem(root, "clips")),
           cJSON_GetArraySize(cJSON_GetObjectItem(root, "grammar_errors")), out);
    free(json);
    cJSON_Delete(root);
    return 0;
}
