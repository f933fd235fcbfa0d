/* The edge clips: inputs the lab clips never give the engine (all lab clips are loud, under 1 s,
 * 16 kHz mono). Each is made deterministically from the committed lab clips in data/audio/ (no
 * espeak-ng), written as 16-bit PCM WAV into data/audio/edge/ (listed in data/audio/edge/clips.json):
 *
 *   edge_quiet.wav        clip_23 ("I ate") x 0.02, rounded half away from zero: peak -39.7 dBFS,
 *                         quiet enough that log10's 1e-10 clamp, not max - 8, is the mel floor
 *   edge_30s.wav          all 29 clips (lab then grammar-error), each trimmed to its first..last
 *                         non-zero sample, laid end to end with equal gaps so the first starts at
 *                         sample 0 and the last ends at sample 479999: exactly 30.000 s at 16 kHz
 *   edge_stereo_44k.wav   44.1 kHz stereo: left clip_15 ("I am"), right clip_19 ("I go") x 0.5 and
 *                         0.1 s later; each channel resampled 16 -> 44.1 kHz with libsoxr HQ
 *   edge_8k.wav           clip_22 ("to eat") resampled 16 -> 8 kHz with libsoxr HQ
 *
 * libsoxr runs in one thread (its output must not depend on how work is split). The 16 kHz
 * clips depend only on the lab clips' bytes; the resampled ones also on the libsoxr version
 * (recorded in data/audio/edge/SOXR). */
#ifndef GEN_EDGE_CLIPS_H
#define GEN_EDGE_CLIPS_H

#include <stddef.h>

#define EDGE_N_CLIPS 4
#define EDGE_QUIET_GAIN 0.02
#define EDGE_WINDOW 480000 /* samples at 16 kHz: tiny.en's 30 s window */

/* The file names, in the order edge_clips_write writes them. */
extern const char *const EDGE_FILES[EDGE_N_CLIPS];

/* 1 when the clip's bytes depend on libsoxr (the resampled ones). */
int edge_clip_uses_soxr(int i);

/* Writes clip i (0 .. EDGE_N_CLIPS-1) into out_dir/EDGE_FILES[i], from the lab clips in audio_dir. */
int edge_clip_write(int i, const char *audio_dir, const char *out_dir, char *err, size_t errlen);

#endif
