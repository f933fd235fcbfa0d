/* The fixture test_engine and test_engine_inputs share: the synthetic tiny.en loaded once on one
 * thread (M, its dims D) and a clip's encoder output. Each program includes this once: its
 * functions are static. */
#ifndef T_ENGINE_FIXTURE_H
#define T_ENGINE_FIXTURE_H

#include "encode.h"
#include "../engine/whisperlab.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#define SYNTH "build/whisper-tiny.en-synthetic"
#define CLIP "data/audio/clip_03.wav"

static wl_model *M;
static wl_state *ST; /* over M */
static wl_dims D;
static char err[1024];

static int setup(void **state)
{
    (void)state;
    wl_params p = wl_default_params();
    p.n_threads = 1;
    if (wl_model_load(SYNTH, p, &M, err, sizeof err) || wl_state_new(M, NULL, NULL, &ST, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    D = wl_model_dims(M);
    return system("mkdir -p build/tmp") ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    wl_state_free(ST);
    wl_model_free(M);
    return 0;
}

/* audio -> mel -> encoder output of one clip through state s; caller frees. */
static float *encode_clip(wl_state *s, const char *wav)
{
    float *enc = t_encode(s, wav, NULL, err, sizeof err);
    if (!enc) fail_msg("%s", err);
    return enc;
}

#endif
