/* whisperlab: the command line. Subcommands:
 *   info        the model's dimensions and checkpoint
 *   dump        write the engine's stage tensors for a clip to safetensors (stage names as tensor
 *               names), to diff against HF yourself
 *   transcribe  text of audio files (greedy or beam search, timestamps, JSON with every token)
 *   inspect     a per-token table: probabilities, alternatives, where the decoder listens
 *   which       the model folder --model resolves to, where it came from and what it is */
#include "args.h"

#include "../io/json_file.h"
#include "../kernels/kernel_env.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

static int usage(FILE *to, int code)
{
    fprintf(to, "usage: whisperlab COMMAND [options]   (whisperlab COMMAND --help for its options)\n"
                "  info   print the model's dimensions and checkpoint\n"
                "  dump   write the engine's stage tensors for an audio file to safetensors\n"
                "  transcribe  the text of audio files (--json: every token, probability, timestamp)\n"
                "  inspect     a per-token table of one audio file\n"
                "  which       the model folder --model resolves to and what it is (no loading)\n");
    return code;
}

/* What every command writes on stdout reaches it whole, or the exit is 1 with a message: a
 * full disk, /dev/full or a closed stdout is never a silent exit 0. */
static int finish_stdout(int rc)
{
    errno = 0;
    int bad = ferror(stdout);
    if (fflush(stdout) != 0) bad = 1;
    int e = errno;
    if (fclose(stdout) != 0 && !bad) bad = 1, e = errno;
    if (!bad) return rc;
    cli_eprint("whisperlab: cannot write to standard output: %s", e ? strerror(e) : "a write failed");
    return rc ? rc : 1;
}

static int run(int argc, char **argv)
{
    if (argc < 2) return usage(stderr, 2);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) return usage(stdout, 0);
    char err[256];
    if (wl_kernels_from_env(err, sizeof err)) return cli_eprint("whisperlab: %s", err), 2;
    if (strcmp(argv[1], "info") == 0) return cli_info(argc, argv);
    if (strcmp(argv[1], "dump") == 0) return cli_dump(argc, argv);
    if (strcmp(argv[1], "transcribe") == 0) return cli_transcribe(argc, argv);
    if (strcmp(argv[1], "inspect") == 0) return cli_inspect(argc, argv);
    if (strcmp(argv[1], "which") == 0) return cli_which(argc, argv);
    return cli_eprint("whisperlab: unknown command '%s' (see whisperlab --help)", argv[1]), 2;
}

int main(int argc, char **argv)
{
    wl_tune_malloc();
    wl_json_track_memory(); /* a JSON output missing a member is never printed as if whole */
    /* A closed stdout: every command's output would be lost (and a file opened later could take
     * descriptor 1 and receive it), so nothing is done. */
    if (fcntl(1, F_GETFD) == -1 && errno == EBADF)
        return cli_eprint("whisperlab: standard output is closed: the output would be lost"), 1;
    return finish_stdout(run(argc, argv));
}
