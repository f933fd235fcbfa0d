/* Running the whisperlab command from a test: $WL_CLI (default build/whisperlab), under
 * `timeout 20` so a hang fails instead of stalling the suite, with stdin closed and stdout and
 * stderr captured. */
#ifndef T_CLI_RUN_H
#define T_CLI_RUN_H

#include <stddef.h>

typedef struct {
    int code;        /* exit code: 124 timed out, 128 + N killed by signal N, -1 not run */
    char out[16384]; /* stdout, cut to fit */
    char err[16384]; /* stderr, cut to fit */
} t_cli_result;

/* $WL_CLI, or build/whisperlab. */
const char *t_cli_path(void);

/* Runs "<cli> args" through sh (args are shell words, quoted as the test needs). Returns r->code. */
int t_cli_run(const char *args, t_cli_result *r);

/* The first line of text, without its newline, into line. */
void t_first_line(const char *text, char *line, size_t len);

/* Runs args and fails the current cmocka test unless it exits with code and the first line of
 * stderr contains needle; prints the exit code and that line. */
void t_cli_expect(const char *args, int code, const char *needle);

#endif
