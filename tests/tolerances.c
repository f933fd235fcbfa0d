#include "tolerances.h"
#include "stage_table.h"

static t_stage_table *table; /* the one loaded last: each test checks one golden folder */

int t_tol_load(const char *path, char *err, size_t errlen)
{
    t_stage_table *t;
    if (t_stage_table_load(path, "stage atol rtol reason", &t, err, errlen)) return -1;
    t_stage_table_free(table);
    table = t;
    return 0;
}

int t_tol_find(const char *stage, t_tol *tol, const char **reason)
{
    double v[2];
    if (t_stage_table_find(table, stage, v, reason)) return -1;
    *tol = (t_tol){v[0], v[1]};
    return 0;
}
