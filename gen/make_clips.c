/* Speaks every clip listed in clips.json into OUT_DIR/<file>, and writes OUT_DIR/ESPEAK
 * (the espeak-ng version and settings used). Usage: make_clips CLIPS.json OUT_DIR */
#include "../engine/base/util.h"
#include "clip_synth.h"

#include <cjson/cJSON.h>
#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int speak_list(const cJSON *list, const char *dir, int *count)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, list)
    {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(c, "sentence");
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(c, "file");
        if (!cJSON_IsString(s) || !cJSON_IsString(f)) {
            fprintf(stderr, "make_clips: a clip entry lacks \"sentence\" or \"file\"\n");
            return -1;
        }
        char err[512], path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, f->valuestring);
        if (clip_render(s->valuestring, path, err, sizeof err)) {
            fprintf(stderr, "make_clips: %s\n", err);
            return -1;
        }
        (*count)++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: %s CLIPS.json OUT_DIR\n", argv[0]);
        return 2;
    }
    char err[512];
    size_t len;
    char *text = wl_read_file(argv[1], &len, err, sizeof err);
    if (!text) {
        fprintf(stderr, "make_clips: %s\n", err);
        return 1;
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(root)) {
        fprintf(stderr, "make_clips: %s: not a valid JSON object\n", argv[1]);
        return 1;
    }
    const char *version = clip_espeak_version();
    int count = 0;
    if (speak_list(cJSON_GetObjectItemCaseSensitive(root, "clips"), argv[2], &count) ||
        speak_list(cJSON_GetObjectItemCaseSensitive(root, "grammar_errors"), argv[2], &count))
        return 1;
    cJSON_Delete(root);
    char path[4096];
    snprintf(path, sizeof path, "%s/ESPEAK", argv[2]);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "make_clips: %s: cannot create\n", path);
        return 1;
    }
    fprintf(f, "espeak-ng %s\nvoice %s\nrate %d wpm\npitch %d\nrange %d\nvolume %d\n"
               "resampler %s, quality HQ, 1 thread\noutput 16000 Hz mono PCM-16 WAV\n",
            version, CLIP_VOICE, CLIP_RATE_WPM, CLIP_PITCH, CLIP_RANGE, CLIP_VOLUME, soxr_version());
    fclose(f);
    printf("make_clips: %d clips written to %s (espeak-ng %s)\n", count, argv[2], version);
    return 0;
}
