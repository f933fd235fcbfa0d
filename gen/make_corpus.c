/* Speaks a training-corpus plan into one raw PCM file and an index, for gen/train_micro.py.
 *
 * Usage: make_corpus PLAN.tsv OUT   (writes OUT.pcm and OUT.tsv, via temporary files)
 * PLAN.tsv lines: id <TAB> voice <TAB> rate_wpm <TAB> pitch <TAB> lead_ms <TAB> text
 * OUT.pcm: every clip's 16 kHz int16 samples (native byte order), lead_ms of silence first.
 * OUT.tsv lines: id <TAB> offset <TAB> length <TAB> speech_start <TAB> speech_end (samples)
 *   <TAB> word starts (seconds from the clip's first sample, comma-separated, from espeak-ng).
 *
 * Each clip is spoken from a freshly initialised espeak-ng (clip_speak), so a clip depends only
 * on its own plan line and the corpus can be rebuilt or split in any order bit-identically. */
#include "../engine/base/util.h"
#include "clip_synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Speech is where |sample| first and last reaches -40 dBFS: espeak-ng's output is noise-free,
 * so its silences are (near) digital zero and this threshold finds the voiced edges. */
#define SPEECH_THRESHOLD 328

static int speak_line(char *line, FILE *pcm, FILE *idx, long long *offset, char *err, size_t errlen)
{
    char *f[6];
    int nf = 0;
    for (char *s = line; nf < 6; nf++) {
        f[nf] = s;
        char *tab = nf < 5 ? strchr(s, '\t') : NULL;
        if (nf < 5 && !tab) break;
        if (tab) *tab = 0, s = tab + 1;
    }
    if (nf != 6) return wl_fail(err, errlen, "a plan line needs 6 tab-separated fields");
    f[5][strcspn(f[5], "\r\n")] = 0;
    clip_voice v = {f[1], atoi(f[2]), atoi(f[3]), CLIP_RANGE};
    int lead_ms = atoi(f[4]);
    if (v.rate_wpm < 80 || v.rate_wpm > 450 || v.pitch < 0 || v.pitch > 99 || lead_ms < 0 ||
        lead_ms > 30000)
        return wl_fail(err, errlen, "clip %s: rate, pitch or lead out of range", f[0]);
    clip_audio a;
    if (clip_speak(&v, f[5], &a, err, errlen)) return -1;
    int16_t *s = a.pcm;
    size_t n = a.n;
    size_t first = 0, last = 0, lead = (size_t)lead_ms * CLIP_SAMPLE_RATE / 1000;
    int found = 0;
    for (size_t i = 0; i < n; i++)
        if (abs(s[i]) >= SPEECH_THRESHOLD) {
            if (!found) first = i;
            last = i + 1, found = 1;
        }
    static const int16_t zeros[1600];
    for (size_t left = lead; left > 0;) {
        size_t k = left < 1600 ? left : 1600;
        fwrite(zeros, sizeof *zeros, k, pcm);
        left -= k;
    }
    fwrite(s, sizeof *s, n, pcm);
    free(s);
    if (!found) return wl_fail(err, errlen, "clip %s: espeak-ng produced silence", f[0]);
    fprintf(idx, "%s\t%lld\t%zu\t%zu\t%zu\t", f[0], *offset, lead + n, lead + first, lead + last);
    for (int w = 0; w < a.n_words; w++)
        fprintf(idx, "%s%.4f", w ? "," : "", lead_ms / 1000.0 + a.word_start[w]);
    fputc('\n', idx);
    *offset += (long long)(lead + n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PLAN.tsv OUT  (writes OUT.pcm, OUT.tsv)\n", argv[0]);
        return 2;
    }
    char err[512], pcm_path[4096], idx_path[4096], tmp_pcm[4200], tmp_idx[4200];
    snprintf(pcm_path, sizeof pcm_path, "%s.pcm", argv[2]);
    snprintf(idx_path, sizeof idx_path, "%s.tsv", argv[2]);
    snprintf(tmp_pcm, sizeof tmp_pcm, "%s.tmp", pcm_path);
    snprintf(tmp_idx, sizeof tmp_idx, "%s.tmp", idx_path);
    FILE *plan = fopen(argv[1], "r");
    if (!plan) {
        fprintf(stderr, "make_corpus: %s: cannot open\n", argv[1]);
        return 1;
    }
    FILE *pcm = fopen(tmp_pcm, "wb"), *idx = fopen(tmp_idx, "w");
    if (!pcm || !idx) {
        fprintf(stderr, "make_corpus: %s: cannot create\n", !pcm ? tmp_pcm : tmp_idx);
        return 1;
    }
    char line[4096];
    long long offset = 0;
    int count = 0, lineno = 0;
    while (fgets(line, sizeof line, plan)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') continue;
        if (speak_line(line, pcm, idx, &offset, err, sizeof err)) {
            fprintf(stderr, "make_corpus: %s:%d: %s\n", argv[1], lineno, err);
            return 1;
        }
        count++;
    }
    fclose(plan);
    if (fclose(pcm) || fclose(idx) || rename(tmp_pcm, pcm_path) || rename(tmp_idx, idx_path)) {
        fprintf(stderr, "make_corpus: %s: write failed\n", argv[2]);
        return 1;
    }
    fprintf(stderr, "make_corpus: %d clips, %.1f s of audio -> %s\n", count,
            (double)offset / CLIP_SAMPLE_RATE, pcm_path);
    return 0;
}
