#include "model_card.h"
#include "../io/json_file.h"
#include "../base/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int wl_model_card_read(const char *dir, wl_model_card *card, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/whisperlab.json", dir);
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) {
        snprintf(card->kind, sizeof card->kind, "checkpoint");
        snprintf(card->summary, sizeof card->summary,
                 "a HuggingFace Whisper checkpoint (no whisperlab.json: not a whisperlab stand-in)");
        return 0;
    }
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 65536)
        return wl_fail(err, errlen, "%s: not a regular file of at most 64 KiB", path);
    cJSON *root = wl_json_read_object(path, err, errlen);
    if (!root) return -1;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
    const cJSON *summary = cJSON_GetObjectItemCaseSensitive(root, "summary");
    int ok = cJSON_IsString(kind) && cJSON_IsString(summary) &&
             (strcmp(kind->valuestring, "synthetic") == 0 || strcmp(kind->valuestring, "trained-here") == 0);
    if (ok) {
        snprintf(card->kind, sizeof card->kind, "%s", kind->valuestring);
        snprintf(card->summary, sizeof card->summary, "%s", summary->valuestring);
    }
    cJSON_Delete(root);
    if (!ok)
        return wl_fail(err, errlen, "%s: needs \"kind\" (\"synthetic\" or \"trained-here\") and \"summary\" strings",
                       path);
    return 0;
}
