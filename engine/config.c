#include "config.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

static int get_int(const cJSON *root, const char *key, int lo, int hi, int *out,
                   const char *path, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble)
        return wl_fail(err, errlen, "%s: key \"%s\" missing or not an integer", path, key);
    if (v->valueint < lo || v->valueint > hi)
        return wl_fail(err, errlen, "%s: \"%s\" = %d is out of range [%d, %d]", path, key,
                       v->valueint, lo, hi);
    *out = v->valueint;
    return 0;
}

int wl_config_load(wl_config *c, const char *path, char *err, size_t errlen)
{
    size_t len;
    char *text = wl_read_file(path, &len, err, errlen);
    if (!text) return -1;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return wl_fail(err, errlen, "%s: not a valid JSON object", path);
    }
    struct { const char *key; int *dst; int lo, hi; } keys[] = {
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
    int rc = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && rc == 0; i++)
        rc = get_int(root, keys[i].key, keys[i].lo, keys[i].hi, keys[i].dst, path, err, errlen);
    cJSON_Delete(root);
    if (rc) return rc;
    if (c->d_model % c->enc_heads || c->d_model % c->dec_heads)
        return wl_fail(err, errlen, "%s: d_model %d is not divisible by the head count", path,
                       c->d_model);
    return 0;
}
