/* Speech span from the energy envelope (method in speech_span.h). */
#include "speech_span.h"

#include <math.h>

static double frame_dbfs(const float *x, size_t n)
{
    double sq = 0;
    for (size_t i = 0; i < n; i++) sq += (double)x[i] * x[i];
    double rms = sqrt(sq / (double)n);
    return rms > 0 ? 20 * log10(rms) : -INFINITY;
}

speech_span speech_span_find(const float *x, size_t n)
{
    speech_span s = {.peak_dbfs = -INFINITY};
    /* a clip shorter than one frame is one (short) frame */
    size_t frames = n <= SPEECH_SPAN_FRAME ? (n > 0) : 1 + (n - SPEECH_SPAN_FRAME + SPEECH_SPAN_HOP - 1) / SPEECH_SPAN_HOP;
    for (size_t f = 0; f < frames; f++) {
        size_t a = f * SPEECH_SPAN_HOP, len = a + SPEECH_SPAN_FRAME <= n ? SPEECH_SPAN_FRAME : n - a;
        double db = frame_dbfs(x + a, len);
        if (db > s.peak_dbfs) s.peak_dbfs = db;
    }
    double thr = s.peak_dbfs - SPEECH_SPAN_BELOW_PEAK;
    if (thr < SPEECH_SPAN_FLOOR) thr = SPEECH_SPAN_FLOOR;
    for (size_t f = 0; f < frames; f++) {
        size_t a = f * SPEECH_SPAN_HOP, len = a + SPEECH_SPAN_FRAME <= n ? SPEECH_SPAN_FRAME : n - a;
        if (frame_dbfs(x + a, len) < thr) continue;
        /* frame centres: a frame that only touches the speech counts half its length early */
        if (!s.found) s.found = 1, s.start = (a + len / 2.0) / 16000.0;
        s.end = (a + len / 2.0) / 16000.0;
    }
    return s;
}
