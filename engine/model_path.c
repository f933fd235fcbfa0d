#include "model_path.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
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
    struct stat st;
    if (stat(dir, &st) != 0)
        return errno == ENOENT ? wl_fail(err, errlen, "%s: model folder not found", dir)
                               : wl_fail(err, errlen, "%s: cannot access: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return wl_fail(err, errlen, "%s: not a folder", dir);
    for (int i = 0; WL_MODEL_FILES[i]; i++) {
        char p[4096];
        if (snprintf(p, sizeof p, "%s/%s", dir, WL_MODEL_FILES[i]) >= (int)sizeof p)
            return wl_fail(err, errlen, "%.200s...: path too long", dir);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) continue;
        if (stat(p, &st) == 0) return wl_fail(err, errlen, "%s: not a regular file", p);
        if (errno == ENOENT) return wl_fail(err, errlen, "%s: model folder lacks %s", dir, WL_MODEL_FILES[i]);
        return wl_fail(err, errlen, "%s: cannot access: %s", p, strerror(errno)); /* e.g. a symlink loop */
    }
    return 0;
}

/* A hub repo id is "owner/name": one slash, and each part 1..96 characters of [A-Za-z0-9._-],
 * not starting with '.' (so it can never climb out of the cache). */
static int valid_repo_id(const char *repo)
{
    const char *slash = strchr(repo, '/');
    if (!slash || strchr(slash + 1, '/')) return 0;
    const char *parts[2] = {repo, slash + 1};
    size_t lens[2] = {(size_t)(slash - repo), strlen(slash + 1)};
    for (int k = 0; k < 2; k++) {
        if (lens[k] == 0 || lens[k] > 96 || parts[k][0] == '.') return 0;
        for (size_t i = 0; i < lens[k]; i++) {
            char c = parts[k][i];
            if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
                c != '.' && c != '_' && c != '-')
                return 0;
        }
    }
    return 1;
}

/* A revision in refs/main or a snapshot folder name: a plain name (a commit hash), never a path. */
static int valid_revision(const char *rev)
{
    if (!rev[0] || strcmp(rev, ".") == 0 || strcmp(rev, "..") == 0) return 0;
    for (const char *c = rev; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-'))
            return 0;
    return 1;
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
    if (!valid_repo_id(repo))
        return wl_fail(err, errlen, "%.200s: not a hub repo id (owner/name of letters, digits, '.', '_', '-')",
                       repo);
    char root[2048], base[2400];
    wl_hf_cache_root(root, sizeof root);
    /* The hub stores owner/name as models--owner--name (both parts at most 96 characters). */
    const char *slash = strchr(repo, '/');
    snprintf(base, sizeof base, "%s/models--%.*s--%s", root, (int)(slash - repo), repo, slash + 1);
    char ref[2500], rev[128] = "";
    snprintf(ref, sizeof ref, "%s/refs/main", base);
    size_t len;
    char *text = wl_read_file(ref, &len, NULL, 0);
    if (text) {
        size_t n = strcspn(text, "\r\n");
        int ok = n < sizeof rev && strlen(text + n) == strspn(text + n, "\r\n");
        if (ok) memcpy(rev, text, n), rev[n] = 0;
        free(text);
        if (!ok || !valid_revision(rev))
            return wl_fail(err, errlen, "%s: not a revision (one line naming a snapshot)", ref);
    }
    if (!rev[0]) { /* no refs/main: accept a single snapshot */
        char snaps[4200];
        snprintf(snaps, sizeof snaps, "%s/snapshots", base);
        DIR *d = opendir(snaps);
        int count = 0;
        for (struct dirent *e; d && (e = readdir(d));)
            if (e->d_name[0] != '.' && ++count == 1) snprintf(rev, sizeof rev, "%.127s", e->d_name);
        if (d) closedir(d);
        if (count != 1)
            return wl_fail(err, errlen, "%s: no unique snapshot of %s in the HF cache", snaps, repo);
    }
    if (snprintf(out, outlen, "%s/snapshots/%s", base, rev) >= (int)outlen)
        return wl_fail(err, errlen, "%s: path too long", base);
    if (!is_dir(out)) return wl_fail(err, errlen, "%s: snapshot folder not found", out);
    return 0;
}

int wl_resolve_model(const char *arg, const char *fallback, char *out, size_t outlen, char *err,
                     size_t errlen)
{
    if (arg && *arg) {
        struct stat st;
        if (stat(arg, &st) == 0 || errno != ENOENT) {
            if (snprintf(out, outlen, "%s", arg) >= (int)outlen)
                return wl_fail(err, errlen, "%.200s...: path too long", arg);
        } else if (!valid_repo_id(arg)) {
            return wl_fail(err, errlen, "%.200s: no such model folder, and not a hub repo id (owner/name)", arg);
        } else {
            char why[1024];
            if (wl_hf_cache_snapshot(arg, out, outlen, why, sizeof why))
                return wl_fail(err, errlen, "%s: not a folder here, nor usable in the HF cache (%s)", arg, why);
        }
    } else if (wl_hf_cache_snapshot(WL_DEFAULT_REPO, out, outlen, NULL, 0) != 0 ||
               wl_model_folder_check(out, NULL, 0) != 0) {
        snprintf(out, outlen, "%s", fallback);
    }
    return wl_model_folder_check(out, err, errlen);
}
