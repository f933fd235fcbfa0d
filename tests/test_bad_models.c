/* A catalogue of bad model folders, run end to end through the real whisperlab command
 * (bad_catalogue.h says what every case must give): missing, looping or unreadable folders and
 * files, safetensors headers and weights, config.json, generation_config.json and the tokenizer's
 * files. */
#define ROOT "build/tmp/bad-models"
#include "bad_catalogue.h"

/* Rows name only the builder parameters they use; the rest are zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* ---- builders -------------------------------------------------------------------------- */

/* dir := links to every file of the model copy (so the copy is never written through them). */
static void link_model(const char *dir)
{
    char cwd[2048], src[4096], dst[4096];
    DIR *d = opendir(MODEL);
    if (!getcwd(cwd, sizeof cwd) || !d) fail_msg("cannot list %s", MODEL);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue; /* as the shell's * */
        snprintf(src, sizeof src, "%s/" MODEL "/%s", cwd, e->d_name);
        snprintf(dst, sizeof dst, "%s/%s", dir, e->d_name);
        if (symlink(src, dst)) fail_msg("cannot link %s: %s", dst, strerror(errno));
    }
    closedir(d);
}

/* The model copy with c->file replaced: c->from -> c->to in its text, or c->to as the whole
 * file, or (both NULL) removed. */
static void model(const bad_case *c, const char *dir)
{
    link_model(dir);
    if (!c->file) return;
    char path[512], src[512];
    snprintf(path, sizeof path, "%s/%s", dir, c->file);
    snprintf(src, sizeof src, MODEL "/%s", c->file);
    if (!c->from && !c->to) {
        assert_int_equal(remove(path), 0);
        return;
    }
    if (!c->from) {
        write_all(path, c->to, strlen(c->to));
        return;
    }
    size_t len;
    char *t = read_all(src, &len), *at = strstr(t, c->from);
    if (!at) fail_msg("%s: the edit's text '%s' is not in %s", c->name, c->from, src);
    char *o = malloc(len + strlen(c->to) + 1);
    size_t k = (size_t)(at - t);
    memcpy(o, t, k);
    strcpy(o + k, c->to);
    strcat(o + k, at + strlen(c->from));
    write_all(path, o, strlen(o));
    free(t), free(o);
}

/* The model copy whose generation_config.json suppresses every id of the vocabulary (c->from set:
 * every id but end-of-text, which begin_suppress_tokens holds). */
static void suppress_everything(const bad_case *c, const char *dir)
{
    link_model(dir);
    size_t len;
    char *t = read_all(MODEL "/generation_config.json", &len), path[512];
    cJSON *g = cJSON_Parse(t), *all = cJSON_CreateArray();
    for (int id = 0; id < 51864; id++)
        if (!c->from || id != 50256) cJSON_AddItemToArray(all, cJSON_CreateNumber(id));
    cJSON_ReplaceItemInObject(g, "suppress_tokens", all);
    char *o = cJSON_Print(g);
    snprintf(path, sizeof path, "%s/generation_config.json", dir);
    write_all(path, o, strlen(o));
    free(t), free(o), cJSON_Delete(g);
}

/* The model copy whose merges.txt is binary: the clip's first 4 KiB (NUL bytes included). */
static void merges_binary(const bad_case *c, const char *dir)
{
    (void)c;
    link_model(dir);
    size_t len;
    char *t = read_all(CLIP, &len), path[512];
    snprintf(path, sizeof path, "%s/merges.txt", dir);
    write_all(path, t, len < 4096 ? len : 4096);
    free(t);
}

static void model_entry_dir(const bad_case *c, const char *dir) { link_model(dir), directory(c, dir); }
static void model_entry_loop(const bad_case *c, const char *dir) { link_model(dir), symlink_loop(c, dir); }
static void model_entry_fifo(const bad_case *c, const char *dir) { link_model(dir), fifo(c, dir); }

/* The model copy with model.safetensors cut (c->keep) or rewritten through c->edit. */
static void st_edit(const bad_case *c, const char *dir)
{
    link_model(dir);
    size_t len;
    unsigned char *b = (unsigned char *)read_all(MODEL "/model.safetensors", &len);
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (c->keep) {
        write_all(path, b, len + (size_t)c->keep);
        free(b);
        return;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | b[i];
    cJSON *hdr = cJSON_ParseWithLength((const char *)b + 8, (size_t)hlen);
    assert_non_null(hdr);
    size_t data_size = len - 8 - (size_t)hlen;
    size_t extra = c->edit(hdr, b + 8 + hlen, data_size);
    char *json = cJSON_PrintUnformatted(hdr);
    size_t jl = strlen(json);
    unsigned char *o = calloc(8 + jl + data_size + extra, 1);
    for (int i = 0; i < 8; i++) o[i] = (unsigned char)((uint64_t)jl >> (8 * i));
    memcpy(o + 8, json, jl);
    memcpy(o + 8 + jl, b + 8 + hlen, data_size);
    write_all(path, o, 8 + jl + data_size + extra);
    cJSON_Delete(hdr);
    free(json), free(o), free(b);
}

/* The model copy with model.safetensors := a length field, c->to, and c->pad zero bytes. */
static void st_raw(const bad_case *c, const char *dir)
{
    link_model(dir);
    size_t tl = strlen(c->to), len = 8 + tl + c->pad;
    uint64_t hlen = c->hlen ? c->hlen : tl;
    unsigned char *o = calloc(len, 1);
    for (int i = 0; i < 8; i++) o[i] = (unsigned char)(hlen >> (8 * i));
    memcpy(o + 8, c->to, tl);
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    write_all(path, o, len);
    free(o);
}

/* ---- safetensors header edits ---------------------------------------------------------- */

#define B1 "model.encoder.conv1.bias" /* 128 F16 values, 256 bytes */
#define B2 "model.encoder.conv2.bias"
#define FC1 "model.encoder.layers.0.fc1.weight" /* [512, 128] */

static cJSON *entry(cJSON *hdr, const char *name)
{
    cJSON *e = cJSON_GetObjectItemCaseSensitive(hdr, name);
    if (!e) fail_msg("the model has no tensor %s", name);
    return e;
}

static void set(cJSON *hdr, const char *name, const char *key, const char *json)
{
    cJSON *v = cJSON_Parse(json);
    assert_non_null(v);
    assert_true(cJSON_ReplaceItemInObjectCaseSensitive(entry(hdr, name), key, v));
}

static void set_offsets(cJSON *hdr, const char *name, double b, double e)
{
    char json[96];
    snprintf(json, sizeof json, "[%.17g, %.17g]", b, e);
    set(hdr, name, "data_offsets", json);
}

static double begin_of(cJSON *hdr, const char *name)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(entry(hdr, name), "data_offsets"), 0)->valuedouble;
}

static size_t overlap(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set_offsets(h, B2, begin_of(h, B1) + 128, begin_of(h, B1) + 384); /* half of B1 */
    return 0;
}
static size_t out_of_bounds(cJSON *h, unsigned char *d, size_t n)
{
    (void)d;
    set_offsets(h, B1, (double)n - 128, (double)n + 128);
    return 0;
}
static size_t reversed(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set_offsets(h, B1, begin_of(h, B1) + 256, begin_of(h, B1));
    return 0;
}
static size_t fraction_offsets(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set_offsets(h, B1, begin_of(h, B1) + 0.5, begin_of(h, B1) + 256.5);
    return 0;
}
static size_t string_offsets(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set(h, B1, "data_offsets", "[\"0\", \"256\"]");
    return 0;
}
static size_t unknown_dtype(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set(h, B1, "dtype", "\"F17\"");
    return 0;
}
static size_t int_dtype(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set(h, B1, "dtype", "\"I16\""); /* same size as F16: only the layout check can see it */
    return 0;
}
static size_t transposed(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set(h, FC1, "shape", "[128, 512]"); /* same bytes, wrong shape */
    return 0;
}
/* Only the last dimension is wrong, and the bytes match it (appended): only the layout sees it. */
static size_t last_dim(cJSON *h, unsigned char *d, size_t n)
{
    (void)d;
    set(h, FC1, "shape", "[512, 129]");
    set_offsets(h, FC1, (double)n, (double)(n + 512 * 129 * 2));
    return 512 * 129 * 2;
}
static size_t short_shape(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set(h, B1, "shape", "[127]");
    return 0;
}
static size_t negative_dim(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    set(h, B1, "shape", "[-128]");
    return 0;
}
static size_t missing_tensor(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    cJSON_DeleteItemFromObjectCaseSensitive(h, "model.decoder.layer_norm.bias");
    return 0;
}
static size_t extra_tensor(cJSON *h, unsigned char *d, size_t n)
{
    (void)d;
    char json[160];
    snprintf(json, sizeof json, "{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[%zu,%zu]}", n, n + 4);
    cJSON_AddItemToObject(h, "model.encoder.extra.weight", cJSON_Parse(json));
    return 4;
}
/* JSON allows a repeated key; the second B1 points at its own (appended) bytes, so only the
 * repetition is wrong. */
static size_t duplicate(cJSON *h, unsigned char *d, size_t n)
{
    (void)d;
    char json[160];
    snprintf(json, sizeof json, "{\"dtype\":\"F16\",\"shape\":[128],\"data_offsets\":[%zu,%zu]}", n, n + 256);
    cJSON_AddItemToObject(h, B1, cJSON_Parse(json));
    return 256;
}
static size_t not_an_object(cJSON *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    cJSON_AddItemToObject(h, "model.encoder.junk", cJSON_CreateNumber(3));
    return 0;
}
static size_t nan_weight(cJSON *h, unsigned char *d, size_t n)
{
    (void)n;
    size_t at = (size_t)begin_of(h, FC1) + 2 * 65535; /* the last element := F16 NaN 0x7E00 */
    d[at] = 0x00, d[at + 1] = 0x7E;
    return 0;
}
static size_t inf_weight(cJSON *h, unsigned char *d, size_t n)
{
    (void)n;
    size_t at = (size_t)begin_of(h, B1) + 2 * 3; /* element 3 := F16 -Inf 0xFC00 */
    d[at] = 0x00, d[at + 1] = 0xFC;
    return 0;
}

/* ---- the catalogue --------------------------------------------------------------------- */

#define INFO "info --model %C"
#define RUN "transcribe --model %C %A"

#define LINKED(f) .file = f /* the model copy, with f edited */
static const bad_case MODELS[] = {
    {"model_folder_missing", NULL, "info --model %C/nothere", 1, "%C/nothere", "no such model folder"},
    {"model_is_a_file", NULL, "info --model %M/config.json", 1, "%M/config.json", "not a folder"},
    {"model_folder_loop", symlink_loop, "info --model %C/loop", 1, "%C/loop", "Too many levels of symbolic links",
     .file = "loop"},
    {"model_file_loop", model_entry_loop, INFO, 1, "%C/model.safetensors", "Too many levels of symbolic links",
     .file = "model.safetensors"},
    {"repo_id_climbs", NULL, "info --model '../../etc/x'", 1, "../../etc/x", "not a hub repo id"},
    {"repo_id_shell", NULL, "info --model 'o/m;rm -rf x'", 1, "o/m;rm -rf x", "not a hub repo id"},
    {"repo_id_newline", NULL, "info --model 'o/m\nx'", 1, "o/m\\nx", "not a hub repo id"},
    {"repo_id_escape", NULL, "info --model \"$(printf 'o/\\033[2J')\"", 1, "o/\\x1b[2J", "not a hub repo id"},
    {"repo_id_not_cached", NULL, "info --model openai/whisper-nope", 1, "openai/whisper-nope", "HF cache"},
    {"config_missing", model, INFO, 1, "%C", "lacks config.json", LINKED("config.json")},
    {"config_malformed", model, INFO, 1, "%C/config.json", "not a valid JSON object", LINKED("config.json"),
     .to = "{\"d_model\": "},
    {"config_array", model, INFO, 1, "%C/config.json", "not a valid JSON object", LINKED("config.json"), .to = "[]"},
    {"config_empty", model, INFO, 1, "%C/config.json", "not a valid JSON object", LINKED("config.json"), .to = ""},
    {"config_directory", model_entry_dir, INFO, 1, "%C/config.json", "not a regular file", .file = "config.json"},
    {"config_fifo", model_entry_fifo, INFO, 1, "%C/config.json", "not a regular file", .file = "config.json"},
    {"config_d_model_0", model, INFO, 1, "%C/config.json", "\"d_model\" = 0 is out of range [1, 65536]",
     LINKED("config.json"), .from = "\"d_model\": 128", .to = "\"d_model\": 0"},
    {"config_d_model_negative", model, INFO, 1, "%C/config.json", "\"d_model\" = -128 is out of range",
     LINKED("config.json"), .from = "\"d_model\": 128", .to = "\"d_model\": -128"},
    {"config_d_model_1e10", model, INFO, 1, "%C/config.json", "\"d_model\" = 10000000000 is out of range",
     LINKED("config.json"), .from = "\"d_model\": 128", .to = "\"d_model\": 1e10"},
    {"config_d_model_2e40", model, INFO, 1, "%C/config.json", "\"d_model\" = 1099511627776 is out of range",
     LINKED("config.json"), .from = "\"d_model\": 128", .to = "\"d_model\": 1099511627776"},
    {"config_d_model_fraction", model, INFO, 1, "%C/config.json", "\"d_model\" = 128.5 is not an integer",
     LINKED("config.json"), .from = "\"d_model\": 128", .to = "\"d_model\": 128.5"},
    {"config_d_model_string", model, INFO, 1, "%C/config.json", "\"d_model\" missing or not an integer",
     LINKED("config.json"), .from = "\"d_model\": 128", .to = "\"d_model\": \"128\""},
    {"config_key_missing", model, INFO, 1, "%C/config.json", "\"vocab_size\" missing", LINKED("config.json"),
     .from = "\"vocab_size\": 51864", .to = "\"vocab\": 51864"},
    {"config_heads_not_dividing", model, INFO, 1, "%C/config.json", "d_model 128 is not divisible by the head count",
     LINKED("config.json"), .from = "\"encoder_attention_heads\": 4", .to = "\"encoder_attention_heads\": 3"},
    {"config_mels_vs_preprocessor", model, INFO, 1, "%C/preprocessor_config.json",
     "\"feature_size\" = 80, but config.json has num_mel_bins 128", LINKED("config.json"),
     .from = "\"num_mel_bins\": 80", .to = "\"num_mel_bins\": 128"},
    {"config_positions_vs_window", model, INFO, 1, "%C/preprocessor_config.json",
     "config.json has max_source_positions 1500", LINKED("config.json"), .from = "\"max_source_positions\": 150",
     .to = "\"max_source_positions\": 1500"},
    {"config_more_layers", model, INFO, 1, "%C/model.safetensors", "missing tensor 'model.encoder.layers.2.",
     LINKED("config.json"), .from = "\"encoder_layers\": 2", .to = "\"encoder_layers\": 3"},
    {"config_vocab_mismatch", model, INFO, 1, "%C/model.safetensors", "has shape (51864, 128), expected (51865, 128)",
     LINKED("config.json"), .from = "\"vocab_size\": 51864", .to = "\"vocab_size\": 51865"},
    {"config_median_filter_even", model, RUN, 1, "%C/config.json", "median_filter_width must be odd",
     LINKED("config.json"), .from = "\"median_filter_width\": 7", .to = "\"median_filter_width\": 6"},
    {"preproc_missing", model, INFO, 1, "%C", "lacks preprocessor_config.json", LINKED("preprocessor_config.json")},
    {"preproc_malformed", model, INFO, 1, "%C/preprocessor_config.json", "not a valid JSON object",
     LINKED("preprocessor_config.json"), .to = "{\"n_fft\": 400,"},
    {"preproc_feature_size", model, INFO, 1, "%C/preprocessor_config.json",
     "\"feature_size\" = 128, but config.json has num_mel_bins 80", LINKED("preprocessor_config.json"),
     .from = "\"feature_size\": 80", .to = "\"feature_size\": 128"},
    {"preproc_rate", model, INFO, 1, "%C/preprocessor_config.json", "\"sampling_rate\" = 22050, but whisperlab's front end",
     LINKED("preprocessor_config.json"), .from = "\"sampling_rate\": 16000", .to = "\"sampling_rate\": 22050"},
    {"preproc_n_samples", model, INFO, 1, "%C/preprocessor_config.json", "\"n_samples\" = 48001, but chunk_length",
     LINKED("preprocessor_config.json"), .from = "\"n_samples\": 48000", .to = "\"n_samples\": 48001"},
    {"preproc_frames", model, INFO, 1, "%C/preprocessor_config.json", "\"nb_max_frames\" = 3000, but n_samples",
     LINKED("preprocessor_config.json"), .from = "\"nb_max_frames\": 300", .to = "\"nb_max_frames\": 3000"},
    {"preproc_hop_0", model, INFO, 1, "%C/preprocessor_config.json", "\"hop_length\" = 0 is out of range",
     LINKED("preprocessor_config.json"), .from = "\"hop_length\": 160", .to = "\"hop_length\": 0"},
    {"card_malformed", model, INFO, 1, "%C/whisperlab.json", "not a valid JSON object", LINKED("whisperlab.json"),
     .to = "{\"kind\":"},
    {"card_kind_unknown", model, INFO, 1, "%C/whisperlab.json", "needs \"kind\"", LINKED("whisperlab.json"),
     .from = "trained-here", .to = "openai"},
};

#define ST(fn) .edit = fn
static const bad_case SAFETENSORS[] = {
    {"st_missing", model, INFO, 1, "%C", "lacks model.safetensors", LINKED("model.safetensors")},
    {"st_directory", model_entry_dir, INFO, 1, "%C/model.safetensors", "not a regular file", .file = "model.safetensors"},
    {"st_empty_file", model, INFO, 1, "%C/model.safetensors", "truncated safetensors file (0 bytes)",
     LINKED("model.safetensors"), .to = ""},
    {"st_header_longer_than_file", st_raw, INFO, 1, "%C/model.safetensors", "header length 99999 exceeds the file (120 bytes)",
     .hlen = 99999, .to = "{}", .pad = 110},
    {"st_header_length_2e62", st_raw, INFO, 1, "%C/model.safetensors", "header length 4611686018427387904 exceeds",
     .hlen = 1ull << 62, .to = "{}", .pad = 110},
    {"st_header_empty", st_raw, INFO, 1, "%C/model.safetensors", "header is not a JSON object", .to = "", .pad = 16},
    {"st_header_not_json", st_raw, INFO, 1, "%C/model.safetensors", "header is not a JSON object", .to = "{not json"},
    {"st_header_array", st_raw, INFO, 1, "%C/model.safetensors", "header is not a JSON object", .to = "[1, 2]"},
    {"st_truncated", st_edit, INFO, 1, "%C/model.safetensors", "out of bounds", .keep = -1000},
    {"st_overlap", st_edit, INFO, 1, "%C/model.safetensors", "overlap", ST(overlap)},
    {"st_out_of_bounds", st_edit, INFO, 1, "%C/model.safetensors", "out of bounds", ST(out_of_bounds)},
    {"st_reversed_offsets", st_edit, INFO, 1, "%C/model.safetensors", "ends before it begins", ST(reversed)},
    {"st_fractional_offsets", st_edit, INFO, 1, "%C/model.safetensors", "data_offsets must be two integers",
     ST(fraction_offsets)},
    {"st_string_offsets", st_edit, INFO, 1, "%C/model.safetensors", "data_offsets must be two integers",
     ST(string_offsets)},
    {"st_unknown_dtype", st_edit, INFO, 1, "%C/model.safetensors", "unknown dtype 'F17'", ST(unknown_dtype)},
    {"st_integer_dtype", st_edit, INFO, 1, "%C/model.safetensors", "has dtype I16, expected F32, F16 or BF16",
     ST(int_dtype)},
    {"st_wrong_shape", st_edit, INFO, 1, "%C/model.safetensors", "has shape (128, 512), expected (512, 128)",
     ST(transposed)},
    {"st_last_dim", st_edit, INFO, 1, "%C/model.safetensors", "has shape (512, 129), expected (512, 128)",
     ST(last_dim)},
    {"st_size_vs_shape", st_edit, INFO, 1, "%C/model.safetensors", "holds 256 bytes but its shape needs 254",
     ST(short_shape)},
    {"st_negative_dim", st_edit, INFO, 1, "%C/model.safetensors", "bad dimension", ST(negative_dim)},
    {"st_missing_tensor", st_edit, INFO, 1, "%C/model.safetensors", "missing tensor 'model.decoder.layer_norm.bias'",
     ST(missing_tensor)},
    {"st_extra_tensor", st_edit, INFO, 1, "%C/model.safetensors", "unknown tensor 'model.encoder.extra.weight'",
     ST(extra_tensor)},
    {"st_duplicate_name", st_edit, INFO, 1, "%C/model.safetensors", "'" B1 "' appears twice", ST(duplicate)},
    {"st_entry_not_object", st_edit, INFO, 1, "%C/model.safetensors", "entry 'model.encoder.junk' is not an object",
     ST(not_an_object)},
    {"st_nan_weight", st_edit, INFO, 1, "%C/model.safetensors", "'" FC1 "' element 65535 is NaN or infinite", ST(nan_weight)},
    {"st_inf_weight", st_edit, INFO, 1, "%C/model.safetensors", "'" B1 "' element 3 is NaN or infinite", ST(inf_weight)},
};

#define GEN LINKED("generation_config.json")
static const bad_case DECODING[] = {
    {"gen_missing", model, RUN, 1, "%C", "lacks generation_config.json", GEN},
    {"gen_malformed", model, RUN, 1, "%C/generation_config.json", "not a valid JSON object", GEN, .to = "{\"eos"},
    {"gen_eos_string", model, RUN, 1, "%C/generation_config.json", "\"eos_token_id\" must be an integer", GEN,
     .from = "\"eos_token_id\": 50256", .to = "\"eos_token_id\": \"50256\""},
    {"gen_eos_outside_vocab", model, RUN, 1, "%C/generation_config.json", "eos_token_id 9999999 is outside the "
     "vocabulary", GEN, .from = "\"eos_token_id\": 50256", .to = "\"eos_token_id\": 9999999"},
    {"gen_no_start", model, RUN, 1, "%C/generation_config.json", "needs decoder_start_token_id", GEN,
     .from = "\"decoder_start_token_id\": 50257,", .to = ""},
    {"gen_suppress_not_list", model, RUN, 1, "%C/generation_config.json", "\"suppress_tokens\" must be a list", GEN,
     .from = "\"suppress_tokens\": [", .to = "\"suppress_tokens\": 7, \"x\": ["},
    {"gen_heads_not_pairs", model, RUN, 1, "%C/generation_config.json", "\"alignment_heads\" must hold pairs", GEN,
     .from = "\"alignment_heads\": [", .to = "\"alignment_heads\": [[1], "},
    {"gen_head_outside_decoder", model, RUN, 1, "%C/generation_config.json", "alignment head (9, 0) is outside "
     "the decoder", GEN, .from = "\"alignment_heads\": [", .to = "\"alignment_heads\": [[9, 0], "},
    {"gen_forced_order", model, RUN, 1, "%C/generation_config.json", "forced_decoder_ids must list positions", GEN,
     .from = "\"forced_decoder_ids\": [", .to = "\"forced_decoder_ids\": [[2, 50362], "},
    {"gen_forced_outside_vocab", model, RUN, 1, "%C/generation_config.json", "token 60000 is outside the vocabulary",
     GEN, .from = "50362\n    ]", .to = "60000\n    ]"},
    {"gen_max_length_0", model, RUN, 1, "%C/generation_config.json", "\"max_length\" must be an integer in [1,", GEN,
     .from = "\"max_length\": 64", .to = "\"max_length\": 0"},
    {"gen_max_length_beyond_decoder", model, RUN, 1, "%C/generation_config.json", "max_length 65 exceeds the "
     "decoder's 64 positions", GEN, .from = "\"max_length\": 64", .to = "\"max_length\": 65"},
    {"gen_early_stopping_never", model, RUN, 1, "%C/generation_config.json", "early_stopping \"never\"", GEN,
     .from = "\"max_length\": 64", .to = "\"max_length\": 64, \"early_stopping\": \"never\""},
    {"gen_no_timestamps_outside_vocab", model, "transcribe --timestamps --model %C %A", 1,
     "%C/generation_config.json", "no_timestamps_token_id 9999999 is outside the vocabulary", GEN,
     .from = "\"no_timestamps_token_id\": 50362", .to = "\"no_timestamps_token_id\": 9999999"},
    {"gen_max_length_1", model, RUN, 1, "%C/generation_config.json", "max_length 1 leaves no room to generate after "
     "the 2-token prompt", GEN, .from = "\"max_length\": 64", .to = "\"max_length\": 1"},
    {"gen_max_length_prompt", model, RUN, 1, "%C/generation_config.json", "max_length 2 leaves no room", GEN,
     .from = "\"max_length\": 64", .to = "\"max_length\": 2"},
    {"gen_no_timestamps_last_id", model, RUN, 1, "%C/generation_config.json", "no_timestamps_token_id 51863 is the "
     "vocabulary's last id (config.json: vocab_size 51864), leaving no timestamp tokens", GEN,
     .from = "\"no_timestamps_token_id\": 50362", .to = "\"no_timestamps_token_id\": 51863"},
    {"gen_no_timestamps_not_the_token", model, RUN, 1, "%C/generation_config.json", "no_timestamps_token_id 50361 is "
     "not the tokenizer's <|notimestamps|> (id 50362)", GEN, .from = "\"no_timestamps_token_id\": 50362",
     .to = "\"no_timestamps_token_id\": 50361"},
    {"gen_length_penalty_string", model, RUN, 1, "%C/generation_config.json", "length_penalty must be a number", GEN,
     .from = "\"max_length\": 64", .to = "\"max_length\": 64, \"length_penalty\": \"abc\""},
    {"gen_multilingual_string", model, RUN, 1, "%C/generation_config.json", "is_multilingual must be true or false",
     GEN, .from = "\"is_multilingual\": false", .to = "\"is_multilingual\": \"no\""},
    {"gen_eos_float", model, RUN, 1, "%C/generation_config.json", "\"eos_token_id\" must be an integer, not a float",
     GEN, .from = "\"eos_token_id\": 50256", .to = "\"eos_token_id\": 50256.0"},
    {"gen_eos_fraction", model, RUN, 1, "%C/generation_config.json", "\"eos_token_id\" must be an integer", GEN,
     .from = "\"eos_token_id\": 50256", .to = "\"eos_token_id\": 50256.5"},
    {"gen_suppress_fraction", model, RUN, 1, "%C/generation_config.json", "\"suppress_tokens\" must hold a list of "
     "non-negative integers", GEN, .from = "\"suppress_tokens\": [", .to = "\"suppress_tokens\": [7.5, "},
    {"gen_duplicate_key_last_wins", model, RUN, 1, "%C/generation_config.json", "max_length 65 exceeds the "
     "decoder's 64 positions", GEN, .from = "\"max_length\": 64", .to = "\"max_length\": 64, \"max_length\": 65"},
    {"gen_trailing_text", model, RUN, 1, "%C/generation_config.json", "text after the JSON object at byte", GEN,
     .from = "\n}", .to = "\n}\n{}"},
    {"gen_suppress_eos", model, RUN, 1, "%C/generation_config.json", "suppress_tokens holds eos_token_id 50256: a "
     "search could never end", GEN, .from = "\"suppress_tokens\": [", .to = "\"suppress_tokens\": [50256, "},
    {"gen_suppress_everything", suppress_everything, RUN, 1, "%C/generation_config.json", "suppress_tokens holds "
     "every id of the vocabulary (config.json: vocab_size 51864): nothing can be generated"},
    {"gen_begin_suppress_rest", suppress_everything, RUN, 1, "%C/generation_config.json", "begin_suppress_tokens "
     "holds every id that suppress_tokens leaves: the first step has nothing to choose", .from = "but end-of-text"},
    {"gen_eos_not_the_tokenizer_s", model, RUN, 1, "%C/special_tokens_map.json", "eos_token is id 50256, but "
     "generation_config.json has eos_token_id 50362", GEN, .from = "\"eos_token_id\": 50256",
     .to = "\"eos_token_id\": 50362"},
    {"gen_start_not_sot", model, RUN, 1, "%C/generation_config.json", "decoder_start_token_id 50358 is not the "
     "tokenizer's <|startoftranscript|> (id 50257)", GEN, .from = "\"decoder_start_token_id\": 50257",
     .to = "\"decoder_start_token_id\": 50358"},
    {"gen_prompt_not_special", model, RUN, 1, "%C/special_tokens_map.json", "prompt token 220 of "
     "generation_config.json (decoder_start_token_id, forced_decoder_ids) is not a special token", GEN,
     .from = "50362\n    ]", .to = "220\n    ]"},
    {"config_d_model_float", model, INFO, 1, "%C/config.json", "\"d_model\" = 128 is written as a float",
     LINKED("config.json"), .from = "\"d_model\": 128", .to = "\"d_model\": 128.0"},
    {"vocab_missing", model, RUN, 1, "%C", "lacks vocab.json", LINKED("vocab.json")},
    {"vocab_malformed", model, RUN, 1, "%C/vocab.json", "not a valid JSON object", LINKED("vocab.json"),
     .to = "{\"!\": 0,"},
    {"vocab_id_string", model, RUN, 1, "%C/vocab.json", "entry \"!\" is not a byte-level BPE token with an id",
     LINKED("vocab.json"), .from = "\"!\": 0", .to = "\"!\": \"zero\""},
    {"vocab_empty", model, RUN, 1, "%C/vocab.json", "holds no tokens", LINKED("vocab.json"),
     .to = "{}"},
    {"vocab_entry_missing", model, RUN, 1, "%C/vocab.json", "id 1 of the model's 51864 has no token",
     LINKED("vocab.json"), .from = "\"\\\"\": 1, ", .to = ""},
    {"merges_missing", model, RUN, 1, "%C", "lacks merges.txt", LINKED("merges.txt")},
    {"merges_one_field", model, RUN, 1, "%C/merges.txt", "line 3 is not a merge", LINKED("merges.txt"),
     .from = "\n\xC4\xA0 a\n", .to = "\n\xC4\xA0" "a\n"},
    {"merges_three_fields", model, RUN, 1, "%C/merges.txt", "line 2 is not a merge", LINKED("merges.txt"),
     .from = "\n\xC4\xA0 t\n", .to = "\n\xC4\xA0 t x\n"},
    {"added_malformed", model, RUN, 1, "%C/added_tokens.json", "not a valid JSON object", LINKED("added_tokens.json"),
     .to = "{"},
    {"added_id_string", model, RUN, 1, "%C/added_tokens.json", "\"<|0.00|>\" has no valid id",
     LINKED("added_tokens.json"), .from = "\"<|0.00|>\": 50363", .to = "\"<|0.00|>\": \"x\""},
    {"vocab_id_float", model, RUN, 1, "%C/vocab.json", "entry \"!\" is not a byte-level BPE token with an id",
     LINKED("vocab.json"), .from = "\"!\": 0", .to = "\"!\": 0.0"},
    {"vocab_id_shared", model, RUN, 1, "%C/vocab.json", "id 1 is given to two tokens", LINKED("vocab.json"),
     .from = "\"!\": 0", .to = "\"!\": 1"},
    {"merges_empty", model, RUN, 1, "%C/merges.txt", "is empty", LINKED("merges.txt"), .to = ""},
    {"merges_no_header", model, RUN, 1, "%C/merges.txt", "does not begin with a \"#version\" line",
     LINKED("merges.txt"), .from = "#version: 0.2\n", .to = ""},
    {"merges_header_only", model, RUN, 1, "%C/merges.txt", "holds no merges", LINKED("merges.txt"),
     .to = "#version: 0.2\n"},
    {"merges_cut_mid_line", model, RUN, 1, "%C/merges.txt", "is cut short: its last line has no newline",
     LINKED("merges.txt"), .from = "\xC4\xA0g azed\n", .to = "\xC4\xA0g az"},
    {"merges_binary", merges_binary, RUN, 1, "%C/merges.txt", "holds a NUL byte"},
    {"added_endoftext_remapped", model, RUN, 1, "%C/added_tokens.json", "\"<|endoftext|>\" has id 50300, but "
     "vocab.json gives it id 50256", LINKED("added_tokens.json"), .from = "\"<|0.00|>\": 50363",
     .to = "\"<|endoftext|>\": 50300, \"<|0.00|>\": 50363"},
    {"added_id_of_a_vocab_token", model, RUN, 1, "%C/added_tokens.json", "\"<|x|>\" has id 100, which vocab.json "
     "gives to another token", LINKED("added_tokens.json"), .from = "\"<|0.00|>\": 50363",
     .to = "\"<|x|>\": 100, \"<|0.00|>\": 50363"},
    {"added_id_float", model, RUN, 1, "%C/added_tokens.json", "\"<|0.00|>\" has no valid id",
     LINKED("added_tokens.json"), .from = "\"<|0.00|>\": 50363", .to = "\"<|0.00|>\": 50363.0"},
    {"added_decoder_key_word", model, RUN, 1, "%C/tokenizer_config.json", "added_tokens_decoder key \"abc\" is not "
     "a token id", LINKED("tokenizer_config.json"), .from = "\"add_bos_token\": false",
     .to = "\"add_bos_token\": false, \"added_tokens_decoder\": {\"abc\": {\"content\": \"<|x|>\"}}"},
    {"added_decoder_no_content", model, RUN, 1, "%C/tokenizer_config.json", "added_tokens_decoder \"50363\" has no "
     "\"content\" text", LINKED("tokenizer_config.json"), .from = "\"add_bos_token\": false",
     .to = "\"add_bos_token\": false, \"added_tokens_decoder\": {\"50363\": {\"content\": 7}}"},
    {"added_two_texts_one_id", model, RUN, 1, "%C/added_tokens.json", "id 50363 is given to both",
     LINKED("tokenizer_config.json"), .from = "\"add_bos_token\": false",
     .to = "\"add_bos_token\": false, \"added_tokens_decoder\": {\"50363\": {\"content\": \"<|x|>\"}}"},
    {"special_lacks_notimestamps", model, RUN, 1, "%C/special_tokens_map.json", "its last special token is id 50361, "
     "not <|notimestamps|> (50362): the tokenizer's timestamps would start at 50362, generation_config.json's at "
     "50363", LINKED("special_tokens_map.json"), .from = ",\n    \"<|notimestamps|>\"", .to = ""},
    {"special_one_extra", model, RUN, 1, "%C/special_tokens_map.json", "its last special token is id 50363",
     LINKED("special_tokens_map.json"), .from = "\"<|notimestamps|>\"", .to = "\"<|notimestamps|>\", \"<|0.00|>\""},
    {"special_list_nested", model, RUN, 1, "%C/special_tokens_map.json", "\"additional_special_tokens\" holds an "
     "entry that is not a token text", LINKED("special_tokens_map.json"), .from = "\"<|startoftranscript|>\"",
     .to = "[\"<|startoftranscript|>\"]"},
    {"special_list_not_a_list", model, RUN, 1, "%C/special_tokens_map.json", "\"additional_special_tokens\" must "
     "be a list of token texts", LINKED("special_tokens_map.json"), .from = "\"additional_special_tokens\": [",
     .to = "\"additional_special_tokens\": \"<|startoftranscript|>\", \"x\": ["},
    {"special_unknown_token", model, RUN, 1, "%C/special_tokens_map.json", "special token \"<|nope|>\" is in "
     "neither vocab.json nor the added tokens", LINKED("special_tokens_map.json"),
     .from = "\"<|notimestamps|>\"", .to = "\"<|notimestamps|>\", \"<|nope|>\""},
    {"special_eos_object_bad", model, RUN, 1, "%C/special_tokens_map.json", "\"eos_token\" must be a token text",
     LINKED("special_tokens_map.json"), .from = "\"eos_token\": \"<|endoftext|>\"",
     .to = "\"eos_token\": [\"<|endoftext|>\"]"},
    {"added_tokens_link_loop", model_entry_loop, RUN, 1, "%C/added_tokens.json", "Too many levels of symbolic links",
     .file = "added_tokens.json"},
    {"tokenizer_config_dir", model_entry_dir, RUN, 1, "%C/tokenizer_config.json", "not a regular file",
     .file = "tokenizer_config.json"},
    {"special_map_malformed", model, RUN, 1, "%C/special_tokens_map.json", "not a valid JSON object",
     LINKED("special_tokens_map.json"), .to = "["},
    {"tokenizer_config_malformed", model, RUN, 1, "%C/tokenizer_config.json", "not a valid JSON object",
     LINKED("tokenizer_config.json"), .to = "{"},
};

static void test_model_folders(void **state) { (void)state, run_table(MODELS, N_OF(MODELS)); }
static void test_safetensors(void **state) { (void)state, run_table(SAFETENSORS, N_OF(SAFETENSORS)); }
static void test_decoding_files(void **state) { (void)state, run_table(DECODING, N_OF(DECODING)); }

/* The catalogue promises at least 60 rejected inputs; case names are folder names, so unique. */
static void test_catalogue_size(void **state)
{
    (void)state;
    const catalogue_part all[] = {
        {MODELS, N_OF(MODELS)}, {SAFETENSORS, N_OF(SAFETENSORS)}, {DECODING, N_OF(DECODING)},
    };
    expect_catalogue(all, N_OF(all));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue_size),
        cmocka_unit_test(test_model_folders),
        cmocka_unit_test(test_safetensors),
        cmocka_unit_test(test_decoding_files),
    };
    return cmocka_run_group_tests_name("bad model folders through the whisperlab command", tests, setup, teardown);
}
