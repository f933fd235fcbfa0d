/* Writes the seeds the fuzz targets cannot copy straight from the repository into
 * <corpus>/<target>/ (ci/fuzz.sh copies the rest):
 *   safetensors     small files from the engine's own writer (wl_st_write), every dtype;
 *   audio           short clips in the formats and encodings libsndfile writes;
 *   tokenizer_load  a selector byte + each file of the small whisper-micro.en tokenizer;
 *   tokenizer_bpe   texts (even first byte) and timestamped id sequences (odd first byte).
 * Usage: make_seeds <corpus> <model folder with a tokenizer> */
#include "../../engine/io/safetensors.h"
#include "../../engine/whisperlab.h"
#include "fuzz.h"

#include <math.h>
#include <sndfile.h>

static char root[512];

static const char *seed(char *out, size_t outlen, const char *target, const char *name)
{
    char d[700];
    fz_mkdir(fz_join(d, sizeof d, root, target));
    return fz_join(out, outlen, d, name);
}

static void safetensors_seeds(void)
{
    char p[1024], err[512];
    float f32[6] = {0, 1, -2, 3.5f, 1e-8f, 65504};
    uint16_t f16[4] = {0x3C00, 0xC000, 0x7BFF, 0x0001}, bf16[1] = {0x3F80};
    int64_t i64[2] = {-1, 1LL << 40};
    uint8_t u8[6] = {1, 2, 3, 4, 5, 6}, b[1] = {1};
    wl_st_tensor all[] = {
        {.name = "model.encoder.conv1.weight", .dtype = WL_F32, .ndim = 2, .shape = {2, 3}, .data = f32, .nbytes = 24},
        {.name = "f16", .dtype = WL_F16, .ndim = 1, .shape = {4}, .data = f16, .nbytes = 8},
        {.name = "scalar", .dtype = WL_BF16, .ndim = 0, .data = bf16, .nbytes = 2},
        {.name = "i64", .dtype = WL_I64, .ndim = 1, .shape = {2}, .data = i64, .nbytes = 16},
        {.name = "empty", .dtype = WL_I32, .ndim = 2, .shape = {0, 5}, .data = u8, .nbytes = 0},
        {.name = "u8", .dtype = WL_U8, .ndim = 3, .shape = {3, 1, 2}, .data = u8, .nbytes = 6},
        {.name = "bool", .dtype = WL_BOOL, .ndim = 1, .shape = {1}, .data = b, .nbytes = 1},
    };
    if (wl_st_write(seed(p, sizeof p, "safetensors", "writer-all-dtypes.safetensors"), all, 7, err, sizeof err) ||
        wl_st_write(seed(p, sizeof p, "safetensors", "writer-one.safetensors"), all, 1, err, sizeof err) ||
        wl_st_write(seed(p, sizeof p, "safetensors", "writer-none.safetensors"), all, 0, err, sizeof err))
        fz_die(err, p);
}

/* 0.05 s (at most 800 frames) of a 440 Hz tone in the given format, rate and channel count. */
static void audio_seed(const char *name, int format, int rate, int channels)
{
    char p[1024];
    SF_INFO info = {.samplerate = rate, .channels = channels, .format = format};
    SNDFILE *f = sf_open(seed(p, sizeof p, "audio", name), SFM_WRITE, &info);
    if (!f) fz_die(sf_strerror(NULL), p);
    int frames = rate / 20 < 800 ? rate / 20 : 800;
    float *x = malloc((size_t)frames * channels * sizeof *x);
    for (int i = 0; i < frames * channels; i++) x[i] = 0.5f * sinf(2 * 3.14159265f * 440 * (i / channels) / rate);
    sf_writef_float(f, x, frames);
    sf_close(f);
    free(x);
}

static void audio_seeds(void)
{
    audio_seed("pcm16-16k-mono.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1);
    audio_seed("pcm16-8k-stereo.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 2);
    audio_seed("float-44k-mono.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 44100, 1);
    audio_seed("float-16k-stereo.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 2);
    audio_seed("double-16k-stereo.wav", SF_FORMAT_WAV | SF_FORMAT_DOUBLE, 16000, 2);
    audio_seed("pcm24-22k.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_24, 22050, 1);
    audio_seed("ulaw-8k.au", SF_FORMAT_AU | SF_FORMAT_ULAW, 8000, 1);
    audio_seed("flac-16k.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16000, 1);
    audio_seed("vorbis-16k.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 16000, 1);
    audio_seed("pcm32-48k-6ch.wav", SF_FORMAT_WAVEX | SF_FORMAT_PCM_32, 48000, 6);
}

static void tokenizer_load_seeds(const char *model_dir)
{
    char small[600], p[1024], name[64];
    fz_small_tokenizer(model_dir, fz_join(small, sizeof small, fz_scratch(), "tok"));
    for (int i = 0; i < FZ_N_TOKENIZER_FILES; i++) {
        size_t n;
        char *text = fz_read(fz_join(p, sizeof p, small, FZ_TOKENIZER_FILES[i]), &n);
        char *s = malloc(n + 1);
        s[0] = (char)i;
        memcpy(s + 1, text, n);
        snprintf(name, sizeof name, "%d-%s", i, FZ_TOKENIZER_FILES[i]);
        fz_write(seed(p, sizeof p, "tokenizer_load", name), s, n + 1);
        free(s), free(text);
    }
}

static const char *const TEXTS[] = {
    "I work", " you worked", "She will eat.", "Hello, world! It's 3.14 -- don't   you think?\n",
    "naïve café, 日本語のテキスト, Ελληνικά, 🎉👍🏽", "   leading and trailing   ", "'s't're've'm'll'd",
    "tab\tnew\nline\r\n\u00a0nbsp", "<|startoftranscript|><|notimestamps|> hi<|endoftext|>", "<|0.00|> a<|1.50|>",
};

static void tokenizer_bpe_seeds(const char *model_dir)
{
    char p[1024], err[1024], name[64];
    wl_tokenizer *t;
    if (wl_tokenizer_load(model_dir, &t, err, sizeof err) != WL_OK) fz_die(err, model_dir);
    int tb = wl_tokenizer_timestamp_begin(t);
    for (size_t k = 0; k < sizeof TEXTS / sizeof *TEXTS; k++) {
        size_t n = strlen(TEXTS[k]);
        char *s = malloc(n + 1);
        s[0] = 0, memcpy(s + 1, TEXTS[k], n);
        snprintf(name, sizeof name, "text-%zu", k);
        fz_write(seed(p, sizeof p, "tokenizer_bpe", name), s, n + 1);
        free(s);
        /* ids: <|startoftranscript|> <|0.00|> text <|1.00|> <|1.00|> text <|2.00|> <|endoftext|> */
        int32_t *ids, ts[3] = {tb, tb + 50, tb + 100};
        int m;
        if (wl_tokenize(t, TEXTS[k], n, &ids, &m, err, sizeof err) != WL_OK) fz_die(err, "wl_tokenize");
        int32_t seq[256];
        int len = 0;
        seq[len++] = wl_token_id(t, "<|startoftranscript|>"), seq[len++] = ts[0];
        for (int i = 0; i < m && len < 120; i++) seq[len++] = ids[i];
        seq[len++] = ts[1], seq[len++] = ts[1];
        for (int i = 0; i < m && len < 250; i++) seq[len++] = ids[i];
        seq[len++] = ts[2], seq[len++] = wl_token_id(t, "<|endoftext|>");
        free(ids);
        uint8_t bytes[1 + sizeof seq];
        bytes[0] = (uint8_t)(1 + 2 * (k % 4)); /* odd: ids; flags k % 4 */
        memcpy(bytes + 1, seq, (size_t)len * 4);
        snprintf(name, sizeof name, "ids-%zu", k);
        fz_write(seed(p, sizeof p, "tokenizer_bpe", name), bytes, 1 + (size_t)len * 4);
    }
    wl_tokenizer_free(t);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: make_seeds <corpus folder> <model folder with a tokenizer>\n");
        return 2;
    }
    snprintf(root, sizeof root, "%s", argv[1]);
    fz_mkdir(root);
    safetensors_seeds();
    audio_seeds();
    tokenizer_load_seeds(argv[2]);
    tokenizer_bpe_seeds(argv[2]);
    return 0;
}
