/* make bench-publish: the newest make bench record of this machine's history, with a note on
 * the machine (its model, whether it was shared), appended to the committed history, so that
 * readers see figures with their machine named. A record of a tree with uncommitted changes is
 * refused: its commit would not name what was measured.
 * Usage: bench_publish --from HISTORY --to FILE --note TEXT */
#include "../tools/jsonl_file.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *note = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--from")) from = argv[i + 1];
        else if (!strcmp(argv[i], "--to")) to = argv[i + 1];
        else if (!strcmp(argv[i], "--note")) note = argv[i + 1];
        else return fprintf(stderr, "bench_publish: unknown option '%s'\n", argv[i]), 2;
    }
    if (argc % 2 == 0 || !from || !to) return fputs("usage: bench_publish --from HISTORY --to FILE --note TEXT\n", stderr), 2;
    if (!note || !*note)
        return fputs("bench_publish: say what the machine was: NOTE=\"<CPU, cores; quiet or shared>\"\n", stderr), 2;
    char err[1024];
    cJSON *all = jsonl_read(from, stderr, err, sizeof err), *r, *pick = NULL;
    if (!all) return fprintf(stderr, "bench_publish: %s\n", err), 1;
    cJSON_ArrayForEach(r, all) {
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(r, "kind"));
        if (kind && !strcmp(kind, "bench")) pick = r;
    }
    int rc = 1;
    if (!pick) fprintf(stderr, "bench_publish: %s: no record of make bench\n", from);
    else if (!cJSON_IsFalse(cJSON_GetObjectItem(pick, "dirty")))
        fprintf(stderr, "bench_publish: %s:%d: the newest make bench record is of a tree with uncommitted changes: "
                        "commit them, run make bench again, then publish\n",
                from, cJSON_GetObjectItem(pick, "line")->valueint);
    else {
        cJSON_DeleteItemFromObject(pick, "line");
        cJSON_AddStringToObject(pick, "note", note);
        if (jsonl_append(to, pick, err, sizeof err)) fprintf(stderr, "bench_publish: %s\n", err);
        else {
            printf("bench-publish: the record of %s (commit %.12s) appended to %s\n",
                   cJSON_GetStringValue(cJSON_GetObjectItem(pick, "date")),
                   cJSON_GetStringValue(cJSON_GetObjectItem(pick, "commit")), to);
            rc = 0;
        }
    }
    cJSON_Delete(all);
    return rc;
}
