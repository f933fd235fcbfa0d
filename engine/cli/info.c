/* whisperlab info: the model's dimensions and what it is. */
#include "args.h"

#include "../kernels/kernel_env.h"
#include "../model/model_card.h"

#include <stdio.h>

int cli_info(int argc, char **argv)
{
    static const char *const valued[] = {"--model", "--threads", NULL};
    if (cli_check_options(argc, argv, valued)) return 2;
    if (cli_has_flag(argc, argv, "--help")) {
        printf("usage: whisperlab info [--model DIR|REPO] [--threads N]\n"
               "  --model   a HF model folder or a repo id in the HF cache (default: openai/whisper-tiny.en\n"
               "            from the HF cache, else build/whisper-micro.en, trained here)\n");
        return 0;
    }
    /* A bad option value is a usage error (2), found before any file is read. */
    wl_params p = wl_default_params();
    if (cli_parse_int("--threads", cli_opt(argc, argv, "--threads", "0"), 0, 256, &p.n_threads)) return 2;
    char dir[4096];
    wl_model *m = cli_load_model(argc, argv, p, dir, sizeof dir);
    if (!m) return 1;
    wl_dims d = wl_model_dims(m);
    wl_model_card card;
    char err[WL_MSG_MAX];
    if (wl_model_card_read(dir, &card, err, sizeof err)) {
        cli_eprint("whisperlab: %s", err);
        wl_model_free(m);
        return 1;
    }
    printf("model    %s\n", dir);
    printf("what     %s (%s)\n", card.summary, card.kind);
    printf("d_model  %d, vocab %d, mels %d\n", d.d_model, d.n_vocab, d.n_mels);
    printf("window   %g s (%d samples, %d mel frames)\n", (double)d.n_samples / WL_SAMPLE_RATE, d.n_samples,
           d.n_frames);
    printf("encoder  %d layers, %d heads, %d positions\n", d.enc_layers, d.enc_heads, d.n_audio_ctx);
    printf("decoder  %d layers, %d heads, %d positions\n", d.dec_layers, d.dec_heads, d.n_text_ctx);
    printf("threads  %d\n", wl_threads());
    char kernels[256];
    printf("kernels  %s\n", wl_kernels_describe(kernels, sizeof kernels));
    wl_model_free(m);
    return 0;
}
