#include "encode.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

float *t_encode(wl_state *s, const char *wav, size_t *n_samples, char *err, size_t errlen)
{
    wl_dims d = wl_model_dims(wl_state_model(s));
    float *samples = NULL, *mel = malloc((size_t)d.n_mels * d.n_frames * sizeof(float));
    float *enc = malloc((size_t)d.n_audio_ctx * d.d_model * sizeof(float));
    size_t n = 0;
    if (!mel || !enc || wl_audio_load(wav, (size_t)d.n_samples, &samples, &n, err, errlen) ||
        wl_mel(s, samples, n, mel, err, errlen) || wl_encode(s, mel, enc, err, errlen)) {
        free(samples), free(mel), free(enc);
        return NULL;
    }
    if (n_samples) *n_samples = n;
    free(samples), free(mel);
    return enc;
}

/* The entry's key as a line of text, and its file (named by the key's FNV-1a hash); 0 without
 * a cache. */
static int cache_key(const char *model_dir, const char *wav, int threads, size_t n, char *key, size_t key_len,
                     char *file, size_t file_len)
{
    const char *dir = getenv("WL_ENCODER_CACHE");
    char weights[1200];
    struct stat sw, sa;
    snprintf(weights, sizeof weights, "%s/model.safetensors", model_dir);
    if (!dir || !*dir || stat(weights, &sw) || stat(wav, &sa)) return 0;
    snprintf(key, key_len, "%s %lld %lld.%09ld | %s %lld %lld.%09ld | threads %d | %zu floats\n", model_dir,
             (long long)sw.st_size, (long long)sw.st_mtim.tv_sec, sw.st_mtim.tv_nsec, wav, (long long)sa.st_size,
             (long long)sa.st_mtim.tv_sec, sa.st_mtim.tv_nsec, threads, n);
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *p = key; *p; p++) h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    snprintf(file, file_len, "%s/%016" PRIx64 ".enc", dir, h);
    return 1;
}

void t_cache_put(const char *model_dir, const char *wav, int threads, const float *enc, size_t n)
{
    char key[2600], file[1200], tmp[1300];
    if (!cache_key(model_dir, wav, threads, n, key, sizeof key, file, sizeof file)) return;
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", file, (long)getpid());
    FILE *f = fopen(tmp, "wb"); /* written aside, then renamed: a reader sees a whole entry or none */
    int ok = f && fputs(key, f) >= 0 && fwrite(enc, sizeof *enc, n, f) == n;
    if (f && fclose(f)) ok = 0;
    if (!ok || rename(tmp, file)) remove(tmp);
}

float *t_cache_get(const char *model_dir, const char *wav, int threads, size_t n)
{
    char key[2600], file[1200], line[2700];
    if (!cache_key(model_dir, wav, threads, n, key, sizeof key, file, sizeof file)) return NULL;
    FILE *f = fopen(file, "rb");
    float *enc = f ? malloc(n * sizeof *enc) : NULL;
    int ok = enc && fgets(line, sizeof line, f) && !strcmp(line, key) && fread(enc, sizeof *enc, n, f) == n &&
             fgetc(f) == EOF;
    if (f) fclose(f);
    if (!ok) free(enc), enc = NULL;
    return enc;
}
