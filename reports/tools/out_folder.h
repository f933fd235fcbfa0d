/* A report folder replaced whole or not at all. The new report is written into a fresh sibling
 * staging folder (.NAME.new.XXXXXX), then swapped in by one rename; the previous report is
 * deleted only after that. A reader of OUT sees the old report or the new one, never a mix.
 *
 * OUT may be replaced only when it does not exist, is an empty folder, or is a previous
 * whisperlab report: a folder holding the marker file below and nothing but report files (no
 * subfolders, no links). Reports made before the marker existed are recognised by their
 * run.json and transcriptions.json beside nothing foreign. Anything else (an input folder, the
 * build folder, a home folder, a file) is refused before any work. OUT given as a symbolic link
 * to a folder means that folder: the link is kept and points to the new report.
 *
 * One run per OUT at a time: a lock file beside it (.NAME.lock, flock) is held from the check
 * to the swap, and inherited by child processes so that a report's helpers hold it too.
 * Staging folders that a killed run left beside OUT are removed by the next run, under the
 * lock. */
#ifndef OUT_FOLDER_H
#define OUT_FOLDER_H

#include <stddef.h>

#define OUT_FOLDER_MARKER ".whisperlab-report"

enum { OUT_FOLDER_PATH_MAX = 4096 };

typedef struct {
    char out[OUT_FOLDER_PATH_MAX];   /* OUT's real path (links followed), absolute */
    char stage[OUT_FOLDER_PATH_MAX]; /* the staging folder the new report is written into */
    int lock_fd;                 /* -1 when not held */
} out_folder;

/* 0 when the folder at `out` may be replaced by a new report (real path into real), else -1
 * and a one-line reason naming `out`. A missing parent folder is refused unless make_parents. */
int out_folder_check(const char *out, int make_parents, char *real, size_t reallen, char *err, size_t errlen);

/* Checks `out`, takes its lock, removes stale staging folders, makes the parent folders when
 * make_parents, and makes an empty staging folder holding the marker. 0, or -1 and err (then
 * nothing was left behind but, perhaps, the parents and the lock file). */
int out_folder_begin(out_folder *f, const char *out, int make_parents, char *err, size_t errlen);

/* Swaps the staging folder in over OUT (after checking OUT once more), then deletes the old
 * report and releases the lock. 0, or -1 and err with OUT unchanged and the stage removed. */
int out_folder_publish(out_folder *f, char *err, size_t errlen);

/* Removes the staging folder and releases the lock (after a failed run). */
void out_folder_abort(out_folder *f);

/* Removes the folder `path` and everything under it (links are removed, never followed). Uses
 * only system calls, so a signal handler may call it. 0, or -1 with errno set. */
int out_folder_remove_tree(const char *path);

#endif
