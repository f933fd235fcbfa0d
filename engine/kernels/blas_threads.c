/* OpenBLAS starts a thread per core when it is loaded, before main, and each of them allocates a
 * 128 MB buffer at once: when that fails (a memory limit) it retries forever, and the process
 * then hangs at exit waiting for it. The engine never runs OpenBLAS's threads (its products run
 * on its own pool, parallel.h), so before any library is initialised OpenBLAS is told to start
 * none (getenv below), and the count it would have chosen is the engine's default. */
#include "blas_threads.h"
#include "../base/util.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* The variable's value in the environment as the process was started. */
static const char *env_value(const char *name)
{
    size_t n = strlen(name);
    for (char **e = environ; e && *e; e++)
        if (!strncmp(*e, name, n) && (*e)[n] == '=') return *e + n + 1;
    return NULL;
}

/* The process's getenv, which OpenBLAS reads its thread count with when it is loaded: every
 * variable as it is, but OPENBLAS_NUM_THREADS is 1 (libc's getenv does just this scan). */
char *getenv(const char *name)
{
    return strcmp(name, "OPENBLAS_NUM_THREADS") ? (char *)env_value(name) : (char *)"1";
}

static int count_from(const char *name)
{
    const char *v = env_value(name);
    int n;
    return v && wl_parse_whole(v, 1, 1 << 20, &n) ? n : 0;
}

/* OpenBLAS's own rule: OPENBLAS_NUM_THREADS, else GOTO_NUM_THREADS, else OMP_NUM_THREADS, at most
 * the cores this process may run on. */
int wl_blas_default_threads(void)
{
    static int chosen;
    if (chosen) return chosen;
    cpu_set_t set;
    int cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : (int)sysconf(_SC_NPROCESSORS_ONLN);
    int n = count_from("OPENBLAS_NUM_THREADS");
    if (!n) n = count_from("GOTO_NUM_THREADS");
    if (!n) n = count_from("OMP_NUM_THREADS");
    chosen = n && n < cores ? n : cores > 0 ? cores : 1;
    return chosen;
}
