/* whisperlab: the command line. Subcommands:
 *   info   the model's dimensions and checkpoint
 *   dump   write the engine's stage tensors for a clip to safetensors (stage names as tensor
 *          names), to diff against HF yourself */
#include "model_card.h"
#include "model_path.h"
#include "safetensors.h"
#include "whisperlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The local model used when the HF cache has no openai/whisper-tiny.en: trained here on espeak-ng
 * speech (not OpenAI's weights; its whisperlab.json says so). */
#define LOCAL_DEFAULT "build/whisper-micro.en"
#define MAX_STAGES 64

static const char *opt(int argc, char **argv, const char *key, const char *dflt)
{
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], key) == 0) return argv[i + 1];
    return dflt;
}

static int has_flag(int argc, char **argv, const char *key)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], key) == 0) return 1;
    return 0;
}

static int usage(FILE *to, int code)
{
    fprintf(to, "usage: whisperlab COMMAND [options]   (whisperlab COMMAND --help for its options)\n"
                "  info   print the model's dimensions and checkpoint\n"
                "  dump   write the engine's stage tensors for an audio file to safetensors\n");
    return code;
}

/* Resolves --model (folder, HF repo id, or the default) and loads it. */
static wl_model *load_model(int argc, char **argv, wl_params p, char *dir, size_t dirlen)
{
    char err[1024];
    if (wl_resolve_model(opt(argc, argv, "--model", ""), LOCAL_DEFAULT, dir, dirlen, err, sizeof err)) {
        fprintf(stderr, "whisperlab: %s\n", err);
        return NULL;
    }
    p.n_threads = atoi(opt(argc, argv, "--threads", "0"));
    wl_model *m;
    if (wl_model_load(dir, p, &m, err, sizeof err)) {
        fprintf(stderr, "whisperlab: %s\n", err);
        return NULL;
    }
    return m;
}

static int cmd_info(int argc, char **argv)
{
    if (has_flag(argc, argv, "--help")) {
        printf("usage: whisperlab info [--model DIR|REPO] [--threads N]\n"
               "  --model   a HF model folder or a repo id in the HF cache (default: openai/whisper-tiny.en\n"
               "            from the HF cache, else build/whisper-micro.en, trained here)\n");
        return 0;
    }
    char dir[4096];
    wl_model *m = load_model(argc, argv, wl_default_params(), dir, sizeof dir);
    if (!m) return 1;
    wl_dims d = wl_model_dims(m);
    wl_model_card card;
    char err[1024];
    if (wl_model_card_read(dir, &card, err, sizeof err)) {
        fprintf(stderr, "whisperlab: %s\n", err);
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
    printf("threads  %d (OpenBLAS)\n", wl_threads());
    wl_model_free(m);
    return 0;
}

typedef struct {
    const char *wanted; /* comma-separated stage names, or NULL for all */
    int n;
    wl_st_tensor t[MAX_STAGES];
} capture;

static int wanted(const char *list, const char *stage)
{
    if (!list) return 1;
    size_t len = strlen(stage);
    for (const char *p = list; (p = strstr(p, stage)); p += len)
        if ((p == list || p[-1] == ',') && (p[len] == ',' || p[len] == 0)) return 1;
    return 0;
}

static void on_stage(void *user, const char *stage, const float *data, int ndim, const int64_t *shape)
{
    capture *c = user;
    if (!wanted(c->wanted, stage) || c->n == MAX_STAGES) return;
    wl_st_tensor *t = &c->t[c->n++];
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)shape[i], t->shape[i] = shape[i];
    t->name = strdup(stage);
    t->dtype = WL_F32;
    t->ndim = ndim;
    t->nbytes = n * sizeof(float);
    t->data = memcpy(malloc(t->nbytes), data, t->nbytes);
}

static int parse_tokens(const char *s, int32_t *out, int max)
{
    int n = 0;
    for (char *end; *s && n < max; s = *end ? end + 1 : end) {
        long v = strtol(s, &end, 10);
        if (end == s || (*end && *end != ',')) return -1;
        out[n++] = (int32_t)v;
    }
    return n;
}

static int cmd_dump(int argc, char **argv)
{
    const char *audio = opt(argc, argv, "--audio", NULL), *out = opt(argc, argv, "--out", NULL);
    if (has_flag(argc, argv, "--help") || !audio || !out) {
        fprintf(has_flag(argc, argv, "--help") ? stdout : stderr,
                "usage: whisperlab dump --audio FILE --out FILE.safetensors [--model DIR|REPO]\n"
                "                       [--stages mel,conv1,...] [--tokens 50257,50362,...] [--threads N]\n"
                "  Runs audio -> mel -> encoder -> decoder (teacher-forced on --tokens, default the\n"
                "  no-timestamps prompt 50257,50362) and writes every stage, or those listed, by its\n"
                "  stage name: mel conv1 conv2 enc.embed enc.layer.N enc.out dec.embed dec.layer.N\n"
                "  dec.out logits cross_attn.N.\n");
        return has_flag(argc, argv, "--help") ? 0 : 2;
    }
    int32_t tokens[448];
    int n_tok = parse_tokens(opt(argc, argv, "--tokens", "50257,50362"), tokens, 448);
    if (n_tok <= 0) {
        fprintf(stderr, "whisperlab: --tokens: expected comma-separated token ids\n");
        return 2;
    }
    static capture cap;
    cap.wanted = opt(argc, argv, "--stages", NULL);
    wl_params p = wl_default_params();
    p.on_stage = on_stage;
    p.user = &cap;
    char dir[4096], err[1024];
    wl_model *m = load_model(argc, argv, p, dir, sizeof dir);
    if (!m) return 1;
    wl_dims d = wl_model_dims(m);
    float *samples = NULL, *mel = malloc((size_t)d.n_mels * d.n_frames * sizeof(float));
    float *enc = malloc((size_t)d.n_audio_ctx * d.d_model * sizeof(float));
    float *logits = malloc((size_t)n_tok * d.n_vocab * sizeof(float));
    size_t n;
    wl_decoder *dec = NULL;
    int rc = wl_audio_load(audio, (size_t)d.n_samples, &samples, &n, err, sizeof err) ||
             wl_mel(m, samples, n, mel, err, sizeof err) || wl_encode(m, mel, enc, err, sizeof err) ||
             wl_decoder_new(m, enc, &dec, err, sizeof err) ||
             wl_decoder_feed(dec, tokens, n_tok, logits, err, sizeof err) ||
             wl_st_write(out, cap.t, cap.n, err, sizeof err);
    if (rc) fprintf(stderr, "whisperlab: %s\n", err);
    else printf("whisperlab: %d stages of %s written to %s (model %s)\n", cap.n, audio, out, dir);
    for (int i = 0; i < cap.n; i++) free(cap.t[i].name), free((void *)cap.t[i].data);
    wl_decoder_free(dec);
    free(samples), free(mel), free(enc), free(logits);
    wl_model_free(m);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage(stderr, 2);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) return usage(stdout, 0);
    if (strcmp(argv[1], "info") == 0) return cmd_info(argc, argv);
    if (strcmp(argv[1], "dump") == 0) return cmd_dump(argc, argv);
    fprintf(stderr, "whisperlab: unknown command '%s'\n", argv[1]);
    return usage(stderr, 2);
}
