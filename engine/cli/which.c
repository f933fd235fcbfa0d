/* whisperlab which: the model folder --model resolves to, where it came from and what it is,
 * without loading the weights (make verify and make golden resolve a model this way). */
#include "args.h"

#include "../io/model_path.h"
#include "../model/model_card.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Exit code for a repo id of which the HF cache holds nothing: not downloaded, which a caller may
 * treat apart from a broken cache entry (1). */
#define WHICH_NOT_CACHED 3

int cli_which(int argc, char **argv)
{
    static const char *const valued[] = {"--model", NULL};
    if (cli_check_options(argc, argv, valued)) return 2;
    if (cli_has_flag(argc, argv, "--help")) {
        printf("usage: whisperlab which [--model DIR|REPO]\n"
               "  prints the model folder --model resolves to, as every command resolves it (default:\n"
               "  openai/whisper-tiny.en from the HF cache, else build/whisper-micro.en), without loading it:\n"
               "    folder  the folder\n"
               "    from    the folder given, or the repo id and the HF cache it was found in\n"
               "    kind    checkpoint (a HF checkpoint), or synthetic / trained-here (whisperlab's\n"
               "            stand-ins, marked by whisperlab.json)\n"
               "  exit 3: --model is a repo id of which the HF cache holds nothing; 1: any other problem\n");
        return 0;
    }
    const char *arg = cli_opt(argc, argv, "--model", "");
    char dir[4096], err[WL_MSG_MAX], root[4096];
    wl_hf_cache_root(root, sizeof root);
    if (wl_resolve_model(arg, NULL, dir, sizeof dir, err, sizeof err)) {
        struct stat st;
        int absent = *arg && stat(arg, &st) != 0 && errno == ENOENT && wl_hf_cache_has_repo(arg) == 0;
        if (absent) {
            cli_eprint("whisperlab: %s is not in the HF cache (%s)", arg, root);
            return WHICH_NOT_CACHED;
        }
        cli_eprint("whisperlab: %s", err);
        return 1;
    }
    wl_model_card card;
    if (wl_model_card_read(dir, &card, err, sizeof err)) {
        cli_eprint("whisperlab: %s", err);
        return 1;
    }
    /* The resolver keeps a folder argument as given; anything else came from the HF cache, or
     * is the local model the default falls back to. */
    printf("folder  %s\n", dir);
    if (*arg && strcmp(dir, arg) == 0) printf("from    the folder given\n");
    else if (*arg) printf("from    %s in the HF cache (%s)\n", arg, root);
    else if (strcmp(dir, WL_LOCAL_MODEL) == 0)
        printf("from    the local model (%s is not usable in the HF cache, %s)\n", WL_DEFAULT_REPO, root);
    else printf("from    %s in the HF cache (%s)\n", WL_DEFAULT_REPO, root);
    printf("kind    %s\n", card.kind);
    return 0;
}
