/* whisperlab: the command line. Subcommands:
 *   info        the model's dimensions and checkpoint
 *   dump        write the engine's stage tensors for a clip to safetensors (stage names as tensor
 *               names), to diff against HF yourself
 *   transcribe  text of audio files (greedy or beam search, timestamps, JSON with every token)
 *   inspect     a per-token table: probabilities, alternatives, where the decoder listens */
#include "../io/json_file.h"
#include "../model/model_card.h"
#include "../model/stages.h"
#include "../io/model_path.h"
#include "../session/session.h"
#include "../base/util.h"
#include "../io/safetensors.h"
#include "../whisperlab.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A message's room: two whole paths (each up to the system's 4095 characters) and their words,
 * so a long path is never cut. */
#define WL_MSG_MAX (2 * 4096 + 1024)

/* Prints one line on stderr. Control characters (from a file name or an argument) are escaped,
 * so a message is always exactly one line and never drives the terminal. */
static void eprint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void eprint(const char *fmt, ...)
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

/* Every argument after the command must be --help or one of `valued` followed by its value, each
 * at most once: a misspelt or repeated option is an error, never silently ignored (opt() would
 * take the first of two values). Returns 0, or 2 after a message. */
static int check_options(int argc, char **argv, const char *const *valued)
{
    unsigned seen = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) continue;
        int k = 0;
        while (valued[k] && strcmp(argv[i], valued[k])) k++;
        if (!valued[k]) return eprint("whisperlab %s: unknown option '%s' (see --help)", argv[1], argv[i]), 2;
        if (i + 1 >= argc) return eprint("whisperlab %s: %s needs a value", argv[1], argv[i]), 2;
        if (seen & 1u << k) return eprint("whisperlab %s: %s given twice", argv[1], argv[i]), 2;
        seen |= 1u << k;
        i++;
    }
    return 0;
}

/* A whole decimal integer in [lo, hi], or 2 after a message naming the option. */
static int parse_int(const char *name, const char *s, long lo, long hi, int *out)
{
    if (!wl_parse_whole(s, lo, hi, out))
        return eprint("whisperlab: %s '%s': expected an integer in %ld..%ld", name, s, lo, hi), 2;
    return 0;
}

static int usage(FILE *to, int code)
{
    fprintf(to, "usage: whisperlab COMMAND [options]   (whisperlab COMMAND --help for its options)\n"
                "  info   print the model's dimensions and checkpoint\n"
                "  dump   write the engine's stage tensors for an audio file to safetensors\n"
                "  transcribe  the text of audio files (--json: every token, probability, timestamp)\n"
                "  inspect     a per-token table of one audio file\n");
    return code;
}

/* Resolves --model (folder, HF repo id, or the default) and loads it. */
static wl_model *load_model(int argc, char **argv, wl_params p, char *dir, size_t dirlen)
{
    char err[WL_MSG_MAX];
    if (wl_resolve_model(opt(argc, argv, "--model", ""), LOCAL_DEFAULT, dir, dirlen, err, sizeof err)) {
        eprint("whisperlab: %s", err);
        return NULL;
    }
    wl_model *m;
    if (wl_model_load(dir, p, &m, err, sizeof err)) {
        eprint("whisperlab: %s", err);
        return NULL;
    }
    return m;
}

static int cmd_info(int argc, char **argv)
{
    static const char *const valued[] = {"--model", "--threads", NULL};
    if (check_options(argc, argv, valued)) return 2;
    if (has_flag(argc, argv, "--help")) {
        printf("usage: whisperlab info [--model DIR|REPO] [--threads N]\n"
               "  --model   a HF model folder or a repo id in the HF cache (default: openai/whisper-tiny.en\n"
               "            from the HF cache, else build/whisper-micro.en, trained here)\n");
        return 0;
    }
    /* A bad option value is a usage error (2), found before any file is read. */
    wl_params p = wl_default_params();
    if (parse_int("--threads", opt(argc, argv, "--threads", "0"), 0, 256, &p.n_threads)) return 2;
    char dir[4096];
    wl_model *m = load_model(argc, argv, p, dir, sizeof dir);
    if (!m) return 1;
    wl_dims d = wl_model_dims(m);
    wl_model_card card;
    char err[WL_MSG_MAX];
    if (wl_model_card_read(dir, &card, err, sizeof err)) {
        eprint("whisperlab: %s", err);
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
    wl_model_free(m);
    return 0;
}

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
            return eprint("whisperlab: --tokens: '%.*s' is not a token id", (int)strcspn(s, ","), s), -1;
        if (n == max) return eprint("whisperlab: --tokens: more than %d tokens", max), -1;
        out[n++] = (int32_t)v;
    }
    if (n == 0) eprint("whisperlab: --tokens: no token ids");
    return n ? n : -1;
}

/* Every name in a comma-separated --stages list must be a stage of this model. */
static int check_stages(const char *list, wl_dims d)
{
    if (list && !*list) return eprint("whisperlab dump: --stages: no stage names"), 2;
    for (const char *s = list; s && *s; s += strcspn(s, ",") + (s[strcspn(s, ",")] == ',')) {
        char name[40];
        int len = (int)strcspn(s, ",");
        snprintf(name, sizeof name, "%.*s", len < 39 ? len : 39, s);
        if (!wl_is_stage(name, d.enc_layers, d.dec_layers) || len > 39)
            return eprint("whisperlab dump: --stages: '%.*s' is not a stage of this model", len, s), 2;
    }
    return 0;
}

/* --tokens against the model's vocabulary (parse_tokens knew only that they are ids). */
static int check_tokens(const int32_t *tokens, int n, wl_dims d)
{
    for (int i = 0; i < n; i++)
        if (tokens[i] >= d.n_vocab)
            return eprint("whisperlab dump: --tokens: token %d is outside the model's vocabulary (%d tokens)", tokens[i],
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
    if (!*out) return eprint("whisperlab dump: --out is empty"), 2;
    if (stat(out, &st) == 0 && !S_ISREG(st.st_mode))
        return eprint("whisperlab dump: --out %s exists and is not a regular file; refusing to replace it", out), 2;
    if (same_file(out, audio))
        return eprint("whisperlab dump: --out %s is the input audio; refusing to overwrite it", out), 2;
    DIR *dd = opendir(dir);
    for (struct dirent *e; dd && (e = readdir(dd));) {
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.' && same_file(out, p)) {
            eprint("whisperlab dump: --out %s is the model's %s; refusing to overwrite it", out, e->d_name);
            closedir(dd); /* frees e */
            return 2;
        }
    }
    if (dd) closedir(dd);
    return 0;
}

static int cmd_dump(int argc, char **argv)
{
    static const char *const valued[] = {"--audio", "--out", "--model", "--stages", "--tokens", "--threads", NULL};
    if (check_options(argc, argv, valued)) return 2;
    const char *audio = opt(argc, argv, "--audio", NULL), *out = opt(argc, argv, "--out", NULL);
    if (!has_flag(argc, argv, "--help") && (!audio || !out))
        return eprint("whisperlab: dump needs --audio and --out (see whisperlab dump --help)"), 2;
    if (has_flag(argc, argv, "--help")) {
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
    int n_tok = parse_tokens(opt(argc, argv, "--tokens", "50257,50362"), tokens, 448);
    if (n_tok <= 0) return 2;
    static capture cap;
    cap.wanted = opt(argc, argv, "--stages", NULL);
    wl_params p = wl_default_params();
    if (parse_int("--threads", opt(argc, argv, "--threads", "0"), 0, 256, &p.n_threads)) return 2;
    char dir[4096], err[WL_MSG_MAX];
    wl_model *m = load_model(argc, argv, p, dir, sizeof dir);
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
    if (rc) eprint("whisperlab: %s", err);
    else printf("whisperlab: %d stages of %s written to %s (model %s)\n", cap.n, audio, out, dir);
    for (int i = 0; i < cap.n; i++) free(cap.t[i].name), free((void *)cap.t[i].data);
    wl_decoder_free(dec);
    wl_state_free(st);
    free(samples), free(mel), free(enc), free(logits);
    wl_model_free(m);
    return rc ? 1 : 0;
}

/* ---- transcribe and inspect ---------------------------------------------------------- */

typedef struct {
    int json, timestamps, beams, max_new, threads;
    const char *model;
    const char *files[256];
    int n_files;
} decode_args;

/* Flags of transcribe/inspect; returns 0, or 2 after a usage error. */
static int parse_decode_args(int argc, char **argv, decode_args *a)
{
    *a = (decode_args){.beams = 1, .model = ""};
    static const char *const names[] = {"--json", "--timestamps", "--beams", "--max-new-tokens", "--threads", "--model", NULL};
    unsigned seen = 0;
    for (int i = 2; i < argc; i++) {
        const char *k = argv[i];
        int has_value = i + 1 < argc, f = 0;
        while (names[f] && strcmp(k, names[f])) f++;
        if (names[f] && (seen & 1u << f)) return eprint("whisperlab: %s given twice", k), 2;
        if (names[f]) seen |= 1u << f;
        if (!strcmp(k, "--json")) a->json = 1;
        else if (!strcmp(k, "--timestamps")) a->timestamps = 1;
        else if (!strcmp(k, "--beams") && has_value) {
            if (parse_int("--beams", argv[++i], 1, 64, &a->beams)) return 2;
        } else if (!strcmp(k, "--max-new-tokens") && has_value) {
            if (parse_int("--max-new-tokens", argv[++i], 0, 1 << 16, &a->max_new)) return 2;
        } else if (!strcmp(k, "--threads") && has_value) {
            if (parse_int("--threads", argv[++i], 0, 256, &a->threads)) return 2;
        }
        else if (!strcmp(k, "--model") && has_value) a->model = argv[++i];
        else if (k[0] == '-' && k[1] == '-') return eprint("whisperlab: unknown or incomplete option %s", k), 2;
        else if (a->n_files < 256) a->files[a->n_files++] = k;
        else return eprint("whisperlab: at most 256 files per call"), 2;
    }
    if (a->beams < 1 || a->beams > 64) return eprint("whisperlab: --beams must be 1..64"), 2;
    if (a->max_new < 0) return eprint("whisperlab: --max-new-tokens must be >= 0"), 2;
    return 0;
}

/* The model, its generation settings and tokenizer, loaded once for every file. */
/* Loads the model (wl_session) and says on stderr which one it is and what it is. */
static int session_open(const decode_args *a, wl_session *s)
{
    char err[WL_MSG_MAX];
    if (wl_session_open(s, a->model, LOCAL_DEFAULT, a->threads, err, sizeof err)) {
        eprint("whisperlab: %s", err);
        return -1;
    }
    eprint("whisperlab: model %s: %s (%s)", s->dir, s->card.summary, s->card.kind);
    if (!strcmp(s->card.kind, "synthetic"))
        eprint("whisperlab: these weights are SYNTHETIC (generated, never trained): the text is meaningless");
    return 0;
}

/* audio -> mel -> encoder -> generate. NULL with err naming the file on failure. */
static wl_result *decode_file(wl_session *s, const decode_args *a, const char *path, char *err, size_t errlen)
{
    float *samples = NULL, *mel = malloc((size_t)s->dims.n_mels * s->dims.n_frames * sizeof(float));
    float *enc = malloc((size_t)s->dims.n_audio_ctx * s->dims.d_model * sizeof(float));
    size_t n = 0;
    wl_result *r = NULL;
    wl_gen_opts o = {.beams = a->beams, .timestamps = a->timestamps, .max_new_tokens = a->max_new,
                     .token_timestamps = s->cfg.n_alignment_heads > 0};
    char why[WL_MSG_MAX] = "out of memory";
    if (!mel || !enc || wl_audio_load(path, (size_t)s->dims.n_samples, &samples, &n, why, sizeof why) ||
        wl_mel(s->state, samples, n, mel, why, sizeof why) || wl_encode(s->state, mel, enc, why, sizeof why) ||
        (o.num_frames = (int)(n / WL_HOP), wl_generate(s->state, &s->cfg, enc, &o, &r, why, sizeof why))) {
        /* audio errors already name the file */
        if (strstr(why, path)) snprintf(err, errlen, "%s", why);
        else snprintf(err, errlen, "%s: %s", path, why);
        r = NULL;
    }
    free(samples), free(mel), free(enc);
    return r;
}

static cJSON *file_json(const wl_session *s, const char *path, const wl_result *r)
{
    cJSON *f = cJSON_CreateObject(), *toks = cJSON_CreateArray(), *prompt = cJSON_CreateArray();
    char buf[512];
    char *text = wl_detokenize(s->tok, r->tokens, r->n_tokens, WL_DECODE_SKIP_SPECIAL);
    if (!text) wl_oom_note();
    cJSON_AddStringToObject(f, "file", path);
    cJSON_AddStringToObject(f, "text", text ? text : "");
    free(text);
    cJSON_AddNumberToObject(f, "score", r->score);
    for (int i = 0; i < r->n_prompt; i++) cJSON_AddItemToArray(prompt, cJSON_CreateNumber(r->tokens[i]));
    cJSON_AddItemToObject(f, "prompt", prompt);
    for (int i = 0; i < r->n_steps; i++) {
        const wl_step *st = &r->steps[i];
        cJSON *t = cJSON_CreateObject(), *top = cJSON_CreateArray();
        wl_token_text(s->tok, st->token, buf, sizeof buf, 0);
        cJSON_AddNumberToObject(t, "id", st->token);
        cJSON_AddStringToObject(t, "text", buf);
        cJSON_AddNumberToObject(t, "logprob", st->logprob);
        cJSON_AddNumberToObject(t, "p", exp(st->logprob));
        cJSON_AddBoolToObject(t, "timestamp", st->is_timestamp);
        if (r->token_time) cJSON_AddNumberToObject(t, "time", round(r->token_time[r->n_prompt + i] * 100) / 100);
        for (int k = 0; k < WL_TOP; k++) {
            cJSON *alt = cJSON_CreateObject();
            wl_token_text(s->tok, st->top_id[k], buf, sizeof buf, 0);
            cJSON_AddNumberToObject(alt, "id", st->top_id[k]);
            cJSON_AddStringToObject(alt, "text", buf);
            cJSON_AddNumberToObject(alt, "p", exp(st->top_logprob[k]));
            cJSON_AddItemToArray(top, alt);
        }
        cJSON_AddItemToObject(t, "top5", top);
        cJSON_AddItemToArray(toks, t);
    }
    cJSON_AddItemToObject(f, "tokens", toks);
    wl_text_piece *p;
    int np = wl_text_pieces(s->tok, r->tokens, r->n_tokens, &p);
    cJSON *segs = cJSON_CreateArray();
    for (int i = 0; i < np; i++) {
        cJSON *g = cJSON_CreateObject();
        cJSON_AddNumberToObject(g, "start", p[i].start);
        cJSON_AddNumberToObject(g, "end", p[i].end);
        cJSON_AddStringToObject(g, "text", p[i].text);
        cJSON_AddItemToArray(segs, g);
    }
    wl_text_pieces_free(p, np);
    cJSON_AddItemToObject(f, "segments", segs);
    return f;
}

/* Plain text: the transcript, or with --timestamps one "[start --> end] text" line per piece. */
static void print_text(const wl_session *s, const decode_args *a, const char *path, const wl_result *r)
{
    const char *prefix = a->n_files > 1 ? path : NULL;
    wl_text_piece *p = NULL;
    int np = a->timestamps ? wl_text_pieces(s->tok, r->tokens, r->n_tokens, &p) : 0;
    for (int i = 0; i < np; i++)
        printf("%s%s[%6.2f --> %6.2f]%s\n", prefix ? prefix : "", prefix ? ": " : "", p[i].start, p[i].end, p[i].text);
    if (np <= 0) {
        char *text = wl_detokenize(s->tok, r->tokens, r->n_tokens, WL_DECODE_SKIP_SPECIAL);
        if (!text) wl_oom_note();
        printf("%s%s%s\n", prefix ? prefix : "", prefix ? ": " : "", text ? text : "");
        free(text);
    }
    wl_text_pieces_free(p, np);
}

static const char DECODE_OPTIONS[] =
    "  --model DIR|REPO    a HF model folder or a repo id in the HF cache (default: openai/whisper-tiny.en\n"
    "                      from the HF cache, else build/whisper-micro.en, trained here)\n"
    "  --beams N           beam search with N beams (default 1: greedy)\n"
    "  --timestamps        predict timestamp tokens (segments with start and end times)\n"
    "  --max-new-tokens N  stop after N tokens (default: the model's max_length)\n"
    "  --threads N         the engine's threads (default: OPENBLAS_NUM_THREADS, or the cores)\n";

static int cmd_transcribe(int argc, char **argv)
{
    decode_args a;
    if (has_flag(argc, argv, "--help")) {
        printf("usage: whisperlab transcribe FILE... [--json] [--timestamps] [--beams N] [--model DIR|REPO]\n"
               "  The text of each audio file; many files load the model once.\n"
               "  --json              tokens, text pieces, log-probs, top-5, timestamps, token timestamps\n%s",
               DECODE_OPTIONS);
        return 0;
    }
    int rc = parse_decode_args(argc, argv, &a);
    if (rc) return rc;
    if (!a.n_files) return eprint("whisperlab: transcribe: no audio file given"), 2;
    wl_session s;
    if (session_open(&a, &s)) return 1;
    cJSON *root = cJSON_CreateObject(), *files = cJSON_CreateArray();
    cJSON_AddStringToObject(root, "model", s.dir);
    cJSON_AddStringToObject(root, "model_kind", s.card.kind);
    cJSON_AddStringToObject(root, "model_summary", s.card.summary);
    cJSON_AddNumberToObject(root, "beams", a.beams);
    cJSON_AddBoolToObject(root, "timestamps", a.timestamps);
    int failed = 0;
    for (int i = 0; i < a.n_files; i++) {
        char err[WL_MSG_MAX + 4096];
        wl_result *r = decode_file(&s, &a, a.files[i], err, sizeof err);
        if (!r) {
            eprint("whisperlab: %s", err);
            failed++;
            cJSON *f = cJSON_CreateObject();
            cJSON_AddStringToObject(f, "file", a.files[i]);
            cJSON_AddStringToObject(f, "error", err);
            cJSON_AddItemToArray(files, f);
            continue;
        }
        if (a.json) cJSON_AddItemToArray(files, file_json(&s, a.files[i], r));
        else print_text(&s, &a, a.files[i], r);
        wl_result_free(r);
    }
    cJSON_AddItemToObject(root, "files", files);
    if (a.json) {
        char *out = cJSON_Print(root);
        if (out) printf("%s\n", out);
        free(out);
    }
    if (wl_oom_take()) { /* a piece of the JSON or of a text could not be made */
        eprint("whisperlab: out of memory writing the transcripts");
        failed = 1;
    }
    cJSON_Delete(root);
    wl_session_close(&s);
    return failed ? 1 : 0;
}

/* The encoder position that layer l's heads attend to most (their mean) in row r. */
static int peak_position(const wl_result *r, int row, int l)
{
    const int S = r->n_audio_ctx;
    int best = 0;
    double best_v = -1;
    for (int f = 0; f < S; f++) {
        double v = 0;
        for (int h = 0; h < r->heads; h++) v += r->cross_attn[(((size_t)row * r->layers + l) * r->heads + h) * S + f];
        if (v > best_v) best_v = v, best = f;
    }
    return best;
}

static int cmd_inspect(int argc, char **argv)
{
    decode_args a;
    if (has_flag(argc, argv, "--help")) {
        printf("usage: whisperlab inspect FILE [--timestamps] [--beams N] [--model DIR|REPO]\n"
               "  One row per generated token: id, text, probability, token time, the top-5\n"
               "  alternatives with probabilities, a timestamp flag, and per decoder layer the\n"
               "  encoder position (as seconds) its heads attend to most when choosing the token.\n%s",
               DECODE_OPTIONS);
        return 0;
    }
    int rc = parse_decode_args(argc, argv, &a);
    if (rc) return rc;
    if (a.json) /* a table only: accepting --json and printing the table would mislead a script */
        return eprint("whisperlab inspect: unknown option '--json' (transcribe --json gives the tokens as JSON)"), 2;
    if (a.n_files != 1) return eprint("whisperlab: inspect takes exactly one audio file"), 2;
    wl_session s;
    if (session_open(&a, &s)) return 1;
    char err[WL_MSG_MAX + 4096], text[256], alt[256];
    wl_result *r = decode_file(&s, &a, a.files[0], err, sizeof err);
    if (!r) {
        eprint("whisperlab: %s", err);
        wl_session_close(&s);
        return 1;
    }
    double per_pos = (double)s.dims.n_samples / s.dims.n_audio_ctx / WL_SAMPLE_RATE;
    printf("%s: %d tokens (prompt %d), %s, score %.4f\n", a.files[0], r->n_tokens, r->n_prompt,
           a.beams > 1 ? "beam search" : "greedy", r->score);
    printf("%4s %6s %-16s %9s %6s %2s  %-*s  %s\n", "step", "id", "text", "p", "time", "ts", 6 * r->layers - 1,
           "peak per layer (s)", "top-5 alternatives (p)");
    for (int i = 0; i < r->n_steps; i++) {
        const wl_step *st = &r->steps[i];
        wl_token_text(s.tok, st->token, text, sizeof text, 1);
        char listens[128] = "", *w = listens;
        for (int l = 0; l < r->layers && w < listens + sizeof listens - 16; l++) /* row of the query that chose it */
            w += snprintf(w, 16, "%s%5.2f", l ? " " : "", peak_position(r, r->n_prompt - 1 + i, l) * per_pos);
        char quoted[280];
        snprintf(quoted, sizeof quoted, "'%s'", text);
        printf("%4d %6d %-16s %9.3g %6.2f %2s  %-*s ", i, st->token, quoted, exp(st->logprob),
               r->token_time ? r->token_time[r->n_prompt + i] : 0.0, st->is_timestamp ? "ts" : "", 6 * r->layers - 1,
               listens);
        for (int k = 0; k < WL_TOP; k++) {
            wl_token_text(s.tok, st->top_id[k], alt, sizeof alt, 1);
            printf(" '%s' %.3g", alt, exp(st->top_logprob[k]));
        }
        printf("\n");
    }
    char *plain = wl_detokenize(s.tok, r->tokens, r->n_tokens, WL_DECODE_SKIP_SPECIAL);
    printf("text: %s\n", plain ? plain : "");
    free(plain);
    wl_result_free(r);
    wl_session_close(&s);
    if (!plain) return eprint("whisperlab: %s: out of memory writing the table", a.files[0]), 1;
    return 0;
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
    eprint("whisperlab: cannot write to standard output: %s", e ? strerror(e) : "a write failed");
    return rc ? rc : 1;
}

static int run(int argc, char **argv)
{
    if (argc < 2) return usage(stderr, 2);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) return usage(stdout, 0);
    if (strcmp(argv[1], "info") == 0) return cmd_info(argc, argv);
    if (strcmp(argv[1], "dump") == 0) return cmd_dump(argc, argv);
    if (strcmp(argv[1], "transcribe") == 0) return cmd_transcribe(argc, argv);
    if (strcmp(argv[1], "inspect") == 0) return cmd_inspect(argc, argv);
    return eprint("whisperlab: unknown command '%s' (see whisperlab --help)", argv[1]), 2;
}

int main(int argc, char **argv)
{
    wl_tune_malloc();
    wl_json_track_memory(); /* a JSON output missing a member is never printed as if whole */
    /* A closed stdout: every command's output would be lost (and a file opened later could take
     * descriptor 1 and receive it), so nothing is done. */
    if (fcntl(1, F_GETFD) == -1 && errno == EBADF)
        return eprint("whisperlab: standard output is closed: the output would be lost"), 1;
    return finish_stdout(run(argc, argv));
}
