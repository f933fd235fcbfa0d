#include "side.h"

#include "../../engine/base/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int side_parse_env(side *s, const char *text, char *err, size_t errlen)
{
    s->env_text = text ? text : "";
    s->n_env = 0;
    for (const char *p = s->env_text; *p;) {
        p += strspn(p, " \t");
        size_t len = strcspn(p, " \t");
        if (!len) break;
        size_t name = strcspn(p, "=");
        int ok = name > 0 && name < len && (isalpha((unsigned char)p[0]) || p[0] == '_');
        for (size_t i = 0; ok && i < name; i++) ok = isalnum((unsigned char)p[i]) || p[i] == '_';
        if (!ok) return wl_fail(err, errlen, "%c_ENV: '%.*s' is not NAME=VALUE", s->name, (int)len, p);
        if (s->n_env == SIDE_MAX_ENV) return wl_fail(err, errlen, "%c_ENV: more than %d variables", s->name, SIDE_MAX_ENV);
        s->env[s->n_env++] = strndup(p, len);
        p += len;
    }
    return 0;
}

void side_free(side *s)
{
    for (int i = 0; i < s->n_env; i++) free(s->env[i]);
    s->n_env = 0;
}

/* The last non-empty line of a file, into line. */
static void last_line(const char *path, char *line, size_t len)
{
    *line = 0;
    FILE *f = fopen(path, "r");
    char buf[1024];
    while (f && fgets(buf, sizeof buf, f))
        if (strspn(buf, " \t\r\n") < strlen(buf)) snprintf(line, len, "%.*s", (int)(len - 1), buf);
    if (f) fclose(f);
    line[strcspn(line, "\r\n")] = 0;
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) { interrupted = sig; }

void side_catch_interrupts(void)
{
    struct sigaction sa = {.sa_handler = on_interrupt}; /* a handler, not SIG_IGN: exec resets it */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int side_run(const side *s, const char *const *argv, const char *out_path, const char *err_path,
             const char *what, char *err, size_t errlen)
{
    int n = 0;
    while (argv[n]) n++;
    const char **args = calloc((size_t)n + 2, sizeof *args);
    if (!args) return wl_fail(err, errlen, "side %c: out of memory", s->name);
    args[0] = s->cli;
    memcpy(args + 1, argv, (size_t)n * sizeof *args);
    if (interrupted) return free(args), wl_fail(err, errlen, "interrupted (signal %d)", (int)interrupted);
    fflush(NULL);
    pid_t pid = fork();
    if (pid > 0) free(args);
    if (pid < 0) return free(args), wl_fail(err, errlen, "side %c: cannot start %s", s->name, s->cli);
    if (pid == 0) {
        for (int i = 0; i < s->n_env; i++) putenv(s->env[i]);
        int out = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int er = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = open("/dev/null", O_RDONLY);
        if (out < 0 || er < 0 || in < 0 || dup2(out, 1) < 0 || dup2(er, 2) < 0 || dup2(in, 0) < 0) _exit(126);
        execv(s->cli, (char *const *)args);
        dprintf(2, "cannot run %s\n", s->cli);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return wl_fail(err, errlen, "side %c: lost %s: %s", s->name, s->cli, strerror(errno));
    if (interrupted) return wl_fail(err, errlen, "interrupted (signal %d)", (int)interrupted);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    char line[1024];
    last_line(err_path, line, sizeof line);
    if (WIFSIGNALED(status))
        return wl_fail(err, errlen, "side %c (%s) crashed on %s: signal %d (%s)%s%s", s->name, s->cli, what,
                       WTERMSIG(status), strsignal(WTERMSIG(status)), *line ? ": " : "", line);
    return wl_fail(err, errlen, "side %c (%s) failed on %s with exit %d%s%s", s->name, s->cli, what,
                   WEXITSTATUS(status), *line ? ": " : "", line);
}

int side_info(side *s, const char *model, const char *tmp_dir, char *err, size_t errlen)
{
    char out[1100], log[1100];
    snprintf(out, sizeof out, "%s/info.%c.txt", tmp_dir, s->name);
    snprintf(log, sizeof log, "%s/info.%c.log", tmp_dir, s->name);
    char threads[16];
    snprintf(threads, sizeof threads, "%d", s->threads);
    const char *argv[] = {"info", "--model", model, "--threads", threads, NULL};
    int rc = side_run(s, argv, out, log, "info", err, errlen);
    s->kernels[0] = 0;
    FILE *f = rc ? NULL : fopen(out, "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "kernels ", 8)) snprintf(s->kernels, sizeof s->kernels, "%s", line + 8 + strspn(line + 8, " "));
    if (f) fclose(f);
    s->kernels[strcspn(s->kernels, "\n")] = 0;
    remove(out), remove(log);
    return rc;
}
