/* whisperlab transcribe and inspect: audio files through the whole pipeline, as text, JSON with
 * every token, or a per-token table. */
#include "args.h"

#include "../base/util.h"
#include "../session/session.h"
#include "../session/token_json.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        if (names[f] && (seen & 1u << f)) return cli_eprint("whisperlab: %s given twice", k), 2;
        if (names[f]) seen |= 1u << f;
        if (!strcmp(k, "--json")) a->json = 1;
        else if (!strcmp(k, "--timestamps")) a->timestamps = 1;
        else if (!strcmp(k, "--beams") && has_value) {
            if (cli_parse_int("--beams", argv[++i], 1, 64, &a->beams)) return 2;
        } else if (!strcmp(k, "--max-new-tokens") && has_value) {
            if (cli_parse_int("--max-new-tokens", argv[++i], 0, 1 << 16, &a->max_new)) return 2;
        } else if (!strcmp(k, "--threads") && has_value) {
            if (cli_parse_int("--threads", argv[++i], 0, 256, &a->threads)) return 2;
        }
        else if (!strcmp(k, "--model") && has_value) a->model = argv[++i];
        else if (k[0] == '-' && k[1] == '-') return cli_eprint("whisperlab: unknown or incomplete option %s", k), 2;
        else if (a->n_files < 256) a->files[a->n_files++] = k;
        else return cli_eprint("whisperlab: at most 256 files per call"), 2;
    }
    if (a->beams < 1 || a->beams > 64) return cli_eprint("whisperlab: --beams must be 1..64"), 2;
    if (a->max_new < 0) return cli_eprint("whisperlab: --max-new-tokens must be >= 0"), 2;
    return 0;
}

/* The model, its generation settings and tokenizer, loaded once for every file. */
/* Loads the model (wl_session) and says on stderr which one it is and what it is. */
static int session_open(const decode_args *a, wl_session *s)
{
    char err[WL_MSG_MAX];
    if (wl_session_open(s, a->model, NULL, a->threads, err, sizeof err)) {
        cli_eprint("whisperlab: %s", err);
        return -1;
    }
    cli_eprint("whisperlab: model %s: %s (%s)", s->dir, s->card.summary, s->card.kind);
    if (!strcmp(s->card.kind, "synthetic"))
        cli_eprint("whisperlab: these weights are SYNTHETIC (generated, never trained): the text is meaningless");
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
    cJSON *f = cJSON_CreateObject(), *prompt = cJSON_CreateArray();
    char *text = wl_detokenize(s->tok, r->tokens, r->n_tokens, WL_DECODE_SKIP_SPECIAL);
    if (!text) wl_oom_note();
    cJSON_AddStringToObject(f, "file", path);
    cJSON_AddStringToObject(f, "text", text ? text : "");
    free(text);
    cJSON_AddNumberToObject(f, "score", r->score);
    for (int i = 0; i < r->n_prompt; i++) cJSON_AddItemToArray(prompt, cJSON_CreateNumber(r->tokens[i]));
    cJSON_AddItemToObject(f, "prompt", prompt);
    cJSON_AddItemToObject(f, "tokens", wl_steps_json(s->tok, r, 1, 0));
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

int cli_transcribe(int argc, char **argv)
{
    decode_args a;
    if (cli_has_flag(argc, argv, "--help")) {
        printf("usage: whisperlab transcribe FILE... [--json] [--timestamps] [--beams N] [--model DIR|REPO]\n"
               "  The text of each audio file; many files load the model once.\n"
               "  --json              tokens, text pieces, log-probs, top-5, timestamps, token timestamps\n%s",
               DECODE_OPTIONS);
        return 0;
    }
    int rc = parse_decode_args(argc, argv, &a);
    if (rc) return rc;
    if (!a.n_files) return cli_eprint("whisperlab: transcribe: no audio file given"), 2;
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
            cli_eprint("whisperlab: %s", err);
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
        cli_eprint("whisperlab: out of memory writing the transcripts");
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

int cli_inspect(int argc, char **argv)
{
    decode_args a;
    if (cli_has_flag(argc, argv, "--help")) {
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
        return cli_eprint("whisperlab inspect: unknown option '--json' (transcribe --json gives the tokens as JSON)"), 2;
    if (a.n_files != 1) return cli_eprint("whisperlab: inspect takes exactly one audio file"), 2;
    wl_session s;
    if (session_open(&a, &s)) return 1;
    char err[WL_MSG_MAX + 4096], text[256], alt[256];
    wl_result *r = decode_file(&s, &a, a.files[0], err, sizeof err);
    if (!r) {
        cli_eprint("whisperlab: %s", err);
        wl_session_close(&s);
        return 1;
    }
    const double per_pos = s.dims.seconds_per_position;
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
    if (!plain) return cli_eprint("whisperlab: %s: out of memory writing the table", a.files[0]), 1;
    return 0;
}
