/* The runner of the bad-input catalogues (test_bad_inputs: audio files, --out paths and options;
 * test_bad_models: model folders, safetensors, configs and tokenizer files), each case run end to
 * end through the real whisperlab command ($WL_CLI). Every rejected input must give
 *   - a non-zero exit: 2 for a usage error (an option, --out onto an input), 1 for a bad file;
 *   - exactly one line on stderr, naming the offending file (or option) and the problem;
 *   - no output: no --out file and no temporary beside it, every input unchanged;
 *   - no crash, sanitizer report or hang (each run is under `timeout 20`).
 *
 * The inputs are made at run time under ROOT, which each program defines before including this
 * (its own folder, so the two run side by side), from data/audio/clip_01.wav and copies of
 * build/whisper-micro.en (and of the 30 s synthetic model, 150 MB, only for a program that
 * defines CATALOGUE_USES_30S_MODEL: its cases name it as %S); the originals are only read, and
 * are checked unchanged at the end. One row per case: name, how its input is built (in its own
 * folder), the command, the expected exit, and the expected message. In args, names and msg:
 *   %C the case's folder    %M the model copy    %S the 30 s model copy    %A the clip copy
 *   %O the --out path       %U a folder nobody can write (/proc as root)  %T the clip's text
 * Each program includes this once: its functions are static, its state is the program's. */
#ifndef T_BAD_CATALOGUE_H
#define T_BAD_CATALOGUE_H

#include "cli_run.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

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

/* ---- builders both catalogues use ------------------------------------------------------ */

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
    static t_cli_result r;
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

/* ---- setup: the copies, the clip, and a check that the originals were never touched ---- */

static uint64_t originals;

static uint64_t originals_fingerprint(void)
{
    return fingerprint("data/audio/clip_01.wav", 1, fingerprint("build/whisper-micro.en", 1, 0xcbf29ce484222325ull));
}

#ifdef CATALOGUE_USES_30S_MODEL
#define COPY_30S_MODEL " && cp -r build/whisper-tiny.en-synthetic " SYNTH
#else
#define COPY_30S_MODEL ""
#endif

static int setup(void **state)
{
    (void)state;
    originals = originals_fingerprint();
    /* A read-only folder of a previous run must be made writable to be removed. */
    if (system("chmod -R u+w " ROOT " 2>/dev/null; rm -rf " ROOT " && mkdir -p " OUTDIR " " ROOT "/hfcache && "
               "cp -r build/whisper-micro.en " MODEL COPY_30S_MODEL " && cp data/audio/clip_01.wav " CLIP))
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
    static t_cli_result r;
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

/* A program's catalogue, in parts (one table each). */
typedef struct {
    const bad_case *t;
    size_t n;
} catalogue_part;

/* The catalogue promises at least 60 rejected inputs; case names are folder names, so unique. */
static void expect_catalogue(const catalogue_part *all, size_t parts)
{
    size_t rejected = 0, accepted = 0;
    const bad_case *seen[512];
    size_t n_seen = 0;
    for (size_t k = 0; k < parts; k++)
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

#endif
