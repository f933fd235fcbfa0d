/* replace_file: write to a temporary file, sync it, rename it over the real file. */
#include "replace_file.h"

#include "../../engine/base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int replace_file(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    char real[PATH_MAX], tmp[PATH_MAX + 16];
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (!exists && errno != ENOENT) return wl_fail(err, errlen, "%s: %s", path, strerror(errno));
    if (!exists) {
        struct stat lst;
        if (lstat(path, &lst) == 0) return wl_fail(err, errlen, "%s: a symbolic link to nothing; not written", path);
        if ((size_t)snprintf(real, sizeof real, "%s", path) >= sizeof real) return wl_fail(err, errlen, "%s: path too long", path);
    } else {
        if (!S_ISREG(st.st_mode)) return wl_fail(err, errlen, "%s: not a regular file; not written", path);
        if (st.st_nlink > 1)
            return wl_fail(err, errlen, "%s: has %lu hard links; a new file would split them, so it is left unchanged "
                                        "(write into a copy)",
                           path, (unsigned long)st.st_nlink);
        if (!realpath(path, real)) return wl_fail(err, errlen, "%s: %s", path, strerror(errno));
    }
    const char *slash = strrchr(real, '/');
    int dirlen = slash ? (int)(slash - real) : 0;
    const char *base = slash ? slash + 1 : real;
    if ((size_t)snprintf(tmp, sizeof tmp, "%.*s%s.%s.XXXXXX", dirlen, real, slash ? "/" : "", base) >= sizeof tmp)
        return wl_fail(err, errlen, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0) return wl_fail(err, errlen, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
    const char *why = NULL;
    int e = 0;
    if (exists) {
        if (fchmod(fd, st.st_mode & 07777)) why = "cannot keep its mode", e = errno;
        else if (fchown(fd, st.st_uid, st.st_gid)) {
            struct stat now; /* not allowed, and needed only when the new file's owner differs */
            if (fstat(fd, &now) || now.st_uid != st.st_uid || now.st_gid != st.st_gid) why = "cannot keep its owner", e = EPERM;
        }
    } else {
        mode_t mask = umask(0);
        umask(mask);
        if (fchmod(fd, 0666 & ~mask)) why = "cannot set its mode", e = errno;
    }
    for (size_t done = 0; !why && done < len;) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) why = "cannot write", e = n < 0 ? errno : ENOSPC;
        else done += (size_t)n;
    }
    if (!why && fsync(fd)) why = "cannot write", e = errno;
    if (close(fd) && !why) why = "cannot write", e = errno;
    if (!why && rename(tmp, real)) why = "cannot replace it", e = errno;
    if (why) {
        unlink(tmp);
        return wl_fail(err, errlen, "%s: %s: %s; left unchanged", path, why, strerror(e));
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", dirlen ? dirlen : 1, slash ? real : ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) fsync(dfd), close(dfd);
    return 0;
}
