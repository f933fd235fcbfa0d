/* whisperlab dump: the engine's stage tensors for one audio file, written to safetensors by
 * stage name, to diff against HF. */
#include "args.h"

#include "../io/safetensors.h"
#include "../model/stages.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_STAGES 64

typedef struct {
    const char *wanted; /* comma-separated stage names, or NULL for all */
    int n, nomem;       /* nomem: a stage could not be copied */
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
    wl_st_tensor *t = &c->t[c->n];
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)shape[i], t->shape[i] = shape[i];
    t->name = strdup(stage);
    t->dtype = WL_F32;
    t->ndim = ndim;
    t->nbytes = n * sizeof(float);
    void *copy = malloc(t->nbytes ? t->nbytes : 1);
    if (!t->name || !copy) {
        free(t->name), free(copy);
        c->nomem = 1;
        return;
    }
    t->data = memcpy(copy, data, t->nbytes);
    c->n++;
}

/* Comma-separated token ids, each 0..INT32_MAX (the decoder checks the vocabulary), at most max
 * of them. Returns the count, or -1 after a message. */
static int parse_tokens(const char *s, int32_t *out, int max)
{
    int n = 0;
    for (char *end; *s; s = *end ? end + 1 : end) {
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (end == s || (*end && *end != ',') || errno == ERANGE || v < 0 || v > INT32_MAX)
            return cli_eprint("whisperlab: --tokens: '%.*s' is not a token id", (int)strcspn(s, ","), s), -1;
        if (n == max) return cli_eprint("whisperlab: --tokens: more than %d tokens", max), -1;
        out[n++] = (int32_t)v;
    }
    if (n == 0) cli_eprint("whisperlab: --tokens: no token ids");
    return n ? n : -1;
}

/* Every name in a comma-separated --stages list must be a stage of this model. */
static int check_stages(const char *list, wl_dims d)
{
    if (list && !*list) return cli_eprint("whisperlab dump: --stages: no stage names"), 2;
    for (const char *s = list; s && *s; s += strcspn(s, ",") + (s[strcspn(s, ",")] == ',')) {
        char name[40];
        int len = (int)strcspn(s, ",");
        snprintf(name, sizeof name, "%.*s", len < 39 ? len : 39, s);
        if (!wl_is_stage(name, d.enc_layers, d.dec_layers) || len > 39)
            return cli_eprint("whisperlab dump: --stages: '%.*s' is not a stage of this model", len, s), 2;
    }
    return 0;
}

/* --tokens against the model's vocabulary (parse_tokens knew only that they are ids). */
static int check_tokens(const int32_t *tokens, int n, wl_dims d)
{
    for (int i = 0; i < n; i++)
        if (tokens[i] >= d.n_vocab)
            return cli_eprint("whisperlab dump: --tokens: token %d is outside the model's vocabulary (%d tokens)", tokens[i],
                          d.n_vocab), 2;
    return 0;
}

/* 1 when path names the same file as other (both exist). */
static int same_file(const char *path, const char *other)
{
    struct stat a, b;
    return stat(path, &a) == 0 && stat(other, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* --out must not be the input audio or any file of the model folder, nor anything but a regular
 * file: the output is renamed over it, which would replace a FIFO or a device node (as root,
 * --out /dev/null would put a file in its place). */
static int check_out(const char *out, const char *audio, const char *dir)
{
    struct stat st;
    if (!*out) return cli_eprint("whisperlab dump: --out is empty"), 2;
    if (stat(out, &st) == 0 && !S_ISREG(st.st_mode))
        return cli_eprint("whisperlab dump: --out %s exists and is not a regular file; refusing to replace it", out), 2;
    if (same_file(out, audio))
        return cli_eprint("whisperlab dump: --out %s is the input audio; refusing to overwrite it", out), 2;
    DIR *dd = opendir(dir);
    for (struct dirent *e; dd && (e = readdir(dd));) {
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.' && same_file(out, p)) {
            cli_eprint("whisperlab dump: --out %s is the model's %s; refusing to overwrite it", out, e->d_name);
            closedir(dd); /* frees e */
            return 2;
        }
    }
    if (dd) closedir(dd);
    return 0;
}

int cli_dump(int argc, char **argv)
{
    static const char *const valued[] = {"--audio", "--out", "--model", "--stages", "--tokens", "--threads", NULL};
    if (cli_check_options(argc, argv, valued)) return 2;
    const char *audio = cli_opt(argc, argv, "--audio", NULL), *out = cli_opt(argc, argv, "--out", NULL);
    if (!cli_has_flag(argc, argv, "--help") && (!audio || !out))
        return cli_eprint("whisperlab: dump needs --audio and --out (see whisperlab dump --help)"), 2;
    if (cli_has_flag(argc, argv, "--help")) {
        printf("usage: whisperlab dump --audio FILE --out FILE.safetensors [--model DIR|REPO]\n"
               "                       [--stages mel,conv1,...] [--tokens 50257,50362,...] [--threads N]\n"
               "  Runs audio -> mel -> encoder -> decoder (teacher-forced on --tokens, default the\n"
               "  no-timestamps prompt 50257,50362) and writes every stage, or those listed, by its\n");
        /* the stage table's names, N for a layer's, in lines of at most 84 columns */
        int col = printf("  stage name:");
        for (int s = 0; s < WL_N_STAGES; s++) {
            const char *tail = wl_stages[s].per == WL_ONCE ? "" : ".N";
            int w = 1 + (int)strlen(wl_stages[s].name) + (int)strlen(tail);
            if (col + w > 84) col = printf("\n ");
            col += printf(" %s%s", wl_stages[s].name, tail);
        }
        printf(".\n");
        return 0;
    }
    int32_t tokens[448];
    int n_tok = parse_tokens(cli_opt(argc, argv, "--tokens", "50257,50362"), tokens, 448);
    if (n_tok <= 0) return 2;
    static capture cap;
    cap.wanted = cli_opt(argc, argv, "--stages", NULL);
    wl_params p = wl_default_params();
    if (cli_parse_int("--threads", cli_opt(argc, argv, "--threads", "0"), 0, 256, &p.n_threads)) return 2;
    char dir[4096], err[WL_MSG_MAX];
    wl_model *m = cli_load_model(argc, argv, p, dir, sizeof dir);
    if (!m) return 1;
    wl_dims d = wl_model_dims(m);
    if (check_stages(cap.wanted, d) || check_tokens(tokens, n_tok, d) || check_out(out, audio, dir)) {
        wl_model_free(m);
        return 2;
    }
    float *samples = NULL, *mel = malloc((size_t)d.n_mels * d.n_frames * sizeof(float));
    float *enc = malloc((size_t)d.n_audio_ctx * d.d_model * sizeof(float));
    float *logits = malloc((size_t)n_tok * d.n_vocab * sizeof(float));
    size_t n;
    wl_state *st = NULL;
    wl_decoder *dec = NULL;
    snprintf(err, sizeof err, "out of memory");
    int rc = !mel || !enc || !logits || wl_state_new(m, on_stage, &cap, &st, err, sizeof err) ||
             wl_audio_load(audio, (size_t)d.n_samples, &samples, &n, err, sizeof err) ||
             wl_mel(st, samples, n, mel, err, sizeof err) || wl_encode(st, mel, enc, err, sizeof err) ||
             wl_decoder_new(st, enc, &dec, err, sizeof err) ||
             wl_decoder_feed(dec, tokens, n_tok, logits, err, sizeof err) ||
             (cap.nomem && snprintf(err, sizeof err, "%s: out of memory (copying the stages)", out)) ||
             wl_st_write(out, cap.t, cap.n, err, sizeof err);
    if (rc) cli_eprint("whisperlab: %s", err);
    else printf("whisperlab: %d stages of %s written to %s (model %s)\n", cap.n, audio, out, dir);
    for (int i = 0; i < cap.n; i++) free(cap.t[i].name), free((void *)cap.t[i].data);
    wl_decoder_free(dec);
    wl_state_free(st);
    free(samples), free(mel), free(enc), free(logits);
    wl_model_free(m);
    return rc ? 1 : 0;
}

/* ---- transcribe and inspect ---------------------------------------------------------- */
