/* The staged report folder of out_folder.h: the check of what OUT holds, the lock, the staging
 * folder and the swap. */
#include "out_folder.h"

#include "../../engine/base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every name a report folder holds (lab, tables, manifest, the stage check of report.sh); the
 * .tmp names are what an interrupted write of an older version could leave. */
static const char *const REPORT_NAMES[] = {
    OUT_FOLDER_MARKER, "run.json", "transcriptions.json", "tokens.json", "wer.json", "confidence.json",
    "timestamps.json", "monotonicity.json", "grammar.json", "greedy_vs_beam.json", "manifest.json", "README.md",
    "golden_check.log", "golden_check.json", "cross_attention_*.png", "*.json.tmp", "README.md.tmp"};

static int is_report_name(const char *name)
{
    for (size_t i = 0; i < sizeof REPORT_NAMES / sizeof *REPORT_NAMES; i++)
        if (!fnmatch(REPORT_NAMES[i], name, FNM_PERIOD)) return 1;
    return 0;
}

static int remove_tree_at(int at, const char *name, int depth)
{
    if (!unlinkat(at, name, 0) || errno == ENOENT) return 0;
    if ((errno != EISDIR && errno != EPERM) || depth > 16) return -1;
    int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : -1;
    /* a name removed while reading the folder can make getdents skip one: read it again */
    for (int pass = 0; pass < 4; pass++) {
        _Alignas(8) char buf[4096];
        ssize_t n;
        lseek(fd, 0, SEEK_SET);
        while ((n = getdents64(fd, buf, sizeof buf)) > 0)
            for (ssize_t off = 0; off < n;) {
                const struct dirent64 *d = (const struct dirent64 *)(buf + off);
                off += d->d_reclen;
                if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..")) remove_tree_at(fd, d->d_name, depth + 1);
            }
        if (!unlinkat(at, name, AT_REMOVEDIR) || errno == ENOENT) return close(fd), 0;
        if (errno != ENOTEMPTY && errno != EEXIST) break;
    }
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

int out_folder_remove_tree(const char *path)
{
    return remove_tree_at(AT_FDCWD, path, 0);
}

/* path's folder and last name, as given ("a/b/" -> "a", "b"; "b" -> ".", "b"). */
static int split(const char *path, char *dir, char *base, size_t len)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    if (n >= len) return -1;
    memcpy(dir, path, n), dir[n] = 0;
    char *slash = strrchr(dir, '/');
    if (!slash) snprintf(base, len, "%s", dir), snprintf(dir, len, ".");
    else if (slash == dir) snprintf(base, len, "%s", slash + 1), snprintf(dir, len, "/");
    else snprintf(base, len, "%s", slash + 1), *slash = 0;
    return 0;
}

/* What the folder holds, judged: 0 empty or a report; else -1 and the reason. */
static int judge_folder(const char *out, const char *real, char *err, size_t errlen)
{
    DIR *d = opendir(real);
    if (!d) return wl_fail(err, errlen, "%s: cannot read the folder: %s", out, strerror(errno));
    int n = 0, marker = 0, run = 0, transcriptions = 0;
    char foreign[NAME_MAX + 1] = "";
    const struct dirent *e;
    while ((e = readdir(d)) && !foreign[0]) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        struct stat st;
        n++;
        if (!is_report_name(e->d_name) || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
            !S_ISREG(st.st_mode))
            snprintf(foreign, sizeof foreign, "%s", e->d_name);
        marker |= !strcmp(e->d_name, OUT_FOLDER_MARKER);
        run |= !strcmp(e->d_name, "run.json");
        transcriptions |= !strcmp(e->d_name, "transcriptions.json");
    }
    closedir(d);
    if (foreign[0])
        return wl_fail(err, errlen, "%s: not a whisperlab report (it holds '%s'); refusing to replace it: "
                                    "give a new or empty folder",
                       out, foreign);
    if (n && !marker && !(run && transcriptions))
        return wl_fail(err, errlen, "%s: not a whisperlab report (no %s, no run.json and transcriptions.json); "
                                    "refusing to replace it: give a new or empty folder",
                       out, OUT_FOLDER_MARKER);
    return 0;
}

int out_folder_check(const char *out, int make_parents, char *real, size_t reallen, char *err, size_t errlen)
{
    char dir[OUT_FOLDER_PATH_MAX], base[OUT_FOLDER_PATH_MAX], rdir[PATH_MAX];
    struct stat st;
    if (!*out) return wl_fail(err, errlen, "the output folder is an empty name");
    if (strlen(out) >= OUT_FOLDER_PATH_MAX - 32 || split(out, dir, base, sizeof dir))
        return wl_fail(err, errlen, "%.80s...: path too long (%zu bytes; at most %d)", out, strlen(out),
                       OUT_FOLDER_PATH_MAX - 33);
    if (lstat(out, &st)) {
        if (errno != ENOENT) return wl_fail(err, errlen, "%s: %s", out, strerror(errno));
        if (!strcmp(base, ".") || !strcmp(base, "..") || !*base)
            return wl_fail(err, errlen, "%s: not a folder name", out);
        if (!realpath(dir, rdir)) {
            if (errno == ENOENT && make_parents) { /* nothing there to lose; the caller makes it */
                snprintf(real, reallen, "%s", out);
                return 0;
            }
            return wl_fail(err, errlen, "%s: cannot create the folder: %s: %s", out, dir, strerror(errno));
        }
        if (stat(rdir, &st) || !S_ISDIR(st.st_mode)) return wl_fail(err, errlen, "%s: %s is not a folder", out, dir);
        if ((size_t)snprintf(real, reallen, "%s%s%s", rdir, strcmp(rdir, "/") ? "/" : "", base) >= reallen)
            return wl_fail(err, errlen, "%.80s...: path too long", out);
        return 0;
    }
    if (S_ISLNK(st.st_mode) && stat(out, &st))
        return wl_fail(err, errlen, "%s: a symbolic link to nothing (%s); refusing to write through it", out,
                       strerror(errno));
    if (!S_ISDIR(st.st_mode)) return wl_fail(err, errlen, "%s: exists and is not a folder; refusing to replace it", out);
    if (!realpath(out, rdir)) return wl_fail(err, errlen, "%s: %s", out, strerror(errno));
    if (!strcmp(rdir, "/")) return wl_fail(err, errlen, "%s: is the root folder; refusing to replace it", out);
    if ((size_t)snprintf(real, reallen, "%s", rdir) >= reallen) return wl_fail(err, errlen, "%.80s...: path too long", out);
    return judge_folder(out, rdir, err, errlen);
}

/* mkdir -p of path's parent folders. */
static int make_parents_of(const char *path, char *err, size_t errlen)
{
    char p[OUT_FOLDER_PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        if (mkdir(p, 0777) && errno != EEXIST) return wl_fail(err, errlen, "%s: cannot create %s: %s", path, p, strerror(errno));
        *s = '/';
    }
    return 0;
}

/* Removes the staging folders of runs that were killed (their lock is ours now). */
static void remove_stale(const char *dir, const char *base)
{
    char prefix[OUT_FOLDER_PATH_MAX + 16], path[2 * OUT_FOLDER_PATH_MAX + 16];
    snprintf(prefix, sizeof prefix, ".%s.new.", base);
    DIR *d = opendir(dir);
    const struct dirent *e;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, prefix, strlen(prefix)) && strlen(e->d_name) == strlen(prefix) + 6) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            out_folder_remove_tree(path);
        }
    if (d) closedir(d);
}

static int sync_folder(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd < 0 || fsync(fd) ? -1 : 0;
    if (fd >= 0) close(fd);
    return rc;
}

int out_folder_begin(out_folder *f, const char *out, int make_parents, char *err, size_t errlen)
{
    char dir[OUT_FOLDER_PATH_MAX], base[OUT_FOLDER_PATH_MAX], lock[2 * OUT_FOLDER_PATH_MAX + 16];
    *f = (out_folder){.lock_fd = -1};
    if (out_folder_check(out, make_parents, f->out, sizeof f->out, err, errlen)) return -1;
    if (make_parents && make_parents_of(f->out, err, errlen)) return -1;
    /* again, now that the parents exist, for the real path */
    if (make_parents && out_folder_check(out, 0, f->out, sizeof f->out, err, errlen)) return -1;
    split(f->out, dir, base, sizeof dir);
    snprintf(lock, sizeof lock, "%s/.%s.lock", dir, base);
    /* not close-on-exec: a child (the report's tools) holds the lock as long as it runs */
    f->lock_fd = open(lock, O_RDWR | O_CREAT, 0666);
    if (f->lock_fd < 0) return wl_fail(err, errlen, "%s: cannot open the lock file %s: %s", out, lock, strerror(errno));
    if (flock(f->lock_fd, LOCK_EX | LOCK_NB)) {
        int e = errno;
        close(f->lock_fd), f->lock_fd = -1;
        return e == EWOULDBLOCK ? wl_fail(err, errlen, "%s: another run is writing this report (it holds %s)", out, lock)
                                : wl_fail(err, errlen, "%s: cannot lock %s: %s", out, lock, strerror(e));
    }
    remove_stale(dir, base);
    /* checked again under the lock: a run that finished meanwhile may have changed it */
    if (out_folder_check(out, 0, f->out, sizeof f->out, err, errlen)) return out_folder_abort(f), -1;
    if ((size_t)snprintf(f->stage, sizeof f->stage, "%s/.%s.new.XXXXXX", dir, base) >= sizeof f->stage) {
        wl_fail(err, errlen, "%.80s...: path too long for its staging folder (at most %d bytes in all)", out,
                OUT_FOLDER_PATH_MAX - 1);
        f->stage[0] = 0;
        return out_folder_abort(f), -1;
    }
    if (!mkdtemp(f->stage)) {
        wl_fail(err, errlen, "%s: cannot create a staging folder in %s: %s", out, dir, strerror(errno));
        f->stage[0] = 0;
        return out_folder_abort(f), -1;
    }
    mode_t mask = umask(0); /* mkdtemp's 0700 would be the published report's mode */
    umask(mask);
    chmod(f->stage, 0777 & ~mask);
    char marker[2 * OUT_FOLDER_PATH_MAX];
    snprintf(marker, sizeof marker, "%s/" OUT_FOLDER_MARKER, f->stage);
    FILE *m = fopen(marker, "w");
    int ok = m && fputs("A whisperlab report: `make report` or `lab --out` may replace this folder.\n", m) >= 0;
    if ((m && fclose(m)) || !ok) {
        wl_fail(err, errlen, "%s: cannot write %s", out, marker);
        return out_folder_abort(f), -1;
    }
    return 0;
}

int out_folder_publish(out_folder *f, char *err, size_t errlen)
{
    char real[OUT_FOLDER_PATH_MAX], dir[OUT_FOLDER_PATH_MAX], base[OUT_FOLDER_PATH_MAX];
    struct stat st;
    if (out_folder_check(f->out, 0, real, sizeof real, err, errlen)) return out_folder_abort(f), -1;
    if (lstat(f->out, &st) == 0) {
        if (renameat2(AT_FDCWD, f->stage, AT_FDCWD, f->out, RENAME_EXCHANGE)) {
            wl_fail(err, errlen, "%s: cannot swap the new report in: %s", f->out, strerror(errno));
            return out_folder_abort(f), -1;
        }
    } else if (rename(f->stage, f->out)) {
        wl_fail(err, errlen, "%s: cannot move the new report in: %s", f->out, strerror(errno));
        return out_folder_abort(f), -1;
    }
    split(f->out, dir, base, sizeof dir);
    sync_folder(dir);
    /* the stage now holds the previous report (or nothing) */
    out_folder_abort(f);
    return 0;
}

void out_folder_abort(out_folder *f)
{
    if (f->stage[0]) out_folder_remove_tree(f->stage);
    f->stage[0] = 0;
    if (f->lock_fd >= 0) close(f->lock_fd);
    f->lock_fd = -1;
}
