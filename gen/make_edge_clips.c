/* Makes the edge clips (gen/edge_clips.h) from the lab clips in AUDIO_DIR into OUT_DIR, and
 * writes OUT_DIR/SOXR (the libsoxr version the resampled ones were made with).
 * Usage: make_edge_clips AUDIO_DIR OUT_DIR */
#include "edge_clips.h"

#include <soxr.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: %s AUDIO_DIR OUT_DIR\n", argv[0]);
        return 2;
    }
    char err[512];
    for (int i = 0; i < EDGE_N_CLIPS; i++)
        if (edge_clip_write(i, argv[1], argv[2], err, sizeof err)) {
            fprintf(stderr, "make_edge_clips: %s\n", err);
            return 1;
        }
    char path[4096];
    snprintf(path, sizeof path, "%s/SOXR", argv[2]);
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "%s, quality HQ, 1 thread\n", soxr_version()) < 0 || fclose(f)) {
        fprintf(stderr, "make_edge_clips: %s: cannot write\n", path);
        return 1;
    }
    printf("make_edge_clips: %d clips written to %s (%s)\n", EDGE_N_CLIPS, argv[2], soxr_version());
    return 0;
}
