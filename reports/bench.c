/* make bench: wall time of the engine's stages per clip (mel, encoder, a 24-token
 * teacher-forced decode), median over the 24 lab clips. Figures, not a test.
 * Usage: bench --model DIR [--threads N] */
#include "../engine/whisperlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *dir = "build/whisper-tiny.en-synthetic";
    int threads = 0;
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--model") == 0) dir = argv[i + 1];
        if (strcmp(argv[i], "--threads") == 0) threads = atoi(argv[i + 1]);
    }
    char err[1024];
    wl_params p = wl_default_params();
    p.n_threads = threads;
    wl_model *m;
    if (wl_model_load(dir, p, &m, err, sizeof err)) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    wl_dims d = wl_model_dims(m);
    enum { CLIPS = 24, TOKENS = 24 };
    double t_mel[CLIPS], t_enc[CLIPS], t_dec[CLIPS];
    float *mel = malloc((size_t)d.n_mels * d.n_frames * sizeof(float));
    float *enc = malloc((size_t)d.n_audio_ctx * d.d_model * sizeof(float));
    float *logits = malloc((size_t)(TOKENS + 2) * d.n_vocab * sizeof(float));
    int32_t tokens[TOKENS + 2] = {50257, 50362};
    for (int i = 2; i < TOKENS + 2; i++) tokens[i] = 200 + 37 * i; /* any text tokens */
    for (int c = 0; c < CLIPS; c++) {
        char wav[64];
        snprintf(wav, sizeof wav, "data/audio/clip_%02d.wav", c + 1);
        float *s;
        size_t n;
        wl_decoder *dec;
        if (wl_audio_load(wav, (size_t)d.n_samples, &s, &n, err, sizeof err))
            return fprintf(stderr, "bench: %s\n", err), 1;
        double t0 = now();
        wl_mel(m, s, n, mel, err, sizeof err);
        double t1 = now();
        wl_encode(m, mel, enc, err, sizeof err);
        double t2 = now();
        wl_decoder_new(m, enc, &dec, err, sizeof err);
        wl_decoder_feed(dec, tokens, TOKENS + 2, logits, err, sizeof err);
        double t3 = now();
        t_mel[c] = t1 - t0, t_enc[c] = t2 - t1, t_dec[c] = t3 - t2;
        wl_decoder_free(dec);
        free(s);
    }
    qsort(t_mel, CLIPS, sizeof(double), cmp);
    qsort(t_enc, CLIPS, sizeof(double), cmp);
    qsort(t_dec, CLIPS, sizeof(double), cmp);
    printf("whisperlab bench: %s, %d OpenBLAS thread(s), %d clips (ms: median [min, max])\n", dir,
           wl_threads(), CLIPS);
    printf("  mel                         %8.1f  [%.1f, %.1f]\n", 1e3 * t_mel[CLIPS / 2], 1e3 * t_mel[0], 1e3 * t_mel[CLIPS - 1]);
    printf("  encoder                     %8.1f  [%.1f, %.1f]\n", 1e3 * t_enc[CLIPS / 2], 1e3 * t_enc[0], 1e3 * t_enc[CLIPS - 1]);
    printf("  decoder (cross K/V + %d tok) %8.1f  [%.1f, %.1f]\n", TOKENS + 2, 1e3 * t_dec[CLIPS / 2], 1e3 * t_dec[0], 1e3 * t_dec[CLIPS - 1]);
    free(mel), free(enc), free(logits);
    wl_model_free(m);
    return 0;
}
