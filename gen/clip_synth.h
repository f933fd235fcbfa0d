/* Speaking a lab clip: espeak-ng at its native rate, libsoxr to 16 kHz, 16-bit PCM WAV. */
#ifndef GEN_CLIP_SYNTH_H
#define GEN_CLIP_SYNTH_H

#include <stddef.h>
#include <stdint.h>

/* Fixed synthesis settings: changing any of them changes every clip (and SHA256SUMS). */
#define CLIP_VOICE "en-us"
#define CLIP_RATE_WPM 150
#define CLIP_PITCH 50
#define CLIP_RANGE 50
#define CLIP_VOLUME 100
#define CLIP_SAMPLE_RATE 16000

/* An espeak-ng voice ("en-us", "en-gb-x-rp+f2", ...) and its prosody settings. */
typedef struct {
    const char *name;
    int rate_wpm, pitch, range;
} clip_voice;

/* The lab clips' voice: CLIP_VOICE at the settings above. */
extern const clip_voice CLIP_LAB_VOICE;

/* The installed espeak-ng's version string, e.g. "1.51". */
const char *clip_espeak_version(void);

/* Speaks text into a 16 kHz mono 16-bit PCM WAV at path. espeak-ng carries state from one
 * utterance to the next (the same text spoken twice in one process differs), so each clip is
 * spoken in a forked child from a freshly initialised engine: a clip's bytes depend only on
 * its text and the settings above, never on which clips were spoken before it. */
#define CLIP_MAX_WORDS 64

/* What clip_speak returns: 16 kHz int16 samples (pcm malloc'd) and where espeak-ng says each
 * word starts (its word events), in seconds. */
typedef struct {
    int16_t *pcm;
    size_t n;
    int n_words;
    double word_start[CLIP_MAX_WORDS];
} clip_audio;

/* Speaks text with voice v, in a forked child from a freshly initialised engine, as
 * clip_render does. */
int clip_speak(const clip_voice *v, const char *text, clip_audio *a, char *err, size_t errlen);

int clip_render(const char *text, const char *path, char *err, size_t errlen);

#endif
