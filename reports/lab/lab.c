/* lab: runs the lab over the clips with one model and writes the report's JSON files and
 * heatmaps into a folder (the README tables come from `tables`, the manifest from `manifest`).
 * Per clip: audio -> mel -> encoder -> greedy (token timestamps, cross-attention), greedy with
 * timestamp tokens, beam search; then each module makes its entry from the clip record (clip.h):
 *   transcript.c  transcriptions.json, tokens.json, wer.json   confidence.c  confidence.json
 *   timestamps.c  timestamps.json                              grammar.c     grammar.json
 *   attention.c   monotonicity.json and the heatmaps           beam_compare.c greedy_vs_beam.json
 * Two clips at a time are encoded, then decoded together (their six searches share each step's
 * pass over the weights), then finished in order.
 * The report appears whole or not at all: it is written into a staging folder beside --out and
 * swapped in at the end (tools/out_folder.h), and --out must be new, empty or a previous report.
 * --staged: --out is a staging folder already made by `publish` (make report), written directly.
 * Usage: lab --clips CLIPS.json --audio DIR --out DIR [--staged] [--model ARG] [--fallback DIR]
 *            [--threads N] [--beams N] [--max-new-tokens N] [--limit N] [--grid-clip ID] */
#include "attention.h"
#include "beam_compare.h"
#include "clip.h"
#include "confidence.h"
#include "grammar.h"
#include "timestamps.h"
#include "transcript.h"
#include "../tools/clip_list.h"
#include "../tools/out_folder.h"

#include "../../engine/base/util.h"
#include "../../engine/io/json_file.h"

#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* This process's peak resident memory so far (VmHWM), in MB; -1 when unknown. Its own, from its
 * exec on: a parent's wait4 would also count the parent's pages the child held before it. */
static double peak_rss_mb(void)
{
    char line[256];
    double kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = atof(line + 6);
    if (f) fclose(f);
    return kb < 0 ? -1 : round(kb / 1024 * 10) / 10;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct {
    const char *model, *fallback, *clips, *audio, *out, *grid_clip;
    const char *dir; /* where the files are written: the staging folder */
    int threads, beams, max_new, limit, staged;
} options;

static int parse_int(const char *name, const char *s, int lo, int hi, int *out)
{
    if (!wl_parse_whole(s, lo, hi, out))
        return fprintf(stderr, "lab: %s '%s' must be an integer in %d..%d\n", name, s, lo, hi), -1;
    return 0;
}

static const char USAGE[] = "usage: lab --clips CLIPS.json --audio DIR --out DIR [--staged] [--model ARG] [--fallback DIR] "
                            "[--threads N] [--beams N] [--max-new-tokens N] [--limit N] [--grid-clip ID]\n";

/* Returns 0 to run, 1 after --help, -1 on a bad command line (said on stderr). */
static int parse(int argc, char **argv, options *o)
{
    *o = (options){.model = "", .fallback = NULL, .beams = 5};
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--help")) return fputs(USAGE, stdout), 1;
        if (!strcmp(k, "--staged")) {
            o->staged = 1;
            continue;
        }
        if (!v) return fprintf(stderr, "lab: %s needs a value\n", k), -1;
        i++;
        if (!strcmp(k, "--model")) o->model = v;
        else if (!strcmp(k, "--fallback")) o->fallback = v;
        else if (!strcmp(k, "--clips")) o->clips = v;
        else if (!strcmp(k, "--audio")) o->audio = v;
        else if (!strcmp(k, "--out")) o->out = v;
        else if (!strcmp(k, "--grid-clip")) o->grid_clip = v;
        else if (!strcmp(k, "--threads")) { if (parse_int(k, v, 0, 256, &o->threads)) return -1; }
        else if (!strcmp(k, "--beams")) { if (parse_int(k, v, 1, 64, &o->beams)) return -1; }
        else if (!strcmp(k, "--max-new-tokens")) { if (parse_int(k, v, 0, 1 << 16, &o->max_new)) return -1; }
        else if (!strcmp(k, "--limit")) { if (parse_int(k, v, 0, 1 << 16, &o->limit)) return -1; }
        else return fprintf(stderr, "lab: unknown option '%s'\n", k), -1;
    }
    if (!o->clips || !o->audio || !o->out) return fputs(USAGE, stderr), -1;
    return 0;
}

/* The staging folder's path for the signal handler, which removes it: an interrupted run leaves
 * neither a mixed report nor debris. */
static char stage_to_remove[OUT_FOLDER_PATH_MAX];

static void on_signal(int sig)
{
    if (stage_to_remove[0]) out_folder_remove_tree(stage_to_remove);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Checks --out, locks it and makes the staging folder (or, with --staged, finds the folder),
 * before any work. Returns 0, or -1 after a message. */
static int out_begin(options *o, out_folder *f)
{
    char err[2 * OUT_FOLDER_PATH_MAX];
    struct stat st;
    if (o->staged) { /* publish's fresh folder: only its marker, so that no other folder is written into */
        char marker[OUT_FOLDER_PATH_MAX + 32];
        DIR *d = opendir(o->out);
        int n = 0;
        for (const struct dirent *e; d && (e = readdir(d));) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
        if (d) closedir(d);
        snprintf(marker, sizeof marker, "%s/" OUT_FOLDER_MARKER, o->out);
        if (!d || n != 1 || stat(marker, &st))
            return fprintf(stderr, "lab: --out %s: with --staged, must be a fresh staging folder made by publish\n", o->out), -1;
        o->dir = o->out;
        return 0;
    }
    if (out_folder_begin(f, o->out, 0, err, sizeof err)) return fprintf(stderr, "lab: --out %s\n", err), -1;
    snprintf(stage_to_remove, sizeof stage_to_remove, "%s", f->stage);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL), sigaction(SIGTERM, &sa, NULL), sigaction(SIGHUP, &sa, NULL);
    o->dir = f->stage;
    return 0;
}

/* The staging folder swapped in over --out after a good run, else removed. */
static int out_finish(const options *o, out_folder *f, int ok)
{
    if (o->staged) return ok ? 0 : -1;
    char err[2 * OUT_FOLDER_PATH_MAX];
    int rc = 0;
    if (!ok) out_folder_abort(f), rc = -1;
    else if (out_folder_publish(f, err, sizeof err)) fprintf(stderr, "lab: --out %s\n", err), rc = -1;
    stage_to_remove[0] = 0;
    return rc;
}

/* Seconds spent per stage over the run. */
enum { T_AUDIO, T_MEL, T_ENCODE, T_DECODE, T_ANALYSE, T_COUNT };
static const char *const STAGE_NAMES[T_COUNT] = {"audio", "mel", "encoder", "decode", "analysis_and_heatmaps"};

typedef struct {
    cJSON *transcriptions, *tokens, *wer, *confidence, *timestamps, *monotonicity, *grammar, *beams;
} outputs;

static const char *str_field(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* A clip between its stages: audio, mel and encoder output ready for the decode. */
typedef struct {
    lab_clip c;
    char path[4200];
    float *samples, *mel, *enc;
    int is_error;
} clip_run;

static void clip_free(clip_run *r)
{
    wl_result_free(r->c.greedy), wl_result_free(r->c.stamped), wl_result_free(r->c.beam);
    free(r->samples), free(r->mel), free(r->enc);
    memset(r, 0, sizeof *r);
}

/* A clip's entry checked, its audio loaded and encoded. Returns 0, or -1 with err said (r freed). */
static int clip_prepare(const wl_session *s, const options *o, const cJSON *spec, int is_error, double *t,
                        clip_run *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    lab_clip *c = &r->c;
    *c = (lab_clip){.id = str_field(spec, "id"), .sentence = str_field(spec, "sentence"),
                    .correct = is_error ? str_field(spec, "correct") : NULL, .tense = str_field(spec, "tense")};
    r->is_error = is_error;
    const char *file = str_field(spec, "file");
    if (!c->id || !c->sentence || !file || (is_error && !c->correct) || strlen(c->id) > 32 || strchr(c->id, '/'))
        return snprintf(err, errlen, "%s: a clip entry lacks a valid \"id\", \"sentence\", \"file\"%s", o->clips,
                        is_error ? " or \"correct\"" : ""), -1;
    snprintf(r->path, sizeof r->path, "%s/%s", o->audio, file);
    c->file = r->path;
    const wl_dims *d = &s->dims;
    r->mel = malloc(sizeof *r->mel * (size_t)d->n_mels * d->n_frames);
    r->enc = malloc(sizeof *r->enc * (size_t)d->n_audio_ctx * d->d_model);
    double t0 = now();
    if (!r->mel || !r->enc) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (wl_audio_load(r->path, (size_t)d->n_samples, &r->samples, &c->n_samples, err, errlen)) goto fail;
    t[T_AUDIO] += now() - t0, t0 = now();
    c->samples = r->samples, c->span = speech_span_find(r->samples, c->n_samples);
    if (wl_mel(s->state, r->samples, c->n_samples, r->mel, err, errlen)) goto fail;
    t[T_MEL] += now() - t0, t0 = now();
    if (wl_encode(s->state, r->mel, r->enc, err, errlen)) goto fail;
    t[T_ENCODE] += now() - t0;
    c->enc = r->enc;
    return 0;
fail:
    clip_free(r);
    return -1;
}

enum { SEARCHES = 3, BATCH = 2 }; /* searches per clip; clips decoded together */

/* The n clips' searches stepped together: greedy (with DTW token times), greedy with timestamps
 * and beam search for each, so one read of the decoder's weights per step serves all of their
 * rows (the model caches BATCH clips' cross K/V). Only the greedy path's cross-attention is read
 * (heatmaps, monotonicity, DTW), so the others keep none: no rows copied each step, and no final
 * pass over the beam's tokens. Each result is bitwise what its search gives alone. */
static int clips_decode(const wl_session *s, const options *o, clip_run *rs, int n, double *t, char *err,
                        size_t errlen)
{
    wl_gen_opts g[SEARCHES * BATCH];
    const float *encs[SEARCHES * BATCH];
    wl_result *res[SEARCHES * BATCH];
    for (int i = 0; i < n; i++) {
        const lab_clip *c = &rs[i].c;
        g[SEARCHES * i] = (wl_gen_opts){.beams = 1, .max_new_tokens = o->max_new,
                                        .token_timestamps = s->cfg.n_alignment_heads > 0,
                                        .num_frames = (int)(c->n_samples / WL_HOP)};
        g[SEARCHES * i + 1] = (wl_gen_opts){.beams = 1, .max_new_tokens = o->max_new,
                                            .timestamps = s->cfg.no_timestamps >= 0, .no_cross_attn = 1};
        g[SEARCHES * i + 2] = (wl_gen_opts){.beams = o->beams, .max_new_tokens = o->max_new, .no_cross_attn = 1};
        for (int k = 0; k < SEARCHES; k++) encs[SEARCHES * i + k] = c->enc;
    }
    double t0 = now();
    if (wl_generate_many(s->state, &s->cfg, encs, g, SEARCHES * n, res, err, errlen)) return -1;
    t[T_DECODE] += now() - t0;
    for (int i = 0; i < n; i++)
        rs[i].c.greedy = res[SEARCHES * i], rs[i].c.stamped = res[SEARCHES * i + 1], rs[i].c.beam = res[SEARCHES * i + 2];
    return 0;
}

/* A decoded clip through every module into the outputs; err gets its progress line. */
static int clip_finish(const wl_session *s, const options *o, clip_run *r, double *t, outputs *out, char *err,
                       size_t errlen)
{
    lab_clip *c = &r->c;
    const int is_error = r->is_error;
    double t0 = now();
    int grid = o->grid_clip ? !strcmp(o->grid_clip, c->id) : cJSON_GetArraySize(out->transcriptions) == 0;
    cJSON *conf = lab_confidence(s, c, err, errlen), *att = conf ? lab_attention(s, c, o->dir, grid, err, errlen) : NULL;
    cJSON *gram = att && is_error ? lab_grammar(s, c, err, errlen) : NULL;
    if (!conf || !att || (is_error && !gram)) {
        cJSON_Delete(conf), cJSON_Delete(att);
        return -1;
    }
    if (cJSON_GetObjectItemCaseSensitive(out->transcriptions, c->id)) {
        snprintf(err, errlen, "%s: clip id \"%s\" appears twice", o->clips, c->id);
        cJSON_Delete(conf), cJSON_Delete(att), cJSON_Delete(gram);
        return -1;
    }
    cJSON_AddItemToObject(out->transcriptions, c->id, lab_transcription(s, c));
    cJSON_AddItemToObject(out->tokens, c->id, lab_tokens(s, c));
    cJSON_AddItemToObject(out->wer, c->id, lab_wer(s, c));
    cJSON_AddItemToObject(out->confidence, c->id, conf);
    cJSON_AddItemToObject(out->timestamps, c->id, lab_timestamps(s, c));
    cJSON_AddItemToObject(out->monotonicity, c->id, att);
    cJSON_AddItemToObject(out->beams, c->id, lab_greedy_vs_beam(s, c));
    if (gram) cJSON_AddItemToObject(out->grammar, c->id, gram);
    t[T_ANALYSE] += now() - t0;
    char *text = wl_detokenize(s->tok, c->greedy->tokens, c->greedy->n_tokens, WL_DECODE_SKIP_SPECIAL);
    snprintf(err, errlen, "%s \"%s\" -> \"%s\"", c->id, c->sentence, text ? text + (text[0] == ' ') : "");
    free(text);
    return 0;
}

/* The model opened (o->model, else the default, else o->fallback) and named on stderr. 0, or -1
 * after a message with nothing left open. */
static int open_model(wl_session *s, const options *o)
{
    char err[2048];
    if (wl_session_open(s, o->model, o->fallback, o->threads, err, sizeof err))
        return fprintf(stderr, "lab: %s\n", err), -1;
    if (!clip_list_utf8(s->dir)) { /* run.json names it */
        fprintf(stderr, "lab: %s: the model folder's name is not valid UTF-8 (run.json names it)\n", s->dir);
        wl_session_close(s);
        return -1;
    }
    fprintf(stderr, "lab: model %s: %s (%s)\n", s->dir, s->card.summary, s->card.kind);
    if (!strcmp(s->card.kind, "synthetic"))
        fprintf(stderr, "lab: these weights are SYNTHETIC (never trained): the numbers test the pipeline, not Whisper\n");
    return 0;
}

/* A clip of the list as it is run: its entry, and whether it is a grammar-error clip. */
typedef struct {
    const cJSON *spec;
    int is_error;
} queued;

/* The clips in order, "clips" then "grammar_errors", each group cut to limit (0: all), and their
 * count in *total; NULL when out of memory. */
static queued *clip_queue(const cJSON *spec, int limit, int *total)
{
    const cJSON *groups[2] = {cJSON_GetObjectItemCaseSensitive(spec, "clips"),
                              cJSON_GetObjectItemCaseSensitive(spec, "grammar_errors")};
    if (!cJSON_IsArray(groups[1])) groups[1] = NULL;
    *total = 0;
    for (int g = 0; g < 2; g++) {
        int n = cJSON_GetArraySize(groups[g]);
        *total += limit && n > limit ? limit : n;
    }
    queued *queue = malloc(sizeof *queue * (size_t)(*total ? *total : 1));
    for (int g = 0, q = 0; queue && g < 2; g++) {
        const cJSON *spec_clip;
        int k = 0;
        cJSON_ArrayForEach(spec_clip, groups[g])
        {
            if (limit && k++ >= limit) break;
            queue[q++] = (queued){spec_clip, g == 1};
        }
    }
    return queue;
}

enum { TRIM_ABOVE = 32 << 20 }; /* bytes of freed heap memory kept for the next clips (run_clips) */

/* Every clip through its stages and the modules into out, BATCH at a time, with a progress line
 * per clip; *done counts the clips finished. 0, or 1 after a message naming what failed. */
static int run_clips(const wl_session *s, const options *o, const queued *queue, int total, double *t, outputs *out,
                     int *done)
{
    char err[2048];
    int rc = 0, tty = isatty(2);
    double loop = now();
    for (int next = 0; next < total && !rc;) {
        /* up to BATCH clips prepared; one that fails is reported after those before it are done */
        clip_run rs[BATCH];
        char failed[2048] = "";
        int n = 0, stop = 0;
        while (n < BATCH && next < total && !stop)
            if (clip_prepare(s, o, queue[next].spec, queue[next].is_error, t, &rs[n], failed, sizeof failed)) stop = 1;
            else n++, next++;
        if (n && clips_decode(s, o, rs, n, t, err, sizeof err)) rc = 1;
        for (int i = 0; i < n && !rc; i++) {
            if (clip_finish(s, o, &rs[i], t, out, err, sizeof err)) {
                rc = 1;
                break;
            }
            ++*done;
            double el = now() - loop, eta = el / *done * (total - *done);
            fprintf(stderr, "%slab [%2d/%d] %s  (%.1f s elapsed, ETA %.1f s)%s", tty ? "\r\033[K" : "", *done, total,
                    err, el, eta, tty ? "" : "\n");
        }
        for (int i = 0; i < n; i++) clip_free(&rs[i]);
        /* A batch's freed buffers leave holes between the results kept for the report, and
         * where they fall differs run to run (address randomisation, thread timing). The next
         * batch reuses them, so their pages go back to the system only when more than
         * TRIM_ABOVE of them pile up: handing them back after every clip would make each clip
         * fault its buffers in again, several times the page faults and system time. */
        if (mallinfo2().fordblks > TRIM_ABOVE) malloc_trim(0);
        if (!rc && stop) snprintf(err, sizeof err, "%s", failed), rc = 1;
        if (rc) fprintf(stderr, "%slab: %s\n", tty ? "\n" : "", err);
    }
    if (tty) fputc('\n', stderr);
    return rc;
}

/* Writes a JSON object to dir/name through a temporary file. */
static int write_json(const char *dir, const char *name, const cJSON *root)
{
    char path[OUT_FOLDER_PATH_MAX + 64], tmp[OUT_FOLDER_PATH_MAX + 68];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return fprintf(stderr, "lab: %s: path too long\n", dir), -1;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    char *text = cJSON_Print(root);
    FILE *f = text ? fopen(tmp, "w") : NULL;
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f)) ok = 0;
    free(text);
    if (!ok || rename(tmp, path)) {
        remove(tmp);
        return fprintf(stderr, "lab: %s: cannot write\n", path), -1;
    }
    return 0;
}

static cJSON *with_summary(const char *about, cJSON *clips, cJSON *(*summarise)(const cJSON *))
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "about", about);
    cJSON_AddItemToObject(o, "summary", summarise(clips));
    cJSON_AddItemToObject(o, "clips", clips);
    return o;
}

/* The report's JSON files and run.json into o->dir, then the staging folder swapped in over
 * --out. The six summarised files take their clips from out (left NULL). 0, or 1 after a
 * message. */
static int write_report(const wl_session *s, const options *o, out_folder *folder, outputs *out, const double *t,
                        double t_load, double start, int done)
{
    double t1 = now();
    cJSON *run = cJSON_CreateObject(), *settings = cJSON_AddObjectToObject(run, "settings");
    cJSON *stages = cJSON_AddObjectToObject(run, "seconds");
    cJSON_AddStringToObject(run, "model", s->dir);
    cJSON_AddStringToObject(run, "model_kind", s->card.kind);
    cJSON_AddStringToObject(run, "model_summary", s->card.summary);
    cJSON_AddNumberToObject(run, "peak_rss_mb", peak_rss_mb());
    cJSON_AddNumberToObject(settings, "threads", wl_threads());
    cJSON_AddNumberToObject(settings, "beams", o->beams);
    cJSON_AddNumberToObject(settings, "max_new_tokens", o->max_new);
    cJSON_AddNumberToObject(settings, "max_length", s->cfg.max_length);
    cJSON_AddNumberToObject(settings, "length_penalty", s->cfg.length_penalty);
    cJSON_AddBoolToObject(settings, "token_timestamps", s->cfg.n_alignment_heads > 0);
    cJSON_AddNumberToObject(settings, "clips", done);
    cJSON_AddBoolToObject(settings, "all_clips", o->limit == 0);
    cJSON_AddItemToObject(stages, "load_model", wl_json_number(t_load, 3));
    for (int i = 0; i < T_COUNT; i++) cJSON_AddItemToObject(stages, STAGE_NAMES[i], wl_json_number(t[i], 3));
    cJSON *files[] = {
        with_summary("word error rate on normalised text (Whisper's English normaliser)", out->wer, lab_wer_summary),
        with_summary("token probabilities of the greedy transcript: per clip, at the verb, for the forced prefix",
                     out->confidence, lab_confidence_summary),
        with_summary("predicted start/end (timestamp tokens) against the speech span of the energy envelope; "
                     "DTW word times", out->timestamps, lab_timestamps_summary),
        with_summary("cross-attention monotonicity over the speech's encoder positions", out->monotonicity,
                     lab_monotonicity_summary),
        with_summary("grammar-error clips: the spoken and the grammatical verb, teacher-forced", out->grammar,
                     lab_grammar_summary),
        with_summary("greedy against beam search", out->beams, lab_greedy_vs_beam_summary),
    };
    out->wer = out->confidence = out->timestamps = out->monotonicity = out->grammar = out->beams = NULL;
    const char *names[] = {"wer.json", "confidence.json", "timestamps.json", "monotonicity.json", "grammar.json",
                           "greedy_vs_beam.json"};
    cJSON_AddItemToObject(stages, "write", wl_json_number(now() - t1, 3));
    cJSON_AddItemToObject(stages, "total", wl_json_number(now() - start, 3));
    int rc = write_json(o->dir, "transcriptions.json", out->transcriptions) || write_json(o->dir, "tokens.json", out->tokens);
    for (int i = 0; i < 6; i++) {
        if (!rc) rc = write_json(o->dir, names[i], files[i]);
        cJSON_Delete(files[i]);
    }
    if (!rc) rc = write_json(o->dir, "run.json", run);
    cJSON_Delete(run);
    if (!rc) rc = out_finish(o, folder, 1) ? 1 : 0;
    if (!rc) fprintf(stderr, "lab: %d clips in %.1f s -> %s\n", done, now() - start, o->out);
    else out_finish(o, folder, 0);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    wl_tune_malloc();
    options o;
    int parsed = parse(argc, argv, &o);
    if (parsed) return parsed > 0 ? 0 : 2;
    out_folder folder;
    if (out_begin(&o, &folder)) return 2;
    char err[2048];
    double start = now(), t[T_COUNT] = {0};
    wl_session s;
    cJSON *spec = clip_list_read(o.clips, o.audio, err, sizeof err);
    if (!spec) return out_finish(&o, &folder, 0), fprintf(stderr, "lab: %s\n", err), 1;
    if (open_model(&s, &o)) return cJSON_Delete(spec), out_finish(&o, &folder, 0), 1;
    double t_load = now() - start;
    int total;
    queued *queue = clip_queue(spec, o.limit, &total);
    if (!queue) {
        wl_session_close(&s), cJSON_Delete(spec), out_finish(&o, &folder, 0);
        return fprintf(stderr, "lab: out of memory\n"), 1;
    }
    outputs out = {cJSON_CreateObject(), cJSON_CreateObject(), cJSON_CreateObject(), cJSON_CreateObject(),
                   cJSON_CreateObject(), cJSON_CreateObject(), cJSON_CreateObject(), cJSON_CreateObject()};
    int done = 0, rc = run_clips(&s, &o, queue, total, t, &out, &done);
    free(queue);
    if (!rc) rc = write_report(&s, &o, &folder, &out, t, t_load, start, done);
    else out_finish(&o, &folder, 0);
    cJSON *all[] = {out.transcriptions, out.tokens, out.wer, out.confidence, out.timestamps, out.monotonicity,
                    out.grammar, out.beams};
    for (int i = 0; i < 8; i++) cJSON_Delete(all[i]);
    wl_session_close(&s);
    cJSON_Delete(spec);
    return rc;
}
