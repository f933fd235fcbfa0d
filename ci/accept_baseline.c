/* make baseline's last step: accepts this run's records (build/verify/baseline/<golden>.<suite>.<kernel path>.tsv,
 * left by the golden tests) into the committed baseline, with the commit and the reason.
 *
 * usage: accept_baseline --measured "COMMIT DATE: REASON" BASELINE RECORD...
 * Groups (suite, kernel path) the records hold replace the baseline's; others are kept. */
#include "../tests/baseline.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    char err[1200];
    if (argc < 5 || strcmp(argv[1], "--measured") != 0 || !argv[2][0] || strpbrk(argv[2], "\t\n")) {
        fprintf(stderr, "usage: accept_baseline --measured \"COMMIT DATE: REASON\" BASELINE RECORD...\n"
                        "  (the measured text on one line, without tabs)\n");
        return 2;
    }
    t_baseline *b, *records = NULL;
    if (t_baseline_load(argv[3], &b, err, sizeof err)) goto fail;
    for (int i = 4; i < argc; i++) {
        t_baseline *r;
        if (t_baseline_load(argv[i], &r, err, sizeof err)) {
            t_baseline_free(r);
            goto fail;
        }
        if (t_baseline_empty(r)) {
            snprintf(err, sizeof err, "%s: no records (did the golden tests run?)", argv[i]);
            t_baseline_free(r);
            goto fail;
        }
        if (!records) records = r;
        else {
            t_baseline_merge(records, r);
            t_baseline_free(r);
        }
    }
    if (t_baseline_accept(b, records, argv[2], argv[3], err, sizeof err)) goto fail;
    printf("accept_baseline: %s now holds %d record file(s) of this run, measured %s\n", argv[3], argc - 4, argv[2]);
    t_baseline_free(b), t_baseline_free(records);
    return 0;
fail:
    fprintf(stderr, "accept_baseline: %s\n", err);
    t_baseline_free(b), t_baseline_free(records);
    return 1;
}
