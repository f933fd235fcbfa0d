/* Shared by the libFuzzer targets in tests/fuzz/ (and make_seeds.c): the fuzz input as a file
 * (a memfd, for readers that take a path), a per-process scratch folder removed at exit, whole
 * file reads and writes, a UTF-8 check, and the small tokenizer folder the loader target edits.
 * Targets run from the repository root (make does); repo files are named relative to it. */
#ifndef T_FUZZ_H
#define T_FUZZ_H

#include <cjson/cJSON.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* An invariant the engine broke: abort (after removing the scratch folder), so libFuzzer saves the
 * input as a crash. */
#define FZ_CHECK(cond, ...)                                                                         \
    do {                                                                                            \
        if (!(cond)) {                                                                              \
            fprintf(stderr, "fuzz invariant failed (%s:%d): %s: ", __FILE__, __LINE__, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                                           \
            fputc('\n', stderr);                                                                    \
            fz_cleanup();                                                                           \
            abort();                                                                                \
        }                                                                                           \
    } while (0)

/* Setup that cannot go on (a missing repo file): a clear message, then exit. */
static inline void fz_die(const char *what, const char *path)
{
    fprintf(stderr, "fuzz setup: %s: %s (run from the repository root after make micro)\n", path, what);
    exit(2);
}

/* The input as a file: one memfd per process, rewritten for every input. */
static inline const char *fz_memfd(const uint8_t *data, size_t n)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        if ((fd = memfd_create("wl-fuzz-input", 0)) < 0) fz_die("memfd_create failed", "memfd");
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) || (n && pwrite(fd, data, n, 0) != (ssize_t)n)) fz_die("write failed", path);
    return path;
}

static char fz_scratch_dir[256];

static inline int fz_rm_entry(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return remove(p), 0;
}

static inline void fz_cleanup(void)
{
    if (fz_scratch_dir[0]) nftw(fz_scratch_dir, fz_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void __sanitizer_set_death_callback(void (*callback)(void));

/* The per-process scratch folder, ${TMPDIR:-/tmp}/wlfuzz.<pid>.XXXXXX, removed at exit (also when a
 * sanitizer reports an error). */
static inline const char *fz_scratch(void)
{
    if (!fz_scratch_dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fz_scratch_dir, sizeof fz_scratch_dir, "%s/wlfuzz.%d.XXXXXX", tmp && *tmp ? tmp : "/tmp",
                 (int)getpid());
        if (!mkdtemp(fz_scratch_dir)) fz_die("mkdtemp failed", fz_scratch_dir);
        atexit(fz_cleanup);
        __sanitizer_set_death_callback(fz_cleanup);
    }
    return fz_scratch_dir;
}

/* dir/name into out. */
static inline const char *fz_join(char *out, size_t outlen, const char *dir, const char *name)
{
    snprintf(out, outlen, "%s/%s", dir, name);
    return out;
}

static inline void fz_mkdir(const char *path)
{
    if (mkdir(path, 0700) && access(path, F_OK)) fz_die("mkdir failed", path);
}

static inline void fz_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f)) fz_die("cannot write", path);
}

/* A whole file, malloc'd and NUL-terminated; exits if it cannot be read. */
static inline char *fz_read(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) fz_die("cannot read", path);
    size_t cap = 1 << 16, len = 0, got;
    char *buf = malloc(cap + 1);
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0)
        if ((len += got) == cap) buf = realloc(buf, (cap *= 2) + 1);
    fclose(f);
    if (!buf) fz_die("out of memory", path);
    buf[len] = 0;
    if (n) *n = len;
    return buf;
}

static inline void fz_copy(const char *from, const char *to)
{
    size_t n;
    char *s = fz_read(from, &n);
    fz_write(to, s, n);
    free(s);
}

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static inline int fz_utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!len || i + len > n) return 0;
        if (len > 1) {
            unsigned lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80, hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
            if (s[i + 1] < lo || s[i + 1] > hi) return 0;
            for (size_t k = 2; k < len; k++)
                if ((s[i + k] & 0xC0) != 0x80) return 0;
        }
        i += len;
    }
    return 1;
}

/* The tokenizer files, in the order the loader target's first input byte picks them. */
static const char *const FZ_TOKENIZER_FILES[] = {"vocab.json", "merges.txt", "added_tokens.json",
                                                 "special_tokens_map.json", "tokenizer_config.json"};
#define FZ_N_TOKENIZER_FILES 5
#define FZ_SMALL_VOCAB 1000   /* vocab ids and merge lines kept in the small tokenizer folder */
#define FZ_SMALL_ADDED 50463  /* added tokens kept: the special ones and timestamps to <|2.00|> */

/* model_dir/name's entries with an id below max, written to out_dir/name. */
static inline void fz_json_ids_below(const char *model_dir, const char *out_dir, const char *name, double max,
                                     const char *keep)
{
    char from[1024], to[1024];
    char *text = fz_read(fz_join(from, sizeof from, model_dir, name), NULL);
    cJSON *all = cJSON_Parse(text), *small = cJSON_CreateObject(), *e;
    free(text);
    if (!cJSON_IsObject(all)) fz_die("not a JSON object", from);
    cJSON_ArrayForEach(e, all) if (e->valuedouble < max || (keep && !strcmp(e->string, keep)))
        cJSON_AddNumberToObject(small, e->string, e->valuedouble);
    text = cJSON_PrintUnformatted(small);
    fz_write(fz_join(to, sizeof to, out_dir, name), text, strlen(text));
    free(text), cJSON_Delete(all), cJSON_Delete(small);
}

/* A small copy of model_dir's tokenizer in out_dir (fast to load on every input): vocab.json
 * entries with id < FZ_SMALL_VOCAB and <|endoftext|>, the first FZ_SMALL_VOCAB merges, added tokens below
 * FZ_SMALL_ADDED, the other files whole. */
static inline void fz_small_tokenizer(const char *model_dir, const char *out_dir)
{
    char from[1024], to[1024];
    fz_mkdir(out_dir);
    /* <|endoftext|> is special (special_tokens_map.json): a special token must be a known one */
    fz_json_ids_below(model_dir, out_dir, "vocab.json", FZ_SMALL_VOCAB, "<|endoftext|>");
    fz_json_ids_below(model_dir, out_dir, "added_tokens.json", FZ_SMALL_ADDED, NULL);

    char *text = fz_read(fz_join(from, sizeof from, model_dir, "merges.txt"), NULL), *end = text;
    for (int line = 0; line <= FZ_SMALL_VOCAB && (end = strchr(end, '\n')); line++) end++;
    fz_write(fz_join(to, sizeof to, out_dir, "merges.txt"), text, end ? (size_t)(end - text) : strlen(text));
    free(text);
    for (int i = 3; i < FZ_N_TOKENIZER_FILES; i++)
        fz_copy(fz_join(from, sizeof from, model_dir, FZ_TOKENIZER_FILES[i]),
                fz_join(to, sizeof to, out_dir, FZ_TOKENIZER_FILES[i]));
}

#endif
