/* Writes manifest.json: which model folder the lab uses (and whether it is the real
 * checkpoint or the synthetic one) and the clips it runs on, with SHA256s and durations.
 * Usage: manifest --model ARG --fallback DIR --clips CLIPS.json --audio DIR --out FILE */
#include "../engine/model_card.h"
#include "../engine/model_path.h"
#include "../engine/sha256.h"
#include "../engine/util.h"

#include <cjson/cJSON.h>
#include <sndfile.h>
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

int main(int argc, char **argv)
{
    const char *model_arg = arg(argc, argv, "--model"), *fallback = arg(argc, argv, "--fallback"),
               *clips = arg(argc, argv, "--clips"), *audio = arg(argc, argv, "--audio"),
               *out = arg(argc, argv, "--out");
    if (!fallback || !clips || !audio || !out) {
        fprintf(stderr, "usage: manifest --model ARG --fallback DIR --clips CLIPS.json --audio DIR --out FILE\n");
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
    size_t len;
    char *text = wl_read_file(clips, &len, err, sizeof err);
    if (!text) return fprintf(stderr, "manifest: %s\n", err), 1;
    cJSON *spec = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(spec)) return fprintf(stderr, "manifest: %s: not a valid JSON object\n", clips), 1;

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
    if (add_clips(cJSON_AddArrayToObject(root, "clips"),
                  cJSON_GetObjectItemCaseSensitive(spec, "clips"), audio) ||
        add_clips(cJSON_AddArrayToObject(root, "grammar_errors"),
                  cJSON_GetObjectItemCaseSensitive(spec, "grammar_errors"), audio))
        return 1;
    cJSON_Delete(spec);
    char *json = cJSON_Print(root);
    FILE *f = fopen(out, "w");
    if (!f || fputs(json, f) < 0 || fputc('\n', f) == EOF || fclose(f)) {
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
