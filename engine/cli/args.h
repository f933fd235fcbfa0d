/* What the whisperlab command's subcommands share (engine/cli/): one-line messages, options, the
 * model. */
#ifndef WL_CLI_ARGS_H
#define WL_CLI_ARGS_H

#include "../whisperlab.h"

#include <stddef.h>

/* A message's room: two whole paths (each up to the system's 4095 characters) and their words,
 * so a long path is never cut. */
#define WL_MSG_MAX (2 * 4096 + 1024)

/* Prints one line on stderr. Control characters (from a file name or an argument) are escaped,
 * so a message is always exactly one line and never drives the terminal. */
void cli_eprint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The value after option key (from argv[2] on), or dflt. */
const char *cli_opt(int argc, char **argv, const char *key, const char *dflt);
int cli_has_flag(int argc, char **argv, const char *key);

/* Every argument after the command must be --help or one of `valued` followed by its value, each
 * at most once. Returns 0, or 2 after a message. */
int cli_check_options(int argc, char **argv, const char *const *valued);

/* A whole decimal integer in [lo, hi], or 2 after a message naming the option. */
int cli_parse_int(const char *name, const char *s, long lo, long hi, int *out);

/* Resolves --model (folder, HF repo id, or the default) and loads it; NULL after a message. */
wl_model *cli_load_model(int argc, char **argv, wl_params p, char *dir, size_t dirlen);

/* The subcommands: each returns the exit code (0, 1 for a failure, 2 for a usage error). */
int cli_info(int argc, char **argv);
int cli_dump(int argc, char **argv);
int cli_transcribe(int argc, char **argv);
int cli_inspect(int argc, char **argv);
int cli_which(int argc, char **argv);

#endif
