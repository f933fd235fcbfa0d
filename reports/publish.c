/* publish: runs a command that writes a report into a fresh staging folder ($WL_STAGE), and
 * swaps that folder in over OUT only when the command succeeds (tools/out_folder.h: what OUT may
 * be, the lock, the swap). On failure, or on SIGINT/SIGTERM/SIGHUP (passed on to the command's
 * processes), the stage is removed and OUT is left as it was.
 * Usage: publish [--parents] OUT -- CMD [ARG...]   (--parents: make OUT's missing parents) */
#include "tools/out_folder.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got_signal;
static volatile pid_t child;

static void on_signal(int sig)
{
    got_signal = sig;
    if (child > 0) kill(-child, sig);
}

static const char USAGE[] = "usage: publish [--parents] OUT -- CMD [ARG...]\n";

int main(int argc, char **argv)
{
    char err[2 * OUT_FOLDER_PATH_MAX];
    int i = 1, parents = 0;
    if (i < argc && !strcmp(argv[i], "--parents")) parents = 1, i++;
    if (argc - i < 3 || strcmp(argv[i + 1], "--")) return fputs(USAGE, stderr), 2;
    const char *out = argv[i];
    char **cmd = argv + i + 2;

    out_folder f;
    if (out_folder_begin(&f, out, parents, err, sizeof err)) return fprintf(stderr, "publish: %s\n", err), 1;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (int k = 0; k < 3; k++) sigaction(sigs[k], &sa, NULL);
    setenv("WL_STAGE", f.stage, 1);
    pid_t pid = fork();
    if (pid == 0) {
        /* its own process group, so that a signal reaches every process of the command */
        setpgid(0, 0);
        execvp(cmd[0], cmd);
        fprintf(stderr, "publish: %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    if (pid < 0) {
        out_folder_abort(&f);
        return fprintf(stderr, "publish: cannot start %s: %s\n", cmd[0], strerror(errno)), 1;
    }
    setpgid(pid, pid);
    child = pid;
    if (got_signal) kill(-pid, got_signal);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    child = 0;
    int ok = !got_signal && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (!ok) {
        out_folder_abort(&f);
        if (got_signal) {
            fprintf(stderr, "publish: interrupted; %s left as it was\n", out);
            signal(got_signal, SIG_DFL);
            raise(got_signal);
        }
        return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    }
    if (out_folder_publish(&f, err, sizeof err)) return fprintf(stderr, "publish: %s\n", err), 1;
    return 0;
}
