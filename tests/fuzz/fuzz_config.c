/* Fuzzes the config readers with the input as the file: wl_config_load (config.json) and
 * wl_preprocessor_load (preprocessor_config.json, checked against the real tiny.en config.json).
 * Accepted values must be in the ranges the engine sizes its buffers by. */
#include "../../engine/model/config.h"
#include "../../engine/whisperlab.h"
#include "fuzz.h"

static wl_config tiny; /* data/models/whisper-tiny.en/config.json */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char err[512];
    if (wl_config_load(&tiny, "data/models/whisper-tiny.en/config.json", err, sizeof err)) fz_die(err, "config.json");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_memfd(data, size);
    char err[512] = "";
    wl_config c;
    memset(&c, 0, sizeof c);
    if (wl_config_load(&c, path, err, sizeof err) == 0) {
        FZ_CHECK(c.n_mels >= 1 && c.d_model >= 1 && c.enc_layers >= 1 && c.enc_heads >= 1 && c.enc_ffn >= 1 &&
                     c.dec_layers >= 1 && c.dec_heads >= 1 && c.dec_ffn >= 1 && c.n_audio_ctx >= 1 &&
                     c.n_text_ctx >= 1 && c.n_vocab >= 1,
                 "a dimension below 1 accepted");
        FZ_CHECK(c.d_model % c.enc_heads == 0 && c.d_model % c.dec_heads == 0, "d_model %d, heads %d/%d", c.d_model,
                 c.enc_heads, c.dec_heads);
    } else {
        FZ_CHECK(err[0], "config.json refused without a message");
    }

    wl_config p = tiny;
    err[0] = 0;
    if (wl_preprocessor_load(&p, path, err, sizeof err) == 0) {
        FZ_CHECK(p.n_frames == 2 * p.n_audio_ctx && (long long)p.n_samples == (long long)p.n_frames * WL_HOP,
                 "window %d samples, %d frames for %d encoder positions", p.n_samples, p.n_frames, p.n_audio_ctx);
    } else {
        FZ_CHECK(err[0], "preprocessor_config.json refused without a message");
    }
    return 0;
}
