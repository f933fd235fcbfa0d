#include "tolerances.h"
#include "../engine/base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 128

static struct {
    char stage[64];
    t_tol tol;
    char reason[256];
} rows[MAX_ROWS];
static int n_rows;

int t_tol_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) return wl_fail(err, errlen, "%s: cannot open", path);
    char line[512];
    int lineno = 0;
    n_rows = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line)) continue;
        int used = 0;
        if (n_rows == MAX_ROWS ||
            sscanf(line, "%63s %lf %lf %n", rows[n_rows].stage, &rows[n_rows].tol.atol,
                   &rows[n_rows].tol.rtol, &used) != 3 ||
            rows[n_rows].tol.atol < 0 || rows[n_rows].tol.rtol < 0) {
            fclose(f);
            return wl_fail(err, errlen, "%s:%d: expected 'stage atol rtol reason'", path, lineno);
        }
        snprintf(rows[n_rows].reason, sizeof rows[n_rows].reason, "%s", line + used);
        rows[n_rows].reason[strcspn(rows[n_rows].reason, "\r\n")] = 0;
        n_rows++;
    }
    fclose(f);
    return 0;
}

int t_tol_find(const char *stage, t_tol *tol, const char **reason)
{
    int best = -1;
    size_t best_len = 0;
    for (int i = 0; i < n_rows; i++) {
        size_t len = strlen(rows[i].stage);
        int exact = strcmp(stage, rows[i].stage) == 0;
        int prefix = rows[i].stage[len - 1] == '*' && strncmp(stage, rows[i].stage, len - 1) == 0;
        if (exact || (prefix && (best < 0 || len - 1 > best_len))) {
            best = i;
            best_len = exact ? (size_t)-1 : len - 1; /* an exact name beats any prefix */
        }
    }
    if (best < 0) return -1;
    *tol = rows[best].tol;
    if (reason) *reason = rows[best].reason;
    return 0;
}
