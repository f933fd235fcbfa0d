/* Fuzzes wl_gen_config_load with the input as generation_config.json, in a scratch folder beside
 * a copy of the real tiny.en config.json. An accepted config must fit that model: ids inside the
 * vocabulary, alignment heads inside the decoder, max_length within its positions, the prompt
 * starting with decoder_start, an odd median filter width. */
#include "../../engine/whisperlab.h"
#include "fuzz.h"

#define N_VOCAB 51864 /* data/models/whisper-tiny.en/config.json */
#define LAYERS 4
#define HEADS 6
#define POSITIONS 448

static char dir[512], gen_path[600];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char path[600];
    fz_join(dir, sizeof dir, fz_scratch(), "model");
    fz_mkdir(dir);
    fz_copy("data/models/whisper-tiny.en/config.json", fz_join(path, sizeof path, dir, "config.json"));
    fz_join(gen_path, sizeof gen_path, dir, "generation_config.json");
    return 0;
}

static int in_vocab(long id) { return id >= 0 && id < N_VOCAB; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_write(gen_path, data, size);
    wl_gen_config c;
    char err[512] = "";
    if (wl_gen_config_load(dir, &c, err, sizeof err) != WL_OK) {
        FZ_CHECK(err[0] && !c.prompt && !c.suppress && !c.begin_suppress && !c.alignment_heads,
                 "refused without a message, or with lists left allocated");
        return 0;
    }
    FZ_CHECK(in_vocab(c.decoder_start) && in_vocab(c.eos), "start %d, eos %d", c.decoder_start, c.eos);
    FZ_CHECK(c.no_timestamps == -1 ? c.timestamp_begin == -1
                                   : in_vocab(c.no_timestamps) && c.timestamp_begin == c.no_timestamps + 1,
             "no_timestamps %d, timestamp_begin %d", c.no_timestamps, c.timestamp_begin);
    FZ_CHECK(c.n_prompt >= 1 && c.prompt && c.prompt[0] == c.decoder_start, "prompt of %d", c.n_prompt);
    for (int i = 1; i < c.n_prompt; i++) FZ_CHECK(in_vocab(c.prompt[i]), "prompt token %d", c.prompt[i]);
    FZ_CHECK(c.max_length >= 1 && c.max_length <= POSITIONS, "max_length %d", c.max_length);
    FZ_CHECK(c.median_filter_width >= 1 && c.median_filter_width % 2 == 1, "width %d", c.median_filter_width);
    FZ_CHECK(c.n_suppress >= 0 && c.n_begin_suppress >= 0 && c.n_alignment_heads >= 0, "negative list length");
    for (int i = 0; i < c.n_alignment_heads; i++)
        FZ_CHECK(c.alignment_heads[2 * i] >= 0 && c.alignment_heads[2 * i] < LAYERS &&
                     c.alignment_heads[2 * i + 1] >= 0 && c.alignment_heads[2 * i + 1] < HEADS,
                 "alignment head (%d, %d)", c.alignment_heads[2 * i], c.alignment_heads[2 * i + 1]);
    long sum = 0; /* every list entry readable */
    for (int i = 0; i < c.n_suppress; i++) sum += c.suppress[i];
    for (int i = 0; i < c.n_begin_suppress; i++) sum += c.begin_suppress[i];
    (void)sum;
    wl_gen_config_free(&c);
    return 0;
}
