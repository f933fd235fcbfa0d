/* One side of a comparison: a whisperlab command (any revision's build), the engine threads it
 * runs at and the environment it runs in (kernel paths: WL_SGEMM_OPENBLAS=1, WL_VMATH_LANES=8,
 * DNNL_MAX_CPU_ISA=..., OPENBLAS_CORETYPE=...). */
#ifndef CMP_SIDE_H
#define CMP_SIDE_H

#include <stddef.h>

#define SIDE_MAX_ENV 16

typedef struct {
    char name;           /* 'A' or 'B' */
    const char *label;   /* what it is, for the report: "main (d3df534)", "working tree" */
    const char *cli;     /* its whisperlab command */
    int threads;
    const char *env_text; /* as given: "NAME=VALUE NAME=VALUE" */
    char *env[SIDE_MAX_ENV];
    int n_env;
    char kernels[256];   /* the kernel path its `whisperlab info` reports, or "" */
} side;

/* Splits text into NAME=VALUE words (spaces between). 0, or -1 with err naming the bad word. */
int side_parse_env(side *s, const char *text, char *err, size_t errlen);
void side_free(side *s);

/* From now on SIGINT and SIGTERM stop the comparison between two steps rather than at once:
 * the side's command they interrupt fails, and the caller cleans up (its scratch files). */
void side_catch_interrupts(void);

/* Runs "cli argv..." (argv NULL-terminated, without the command itself) in the side's
 * environment, stdout to out_path (or /dev/null), stderr to err_path. 0 when it exited 0; else
 * -1 with err: the side, the subcommand, how it ended and the last line it wrote on stderr (or
 * that the comparison was interrupted). */
int side_run(const side *s, const char *const *argv, const char *out_path, const char *err_path,
             const char *what, char *err, size_t errlen);

/* Runs `info` on model and keeps its "kernels" line (an older command may print none). */
int side_info(side *s, const char *model, const char *tmp_dir, char *err, size_t errlen);

#endif
