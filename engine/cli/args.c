/* What the whisperlab command's subcommands share: one-line messages, options, the model. */
#include "args.h"

#include "../base/util.h"
#include "../io/model_path.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Prints one line on stderr. Control characters (from a file name or an argument) are escaped,
 * so a message is always exactly one line and never drives the terminal. */
void cli_eprint(const char *fmt, ...)
{
    char buf[3 * WL_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (const unsigned char *p = (const unsigned char *)buf; *p; p++) {
        if (*p == '\n') fputs("\\n", stderr);
        else if (*p < 0x20 || *p == 0x7F) fprintf(stderr, "\\x%02x", *p);
        else fputc(*p, stderr);
    }
    fputc('\n', stderr);
}

const char *cli_opt(int argc, char **argv, const char *key, const char *dflt)
{
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], key) == 0) return argv[i + 1];
    return dflt;
}

int cli_has_flag(int argc, char **argv, const char *key)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], key) == 0) return 1;
    return 0;
}

/* Every argument after the command must be --help or one of `valued` followed by its value, each
 * at most once: a misspelt or repeated option is an error, never silently ignored (cli_opt() would
 * take the first of two values). Returns 0, or 2 after a message. */
int cli_check_options(int argc, char **argv, const char *const *valued)
{
    unsigned seen = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) continue;
        int k = 0;
        while (valued[k] && strcmp(argv[i], valued[k])) k++;
        if (!valued[k]) return cli_eprint("whisperlab %s: unknown option '%s' (see --help)", argv[1], argv[i]), 2;
        if (i + 1 >= argc) return cli_eprint("whisperlab %s: %s needs a value", argv[1], argv[i]), 2;
        if (seen & 1u << k) return cli_eprint("whisperlab %s: %s given twice", argv[1], argv[i]), 2;
        seen |= 1u << k;
        i++;
    }
    return 0;
}

/* A whole decimal integer in [lo, hi], or 2 after a message naming the option. */
int cli_parse_int(const char *name, const char *s, long lo, long hi, int *out)
{
    if (!wl_parse_whole(s, lo, hi, out))
        return cli_eprint("whisperlab: %s '%s': expected an integer in %ld..%ld", name, s, lo, hi), 2;
    return 0;
}

/* Resolves --model (folder, HF repo id, or the default) and loads it. */
wl_model *cli_load_model(int argc, char **argv, wl_params p, char *dir, size_t dirlen)
{
    char err[WL_MSG_MAX];
    if (wl_resolve_model(cli_opt(argc, argv, "--model", ""), NULL, dir, dirlen, err, sizeof err)) {
        cli_eprint("whisperlab: %s", err);
        return NULL;
    }
    wl_model *m;
    if (wl_model_load(dir, p, &m, err, sizeof err)) {
        cli_eprint("whisperlab: %s", err);
        return NULL;
    }
    return m;
}
