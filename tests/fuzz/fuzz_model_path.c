/* Fuzzes the model-path resolver in a scratch HF cache ($HF_HUB_CACHE). The first byte picks what
 * the rest is:
 *   0: a repo id (or folder) for wl_hf_cache_snapshot and wl_resolve_model;
 *   1: the content of refs/main of openai/whisper-tiny.en, whose snapshots/ holds a complete
 *      folder, an incomplete one and one the ref cannot name;
 *   2: the name of the only snapshot folder of fuzz/one (no refs/main);
 *   3: $HF_HUB_CACHE itself.
 * A snapshot found must be a folder inside the cache; the default (no MODEL) always resolves,
 * to the cache's complete snapshot or to the fallback folder. */
#include "../../engine/io/model_path.h"
#include "fuzz.h"

#include <errno.h>
#include <limits.h>

static char hub[512], hub_real[PATH_MAX], base[700], refs_main[800], one_snaps[800], fallback[512];

/* A folder holding every file wl_model_folder_check wants (empty files will do). */
static void model_folder(const char *dir)
{
    char p[1024];
    fz_mkdir(dir);
    for (int i = 0; WL_MODEL_FILES[i]; i++) fz_write(fz_join(p, sizeof p, dir, WL_MODEL_FILES[i]), "", 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char p[1024];
    fz_join(hub, sizeof hub, fz_scratch(), "hub");
    fz_mkdir(hub);
    if (!realpath(hub, hub_real)) fz_die("realpath failed", hub);
    setenv("HF_HUB_CACHE", hub, 1);
    fz_join(fallback, sizeof fallback, fz_scratch(), "fallback");
    model_folder(fallback);

    fz_join(base, sizeof base, hub, "models--openai--whisper-tiny.en");
    fz_mkdir(base);
    fz_mkdir(fz_join(p, sizeof p, base, "refs"));
    fz_join(refs_main, sizeof refs_main, base, "refs/main");
    fz_mkdir(fz_join(p, sizeof p, base, "snapshots"));
    model_folder(fz_join(p, sizeof p, base, "snapshots/0123456789abcdef"));
    fz_mkdir(fz_join(p, sizeof p, base, "snapshots/incomplete"));
    fz_write(fz_join(p, sizeof p, base, "snapshots/not-a-folder"), "", 0);

    fz_join(p, sizeof p, hub, "models--fuzz--one");
    fz_mkdir(p);
    fz_join(one_snaps, sizeof one_snaps, p, "snapshots");
    fz_mkdir(one_snaps);
    return 0;
}

/* A snapshot folder returned by wl_hf_cache_snapshot: an existing folder under the cache root. */
static void check_inside_cache(const char *out)
{
    char real[PATH_MAX];
    struct stat st;
    FZ_CHECK(stat(out, &st) == 0 && S_ISDIR(st.st_mode), "%s is not a folder", out);
    FZ_CHECK(realpath(out, real) && !strncmp(real, hub_real, strlen(hub_real)) && real[strlen(hub_real)] == '/',
             "%s is outside the cache %s", out, hub_real);
}

/* The default model: a complete cache snapshot, else the fallback; never an error here. */
static void check_default(void)
{
    char out[4096], err[1024] = "";
    FZ_CHECK(wl_resolve_model(NULL, fallback, out, sizeof out, err, sizeof err) == 0, "default refused: %s", err);
    FZ_CHECK(wl_model_folder_check(out, NULL, 0) == 0, "default %s is not a model folder", out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    char *s = strndup((const char *)data + 1, size - 1), out[4096], err[1024] = "";
    int mode = data[0] % 4;
    if (mode == 0) {
        if (wl_hf_cache_snapshot(s, out, sizeof out, err, sizeof err) == 0) check_inside_cache(out);
        else FZ_CHECK(err[0], "snapshot of %s refused without a message", s);
        err[0] = 0;
        if (wl_resolve_model(s, fallback, out, sizeof out, err, sizeof err) == 0)
            FZ_CHECK(wl_model_folder_check(out, NULL, 0) == 0, "resolved %s is not a model folder", out);
        else FZ_CHECK(err[0], "%s refused without a message", s);
    } else if (mode == 1) {
        fz_write(refs_main, data + 1, size - 1);
        if (wl_hf_cache_snapshot(WL_DEFAULT_REPO, out, sizeof out, err, sizeof err) == 0) {
            check_inside_cache(out);
            FZ_CHECK(!strncmp(out, base, strlen(base)) && !strncmp(out + strlen(base), "/snapshots/", 11) &&
                         !strchr(out + strlen(base) + 11, '/'),
                     "%s is not a snapshot of %s", out, base);
        } else {
            FZ_CHECK(err[0], "refs/main refused without a message");
        }
        check_default();
        unlink(refs_main);
    } else if (mode == 2) {
        char snap[1200];
        if (!strchr(s, '/') && snprintf(snap, sizeof snap, "%s/%s", one_snaps, s) < (int)sizeof snap &&
            mkdir(snap, 0700) == 0) {
            if (wl_hf_cache_snapshot("fuzz/one", out, sizeof out, err, sizeof err) == 0) check_inside_cache(out);
            else FZ_CHECK(err[0], "single snapshot refused without a message");
            rmdir(snap);
        }
    } else {
        setenv("HF_HUB_CACHE", s, 1);
        wl_hf_cache_snapshot(WL_DEFAULT_REPO, out, sizeof out, err, sizeof err);
        check_default();
        setenv("HF_HUB_CACHE", hub, 1);
    }
    free(s);
    return 0;
}
