#include "model_path.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *const WL_MODEL_FILES[] = {
    "config.json", "generation_config.json", "model.safetensors", "vocab.json", "merges.txt",
    "added_tokens.json", "preprocessor_config.json", "special_tokens_map.json",
    "tokenizer_config.json", NULL,
};

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int wl_model_folder_check(const char *dir, char *err, size_t errlen)
{
    if (!is_dir(dir)) return wl_fail(err, errlen, "%s: model folder not found", dir);
    for (int i = 0; WL_MODEL_FILES[i]; i++) {
        char p[4096];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, WL_MODEL_FILES[i]);
        if (stat(p, &st) != 0)
            return wl_fail(err, errlen, "%s: model folder lacks %s", dir, WL_MODEL_FILES[i]);
    }
    return 0;
}

void wl_hf_cache_root(char *out, size_t outlen)
{
    const char *v;
    if ((v = getenv("HF_HUB_CACHE")) && *v) snprintf(out, outlen, "%s", v);
    else if ((v = getenv("HF_HOME")) && *v) snprintf(out, outlen, "%s/hub", v);
    else if ((v = getenv("XDG_CACHE_HOME")) && *v) snprintf(out, outlen, "%s/huggingface/hub", v);
    else snprintf(out, outlen, "%s/.cache/huggingface/hub", getenv("HOME") ? getenv("HOME") : "");
}

int wl_hf_cache_snapshot(const char *repo, char *out, size_t outlen, char *err, size_t errlen)
{
    char root[2048], base[4096], name[256];
    wl_hf_cache_root(root, sizeof root);
    /* The hub stores owner/name as models--owner--name. */
    snprintf(name, sizeof name, "models--%s", repo);
    for (char *s = name; *s; s++)
        if (*s == '/') {
            memmove(s + 2, s + 1, strlen(s + 1) + 1);
            s[0] = s[1] = '-';
        }
    snprintf(base, sizeof base, "%s/%s", root, name);
    char ref[4096], rev[128] = "";
    snprintf(ref, sizeof ref, "%s/refs/main", base);
    FILE *f = fopen(ref, "r");
    if (f) {
        if (!fgets(rev, sizeof rev, f)) rev[0] = 0;
        fclose(f);
        rev[strcspn(rev, "\r\n ")] = 0;
    }
    if (!rev[0]) { /* no refs/main: accept a single snapshot */
        char snaps[4200];
        snprintf(snaps, sizeof snaps, "%s/snapshots", base);
        DIR *d = opendir(snaps);
        int count = 0;
        for (struct dirent *e; d && (e = readdir(d));)
            if (e->d_name[0] != '.' && ++count == 1) snprintf(rev, sizeof rev, "%s", e->d_name);
        if (d) closedir(d);
        if (count != 1)
            return wl_fail(err, errlen, "%s: no unique snapshot of %s in the HF cache", snaps, repo);
    }
    snprintf(out, outlen, "%s/snapshots/%s", base, rev);
    if (!is_dir(out)) return wl_fail(err, errlen, "%s: snapshot folder not found", out);
    return 0;
}

int wl_resolve_model(const char *arg, const char *fallback, char *out, size_t outlen, char *err,
                     size_t errlen)
{
    if (arg && *arg) {
        if (is_dir(arg)) snprintf(out, outlen, "%s", arg);
        else if (!strchr(arg, '/') || arg[0] == '/' || arg[0] == '.' ||
                 wl_hf_cache_snapshot(arg, out, outlen, err, errlen))
            return wl_fail(err, errlen, "%s: neither a model folder nor a repo in the HF cache", arg);
    } else if (wl_hf_cache_snapshot(WL_DEFAULT_REPO, out, outlen, NULL, 0) != 0 ||
               wl_model_folder_check(out, NULL, 0) != 0) {
        snprintf(out, outlen, "%s", fallback);
    }
    return wl_model_folder_check(out, err, errlen);
}
