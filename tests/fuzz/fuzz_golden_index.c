/* Fuzzes the golden index reader (tests/golden.c) with the input as golden/<model>/index.json in
 * a scratch folder: t_golden_open, then per clip t_golden_clip and t_golden_open_clip, and
 * t_golden_check_fresh against a scratch model folder, audio folder and exporter whose files are
 * small and known (the hashes in tests/fuzz/seeds/golden_index/ match them). */
#include "../golden.h"
#include "fuzz.h"

static char dir[512], index_path[600], model[512], audio[512], exporter[600];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char p[1024], err[512];
    const char *s = fz_scratch();
    fz_mkdir(fz_join(dir, sizeof dir, s, "golden"));
    fz_join(index_path, sizeof index_path, dir, "index.json");
    fz_mkdir(fz_join(model, sizeof model, s, "model"));
    fz_mkdir(fz_join(audio, sizeof audio, s, "audio"));
    fz_write(fz_join(exporter, sizeof exporter, s, "export_golden.py"), "\nEXPORTER_VERSION = 1\n", 22);
    fz_write(fz_join(p, sizeof p, model, "model.safetensors"), "", 0); /* SHA256 e3b0c442... */
    fz_write(fz_join(p, sizeof p, model, "config.json"), "", 0);
    fz_write(fz_join(p, sizeof p, audio, "clip_01.wav"), "", 0);
    float x[4] = {1, 2, 3, 4};
    wl_st_tensor t = {.name = "mel", .dtype = WL_F32, .ndim = 2, .shape = {2, 2}, .data = x, .nbytes = sizeof x};
    if (wl_st_write(fz_join(p, sizeof p, dir, "clip_01.safetensors"), &t, 1, err, sizeof err)) fz_die(err, p);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_write(index_path, data, size);
    t_golden g;
    char err[1024] = "";
    if (t_golden_open(&g, dir, err, sizeof err) != 0) {
        FZ_CHECK(err[0] && !g.index, "refused without a message, or with the index kept");
        return 0;
    }
    const cJSON *clips = cJSON_GetObjectItem(g.index, "clips"), *c;
    FZ_CHECK(cJSON_IsObject(clips), "accepted an index without a clips object");
    cJSON_ArrayForEach(c, clips)
    {
        const cJSON *found = t_golden_clip(&g, c->string);
        FZ_CHECK(found && !strcmp(found->string, c->string), "clip %s not found by its id", c->string);
        wl_st_file f;
        if (t_golden_open_clip(&g, c->string, &f, err, sizeof err) == 0) {
            t_golden_view(&f, "mel");
            wl_st_close(&f);
        }
    }
    t_golden_check_fresh(&g, model, audio, exporter, err, sizeof err);
    t_golden_close(&g);
    return 0;
}
