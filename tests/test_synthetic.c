/* The synthetic checkpoint: its generator's numerics, the folder's completeness, every tensor
 * name and shape against config.json, and the recorded SHA256 (stable across builds). */
#include "../engine/model/config.h"
#include "../engine/model/layout.h"
#include "../engine/io/model_path.h"
#include "../engine/io/safetensors.h"
#include "../engine/base/sha256.h"
#include "../gen/synthetic_checkpoint.h"
#include "../gen/synthetic_values.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define FOLDER "build/whisper-tiny.en-synthetic"
#define RECORDED "data/models/whisper-tiny.en-synthetic.sha256"

static void read_recorded_sha(char hex[65])
{
    FILE *f = fopen(RECORDED, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%64s", hex), 1);
    fclose(f);
}

static void test_unit_values_are_standardised(void **state)
{
    (void)state;
    const int n = 1000000;
    double sum = 0, sum2 = 0, peak = 0;
    for (int i = 0; i < n; i++) {
        double u = gen_synth_unit(WL_SYNTH_SEED, "model.decoder.embed_tokens.weight", (uint64_t)i);
        sum += u, sum2 += u * u;
        peak = fmax(peak, fabs(u));
    }
    double mean = sum / n, var = sum2 / n - mean * mean;
    printf("  unit: mean %.5f, variance %.5f, max |u| %.4f over %d draws\n", mean, var, peak, n);
    /* Standard error of the mean is 1e-3 and of the variance ~1.3e-3: 5-sigma bounds. */
    assert_true(fabs(mean) < 5e-3);
    assert_true(fabs(var - 1) < 7e-3);
    assert_true(peak <= 2 * 65535 / 37837.22723720648 + 1e-12);
    /* Different names give different streams. */
    assert_true(gen_synth_unit(WL_SYNTH_SEED, "a", 0) != gen_synth_unit(WL_SYNTH_SEED, "b", 0));
}

static void test_libm_free_math_matches_libm(void **state)
{
    (void)state;
    double worst_exp = 0, worst_sin = 0;
    for (int i = 0; i <= 20000; i++) {
        double x = -10.0 * i / 20000;
        worst_exp = fmax(worst_exp, fabs(gen_det_exp(x) - exp(x)) / exp(x));
    }
    for (int i = 0; i <= 300000; i++) {
        double x = 1500.0 * i / 300000, s, c;
        gen_det_sincos(x, &s, &c);
        worst_sin = fmax(worst_sin, fmax(fabs(s - sin(x)), fabs(c - cos(x))));
    }
    printf("  exp: worst relative error %.2e; sin/cos on [0,1500]: worst abs error %.2e\n",
           worst_exp, worst_sin);
    /* Both are ~1e-16 per operation; 1e-13 leaves room for range reduction at x = 1500. */
    assert_true(worst_exp < 1e-14);
    assert_true(worst_sin < 1e-13);
}

static void test_folder_is_complete(void **state)
{
    (void)state;
    char err[512];
    if (wl_model_folder_check(FOLDER, err, sizeof err)) fail_msg("%s", err);
}

static void test_tensors_match_config(void **state)
{
    (void)state;
    char err[512];
    wl_config cfg;
    assert_int_equal(wl_config_load(&cfg, FOLDER "/config.json", err, sizeof err), 0);
    wl_st_file f;
    if (wl_st_open(&f, FOLDER "/model.safetensors", err, sizeof err)) fail_msg("%s", err);
    if (wl_layout_check(&f, &cfg, err, sizeof err)) fail_msg("%s", err);
    int64_t params = 0;
    for (int i = 0; i < f.n; i++) {
        assert_int_equal(f.tensors[i].dtype, WL_F32);
        params += (int64_t)(f.tensors[i].nbytes / 4);
    }
    /* Facts about the real tiny.en file as transformers writes it. */
    printf("  %d tensors, %lld parameters, %zu bytes\n", f.n, (long long)params, f.map_size);
    assert_int_equal(f.n, 167);
    assert_int_equal(params, 37760256);
    assert_int_equal(f.map_size, 151060136);
    assert_null(wl_st_find(&f, "proj_out.weight")); /* tied to embed_tokens */
    wl_st_close(&f);
}

static void test_positions_are_sinusoids(void **state)
{
    (void)state;
    char err[512];
    wl_st_file f;
    assert_int_equal(wl_st_open(&f, FOLDER "/model.safetensors", err, sizeof err), 0);
    const wl_st_tensor *t = wl_st_find(&f, "model.encoder.embed_positions.weight");
    assert_non_null(t);
    const float *p = t->data;
    int T = (int)t->shape[0], C = (int)t->shape[1], H = C / 2;
    double worst = 0;
    for (int ti = 0; ti < T; ti++)
        for (int c = 0; c < H; c++) {
            float inv = (float)exp((double)(float)((float)(-log(10000.0) / (H - 1)) * (float)c));
            double x = (double)((float)ti * inv);
            worst = fmax(worst, fabs(p[ti * C + c] - sin(x)));
            worst = fmax(worst, fabs(p[ti * C + H + c] - cos(x)));
        }
    printf("  embed_positions vs libm sinusoids: worst abs diff %.2e\n", worst);
    assert_true(worst <= 6e-8); /* float32 rounding of a value in [-1, 1]: half an ulp at 1 */
    assert_true(p[0] == 0.0f && p[H] == 1.0f);
    wl_st_close(&f);
}

/* A tiny config exercises the layout check's error paths quickly. */
static void test_layout_check_rejects_bad_files(void **state)
{
    (void)state;
    const char *cfg_path = "build/tmp/tiny_config.json";
    FILE *cf = fopen(cfg_path, "w");
    fputs("{\"num_mel_bins\":4,\"d_model\":8,\"encoder_layers\":1,\"encoder_attention_heads\":2,"
          "\"encoder_ffn_dim\":16,\"decoder_layers\":1,\"decoder_attention_heads\":2,"
          "\"decoder_ffn_dim\":16,\"max_source_positions\":6,\"max_target_positions\":5,"
          "\"vocab_size\":11}", cf);
    fclose(cf);
    char err[512];
    wl_config cfg;
    assert_int_equal(wl_config_load(&cfg, cfg_path, err, sizeof err), 0);
    assert_int_equal(gen_write_synthetic(cfg_path, "build/tmp/tiny.safetensors", NULL, NULL, err,
                                         sizeof err), 0);
    wl_st_file f;
    assert_int_equal(wl_st_open(&f, "build/tmp/tiny.safetensors", err, sizeof err), 0);
    assert_int_equal(wl_layout_check(&f, &cfg, err, sizeof err), 0);
    wl_st_close(&f);

    cfg.d_model = 10; /* every shape now disagrees */
    cfg.enc_heads = cfg.dec_heads = 2;
    assert_int_equal(wl_st_open(&f, "build/tmp/tiny.safetensors", err, sizeof err), 0);
    assert_int_equal(wl_layout_check(&f, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "expected ("));
    cfg.d_model = 8;
    cfg.dec_layers = 2; /* decoder layer 1 is missing */
    assert_int_equal(wl_layout_check(&f, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "missing tensor 'model.decoder.layers.1."));
    cfg.dec_layers = 1;
    cfg.enc_layers = 0; /* now encoder layer 0 is unknown */
    assert_int_equal(wl_layout_check(&f, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown tensor 'model.encoder.layers.0."));
    wl_st_close(&f);

    assert_int_equal(wl_config_load(&cfg, "build/tmp/no-config.json", err, sizeof err), -1);
    assert_non_null(strstr(err, "no-config.json: cannot open"));
}

static void test_sha256_is_recorded_and_stable(void **state)
{
    (void)state;
    char want[65], got[65], again[65], err[512];
    read_recorded_sha(want);
    assert_int_equal(wl_sha256_file(FOLDER "/model.safetensors", got, err, sizeof err), 0);
    /* A second, independent generation must give the same bytes. */
    assert_int_equal(gen_write_synthetic(FOLDER "/config.json", "build/tmp/regen.safetensors",
                                         NULL, NULL, err, sizeof err), 0);
    assert_int_equal(wl_sha256_file("build/tmp/regen.safetensors", again, err, sizeof err), 0);
    remove("build/tmp/regen.safetensors");
    printf("  recorded %s\n  built    %s\n  rebuilt  %s\n", want, got, again);
    assert_string_equal(got, want);
    assert_string_equal(again, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unit_values_are_standardised),
        cmocka_unit_test(test_libm_free_math_matches_libm),
        cmocka_unit_test(test_folder_is_complete),
        cmocka_unit_test(test_tensors_match_config),
        cmocka_unit_test(test_positions_are_sinusoids),
        cmocka_unit_test(test_layout_check_rejects_bad_files),
        cmocka_unit_test(test_sha256_is_recorded_and_stable),
    };
    if (system("mkdir -p build/tmp")) return 1;
    return cmocka_run_group_tests_name("synthetic checkpoint", tests, NULL, NULL);
}
