#include "stage_table.h"
#include "../engine/base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 128

struct t_stage_table {
    int n;
    struct {
        char stage[64];
        double v[2];
        char reason[256];
    } rows[MAX_ROWS];
};

int t_stage_table_load(const char *path, const char *columns, t_stage_table **out, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return wl_fail(err, errlen, "%s: cannot open", path);
    t_stage_table *t = calloc(1, sizeof *t);
    char line[512];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line)) continue;
        int used = 0;
        if (t->n == MAX_ROWS ||
            sscanf(line, "%63s %lf %lf %n", t->rows[t->n].stage, &t->rows[t->n].v[0], &t->rows[t->n].v[1], &used) != 3 ||
            !(t->rows[t->n].v[0] >= 0 && isfinite(t->rows[t->n].v[0])) ||
            !(t->rows[t->n].v[1] >= 0 && isfinite(t->rows[t->n].v[1]))) {
            fclose(f);
            free(t);
            return wl_fail(err, errlen, "%s:%d: expected '%s'", path, lineno, columns);
        }
        snprintf(t->rows[t->n].reason, sizeof t->rows[t->n].reason, "%s", line + used);
        t->rows[t->n].reason[strcspn(t->rows[t->n].reason, "\r\n")] = 0;
        t->n++;
    }
    fclose(f);
    *out = t;
    return 0;
}

void t_stage_table_free(t_stage_table *t) { free(t); }

int t_stage_table_find(const t_stage_table *t, const char *stage, double v[2], const char **reason)
{
    int best = -1;
    size_t best_len = 0;
    for (int i = 0; t && i < t->n; i++) {
        size_t len = strlen(t->rows[i].stage);
        int exact = strcmp(stage, t->rows[i].stage) == 0;
        int prefix = t->rows[i].stage[len - 1] == '*' && strncmp(stage, t->rows[i].stage, len - 1) == 0;
        if (exact || (prefix && (best < 0 || len - 1 > best_len))) {
            best = i;
            best_len = exact ? (size_t)-1 : len - 1; /* an exact name beats any prefix */
        }
    }
    if (best < 0) return -1;
    v[0] = t->rows[best].v[0], v[1] = t->rows[best].v[1];
    if (reason) *reason = t->rows[best].reason;
    return 0;
}
