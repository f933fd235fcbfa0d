#include "cli_run.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

const char *t_cli_path(void)
{
    const char *cli = getenv("WL_CLI");
    return cli && *cli ? cli : "build/whisperlab";
}

static void slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    buf[n] = 0;
    if (f) fclose(f);
}

int t_cli_run(const char *args, t_cli_result *r)
{
    char out[64], err[64], cmd[8192];
    snprintf(out, sizeof out, "build/tmp/cli_run.%ld.out", (long)getpid());
    snprintf(err, sizeof err, "build/tmp/cli_run.%ld.err", (long)getpid());
    snprintf(cmd, sizeof cmd, "mkdir -p build/tmp && timeout 20 %s %s </dev/null >%s 2>%s", t_cli_path(), args, out, err);
    int status = system(cmd);
    r->code = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    slurp(out, r->out, sizeof r->out);
    slurp(err, r->err, sizeof r->err);
    remove(out), remove(err);
    return r->code;
}

void t_first_line(const char *text, char *line, size_t len)
{
    snprintf(line, len, "%.*s", (int)strcspn(text, "\n"), text);
}

void t_cli_expect(const char *args, int code, const char *needle)
{
    static t_cli_result r;
    char line[1024];
    t_cli_run(args, &r);
    t_first_line(r.err, line, sizeof line);
    if (r.code != code || !strstr(line, needle))
        fail_msg("'%s': exit %d '%s'; want exit %d and '%s'", args, r.code, line, code, needle);
    printf("  exit %d  %s\n", r.code, line);
}
