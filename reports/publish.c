/* publish: puts a finished report folder in place in one step, so a reader of OUT sees either
 * the old report or the new one, never a mix. With OUT present the two folders are exchanged
 * atomically (renameat2 RENAME_EXCHANGE) and the old report is left at NEW for the caller to
 * remove; else NEW is renamed to OUT.
 * Usage: publish NEW OUT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
    if (argc != 3) return fprintf(stderr, "usage: publish NEW OUT\n"), 2;
    struct stat st;
    if (stat(argv[1], &st) || !S_ISDIR(st.st_mode)) return fprintf(stderr, "publish: %s: not a folder\n", argv[1]), 1;
    if (lstat(argv[2], &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return fprintf(stderr, "publish: %s: exists and is not a folder\n", argv[2]), 1;
        if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE))
            return fprintf(stderr, "publish: %s <-> %s: %s\n", argv[1], argv[2], strerror(errno)), 1;
        return 0;
    }
    if (rename(argv[1], argv[2])) return fprintf(stderr, "publish: %s -> %s: %s\n", argv[1], argv[2], strerror(errno)), 1;
    return 0;
}
