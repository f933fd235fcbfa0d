/* Where the speech is in a clip, from its energy envelope: RMS over 25 ms frames every 10 ms,
 * in dBFS (full scale 1.0); a frame is speech when it is within 30 dB of the loudest frame and
 * above -70 dBFS. The span runs from the centre of the first speech frame to the centre of the
 * last (gaps between words are inside it), so its edges are within half a frame (12.5 ms) of
 * where the sound crosses the threshold. */
#ifndef SPEECH_SPAN_H
#define SPEECH_SPAN_H

#include <stddef.h>

#define SPEECH_SPAN_FRAME 400       /* 25 ms at 16 kHz */
#define SPEECH_SPAN_HOP 160         /* 10 ms */
#define SPEECH_SPAN_BELOW_PEAK 30.0 /* dB under the loudest frame */
#define SPEECH_SPAN_FLOOR -70.0     /* dBFS: quieter is silence even in a silent clip */

typedef struct {
    int found;         /* 0: no frame is speech (silence) */
    double start, end; /* seconds */
    double peak_dbfs;  /* loudest frame */
} speech_span;

/* Speech span of n samples of 16 kHz audio. */
speech_span speech_span_find(const float *samples, size_t n);

#endif
