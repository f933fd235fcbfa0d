/* A catalogue of bad inputs, run end to end through the real whisperlab command ($WL_CLI):
 * broken, hostile or unusual audio files, model folders, safetensors headers, configs, tokenizer
 * files, output paths and options. Every rejected input must give
 *   - a non-zero exit: 2 for a usage error (an option, --out onto an input), 1 for a bad file;
 *   - exactly one line on stderr, naming the offending file (or option) and the problem;
 *   - no output: no --out file and no temporary beside it, every input unchanged;
 *   - no crash, sanitizer report or hang (each run is under `timeout 20`).
 * Valid but unusual audio (24/32-bit, float, FLAC, 6 channels, 96 kHz, exactly the window) must be
 * accepted and give the clean clip's text, so "accepted" never means "silently wrong"; 8-bit
 * audio, whose noise the small model hears, must give the text of exactly its decoded samples.
 *
 * The inputs are made at run time under build/tmp/bad/ from data/audio/clip_01.wav and copies of
 * build/whisper-micro.en (and of the 30 s synthetic model); the originals are only read, and are
 * checked unchanged at the end. One row per case: name, how its input is built (in its own
 * folder), the command, the expected exit, and the expected message. In args, names and msg:
 *   %C the case's folder    %M the model copy    %S the 30 s model copy    %A the clip copy
 *   %O the --out path       %U a folder nobody can write (/proc as root)  %T the clip's text */
#include "cli_run.h"

/* Rows name only the builder parameters they use; the rest are zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <sndfile.h>
#include <soxr.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#define ROOT "build/tmp/bad"
#define MODEL ROOT "/model"
#define SYNTH ROOT "/synth30"
#define CLIP ROOT "/clip.wav"
#define OUTDIR ROOT "/out"
#define OUT OUTDIR "/x.st"

typedef struct bad_case bad_case;
typedef void (*builder)(const bad_case *c, const char *dir);
/* Edits a safetensors header (and its data, writable); returns how many zero bytes to append. */
typedef size_t (*header_edit)(cJSON *hdr, unsigned char *data, size_t data_size);

struct bad_case {
    const char *name;
    builder make;      /* builds the input in the case's folder; NULL: nothing to build */
    const char *args;  /* the command's arguments, as shell words */
    int exit;          /* the expected exit code; 0: the input is accepted */
    const char *names; /* rejected: the file or option the message must name */
    const char *msg;   /* rejected: the problem the message must state; accepted: text stdout must hold */
    /* what the builder uses */
    const char *file;          /* the file to make or edit (default a.wav) */
    const char *from, *to;     /* from -> to in a model file's text; from NULL: to is the whole file */
    int format, rate, channels;
    long frames;               /* audio frames (0: the clip's own length; < 0: none) */
    long poke_at;              /* > 0: set this frame of channel poke_ch to poke */
    int poke_ch;
    float poke;
    long keep;                 /* bytes kept of a copied file (< 0: that many dropped from its end) */
    int patch_off, patch_size; /* little-endian patch of a copied file */
    uint32_t patch_val;
    header_edit edit;          /* safetensors header edit */
    uint64_t hlen;             /* raw safetensors: header length field (0: the text's length) */
    size_t pad;                /* raw safetensors: zero bytes after the text */
    int same_text;             /* accepted: stdout's two "file: text" lines must agree */
};

/* ---- the clip and placeholders --------------------------------------------------------- */

static float *clip;      /* clip_01 as the engine reads it (int16 / 32768) */
static short *clip16;    /* and as stored */
static long clip_n;
static char clip_text[1024];
static char unwritable[64];

static void expand(const char *tmpl, const char *dir, char *out, size_t len)
{
    size_t n = 0;
    for (const char *p = tmpl; p && *p && n + 1 < len; p++) {
        const char *s = NULL;
        if (p[0] == '%' && p[1]) {
            switch (*++p) {
            case 'C': s = dir; break;
            case 'M': s = MODEL; break;
            case 'S': s = SYNTH; break;
            case 'A': s = CLIP; break;
            case 'O': s = OUT; break;
            case 'U': s = unwritable; break;
            case 'T': s = clip_text; break;
            default: s = "%"; break;
            }
        }
        if (s) n += (size_t)snprintf(out + n, len - n, "%s", s);
        else out[n++] = *p;
        if (n >= len) n = len - 1;
    }
    out[n] = 0;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0) fail_msg("setup command failed: %s", cmd);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

static void write_all(const char *path, const void *data, size_t len)
{
    remove(path); /* a link into the model copy is replaced, never written through */
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f)) fail_msg("cannot write %s", path);
}

static const char *file_of(const bad_case *c) { return c->file ? c->file : "a.wav"; }

/* ---- builders -------------------------------------------------------------------------- */

/* The clip at `rate` (resampled with libsoxr HQ for ordinary rates; for absurd rates, whose
 * files are refused before reading, the samples are just relabelled), padded with silence or cut
 * to c->frames, on every channel, written with libsndfile in c->format. */
static void audio(const bad_case *c, const char *dir)
{
    int rate = c->rate ? c->rate : 16000, ch = c->channels ? c->channels : 1;
    long n = clip_n;
    float *mono = clip;
    if (rate != 16000 && rate >= 8000 && rate <= 192000) {
        size_t cap = (size_t)((double)clip_n * rate / 16000) + 64, done = 0;
        mono = malloc(cap * sizeof *mono);
        soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
        assert_null(soxr_oneshot(16000, rate, 1, clip, (size_t)clip_n, NULL, mono, cap, &done, NULL, &q, NULL));
        n = (long)done;
    }
    long frames = c->frames > 0 ? c->frames : c->frames < 0 ? 0 : n; /* < 0: no frames at all */
    float *buf = calloc((size_t)frames * ch + 1, sizeof *buf);
    for (long i = 0; i < frames && i < n; i++)
        for (int k = 0; k < ch; k++) buf[i * ch + k] = mono[i];
    if (c->poke_at > 0) buf[c->poke_at * ch + c->poke_ch] = c->poke;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file_of(c));
    SF_INFO info = {.samplerate = rate, .channels = ch, .format = c->format ? c->format : SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) fail_msg("libsndfile cannot write %s: %s", path, sf_strerror(NULL));
    /* 16-bit PCM of the 16 kHz clip is written from the stored samples: bit-exact. */
    if ((info.format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_16 && mono == clip && ch == 1 && c->poke_at == 0) {
        short *s = calloc((size_t)frames + 1, sizeof *s);
        memcpy(s, clip16, (size_t)(frames < n ? frames : n) * sizeof *s);
        assert_int_equal(sf_writef_short(f, s, frames), frames);
        free(s);
    } else {
        assert_int_equal(sf_writef_float(f, buf, frames), frames);
    }
    sf_close(f);
    if (mono != clip) free(mono);
    free(buf);
}

/* audio(), plus ref.wav: float samples of what libsndfile decodes from it. A lossy format (8-bit
 * PCM) changes what the small model hears, so its text is compared with the text of exactly the
 * decoded samples rather than with the clean clip's. */
static void audio_with_ref(const bad_case *c, const char *dir)
{
    audio(c, dir);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file_of(c));
    SF_INFO in = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &in);
    assert_non_null(f);
    float *buf = malloc((size_t)in.frames * in.channels * sizeof *buf);
    assert_int_equal(sf_readf_float(f, buf, in.frames), in.frames);
    sf_close(f);
    snprintf(path, sizeof path, "%s/ref.wav", dir);
    SF_INFO out = {.samplerate = in.samplerate, .channels = in.channels, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    f = sf_open(path, SFM_WRITE, &out);
    assert_non_null(f);
    assert_int_equal(sf_writef_float(f, buf, in.frames), in.frames);
    sf_close(f);
    free(buf);
}

/* A copy of the clip's bytes, cut to c->keep and patched. */
static void clip_bytes(const bad_case *c, const char *dir)
{
    size_t len;
    unsigned char *b = (unsigned char *)read_all(CLIP, &len);
    if (c->keep) len = c->keep > 0 ? (size_t)c->keep : len - (size_t)-c->keep;
    for (int i = 0; i < c->patch_size; i++) b[c->patch_off + i] = (unsigned char)(c->patch_val >> (8 * i));
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file_of(c));
    write_all(path, b, len);
    free(b);
}

static void text(const bad_case *c, const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file_of(c));
    write_all(path, c->to, strlen(c->to));
}

static void directory(const bad_case *c, const char *dir)
{
    sh("rm -f '%s/%s' && mkdir '%s/%s'", dir, file_of(c), dir, file_of(c));
}

static void fifo(const bad_case *c, const char *dir)
{
    sh("rm -f '%s/%s' && mkfifo '%s/%s'", dir, file_of(c), dir, file_of(c));
}

static void symlink_loop(const bad_case *c, const char *dir)
{
    sh("rm -f '%s/%s' && ln -s '%s' '%s/%s'", dir, file_of(c), file_of(c), dir, file_of(c));
}

/* dir := links to every file of the model copy (so the copy is never written through them). */
static void link_model(const char *dir)
{
    char cwd[2048], src[4096], dst[4096];
    DIR *d = opendir(MODEL);
    if (!getcwd(cwd, sizeof cwd) || !d) fail_msg("cannot list %s", MODEL);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue; /* as the shell's * */
        snprintf(src, sizeof src, "%s/" MODEL "/%s", cwd, e->d_name);
        snprintf(dst, sizeof dst, "%s/%s", dir, e->d_name);
        if (symlink(src, dst)) fail_msg("cannot link %s: %s", dst, strerror(errno));
    }
    closedir(d);
}

/* The model copy with c->file replaced: c->from -> c->to in its text, or c->to as the whole
 * file, or (both NULL) removed. */
static void model(const bad_case *c, const char *dir)
{
    link_model(dir);
    if (!c->file) return;
    char path[512], src[512];
    snprintf(path, sizeof path, "%s/%s", dir, c->file);
    snprintf(src, sizeof src, MODEL "/%s", c->file);
    if (!c->from && !c->to) {
        assert_int_equal(remove(path), 0);
        return;
    }
    if (!c->from) {
        write_all(path, c->to, strlen(c->to));
        return;
    }
    size_t len;
    char *t = read_all(src, &len), *at = strstr(t, c->from);
    if (!at) fail_msg("%s: the edit's text '%s' is not in %s", c->name, c->from, src);
    char *o = malloc(len + strlen(c->to) + 1);
    size_t k = (size_t)(at - t);
    memcpy(o, t, k);
    strcpy(o + k, c->to);
    strcat(o + k, at + strlen(c->from));
    write_all(path, o, strlen(o));
    free(t), free(o);
}

/* The model copy whose generation_config.json suppresses every id of the vocabulary (c->from set:
 * every id but end-of-text, which begin_suppress_tokens holds). */
static void suppress_everything(const bad_case *c, const char *dir)
{
    link_model(dir);
    size_t len;
    char *t = read_all(MODEL "/generation_config.json", &len), path[512];
    cJSON *g = cJSON_Parse(t), *all = cJSON_CreateArray();
    for (int id = 0; id < 51864; id++)
        if (!c->from || id != 50256) cJSON_AddItemToArray(all, cJSON_CreateNumber(id));
    cJSON_ReplaceItemInObject(g, "suppress_tokens", all);
    char *o = cJSON_Print(g);
    snprintf(path, sizeof path, "%s/generation_config.json", dir);
    write_all(path, o, strlen(o));
    free(t), free(o), cJSON_Delete(g);
}

/* The model copy whose merges.txt is binary: the clip's first 4 KiB (NUL bytes included). */
static void merges_binary(const bad_case *c, const char *dir)
{
    (void)c;
    link_model(dir);
    size_t len;
    char *t = read_all(CLIP, &len), path[512];
    snprintf(path, sizeof path, "%s/merges.txt", dir);
    write_all(path, t, len < 4096 ? len : 4096);
    free(t);
}

static void model_entry_dir(const bad_case *c, const char *dir) { link_model(dir), directory(c, dir); }
static void model_entry_loop(const bad_case *c, const char *dir) { link_model(dir), symlink_loop(c, dir); }
static void model_entry_fifo(const bad_case *c, const char *dir) { link_model(dir), fifo(c, dir); }

/* The model copy with model.safetensors cut (c->keep) or rewritten through c->edit. */
static void st_edit(const bad_case *c, const char *dir)
{
    link_model(dir);
    size_t len;
    unsigned char *b = (unsigned char *)read_all(MODEL "/model.safetensors", &len);
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (c->keep) {
        write_all(path, b, len + (size_t)c->keep);
        free(b);
        return;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | b[i];
    cJSON *hdr = cJSON_ParseWithLength((const char *)b + 8, (size_t)hlen);
    assert_non_null(hdr);
    size_t data_size = len - 8 - (size_t)hlen;
    size_t extra = c->edit(hdr, b + 8 + hlen, data_size);
    char *json = cJSON_PrintUnformatted(hdr);
    size_t jl = strlen(json);
    unsigned char *o = calloc(8 + jl + data_size + extra, 1);
    for (int i = 0; i < 8; i++) o[i] = (unsigned char)((uint64_t)jl >> (8 * i));
    memcpy(o + 8, json, jl);
    memcpy(o + 8 + jl, b + 8 + hlen, data_size);
    write_all(path, o, 8 + jl + data_size + extra);
    cJSON_Delete(hdr);
    free(json), free(o), free(b);
}

/* The model copy with model.safetensors := a length field, c->to, and c->pad zero bytes. */
static void st_raw(const bad_case *c, const char *dir)
{
    link_model(dir);
    size_t tl = strlen(c->to), len = 8 + tl + c->pad;
    uint64_t hlen = c->hlen ? c->hlen : tl;
    unsigned char *o = calloc(len, 1);
    for (int i = 0; i < 8; i++) o[i] = (unsigned char)(hlen >> (8 * i));
    memcpy(o + 8, c->to, tl);
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    write_all(path, o, len);
    free(o);
}

/* Destinations for --out: a regular file, a FIFO, a folder, links to the clip copy, and a
 * folder without write permission. */
static void out_targets(const bad_case *c, const char *dir)
{
    (void)c;
    sh("cd '%s' && echo x > afile && mkfifo fifo && mkdir adir ro && ln -s \"$OLDPWD\"/" CLIP " clip-link.wav && "
       "ln \"$OLDPWD\"/" CLIP " clip-hardlink.wav && chmod 555 ro", dir);
}

/* ---- safetensors header edits ---------------------------------------------------------- */

#define B1 "model.encoder.conv1.bias" /* 128 F16 values, 256 bytes */
#define B2 "model.encoder.conv2.bias"
#define FC1 "model.encoder.layers.0.fc1.weight" /* [512, 128] */

static cJSON *entry(cJSON *hdr, const char *name)
{
    cJSON *e = cJSON_GetObjectItemCaseSensitive(hdr, name);
    if (!e) fail_msg("the model has no tensor %s", name);
    return e;
}

static void set(cJSON *hdr, const char *name, const char *key, const char *json)
{
    cJSON *v = cJSON_Parse(json);
    assert_non_null(v);
    assert_true(cJSON_ReplaceItemInObjectCaseSensitive(entry(hdr, name), key, v));
}

static void set_offsets(cJSON *hdr, const char *name, double b, double e)
{
    char json[96];
    snprintf(json, sizeof json, "[%.17g, %.17g]", b, e);
    set(hdr, name, "data_offsets", json);
}

static double begin_of(cJSON *hdr, const char *name)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(entry(hdr, name), "data_offsets"), 0)->valuedouble;
}

static size_t overlap(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set_offsets(h, B2, begin_of(h, B1) + 128, begin_of(h, B1) + 384); /* half of B1 */
    return 0;
}
static size_t out_of_bounds(cJSON *h, unsigned char *d, size_t n)
{
    (void)d;
    set_offsets(h, B1, (double)n - 128, (double)n + 128);
    return 0;
}
static size_t reversed(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set_offsets(h, B1, begin_of(h, B1) + 256, begin_of(h, B1));
    return 0;
}
static size_t fraction_offsets(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set_offsets(h, B1, begin_of(h, B1) + 0.5, begin_of(h, B1) + 256.5);
    return 0;
}
static size_t string_offsets(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set(h, B1, "data_offsets", "[\"0\", \"256\"]");
    return 0;
}
static size_t unknown_dtype(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set(h, B1, "dtype", "\"F17\"");
    return 0;
}
static size_t int_dtype(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set(h, B1, "dtype", "\"I16\""); /* same size as F16: only the layout check can see it */
    return 0;
}
static size_t transposed(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set(h, FC1, "shape", "[128, 512]"); /* same bytes, wrong shape */
    return 0;
}
/* Only the last dimension is wrong, and the bytes match it (appended): only the layout sees it. */
static size_t last_dim(cJSON *h, unsigned char *d, size_t n)
{
    (void)d;
    set(h, FC1, "shape", "[512, 129]");
    set_offsets(h, FC1, (double)n, (double)(n + 512 * 129 * 2));
    return 512 * 129 * 2;
}
static size_t short_shape(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set(h, B1, "shape", "[127]");
    return 0;
}
static size_t negative_dim(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set(h, B1, "shape", "[-128]");
    return 0;
}
static size_t missing_tensor(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    cJSON_DeleteItemFromObjectCaseSensitive(h, "model.decoder.layer_norm.bias");
    return 0;
}
static size_t extra_tensor(cJSON *h, unsigned char *d, size_t n)
{
    (void)d;
    char json[160];
    snprintf(json, sizeof json, "{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[%zu,%zu]}", n, n + 4);
    cJSON_AddItemToObject(h, "model.encoder.extra.weight", cJSON_Parse(json));
    return 4;
}
/* JSON allows a repeated key; the second B1 points at its own (appended) bytes, so only the
 * repetition is wrong. */
static size_t duplicate(cJSON *h, unsigned char *d, size_t n)
{
    (void)d;
    char json[160];
    snprintf(json, sizeof json, "{\"dtype\":\"F16\",\"shape\":[128],\"data_offsets\":[%zu,%zu]}", n, n + 256);
    cJSON_AddItemToObject(h, B1, cJSON_Parse(json));
    return 256;
}
static size_t not_an_object(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    cJSON_AddItemToObject(h, "model.encoder.junk", cJSON_CreateNumber(3));
    return 0;
}
static size_t nan_weight(cJSON *h, unsigned char *d, size_t n)
{
    (void)n;
    size_t at = (size_t)begin_of(h, FC1) + 2 * 65535; /* the last element := F16 NaN 0x7E00 */
    d[at] = 0x00, d[at + 1] = 0x7E;
    return 0;
}
static size_t inf_weight(cJSON *h, unsigned char *d, size_t n)
{
    (void)n;
    size_t at = (size_t)begin_of(h, B1) + 2 * 3; /* element 3 := F16 -Inf 0xFC00 */
    d[at] = 0x00, d[at + 1] = 0xFC;
    return 0;
}

/* ---- the catalogue --------------------------------------------------------------------- */

#define DUMP "dump --audio %C/a.wav --out %O --model %M"
#define INFO "info --model %C"
#define RUN "transcribe --model %C %A"
#define OK_RUN "transcribe --model %M %C/a.wav"
#define OK_RUN_FLAC "transcribe --model %M %C/a.flac"
#define PCM16 (SF_FORMAT_WAV | SF_FORMAT_PCM_16)
#define FLOAT (SF_FORMAT_WAV | SF_FORMAT_FLOAT)

static const bad_case AUDIO[] = {
    {"audio_empty_file", text, DUMP, 1, "%C/a.wav", "empty file (0 bytes)", .to = ""},
    {"audio_text_named_wav", text, DUMP, 1, "%C/a.wav", "Format not recognised", .to = "hello, not audio\n"},
    {"audio_header_cut_at_20", clip_bytes, DUMP, 1, "%C/a.wav", "chunk 'fmt ' at byte 12 claims 16 bytes, but 0 remain", .keep = 20},
    {"audio_header_only", clip_bytes, DUMP, 1, "%C/a.wav", "truncated audio file", .keep = 44},
    {"audio_data_cut", clip_bytes, DUMP, 1, "%C/a.wav", "truncated audio file", .keep = 1000},
    /* a chunk longer than the file: libsndfile 1.2.0 spins on such a LIST chunk (the audio fuzzer's
     * timeout, kept in tests/fuzz/regressions/audio/) */
    {"audio_chunk_overruns_file", clip_bytes, DUMP, 1, "%C/a.wav", "chunk 'fmt ' at byte 12 claims 4294967295 bytes",
     .patch_off = 16, .patch_size = 4, .patch_val = 0xFFFFFFFF},
    {"audio_data_size_2g", clip_bytes, DUMP, 1, "%C/a.wav", "truncated audio file", .patch_off = 40,
     .patch_size = 4, .patch_val = 0x7FFFFFFF},
    {"audio_rate_0", clip_bytes, DUMP, 1, "%C/a.wav", "a.wav: 0 Hz, 1 channel", .patch_off = 24, .patch_size = 4, .patch_val = 0},
    {"audio_rate_1", audio, DUMP, 1, "%C/a.wav", "1 Hz, 1 channel", .rate = 1, .frames = 2},
    {"audio_rate_999", audio, DUMP, 1, "%C/a.wav", "999 Hz", .rate = 999},
    {"audio_rate_384001", audio, DUMP, 1, "%C/a.wav", "384001 Hz", .rate = 384001},
    {"audio_channels_0", clip_bytes, DUMP, 1, "%C/a.wav", "16000 Hz, 0 channels", .patch_off = 22, .patch_size = 2},
    {"audio_channels_65", audio, DUMP, 1, "%C/a.wav", "65 channels", .channels = 65, .frames = 100},
    {"audio_bits_0", clip_bytes, DUMP, 1, "%C/a.wav", "unimplemented format", .patch_off = 34, .patch_size = 2},
    {"audio_no_samples", audio, DUMP, 1, "%C/a.wav", "empty audio (no samples)", .frames = -1},
    {"audio_nan_sample", audio, DUMP, 1, "%C/a.wav", "sample 100 (channel 0) is NaN", .format = FLOAT,
     .poke_at = 100, .poke = NAN},
    {"audio_inf_sample", audio, DUMP, 1, "%C/a.wav", "sample 5000 (channel 1) is infinite", .format = FLOAT,
     .channels = 2, .poke_at = 5000, .poke_ch = 1, .poke = -INFINITY},
    {"audio_huge_sample", audio, DUMP, 1, "%C/a.wav", "sample 100 (channel 0) is 1e+30; whisperlab reads samples "
     "within +-65536", .format = FLOAT, .poke_at = 100, .poke = 1e30f},
    {"audio_sample_past_bound", audio, DUMP, 1, "%C/a.wav", "sample 2000 (channel 0) is -65537;", .format = FLOAT,
     .poke_at = 2000, .poke = -65537.0f},
    {"audio_huge_sample_channel_1", audio, DUMP, 1, "%C/a.wav", "sample 7000 (channel 1) is 1e+30;", .format = FLOAT,
     .channels = 2, .poke_at = 7000, .poke_ch = 1, .poke = 1e30f},
    {"audio_window_plus_1", audio, DUMP, 1, "%C/a.wav",
     "48001 samples at 16000 Hz (3.0000625 s) exceed the model's window of 48000 samples at 16 kHz (3 s)", .frames = 48001},
    {"audio_window_plus_1_44k", audio, DUMP, 1, "%C/a.wav", "132301 samples at 44100 Hz (3.00002268 s) exceed",
     .rate = 44100, .frames = 132301},
    {"audio_30s_window_plus_1", audio, "dump --audio %C/a.wav --out %O --model %S", 1, "%C/a.wav",
     "480001 samples at 16000 Hz (30.0000625 s) exceed the model's window of 480000 samples at 16 kHz (30 s)",
     .frames = 480001},
    {"audio_missing", NULL, DUMP, 1, "%C/a.wav", "cannot open: No such file or directory"},
    {"audio_directory", directory, DUMP, 1, "%C/a.wav", "not a regular file"},
    {"audio_fifo", fifo, DUMP, 1, "%C/a.wav", "not a regular file"},
    {"audio_dev_zero", NULL, "dump --audio /dev/zero --out %O --model %M", 1, "/dev/zero", "not a regular file"},
    {"audio_symlink_loop", symlink_loop, DUMP, 1, "%C/a.wav", "Too many levels of symbolic links"},
    {"audio_newline_in_name", NULL, "dump --audio '%C/a\nb.wav' --out %O --model %M", 1, "%C/a\\nb.wav", "cannot open"},
    {"audio_bad_among_good", text, "transcribe --model %M %A %C/a.wav", 1, "%C/a.wav", "Format not recognised",
     .to = "RIFF"},
    {"audio_inspect_text", text, "inspect --model %M %C/a.wav", 1, "%C/a.wav", "Format not recognised",
     .to = "not audio"},
};

/* Unusual but valid: decoded to the clip's own text. */
static const bad_case ACCEPTED[] = {
    {"ok_pcm_u8", audio_with_ref, "transcribe --model %M %C/a.wav %C/ref.wav", 0, NULL, "a.wav: ",
     .format = SF_FORMAT_WAV | SF_FORMAT_PCM_U8, .same_text = 1},
    {"ok_pcm_24", audio, OK_RUN, 0, NULL, "%T", .format = SF_FORMAT_WAV | SF_FORMAT_PCM_24},
    {"ok_pcm_32", audio, OK_RUN, 0, NULL, "%T", .format = SF_FORMAT_WAV | SF_FORMAT_PCM_32},
    {"ok_float", audio, OK_RUN, 0, NULL, "%T", .format = FLOAT},
    {"ok_double", audio, OK_RUN, 0, NULL, "%T", .format = SF_FORMAT_WAV | SF_FORMAT_DOUBLE},
    {"ok_flac", audio, OK_RUN_FLAC, 0, NULL, "%T", .file = "a.flac", .format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
    {"ok_6_channels", audio, OK_RUN, 0, NULL, "%T", .channels = 6},
    {"ok_96k", audio, OK_RUN, 0, NULL, "%T", .rate = 96000},
    {"ok_44k1", audio, OK_RUN, 0, NULL, "%T", .rate = 44100},
    {"ok_exactly_3s", audio, OK_RUN, 0, NULL, "%T", .frames = 48000},
    {"ok_exactly_3s_44k", audio, OK_RUN, 0, NULL, "%T", .rate = 44100, .frames = 132300},
    {"ok_exactly_30s_model", audio, "transcribe --max-new-tokens 2 --json --model %S %C/a.wav", 0, NULL,
     "\"tokens\":", .frames = 480000},
};

#define LINKED(f) .file = f /* the model copy, with f edited */
static const bad_case MODELS[] = {
    {"model_folder_missing", NULL, "info --model %C/nothere", 1, "%C/nothere", "no such model folder"},
    {"model_is_a_file", NULL, "info --model %M/config.json", 1, "%M/config.json", "not a folder"},
    {"model_folder_loop", symlink_loop, "info --model %C/loop", 1, "%C/loop", "Too many levels of symbolic links",
     .file = "loop"},
    {"model_file_loop", model_entry_loop, INFO, 1, "%C/model.safetensors", "Too many levels of symbolic links",
     .file = "model.safetensors"},
    {"repo_id_climbs", NULL, "info --model '../../etc/x'", 1, "../../etc/x", "not a hub repo id"},
    {"repo_id_shell", NULL, "info --model 'o/m;rm -rf x'", 1, "o/m;rm -rf x", "not a hub repo id"},
    {"repo_id_newline", NULL, "info --model 'o/m\nx'", 1, "o/m\\nx", "not a hub repo id"},
    {"repo_id_escape", NULL, "info --model \"$(printf 'o/\\033[2J')\"", 1, "o/\\x1b[2J", "not a hub repo id"},
    {"repo_id_not_cached", NULL, "info --model openai/whisper-nope", 1, "openai/whisper-nope", "HF cache"},
    {"config_missing", model, INFO, 1, "%C", "lacks config.json", LINKED("config.json")},
    {"config_malformed", model, INFO, 1, "%C/config.json", "not a valid JSON object", LINKED("config.json"),
     .to = "{\"d_model\": "},
    {"config_array", model, INFO, 1, "%C/config.json", "not a valid JSON object", LINKED("config.json"), .to = "[]"},
    {"config_empty", model, INFO, 1, "%C/config.json", "not a valid JSON object", LINKED("config.json"), .to = ""},
    {"config_directory", model_entry_dir, INFO, 1, "%C/config.json", "not a regular file", .file = "config.json"},
    {"config_fifo", model_entry_fifo, INFO, 1, "%C/config.json", "not a regular file", .file = "config.json"},
    {"config_d_model_0", model, INFO, 1, "%C/config.json", "\"d_model\" = 0 is out of range [1, 65536]",
     LINKED("config.json"), .from = "\"d_model\": 128", .to = "\"d_model\": 0"},
    {"config_d_model_negative", model, INFO, 1, "%C/config.json", "\"d_model\" = -128 is out of range",
     LINKED("config.json"), .from = "\"d_model\": 128", .to = "\"d_model\": -128"},
    {"config_d_model_1e10", model, INFO, 1, "%C/config.json", "\"d_model\" = 10000000000 is out of range",
     LINKED("config.json"), .from = "\"d_model\": 128", .to = "\"d_model\": 1e10"},
    {"config_d_model_2e40", model, INFO, 1, "%C/config.json", "\"d_model\" = 1099511627776 is out of range",
     LINKED("config.json"), .from = "\"d_model\": 128", .to = "\"d_model\": 1099511627776"},
    {"config_d_model_fraction", model, INFO, 1, "%C/config.json", "\"d_model\" = 128.5 is not an integer",
     LINKED("config.json"), .from = "\"d_model\": 128", .to = "\"d_model\": 128.5"},
    {"config_d_model_string", model, INFO, 1, "%C/config.json", "\"d_model\" missing or not an integer",
     LINKED("config.json"), .from = "\"d_model\": 128", .to = "\"d_model\": \"128\""},
    {"config_key_missing", model, INFO, 1, "%C/config.json", "\"vocab_size\" missing", LINKED("config.json"),
     .from = "\"vocab_size\": 51864", .to = "\"vocab\": 51864"},
    {"config_heads_not_dividing", model, INFO, 1, "%C/config.json", "d_model 128 is not divisible by the head count",
     LINKED("config.json"), .from = "\"encoder_attention_heads\": 4", .to = "\"encoder_attention_heads\": 3"},
    {"config_mels_vs_preprocessor", model, INFO, 1, "%C/preprocessor_config.json",
     "\"feature_size\" = 80, but config.json has num_mel_bins 128", LINKED("config.json"),
     .from = "\"num_mel_bins\": 80", .to = "\"num_mel_bins\": 128"},
    {"config_positions_vs_window", model, INFO, 1, "%C/preprocessor_config.json",
     "config.json has max_source_positions 1500", LINKED("config.json"), .from = "\"max_source_positions\": 150",
     .to = "\"max_source_positions\": 1500"},
    {"config_more_layers", model, INFO, 1, "%C/model.safetensors", "missing tensor 'model.encoder.layers.2.",
     LINKED("config.json"), .from = "\"encoder_layers\": 2", .to = "\"encoder_layers\": 3"},
    {"config_vocab_mismatch", model, INFO, 1, "%C/model.safetensors", "has shape (51864, 128), expected (51865, 128)",
     LINKED("config.json"), .from = "\"vocab_size\": 51864", .to = "\"vocab_size\": 51865"},
    {"config_median_filter_even", model, RUN, 1, "%C/config.json", "median_filter_width must be odd",
     LINKED("config.json"), .from = "\"median_filter_width\": 7", .to = "\"median_filter_width\": 6"},
    {"preproc_missing", model, INFO, 1, "%C", "lacks preprocessor_config.json", LINKED("preprocessor_config.json")},
    {"preproc_malformed", model, INFO, 1, "%C/preprocessor_config.json", "not a valid JSON object",
     LINKED("preprocessor_config.json"), .to = "{\"n_fft\": 400,"},
    {"preproc_feature_size", model, INFO, 1, "%C/preprocessor_config.json",
     "\"feature_size\" = 128, but config.json has num_mel_bins 80", LINKED("preprocessor_config.json"),
     .from = "\"feature_size\": 80", .to = "\"feature_size\": 128"},
    {"preproc_rate", model, INFO, 1, "%C/preprocessor_config.json", "\"sampling_rate\" = 22050, but whisperlab's front end",
     LINKED("preprocessor_config.json"), .from = "\"sampling_rate\": 16000", .to = "\"sampling_rate\": 22050"},
    {"preproc_n_samples", model, INFO, 1, "%C/preprocessor_config.json", "\"n_samples\" = 48001, but chunk_length",
     LINKED("preprocessor_config.json"), .from = "\"n_samples\": 48000", .to = "\"n_samples\": 48001"},
    {"preproc_frames", model, INFO, 1, "%C/preprocessor_config.json", "\"nb_max_frames\" = 3000, but n_samples",
     LINKED("preprocessor_config.json"), .from = "\"nb_max_frames\": 300", .to = "\"nb_max_frames\": 3000"},
    {"preproc_hop_0", model, INFO, 1, "%C/preprocessor_config.json", "\"hop_length\" = 0 is out of range",
     LINKED("preprocessor_config.json"), .from = "\"hop_length\": 160", .to = "\"hop_length\": 0"},
    {"card_malformed", model, INFO, 1, "%C/whisperlab.json", "not a valid JSON object", LINKED("whisperlab.json"),
     .to = "{\"kind\":"},
    {"card_kind_unknown", model, INFO, 1, "%C/whisperlab.json", "needs \"kind\"", LINKED("whisperlab.json"),
     .from = "trained-here", .to = "openai"},
};

#define ST(fn) .edit = fn
static const bad_case SAFETENSORS[] = {
    {"st_missing", model, INFO, 1, "%C", "lacks model.safetensors", LINKED("model.safetensors")},
    {"st_directory", model_entry_dir, INFO, 1, "%C/model.safetensors", "not a regular file", .file = "model.safetensors"},
    {"st_empty_file", model, INFO, 1, "%C/model.safetensors", "truncated safetensors file (0 bytes)",
     LINKED("model.safetensors"), .to = ""},
    {"st_header_longer_than_file", st_raw, INFO, 1, "%C/model.safetensors", "header length 99999 exceeds the file (120 bytes)",
     .hlen = 99999, .to = "{}", .pad = 110},
    {"st_header_length_2e62", st_raw, INFO, 1, "%C/model.safetensors", "header length 4611686018427387904 exceeds",
     .hlen = 1ull << 62, .to = "{}", .pad = 110},
    {"st_header_empty", st_raw, INFO, 1, "%C/model.safetensors", "header is not a JSON object", .to = "", .pad = 16},
    {"st_header_not_json", st_raw, INFO, 1, "%C/model.safetensors", "header is not a JSON object", .to = "{not json"},
    {"st_header_array", st_raw, INFO, 1, "%C/model.safetensors", "header is not a JSON object", .to = "[1, 2]"},
    {"st_truncated", st_edit, INFO, 1, "%C/model.safetensors", "out of bounds", .keep = -1000},
    {"st_overlap", st_edit, INFO, 1, "%C/model.safetensors", "overlap", ST(overlap)},
    {"st_out_of_bounds", st_edit, INFO, 1, "%C/model.safetensors", "out of bounds", ST(out_of_bounds)},
    {"st_reversed_offsets", st_edit, INFO, 1, "%C/model.safetensors", "ends before it begins", ST(reversed)},
    {"st_fractional_offsets", st_edit, INFO, 1, "%C/model.safetensors", "data_offsets must be two integers",
     ST(fraction_offsets)},
    {"st_string_offsets", st_edit, INFO, 1, "%C/model.safetensors", "data_offsets must be two integers",
     ST(string_offsets)},
    {"st_unknown_dtype", st_edit, INFO, 1, "%C/model.safetensors", "unknown dtype 'F17'", ST(unknown_dtype)},
    {"st_integer_dtype", st_edit, INFO, 1, "%C/model.safetensors", "has dtype I16, expected F32, F16 or BF16",
     ST(int_dtype)},
    {"st_wrong_shape", st_edit, INFO, 1, "%C/model.safetensors", "has shape (128, 512), expected (512, 128)",
     ST(transposed)},
    {"st_last_dim", st_edit, INFO, 1, "%C/model.safetensors", "has shape (512, 129), expected (512, 128)",
     ST(last_dim)},
    {"st_size_vs_shape", st_edit, INFO, 1, "%C/model.safetensors", "holds 256 bytes but its shape needs 254",
     ST(short_shape)},
    {"st_negative_dim", st_edit, INFO, 1, "%C/model.safetensors", "bad dimension", ST(negative_dim)},
    {"st_missing_tensor", st_edit, INFO, 1, "%C/model.safetensors", "missing tensor 'model.decoder.layer_norm.bias'",
     ST(missing_tensor)},
    {"st_extra_tensor", st_edit, INFO, 1, "%C/model.safetensors", "unknown tensor 'model.encoder.extra.weight'",
     ST(extra_tensor)},
    {"st_duplicate_name", st_edit, INFO, 1, "%C/model.safetensors", "'" B1 "' appears twice", ST(duplicate)},
    {"st_entry_not_object", st_edit, INFO, 1, "%C/model.safetensors", "entry 'model.encoder.junk' is not an object",
     ST(not_an_object)},
    {"st_nan_weight", st_edit, INFO, 1, "%C/model.safetensors", "'" FC1 "' element 65535 is NaN or infinite", ST(nan_weight)},
    {"st_inf_weight", st_edit, INFO, 1, "%C/model.safetensors", "'" B1 "' element 3 is NaN or infinite", ST(inf_weight)},
};

#define GEN LINKED("generation_config.json")
static const bad_case DECODING[] = {
    {"gen_missing", model, RUN, 1, "%C", "lacks generation_config.json", GEN},
    {"gen_malformed", model, RUN, 1, "%C/generation_config.json", "not a valid JSON object", GEN, .to = "{\"eos"},
    {"gen_eos_string", model, RUN, 1, "%C/generation_config.json", "\"eos_token_id\" must be an integer", GEN,
     .from = "\"eos_token_id\": 50256", .to = "\"eos_token_id\": \"50256\""},
    {"gen_eos_outside_vocab", model, RUN, 1, "%C/generation_config.json", "eos_token_id 9999999 is outside the "
     "vocabulary", GEN, .from = "\"eos_token_id\": 50256", .to = "\"eos_token_id\": 9999999"},
    {"gen_no_start", model, RUN, 1, "%C/generation_config.json", "needs decoder_start_token_id", GEN,
     .from = "\"decoder_start_token_id\": 50257,", .to = ""},
    {"gen_suppress_not_list", model, RUN, 1, "%C/generation_config.json", "\"suppress_tokens\" must be a list", GEN,
     .from = "\"suppress_tokens\": [", .to = "\"suppress_tokens\": 7, \"x\": ["},
    {"gen_heads_not_pairs", model, RUN, 1, "%C/generation_config.json", "\"alignment_heads\" must hold pairs", GEN,
     .from = "\"alignment_heads\": [", .to = "\"alignment_heads\": [[1], "},
    {"gen_head_outside_decoder", model, RUN, 1, "%C/generation_config.json", "alignment head (9, 0) is outside "
     "the decoder", GEN, .from = "\"alignment_heads\": [", .to = "\"alignment_heads\": [[9, 0], "},
    {"gen_forced_order", model, RUN, 1, "%C/generation_config.json", "forced_decoder_ids must list positions", GEN,
     .from = "\"forced_decoder_ids\": [", .to = "\"forced_decoder_ids\": [[2, 50362], "},
    {"gen_forced_outside_vocab", model, RUN, 1, "%C/generation_config.json", "token 60000 is outside the vocabulary",
     GEN, .from = "50362\n    ]", .to = "60000\n    ]"},
    {"gen_max_length_0", model, RUN, 1, "%C/generation_config.json", "\"max_length\" must be an integer in [1,", GEN,
     .from = "\"max_length\": 64", .to = "\"max_length\": 0"},
    {"gen_max_length_beyond_decoder", model, RUN, 1, "%C/generation_config.json", "max_length 65 exceeds the "
     "decoder's 64 positions", GEN, .from = "\"max_length\": 64", .to = "\"max_length\": 65"},
    {"gen_early_stopping_never", model, RUN, 1, "%C/generation_config.json", "early_stopping \"never\"", GEN,
     .from = "\"max_length\": 64", .to = "\"max_length\": 64, \"early_stopping\": \"never\""},
    {"gen_no_timestamps_outside_vocab", model, "transcribe --timestamps --model %C %A", 1,
     "%C/generation_config.json", "no_timestamps_token_id 9999999 is outside the vocabulary", GEN,
     .from = "\"no_timestamps_token_id\": 50362", .to = "\"no_timestamps_token_id\": 9999999"},
    {"gen_max_length_1", model, RUN, 1, "%C/generation_config.json", "max_length 1 leaves no room to generate after "
     "the 2-token prompt", GEN, .from = "\"max_length\": 64", .to = "\"max_length\": 1"},
    {"gen_max_length_prompt", model, RUN, 1, "%C/generation_config.json", "max_length 2 leaves no room", GEN,
     .from = "\"max_length\": 64", .to = "\"max_length\": 2"},
    {"gen_no_timestamps_last_id", model, RUN, 1, "%C/generation_config.json", "no_timestamps_token_id 51863 is the "
     "vocabulary's last id (config.json: vocab_size 51864), leaving no timestamp tokens", GEN,
     .from = "\"no_timestamps_token_id\": 50362", .to = "\"no_timestamps_token_id\": 51863"},
    {"gen_no_timestamps_not_the_token", model, RUN, 1, "%C/generation_config.json", "no_timestamps_token_id 50361 is "
     "not the tokenizer's <|notimestamps|> (id 50362)", GEN, .from = "\"no_timestamps_token_id\": 50362",
     .to = "\"no_timestamps_token_id\": 50361"},
    {"gen_length_penalty_string", model, RUN, 1, "%C/generation_config.json", "length_penalty must be a number", GEN,
     .from = "\"max_length\": 64", .to = "\"max_length\": 64, \"length_penalty\": \"abc\""},
    {"gen_multilingual_string", model, RUN, 1, "%C/generation_config.json", "is_multilingual must be true or false",
     GEN, .from = "\"is_multilingual\": false", .to = "\"is_multilingual\": \"no\""},
    {"gen_eos_float", model, RUN, 1, "%C/generation_config.json", "\"eos_token_id\" must be an integer, not a float",
     GEN, .from = "\"eos_token_id\": 50256", .to = "\"eos_token_id\": 50256.0"},
    {"gen_eos_fraction", model, RUN, 1, "%C/generation_config.json", "\"eos_token_id\" must be an integer", GEN,
     .from = "\"eos_token_id\": 50256", .to = "\"eos_token_id\": 50256.5"},
    {"gen_suppress_fraction", model, RUN, 1, "%C/generation_config.json", "\"suppress_tokens\" must hold a list of "
     "non-negative integers", GEN, .from = "\"suppress_tokens\": [", .to = "\"suppress_tokens\": [7.5, "},
    {"gen_duplicate_key_last_wins", model, RUN, 1, "%C/generation_config.json", "max_length 65 exceeds the "
     "decoder's 64 positions", GEN, .from = "\"max_length\": 64", .to = "\"max_length\": 64, \"max_length\": 65"},
    {"gen_trailing_text", model, RUN, 1, "%C/generation_config.json", "text after the JSON object at byte", GEN,
     .from = "\n}", .to = "\n}\n{}"},
    {"gen_suppress_eos", model, RUN, 1, "%C/generation_config.json", "suppress_tokens holds eos_token_id 50256: a "
     "search could never end", GEN, .from = "\"suppress_tokens\": [", .to = "\"suppress_tokens\": [50256, "},
    {"gen_suppress_everything", suppress_everything, RUN, 1, "%C/generation_config.json", "suppress_tokens holds "
     "every id of the vocabulary (config.json: vocab_size 51864): nothing can be generated"},
    {"gen_begin_suppress_rest", suppress_everything, RUN, 1, "%C/generation_config.json", "begin_suppress_tokens "
     "holds every id that suppress_tokens leaves: the first step has nothing to choose", .from = "but end-of-text"},
    {"gen_eos_not_the_tokenizer_s", model, RUN, 1, "%C/special_tokens_map.json", "eos_token is id 50256, but "
     "generation_config.json has eos_token_id 50362", GEN, .from = "\"eos_token_id\": 50256",
     .to = "\"eos_token_id\": 50362"},
    {"gen_start_not_sot", model, RUN, 1, "%C/generation_config.json", "decoder_start_token_id 50358 is not the "
     "tokenizer's <|startoftranscript|> (id 50257)", GEN, .from = "\"decoder_start_token_id\": 50257",
     .to = "\"decoder_start_token_id\": 50358"},
    {"gen_prompt_not_special", model, RUN, 1, "%C/special_tokens_map.json", "prompt token 220 of "
     "generation_config.json (decoder_start_token_id, forced_decoder_ids) is not a special token", GEN,
     .from = "50362\n    ]", .to = "220\n    ]"},
    {"config_d_model_float", model, INFO, 1, "%C/config.json", "\"d_model\" = 128 is written as a float",
     LINKED("config.json"), .from = "\"d_model\": 128", .to = "\"d_model\": 128.0"},
    {"vocab_missing", model, RUN, 1, "%C", "lacks vocab.json", LINKED("vocab.json")},
    {"vocab_malformed", model, RUN, 1, "%C/vocab.json", "not a valid JSON object", LINKED("vocab.json"),
     .to = "{\"!\": 0,"},
    {"vocab_id_string", model, RUN, 1, "%C/vocab.json", "entry \"!\" is not a byte-level BPE token with an id",
     LINKED("vocab.json"), .from = "\"!\": 0", .to = "\"!\": \"zero\""},
    {"vocab_empty", model, RUN, 1, "%C/vocab.json", "holds no tokens", LINKED("vocab.json"),
     .to = "{}"},
    {"vocab_entry_missing", model, RUN, 1, "%C/vocab.json", "id 1 of the model's 51864 has no token",
     LINKED("vocab.json"), .from = "\"\\\"\": 1, ", .to = ""},
    {"merges_missing", model, RUN, 1, "%C", "lacks merges.txt", LINKED("merges.txt")},
    {"merges_one_field", model, RUN, 1, "%C/merges.txt", "line 3 is not a merge", LINKED("merges.txt"),
     .from = "\n\xC4\xA0 a\n", .to = "\n\xC4\xA0" "a\n"},
    {"merges_three_fields", model, RUN, 1, "%C/merges.txt", "line 2 is not a merge", LINKED("merges.txt"),
     .from = "\n\xC4\xA0 t\n", .to = "\n\xC4\xA0 t x\n"},
    {"added_malformed", model, RUN, 1, "%C/added_tokens.json", "not a valid JSON object", LINKED("added_tokens.json"),
     .to = "{"},
    {"added_id_string", model, RUN, 1, "%C/added_tokens.json", "\"<|0.00|>\" has no valid id",
     LINKED("added_tokens.json"), .from = "\"<|0.00|>\": 50363", .to = "\"<|0.00|>\": \"x\""},
    {"vocab_id_float", model, RUN, 1, "%C/vocab.json", "entry \"!\" is not a byte-level BPE token with an id",
     LINKED("vocab.json"), .from = "\"!\": 0", .to = "\"!\": 0.0"},
    {"vocab_id_shared", model, RUN, 1, "%C/vocab.json", "id 1 is given to two tokens", LINKED("vocab.json"),
     .from = "\"!\": 0", .to = "\"!\": 1"},
    {"merges_empty", model, RUN, 1, "%C/merges.txt", "is empty", LINKED("merges.txt"), .to = ""},
    {"merges_no_header", model, RUN, 1, "%C/merges.txt", "does not begin with a \"#version\" line",
     LINKED("merges.txt"), .from = "#version: 0.2\n", .to = ""},
    {"merges_header_only", model, RUN, 1, "%C/merges.txt", "holds no merges", LINKED("merges.txt"),
     .to = "#version: 0.2\n"},
    {"merges_cut_mid_line", model, RUN, 1, "%C/merges.txt", "is cut short: its last line has no newline",
     LINKED("merges.txt"), .from = "\xC4\xA0g azed\n", .to = "\xC4\xA0g az"},
    {"merges_binary", merges_binary, RUN, 1, "%C/merges.txt", "holds a NUL byte"},
    {"added_endoftext_remapped", model, RUN, 1, "%C/added_tokens.json", "\"<|endoftext|>\" has id 50300, but "
     "vocab.json gives it id 50256", LINKED("added_tokens.json"), .from = "\"<|0.00|>\": 50363",
     .to = "\"<|endoftext|>\": 50300, \"<|0.00|>\": 50363"},
    {"added_id_of_a_vocab_token", model, RUN, 1, "%C/added_tokens.json", "\"<|x|>\" has id 100, which vocab.json "
     "gives to another token", LINKED("added_tokens.json"), .from = "\"<|0.00|>\": 50363",
     .to = "\"<|x|>\": 100, \"<|0.00|>\": 50363"},
    {"added_id_float", model, RUN, 1, "%C/added_tokens.json", "\"<|0.00|>\" has no valid id",
     LINKED("added_tokens.json"), .from = "\"<|0.00|>\": 50363", .to = "\"<|0.00|>\": 50363.0"},
    {"added_decoder_key_word", model, RUN, 1, "%C/tokenizer_config.json", "added_tokens_decoder key \"abc\" is not "
     "a token id", LINKED("tokenizer_config.json"), .from = "\"add_bos_token\": false",
     .to = "\"add_bos_token\": false, \"added_tokens_decoder\": {\"abc\": {\"content\": \"<|x|>\"}}"},
    {"added_decoder_no_content", model, RUN, 1, "%C/tokenizer_config.json", "added_tokens_decoder \"50363\" has no "
     "\"content\" text", LINKED("tokenizer_config.json"), .from = "\"add_bos_token\": false",
     .to = "\"add_bos_token\": false, \"added_tokens_decoder\": {\"50363\": {\"content\": 7}}"},
    {"added_two_texts_one_id", model, RUN, 1, "%C/added_tokens.json", "id 50363 is given to both",
     LINKED("tokenizer_config.json"), .from = "\"add_bos_token\": false",
     .to = "\"add_bos_token\": false, \"added_tokens_decoder\": {\"50363\": {\"content\": \"<|x|>\"}}"},
    {"special_lacks_notimestamps", model, RUN, 1, "%C/special_tokens_map.json", "its last special token is id 50361, "
     "not <|notimestamps|> (50362): the tokenizer's timestamps would start at 50362, generation_config.json's at "
     "50363", LINKED("special_tokens_map.json"), .from = ",\n    \"<|notimestamps|>\"", .to = ""},
    {"special_one_extra", model, RUN, 1, "%C/special_tokens_map.json", "its last special token is id 50363",
     LINKED("special_tokens_map.json"), .from = "\"<|notimestamps|>\"", .to = "\"<|notimestamps|>\", \"<|0.00|>\""},
    {"special_list_nested", model, RUN, 1, "%C/special_tokens_map.json", "\"additional_special_tokens\" holds an "
     "entry that is not a token text", LINKED("special_tokens_map.json"), .from = "\"<|startoftranscript|>\"",
     .to = "[\"<|startoftranscript|>\"]"},
    {"special_list_not_a_list", model, RUN, 1, "%C/special_tokens_map.json", "\"additional_special_tokens\" must "
     "be a list of token texts", LINKED("special_tokens_map.json"), .from = "\"additional_special_tokens\": [",
     .to = "\"additional_special_tokens\": \"<|startoftranscript|>\", \"x\": ["},
    {"special_unknown_token", model, RUN, 1, "%C/special_tokens_map.json", "special token \"<|nope|>\" is in "
     "neither vocab.json nor the added tokens", LINKED("special_tokens_map.json"),
     .from = "\"<|notimestamps|>\"", .to = "\"<|notimestamps|>\", \"<|nope|>\""},
    {"special_eos_object_bad", model, RUN, 1, "%C/special_tokens_map.json", "\"eos_token\" must be a token text",
     LINKED("special_tokens_map.json"), .from = "\"eos_token\": \"<|endoftext|>\"",
     .to = "\"eos_token\": [\"<|endoftext|>\"]"},
    {"added_tokens_link_loop", model_entry_loop, RUN, 1, "%C/added_tokens.json", "Too many levels of symbolic links",
     .file = "added_tokens.json"},
    {"tokenizer_config_dir", model_entry_dir, RUN, 1, "%C/tokenizer_config.json", "not a regular file",
     .file = "tokenizer_config.json"},
    {"special_map_malformed", model, RUN, 1, "%C/special_tokens_map.json", "not a valid JSON object",
     LINKED("special_tokens_map.json"), .to = "["},
    {"tokenizer_config_malformed", model, RUN, 1, "%C/tokenizer_config.json", "not a valid JSON object",
     LINKED("tokenizer_config.json"), .to = "{"},
};

#define OUT_ARGS(o) "dump --audio %A --model %M --out " o
static const bad_case OUTPUTS[] = {
    {"out_no_such_dir", out_targets, OUT_ARGS("%C/no/such/x.st"), 1, "%C/no/such/x.st", "cannot create"},
    {"out_under_a_file", out_targets, OUT_ARGS("%C/afile/x.st"), 1, "%C/afile/x.st", "Not a directory"},
    {"out_unwritable_dir", out_targets, OUT_ARGS("%U/x.st"), 1, "%U/x.st", "cannot create"},
    {"out_onto_input", out_targets, OUT_ARGS("%A"), 2, "%A", "is the input audio"},
    {"out_onto_input_symlink", out_targets, OUT_ARGS("%C/clip-link.wav"), 2, "%C/clip-link.wav", "is the input audio"},
    {"out_onto_input_hardlink", out_targets, OUT_ARGS("%C/clip-hardlink.wav"), 2, "%C/clip-hardlink.wav",
     "is the input audio"},
    {"out_onto_model", out_targets, OUT_ARGS("%M/model.safetensors"), 2, "%M/model.safetensors",
     "is the model's model.safetensors"},
    {"out_is_a_dir", out_targets, OUT_ARGS("%C/adir"), 2, "%C/adir", "not a regular file"},
    {"out_is_a_fifo", out_targets, OUT_ARGS("%C/fifo"), 2, "%C/fifo", "not a regular file"},
    {"out_empty", out_targets, OUT_ARGS("''"), 2, "--out", "empty"},
};

static const bad_case OPTIONS[] = {
    {"opt_unknown", NULL, "info --modle x", 2, "'--modle'", "unknown option"},
    {"opt_missing_value", NULL, "info --model", 2, "--model", "needs a value"},
    {"opt_given_twice", NULL, "info --model %M --threads 1 --threads 2", 2, "--threads", "given twice"},
    {"opt_transcribe_given_twice", NULL, "transcribe --model %M --beams 2 --beams 3 %A", 2, "--beams", "given twice"},
    {"opt_threads_negative", NULL, "info --model %M --threads -1", 2, "--threads '-1'", "expected an integer in 0..256"},
    {"opt_threads_word", NULL, "info --model %M --threads abc", 2, "--threads 'abc'", "expected an integer"},
    {"opt_threads_huge", NULL, "info --model %M --threads 100000", 2, "--threads '100000'", "expected an integer"},
    {"opt_threads_empty", NULL, "info --model %M --threads ''", 2, "--threads ''", "expected an integer"},
    {"opt_threads_fraction", NULL, "dump --audio %A --out %O --model %M --threads 1.5", 2, "--threads '1.5'",
     "expected an integer"},
    {"opt_beams_0", NULL, "transcribe --model %M --beams 0 %A", 2, "--beams '0'", "expected an integer in 1..64"},
    {"opt_beams_65", NULL, "transcribe --model %M --beams 65 %A", 2, "--beams '65'", "expected an integer in 1..64"},
    {"opt_max_new_negative", NULL, "transcribe --model %M --max-new-tokens -1 %A", 2, "--max-new-tokens '-1'",
     "expected an integer"},
    {"opt_max_new_overflow", NULL, "transcribe --model %M --max-new-tokens 99999999999999999999 %A", 2,
     "--max-new-tokens '99999999999999999999'", "expected an integer"},
    {"opt_transcribe_unknown", NULL, "transcribe --model %M --bems 5 %A", 2, "--bems", "unknown"},
    {"opt_transcribe_no_value", NULL, "transcribe %A --model", 2, "--model", "incomplete option"},
    {"opt_transcribe_no_file", NULL, "transcribe --model %M", 2, "transcribe", "no audio file given"},
    {"opt_inspect_two_files", NULL, "inspect --model %M %A %A", 2, "inspect", "exactly one audio file"},
    {"opt_tokens_empty", NULL, "dump --audio %A --out %O --model %M --tokens ''", 2, "--tokens", "no token ids"},
    {"opt_tokens_negative", NULL, "dump --audio %A --out %O --model %M --tokens 50257,-1", 2, "'-1'",
     "is not a token id"},
    {"opt_tokens_overflow", NULL, "dump --audio %A --out %O --model %M --tokens 4294967296", 2, "'4294967296'",
     "is not a token id"},
    {"opt_tokens_double_comma", NULL, "dump --audio %A --out %O --model %M --tokens 50257,,1", 2, "--tokens",
     "is not a token id"},
    {"opt_tokens_outside_vocab", NULL, "dump --audio %A --out %O --model %M --tokens 50257,51864", 2, "--tokens",
     "token 51864 is outside the model's vocabulary (51864 tokens)"},
    {"opt_stages_unknown", NULL, "dump --audio %A --out %O --model %M --stages mel,bogus", 2, "'bogus'",
     "is not a stage of this model"},
    {"opt_stages_layer_9", NULL, "dump --audio %A --out %O --model %M --stages enc.layer.9", 2, "'enc.layer.9'",
     "is not a stage of this model"},
    {"opt_stages_empty", NULL, "dump --audio %A --out %O --model %M --stages ''", 2, "--stages", "no stage names"},
    {"opt_dump_no_out", NULL, "dump --audio %A --model %M", 2, "--out", "dump needs --audio and --out"},
    {"opt_unknown_command", NULL, "transcibe %A", 2, "'transcibe'", "unknown command"},
};

#define N_OF(t) (sizeof t / sizeof t[0])

/* ---- running a case -------------------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static int no_dots(const struct dirent *e) { return strcmp(e->d_name, ".") && strcmp(e->d_name, ".."); }

/* A fingerprint of a file tree: names, types, link targets, and per regular file its bytes
 * (deep) or its size, inode and modification time (shallow). FIFOs are never opened. */
static uint64_t fingerprint(const char *path, int deep, uint64_t h)
{
    struct stat st;
    h = fnv(h, path, strlen(path) + 1);
    if (lstat(path, &st) != 0) return fnv(h, "missing", 7);
    h = fnv(h, &st.st_mode, sizeof st.st_mode);
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlink(path, target, sizeof target);
        return fnv(h, target, n > 0 ? (size_t)n : 0);
    }
    if (S_ISDIR(st.st_mode)) {
        struct dirent **list;
        int n = scandir(path, &list, no_dots, alphasort);
        for (int i = 0; i < n; i++) {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, list[i]->d_name);
            h = fingerprint(sub, deep, h);
            free(list[i]);
        }
        if (n >= 0) free(list);
        return h;
    }
    if (!S_ISREG(st.st_mode)) return h;
    if (!deep) {
        h = fnv(h, &st.st_size, sizeof st.st_size);
        h = fnv(h, &st.st_ino, sizeof st.st_ino);
        return fnv(h, &st.st_mtim, sizeof st.st_mtim);
    }
    FILE *f = fopen(path, "rb");
    static unsigned char buf[1 << 16];
    for (size_t n; f && (n = fread(buf, 1, sizeof buf, f)) > 0;) h = fnv(h, buf, n);
    if (f) fclose(f);
    return h;
}

static uint64_t inputs_fingerprint(const char *dir)
{
    uint64_t h = fingerprint(dir, 1, 0xcbf29ce484222325ull);
    h = fingerprint(MODEL, 0, h);
    h = fingerprint(CLIP, 0, h);
    return fingerprint(OUTDIR, 0, fingerprint(SYNTH, 0, h));
}

static int is_banner(const char *line)
{
    return !strncmp(line, "whisperlab: model ", 18) || strstr(line, "weights are SYNTHETIC");
}

/* Runs one case; prints its catalogue line, or FAIL lines. Returns 1 if it passed. */
static int run_case(const bad_case *c)
{
    char dir[256], args[4096], names[1024], msg[1024];
    snprintf(dir, sizeof dir, ROOT "/%s", c->name);
    if (mkdir(dir, 0777)) sh("rm -rf '%s' && mkdir -p '%s'", dir, dir); /* a fresh folder (setup emptied ROOT) */
    if (c->make) c->make(c, dir);
    expand(c->args, dir, args, sizeof args);
    expand(c->names, dir, names, sizeof names);
    expand(c->msg, dir, msg, sizeof msg);
    uint64_t before = inputs_fingerprint(dir);
    static wl_cli_result r;
    t_cli_run(args, &r);

    /* The error lines: stderr without the model banner of transcribe/inspect. */
    char first[1024] = "", *save = NULL;
    int n_err = 0;
    static char errs[sizeof r.err];
    memcpy(errs, r.err, sizeof errs);
    for (char *line = strtok_r(errs, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (!is_banner(line) && n_err++ == 0) snprintf(first, sizeof first, "%s", line);

    char why[2048] = "";
    size_t w = 0;
#define WHY(...) (w += (size_t)snprintf(why + w, w < sizeof why ? sizeof why - w : 0, __VA_ARGS__))
    if (strstr(r.err, "Sanitizer") || strstr(r.err, "runtime error:")) WHY(" sanitizer report;");
    if (r.code == 124) WHY(" timed out;");
    if (r.code != c->exit) WHY(" exit %d, want %d;", r.code, c->exit);
    if (c->exit == 0) {
        if (n_err) WHY(" stderr has an error: '%s';", first);
        if (!strstr(r.out, msg)) WHY(" stdout lacks '%s';", msg);
        const char *a = strstr(r.out, ": "), *b = a ? strstr(a + 2, ": ") : NULL;
        if (c->same_text && (!b || strcspn(a, "\n") != strcspn(b, "\n") || strncmp(a, b, strcspn(a, "\n"))))
            WHY(" the two files' texts differ;");
    } else {
        if (n_err != 1) WHY(" %d stderr lines, want one;", n_err);
        if (strncmp(first, "whisperlab", 10)) WHY(" the message is not whisperlab's;");
        if (!strstr(first, names)) WHY(" the message does not name '%s';", names);
        if (!strstr(first, msg)) WHY(" the message lacks '%s';", msg);
    }
    if (inputs_fingerprint(dir) != before) WHY(" an input changed or a file was written;");

    char shown[200];
    t_first_line(c->exit ? first : r.out, shown, sizeof shown);
    printf("  %-32s %-8s exit %d  %s\n", c->name, c->exit ? "rejected" : "accepted", r.code, shown);
    if (w) {
        printf("  FAIL %s:%s\n       command: %s\n       stderr: %s\n", c->name, why, args, r.err);
        return 0;
    }
    return 1;
}

static void run_table(const bad_case *t, size_t n)
{
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) failed += !run_case(&t[i]);
    if (failed) fail_msg("%zu of %zu cases failed", failed, n);
}

static void test_audio(void **state) { (void)state, run_table(AUDIO, N_OF(AUDIO)); }
static void test_accepted_audio(void **state) { (void)state, run_table(ACCEPTED, N_OF(ACCEPTED)); }
static void test_model_folders(void **state) { (void)state, run_table(MODELS, N_OF(MODELS)); }
static void test_safetensors(void **state) { (void)state, run_table(SAFETENSORS, N_OF(SAFETENSORS)); }
static void test_decoding_files(void **state) { (void)state, run_table(DECODING, N_OF(DECODING)); }
static void test_outputs(void **state) { (void)state, run_table(OUTPUTS, N_OF(OUTPUTS)); }
static void test_options(void **state) { (void)state, run_table(OPTIONS, N_OF(OPTIONS)); }

/* The catalogue promises at least 60 rejected inputs; case names are folder names, so unique. */
static void test_catalogue_size(void **state)
{
    (void)state;
    const struct { const bad_case *t; size_t n; } all[] = {
        {AUDIO, N_OF(AUDIO)}, {ACCEPTED, N_OF(ACCEPTED)}, {MODELS, N_OF(MODELS)}, {SAFETENSORS, N_OF(SAFETENSORS)},
        {DECODING, N_OF(DECODING)}, {OUTPUTS, N_OF(OUTPUTS)}, {OPTIONS, N_OF(OPTIONS)},
    };
    size_t rejected = 0, accepted = 0;
    const bad_case *seen[512];
    size_t n_seen = 0;
    for (size_t k = 0; k < N_OF(all); k++)
        for (size_t i = 0; i < all[k].n; i++) {
            const bad_case *c = &all[k].t[i];
            if (c->exit) rejected++;
            else accepted++;
            for (size_t j = 0; j < n_seen; j++)
                if (!strcmp(seen[j]->name, c->name)) fail_msg("case name %s appears twice", c->name);
            if (n_seen < N_OF(seen)) seen[n_seen++] = c;
        }
    printf("  catalogue: %zu rejected, %zu accepted\n", rejected, accepted);
    assert_true(rejected >= 60);
}

/* ---- setup: the copies, the clip, and a check that the originals were never touched ---- */

static uint64_t originals;

static uint64_t originals_fingerprint(void)
{
    return fingerprint("data/audio/clip_01.wav", 1, fingerprint("build/whisper-micro.en", 1, 0xcbf29ce484222325ull));
}

static int setup(void **state)
{
    (void)state;
    originals = originals_fingerprint();
    /* A read-only folder of a previous run must be made writable to be removed. */
    if (system("chmod -R u+w " ROOT " 2>/dev/null; rm -rf " ROOT " && mkdir -p " OUTDIR " " ROOT "/hfcache && "
               "cp -r build/whisper-micro.en " MODEL " && cp -r build/whisper-tiny.en-synthetic " SYNTH " && "
               "cp data/audio/clip_01.wav " CLIP))
        return -1;
    /* An empty HF cache: no repo id resolves to a real model of this machine. */
    setenv("HF_HUB_CACHE", ROOT "/hfcache", 1);
    /* As root, permissions stop no write: /proc is a folder nobody can create files in. */
    snprintf(unwritable, sizeof unwritable, "%s", geteuid() == 0 ? "/proc" : ROOT "/out_unwritable_dir/ro");

    SF_INFO info = {0};
    SNDFILE *f = sf_open(CLIP, SFM_READ, &info);
    if (!f || info.samplerate != 16000 || info.channels != 1) return -1;
    clip_n = (long)info.frames;
    clip = malloc((size_t)clip_n * sizeof *clip);
    clip16 = malloc((size_t)clip_n * sizeof *clip16);
    sf_readf_short(f, clip16, clip_n);
    for (long i = 0; i < clip_n; i++) clip[i] = clip16[i] / 32768.0f;
    sf_close(f);

    /* The clip's own text, which every accepted variant must reproduce. */
    static wl_cli_result r;
    if (t_cli_run("transcribe --model " MODEL " " CLIP, &r) != 0 || strlen(r.out) < 3) {
        fprintf(stderr, "the clean clip does not transcribe: exit %d\n%s", r.code, r.err);
        return -1;
    }
    t_first_line(r.out, clip_text, sizeof clip_text);
    printf("  the clean clip reads '%s'\n", clip_text);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(clip), free(clip16);
    if (originals_fingerprint() != originals) {
        fprintf(stderr, "build/whisper-micro.en or data/audio/clip_01.wav changed during the catalogue\n");
        return -1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue_size),
        cmocka_unit_test(test_audio),
        cmocka_unit_test(test_accepted_audio),
        cmocka_unit_test(test_model_folders),
        cmocka_unit_test(test_safetensors),
        cmocka_unit_test(test_decoding_files),
        cmocka_unit_test(test_outputs),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests_name("bad inputs through the whisperlab command", tests, setup, teardown);
}
