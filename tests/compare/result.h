/* What a comparison found, and its two forms: the printed table and the JSON file. */
#ifndef CMP_RESULT_H
#define CMP_RESULT_H

#include "../compare_core.h"
#include "side.h"

#include <stddef.h>

enum { PAIR_AB, PAIR_A_HF, PAIR_B_HF, N_PAIRS };

typedef struct {
    char clip[16];
    int pair;
    cmp_flip f;
} flip_rec;

typedef struct {
    const char *name;
    int beam;
    int clips, same[N_PAIRS], ties[N_PAIRS];
    flip_rec *flips;
    int n_flips;
} mode_rec;

#define MAX_MODES 4

typedef struct {
    side *sides[2];
    const char *model, *golden, *tol_file;
    int stage_clips, decode_clips;
    cmp_stages stages;
    mode_rec modes[MAX_MODES];
    int n_modes;
    double eps[N_PAIRS]; /* tie epsilon per pair */
    double tie_atol;     /* the table's decode.tie */
    const char *note;    /* modes of the goldens the command cannot run, or NULL */
} cmp_result;

/* Appends a flip to a mode; -1 when out of memory. */
int result_add_flip(mode_rec *m, const char *clip, int pair, const cmp_flip *f);

void result_print(const cmp_result *r);

/* Writes the result as JSON to path (a temporary file renamed over it). 0, or -1 with err. */
int result_write_json(const cmp_result *r, const char *path, char *err, size_t errlen);

void result_free(cmp_result *r);

#endif
