/* jsonl_file: whole-line appends under a lock, and a tolerant reader. */
#include "jsonl_file.h"

#include "replace_file.h"
#include "../../engine/base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* The old contents, or an empty string when the file does not exist yet. */
static char *old_contents(const char *path, size_t *len, char *err, size_t errlen)
{
    if (access(path, F_OK) && errno == ENOENT) {
        *len = 0;
        return calloc(1, 1);
    }
    return wl_read_file(path, len, err, errlen);
}

/* The folder holding path, opened to be locked: every appender to a file of that folder waits
 * on it (the file itself cannot be the lock, since each append renames a new file over it). */
static int open_folder(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if ((size_t)(slash - path) >= sizeof dir) return errno = ENAMETOOLONG, -1;
    snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int jsonl_append(const char *path, const cJSON *record, char *err, size_t errlen)
{
    int fd = open_folder(path);
    if (fd < 0) return wl_fail(err, errlen, "%s: cannot open its folder: %s", path, strerror(errno));
    while (flock(fd, LOCK_EX))
        if (errno != EINTR) {
            close(fd);
            return wl_fail(err, errlen, "%s: cannot lock its folder: %s", path, strerror(errno));
        }
    char *line = cJSON_PrintUnformatted(record);
    size_t len = 0;
    char *old = line ? old_contents(path, &len, err, errlen) : NULL;
    int rc = -1;
    if (!line) wl_fail(err, errlen, "%s: out of memory", path);
    else if (old) {
        /* A last line without its newline (an edit by hand) is ended, so the record stays whole. */
        int mend = len > 0 && old[len - 1] != '\n';
        size_t n = strlen(line), total = len + (size_t)mend + n + 1;
        char *all = malloc(total);
        if (!all) wl_fail(err, errlen, "%s: out of memory", path);
        else {
            memcpy(all, old, len);
            if (mend) all[len] = '\n';
            memcpy(all + len + mend, line, n);
            all[total - 1] = '\n';
            rc = replace_file(path, all, total, err, errlen);
            free(all);
        }
    }
    free(old);
    cJSON_free(line);
    close(fd); /* releases the lock */
    return rc;
}

cJSON *jsonl_read(const char *path, FILE *report, char *err, size_t errlen)
{
    size_t len;
    char *text = wl_read_file(path, &len, err, errlen);
    if (!text) return NULL;
    cJSON *all = cJSON_CreateArray();
    int number = 0;
    for (char *s = text; *s;) {
        char *end = strchr(s, '\n');
        if (end) *end = 0;
        number++;
        if (strspn(s, " \t\r") != strlen(s)) {
            cJSON *o = cJSON_ParseWithOpts(s, NULL, 1);
            if (cJSON_IsObject(o)) {
                if (!cJSON_HasObjectItem(o, "line")) cJSON_AddNumberToObject(o, "line", number);
                cJSON_AddItemToArray(all, o);
            } else {
                cJSON_Delete(o);
                if (report) fprintf(report, "%s:%d: not a JSON record; skipped\n", path, number);
            }
        }
        if (!end) break;
        s = end + 1;
    }
    free(text);
    return all;
}
