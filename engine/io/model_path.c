#include "model_path.h"
#include "../base/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const WL_MODEL_FILES[] = {
    "config.json", "generation_config.json", "model.safetensors", "vocab.json", "merges.txt",
    "added_tokens.json", "preprocessor_config.json", "special_tokens_map.json",
    "tokenizer_config.json", NULL,
};

/* Why path cannot be used, in words: a link to nothing (a hub snapshot's file whose blob is
 * gone) is said to be one, not "not found". */
static int access_fail(const char *path, int e, const char *missing, char *err, size_t errlen)
{
    struct stat st;
    if (e == ENOENT && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char to[4096];
        ssize_t n = readlink(path, to, sizeof to - 1);
        to[n > 0 ? n : 0] = 0;
        return wl_fail(err, errlen, "%s: a dangling link (to %s, which does not exist)", path, n > 0 ? to : "?");
    }
    if (e == ENOENT) return wl_fail(err, errlen, "%s", missing);
    if (e == ELOOP) return wl_fail(err, errlen, "%s: a symlink loop (%s)", path, strerror(e));
    return wl_fail(err, errlen, "%s: cannot access: %s", path, strerror(e));
}

/* path must be a folder: else -1 with err saying `missing` when nothing is there, "LABEL: not a
 * folder" when something else is, or why it cannot be reached. */
static int need_folder(const char *path, const char *missing, const char *label, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) return access_fail(path, errno, missing, err, errlen);
    if (!S_ISDIR(st.st_mode)) return wl_fail(err, errlen, "%s: not a folder", label);
    return 0;
}

int wl_model_folder_check(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    char missing[64 + 4096];
    snprintf(missing, sizeof missing, "%s: model folder not found", dir);
    if (need_folder(dir, missing, dir, err, errlen)) return -1;
    for (int i = 0; WL_MODEL_FILES[i]; i++) {
        char p[4096 + 64];
        if (snprintf(p, sizeof p, "%s/%s", dir, WL_MODEL_FILES[i]) >= 4096)
            return wl_fail(err, errlen, "%s/%s: the path is %zu characters, over the system's limit of 4095", dir,
                            WL_MODEL_FILES[i], strlen(dir) + 1 + strlen(WL_MODEL_FILES[i]));
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) continue;
        if (stat(p, &st) == 0) return wl_fail(err, errlen, "%s: not a regular file", p);
        snprintf(missing, sizeof missing, "%s: model folder lacks %s", dir, WL_MODEL_FILES[i]);
        return access_fail(p, errno, missing, err, errlen);
    }
    return 0;
}

/* The HF hub cache root (malloc'd), and in *from the variable it came from. */
static char *cache_root(const char **from)
{
    const char *v, *dummy;
    char *out = NULL;
    from = from ? from : &dummy;
    int n;
    if ((v = getenv("HF_HUB_CACHE")) && *v) *from = "$HF_HUB_CACHE", n = asprintf(&out, "%s", v);
    else if ((v = getenv("HF_HOME")) && *v) *from = "$HF_HOME", n = asprintf(&out, "%s/hub", v);
    else if ((v = getenv("XDG_CACHE_HOME")) && *v) *from = "$XDG_CACHE_HOME", n = asprintf(&out, "%s/huggingface/hub", v);
    else *from = "$HOME", n = asprintf(&out, "%s/.cache/huggingface/hub", getenv("HOME") ? getenv("HOME") : "");
    return n < 0 ? NULL : out;
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
    char *root = cache_root(NULL);
    snprintf(out, outlen, "%s", root ? root : "");
    free(root);
}

int wl_hf_cache_snapshot(const char *repo, char *out, size_t outlen, char *err, size_t errlen)
{
    if (!valid_repo_id(repo))
        return wl_fail(err, errlen, "%.200s: not a hub repo id (owner/name of letters, digits, '.', '_', '-')",
                       repo);
    const char *from;
    char *root = cache_root(&from), *base = NULL, *ref = NULL, *snaps = NULL, *text = NULL;
    char rev[128] = "";
    int rc = -1;
    struct stat st;
    /* The hub stores owner/name as models--owner--name (both parts at most 96 characters). */
    const char *slash = strchr(repo, '/');
    if (!root || asprintf(&base, "%s/models--%.*s--%s", root, (int)(slash - repo), repo, slash + 1) < 0 ||
        asprintf(&ref, "%s/refs/main", base) < 0 || asprintf(&snaps, "%s/snapshots", base) < 0) {
        base = ref = snaps = NULL; /* asprintf leaves them undefined on failure */
        wl_fail(err, errlen, "out of memory");
        goto done;
    }
    /* Each level by its own reason: a cache root that is a file, a folder that is a symlink loop. */
    char label[4200], missing[4300];
    snprintf(label, sizeof label, "%s (the HF cache, from %s)", root, from);
    snprintf(missing, sizeof missing, "%s: not found", label);
    if (need_folder(root, missing, label, err, errlen)) goto done;
    snprintf(missing, sizeof missing, "%s: %s is not in the HF cache", base, repo);
    if (need_folder(base, missing, base, err, errlen)) goto done;
    size_t len;
    char why[64 + 4096];
    text = wl_read_file(ref, &len, why, sizeof why);
    if (text) {
        size_t n = strcspn(text, "\r\n");
        int ok = n < sizeof rev && strlen(text + n) == strspn(text + n, "\r\n");
        if (ok) memcpy(rev, text, n), rev[n] = 0;
        if (!ok || !valid_revision(rev)) {
            wl_fail(err, errlen, "%s: not a revision (one line naming a snapshot)", ref);
            goto done;
        }
    } else if (lstat(ref, &st) == 0 || errno != ENOENT) { /* there, but unreadable */
        int e = stat(ref, &st) != 0 ? errno : 0;
        if (e) access_fail(ref, e, why, err, errlen);
        else wl_fail(err, errlen, "%s", why);
        goto done;
    }
    if (!rev[0]) { /* no refs/main: accept a single snapshot */
        DIR *d = opendir(snaps);
        if (!d && errno != ENOENT) {
            access_fail(snaps, errno, "", err, errlen);
            goto done;
        }
        int count = 0;
        for (struct dirent *e; d && (e = readdir(d));)
            if (e->d_name[0] != '.' && ++count == 1) snprintf(rev, sizeof rev, "%.127s", e->d_name);
        if (d) closedir(d);
        if (count != 1) {
            wl_fail(err, errlen, "%s: %s snapshots of %s in the HF cache, and no refs/main to choose one", snaps,
                    count ? "several" : "no", repo);
            goto done;
        }
    }
    if (snprintf(out, outlen, "%s/%s", snaps, rev) >= (int)outlen) {
        wl_fail(err, errlen, "%s/%s: the path is over %zu characters", snaps, rev, outlen - 1);
        goto done;
    }
    if (stat(out, &st) != 0) {
        char missing[4200];
        snprintf(missing, sizeof missing, "%s: snapshot folder not found", out);
        access_fail(out, errno, missing, err, errlen);
        goto done;
    }
    if (!S_ISDIR(st.st_mode)) {
        wl_fail(err, errlen, "%s: snapshot is not a folder", out);
        goto done;
    }
    rc = 0;
done:
    free(root), free(base), free(ref), free(snaps), free(text);
    return rc;
}

int wl_hf_cache_has_repo(const char *repo)
{
    if (!valid_repo_id(repo)) return -1;
    char *root = cache_root(NULL), *base = NULL;
    const char *slash = strchr(repo, '/');
    if (!root || asprintf(&base, "%s/models--%.*s--%s", root, (int)(slash - repo), repo, slash + 1) < 0) {
        free(root);
        return 1; /* out of memory: say it is there, so the caller reports the resolver's error */
    }
    struct stat st;
    int there = lstat(base, &st) == 0 || errno != ENOENT;
    free(root), free(base);
    return there;
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
        snprintf(out, outlen, "%s", fallback ? fallback : WL_LOCAL_MODEL);
    }
    return wl_model_folder_check(out, err, errlen);
}
