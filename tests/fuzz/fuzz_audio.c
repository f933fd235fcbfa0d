/* Fuzzes wl_audio_load with the input as the audio file (any format libsndfile reads), with a
 * 3 s window so every input is fast. Accepted audio is 1..48000 finite samples (the engine
 * promises NaN and infinity are errors, never passed on); a refusal has a message and no data. */
#include "../../engine/whisperlab.h"
#include "fuzz.h"

#include <math.h>

#define WINDOW 48000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    float *x = NULL;
    size_t n = 0;
    char err[1024] = "";
    wl_status st = wl_audio_load(fz_memfd(data, size), WINDOW, &x, &n, err, sizeof err);
    if (st != WL_OK) {
        FZ_CHECK(!x && n == 0 && err[0], "refused (status %d) without a message, or with samples", st);
        return 0;
    }
    FZ_CHECK(x && n >= 1 && n <= WINDOW, "%zu samples", n);
    for (size_t i = 0; i < n; i++) FZ_CHECK(isfinite(x[i]), "sample %zu of %zu is %g", i, n, x[i]);
    free(x);
    return 0;
}
