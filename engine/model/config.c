#include "config.h"
#include "../io/json_file.h"
#include "../base/util.h"
#include "../whisperlab.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *key;
    int *dst;
    int lo, hi;
} int_key;

static int get_int(const cJSON *root, int_key k, const char *path, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, k.key);
    if (!cJSON_IsNumber(v))
        return wl_fail(err, errlen, "%s: key \"%s\" missing or not an integer", path, k.key);
    /* Range first, in double: converting a double outside int's range (1e10) to int is undefined. */
    double x = v->valuedouble;
    if (!(x >= k.lo && x <= k.hi))
        return wl_fail(err, errlen, "%s: \"%s\" = %.15g is out of range [%d, %d]", path, k.key, x,
                       k.lo, k.hi);
    if (x != (double)(int)x)
        return wl_fail(err, errlen, "%s: \"%s\" = %.15g is not an integer", path, k.key, x);
    if (!wl_json_is_int(v)) /* 128.0: a float to Python, which HF's layers refuse as a size */
        return wl_fail(err, errlen, "%s: \"%s\" = %.15g is written as a float; an integer is expected", path,
                       k.key, x);
    *k.dst = (int)x;
    return 0;
}

/* Reads each key in turn; stops at the first missing or bad one. */
static int get_ints(const char *path, const int_key *keys, size_t n, char *err, size_t errlen)
{
    cJSON *root = wl_json_read_object(path, err, errlen);
    if (!root) return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) rc = get_int(root, keys[i], path, err, errlen);
    cJSON_Delete(root);
    return rc;
}

int wl_config_load(wl_config *c, const char *path, char *err, size_t errlen)
{
    const int_key keys[] = {
        {"num_mel_bins", &c->n_mels, 1, 1024},
        {"d_model", &c->d_model, 1, 1 << 16},
        {"encoder_layers", &c->enc_layers, 1, 256},
        {"encoder_attention_heads", &c->enc_heads, 1, 1024},
        {"encoder_ffn_dim", &c->enc_ffn, 1, 1 << 18},
        {"decoder_layers", &c->dec_layers, 1, 256},
        {"decoder_attention_heads", &c->dec_heads, 1, 1024},
        {"decoder_ffn_dim", &c->dec_ffn, 1, 1 << 18},
        {"max_source_positions", &c->n_audio_ctx, 1, 1 << 16},
        {"max_target_positions", &c->n_text_ctx, 1, 1 << 16},
        {"vocab_size", &c->n_vocab, 1, 1 << 22},
    };
    if (get_ints(path, keys, sizeof keys / sizeof keys[0], err, errlen)) return -1;
    if (c->d_model % c->enc_heads || c->d_model % c->dec_heads)
        return wl_fail(err, errlen, "%s: d_model %d is not divisible by the head count", path,
                       c->d_model);
    return 0;
}

int wl_json_int(const cJSON *root, const char *key, long lo, long hi, long dflt, long *out, const char *path,
                char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (cJSON_IsArray(v)) v = cJSON_GetArrayItem(v, 0);
    if (!v || cJSON_IsNull(v)) return *out = dflt, 0;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi))
        return wl_fail(err, errlen, "%s: \"%s\" must be an integer in [%ld, %ld]", path, key, lo, hi);
    if (!wl_json_is_int(v))
        return wl_fail(err, errlen, "%s: \"%s\" must be an integer, not a float (%.17g)", path, key,
                       v->valuedouble);
    *out = (long)v->valuedouble;
    return 0;
}

int wl_config_for_generation(wl_config_gen *g, const char *path, char *err, size_t errlen)
{
    cJSON *root = wl_json_read_object(path, err, errlen);
    long width = 7;
    int rc = !root || wl_json_int(root, "median_filter_width", 1, 999, 7, &width, path, err, errlen);
    if (!rc && width % 2 == 0) rc = wl_fail(err, errlen, "%s: median_filter_width must be odd", path);
    g->median_filter_width = (int)width;
    g->n_vocab = g->dec_layers = g->dec_heads = g->n_text_ctx = -1; /* each set unless invalid */
    if (!rc) {
        wl_json_int(root, "vocab_size", 1, 1 << 22, -1, &g->n_vocab, path, NULL, 0);
        wl_json_int(root, "decoder_layers", 1, 256, -1, &g->dec_layers, path, NULL, 0);
        wl_json_int(root, "decoder_attention_heads", 1, 1024, -1, &g->dec_heads, path, NULL, 0);
        wl_json_int(root, "max_target_positions", 1, 1 << 16, -1, &g->n_text_ctx, path, NULL, 0);
    }
    cJSON_Delete(root);
    return rc ? -1 : 0;
}

/* padding_value fills the window after the audio (WhisperFeatureExtractor's default 0.0; HF
 * refuses null when it pads, which is always short of 30 s). It is a sample: a value beyond
 * WL_MAX_SAMPLE is refused as audio is. Only right padding: the frames, speech span and token
 * times all assume the audio starts the window. */
static int get_padding(wl_config *c, const char *path, char *err, size_t errlen)
{
    cJSON *root = wl_json_read_object(path, err, errlen);
    if (!root) return -1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "padding_value");
    const cJSON *side = cJSON_GetObjectItemCaseSensitive(root, "padding_side");
    int rc = 0;
    if (v && !(cJSON_IsNumber(v) && fabs(v->valuedouble) <= WL_MAX_SAMPLE))
        rc = wl_fail(err, errlen, "%s: \"padding_value\" must be a number in [-%g, %g] (a sample value)", path,
                     WL_MAX_SAMPLE, WL_MAX_SAMPLE);
    else if (side && !(cJSON_IsString(side) && !strcmp(side->valuestring, "right")))
        rc = wl_fail(err, errlen, "%s: \"padding_side\" must be \"right\" (whisperlab pads after the audio)", path);
    else c->padding_value = v ? (float)v->valuedouble : 0.0f;
    cJSON_Delete(root);
    return rc;
}

int wl_preprocessor_load(wl_config *c, const char *path, char *err, size_t errlen)
{
    int rate, n_fft, hop, n_mels, chunk, n_samples, n_frames;
    const int_key keys[] = {
        {"sampling_rate", &rate, 1, INT_MAX},   {"n_fft", &n_fft, 1, INT_MAX},
        {"hop_length", &hop, 1, INT_MAX},       {"feature_size", &n_mels, 1, INT_MAX},
        {"chunk_length", &chunk, 1, INT_MAX},   {"n_samples", &n_samples, 1, INT_MAX},
        {"nb_max_frames", &n_frames, 1, INT_MAX},
    };
    if (get_ints(path, keys, sizeof keys / sizeof keys[0], err, errlen)) return -1;
    /* The STFT and the mel filters are built for these; they are not parameters. */
    const struct { const char *key; int got, want; } fixed[] = {
        {"sampling_rate", rate, WL_SAMPLE_RATE}, {"n_fft", n_fft, WL_N_FFT}, {"hop_length", hop, WL_HOP},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (fixed[i].got != fixed[i].want)
            return wl_fail(err, errlen, "%s: \"%s\" = %d, but whisperlab's front end is fixed at %d",
                           path, fixed[i].key, fixed[i].got, fixed[i].want);
    if (n_mels != c->n_mels)
        return wl_fail(err, errlen, "%s: \"feature_size\" = %d, but config.json has num_mel_bins %d",
                       path, n_mels, c->n_mels);
    if ((long long)n_samples != (long long)chunk * rate)
        return wl_fail(err, errlen, "%s: \"n_samples\" = %d, but chunk_length * sampling_rate = %d * %d = %lld",
                       path, n_samples, chunk, rate, (long long)chunk * rate);
    /* HF's STFT gives n_samples / hop + 1 frames and drops the last one. */
    if (n_frames != n_samples / hop)
        return wl_fail(err, errlen, "%s: \"nb_max_frames\" = %d, but n_samples / hop_length = %d / %d = %d",
                       path, n_frames, n_samples, hop, n_samples / hop);
    /* conv2's stride 2 must land exactly on the encoder positions. This also makes the window at
     * least 2 hops (320 samples), longer than the STFT's 200-sample reflect padding. */
    if ((long long)n_frames != 2LL * c->n_audio_ctx)
        return wl_fail(err, errlen, "%s: \"nb_max_frames\" = %d, but config.json has max_source_positions %d, "
                       "which needs 2 * %d = %lld frames", path, n_frames, c->n_audio_ctx,
                       c->n_audio_ctx, 2LL * c->n_audio_ctx);
    c->n_samples = n_samples, c->n_frames = n_frames;
    return get_padding(c, path, err, errlen);
}
