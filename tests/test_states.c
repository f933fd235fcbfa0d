/* One loaded model, several run states: the model is read-only once loaded, and everything a call
 * writes is its state's, so two threads with a state each transcribe different clips at once and
 * each gets bitwise what it gets alone.
 *
 * Each thread takes its clip from the audio file to the end of HF's generate() with timestamps,
 * token times and the cross-attention kept, then a 3-beam search, then the text. The engine's
 * pool serves one job at a time: a state whose job finds it busy runs that job on its own thread,
 * which gives the same bits (every product's shape is fixed by where its block lies, whatever the
 * thread count). Expected difference from the run alone: none. */
#include "encode.h"
#include "../engine/session/session.h"
#include "../engine/whisperlab.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define MICRO "build/whisper-micro.en"
#define SYNTH "build/whisper-tiny.en-synthetic"

/* A clip's transcription: the encoder output, two searches and the text of the first. */
typedef struct {
    float *enc;
    size_t n_enc;
    wl_result *greedy, *beam;
    char *text;
    char err[512];
} transcript;

typedef struct {
    const wl_model *model;
    const wl_gen_config *cfg;
    const wl_tokenizer *tok; /* NULL: the encoder only */
    const char *wav;
    int rounds; /* the whole transcription again, in the same state */
    transcript out;
} job;

static void transcript_free(transcript *t)
{
    free(t->enc), free(t->text);
    wl_result_free(t->greedy), wl_result_free(t->beam);
    memset(t, 0, sizeof *t);
}

/* wav through a fresh state over j->model; 0, or -1 with j->out.err. */
static int transcribe(job *j)
{
    transcript *t = &j->out;
    wl_dims d = wl_model_dims(j->model);
    wl_state *s = NULL;
    t->n_enc = (size_t)d.n_audio_ctx * d.d_model;
    int rc = wl_state_new(j->model, NULL, NULL, &s, t->err, sizeof t->err);
    for (int r = 0; !rc && r < j->rounds; r++) {
        wl_result_free(t->greedy), wl_result_free(t->beam), free(t->text), free(t->enc);
        t->greedy = t->beam = NULL, t->text = NULL;
        size_t n = 0;
        if (!(t->enc = t_encode(s, j->wav, &n, t->err, sizeof t->err))) rc = -1;
        if (rc || !j->tok) continue;
        wl_gen_opts g = {.beams = 1, .timestamps = 1, .token_timestamps = 1, .num_frames = (int)(n / WL_HOP)};
        wl_gen_opts b = {.beams = 3, .timestamps = 1, .num_frames = (int)(n / WL_HOP)};
        rc = wl_generate(s, j->cfg, t->enc, &g, &t->greedy, t->err, sizeof t->err) ||
             wl_generate(s, j->cfg, t->enc, &b, &t->beam, t->err, sizeof t->err);
        if (!rc && !(t->text = wl_detokenize(j->tok, t->greedy->tokens, t->greedy->n_tokens, WL_DECODE_TIMESTAMPS))) {
            snprintf(t->err, sizeof t->err, "out of memory");
            rc = -1;
        }
    }
    wl_state_free(s);
    return rc ? -1 : 0;
}

static void *run_job(void *p)
{
    job *j = p;
    if (transcribe(j)) fprintf(stderr, "%s: %s\n", j->wav, j->out.err);
    return NULL;
}

static size_t attn_floats(const wl_result *r)
{
    return r->cross_attn ? (size_t)(r->n_tokens - 1) * r->layers * r->heads * r->n_audio_ctx : 0;
}

/* Every number of two results, bit for bit. */
static void expect_same_result(const wl_result *a, const wl_result *b, const char *what)
{
    if (!a || !b) fail_msg("%s: no result", what);
    if (a->n_tokens != b->n_tokens || a->n_prompt != b->n_prompt || a->n_steps != b->n_steps ||
        memcmp(a->tokens, b->tokens, (size_t)a->n_tokens * sizeof *a->tokens) ||
        memcmp(a->steps, b->steps, (size_t)a->n_steps * sizeof *a->steps) || memcmp(&a->score, &b->score, sizeof a->score))
        fail_msg("%s: tokens, steps or score differ from the run alone", what);
    if (!a->token_time != !b->token_time ||
        (a->token_time && memcmp(a->token_time, b->token_time, (size_t)a->n_tokens * sizeof(float))))
        fail_msg("%s: token times differ from the run alone", what);
    if (attn_floats(a) != attn_floats(b) ||
        (attn_floats(a) && memcmp(a->cross_attn, b->cross_attn, attn_floats(a) * sizeof(float))))
        fail_msg("%s: cross-attention differs from the run alone", what);
}

static void expect_same(const transcript *alone, const transcript *together, const char *wav)
{
    char what[256];
    if (!together->enc || memcmp(alone->enc, together->enc, alone->n_enc * sizeof(float)))
        fail_msg("%s: encoder output differs from the run alone", wav);
    if (!alone->greedy) return;
    snprintf(what, sizeof what, "%s greedy", wav);
    expect_same_result(alone->greedy, together->greedy, what);
    snprintf(what, sizeof what, "%s beam 3", wav);
    expect_same_result(alone->beam, together->beam, what);
    if (!together->text || strcmp(alone->text, together->text)) fail_msg("%s: text differs from the run alone", wav);
}

/* Jobs each alone, one after another, then all at once on their own threads, over one model. */
static void alone_then_together(job *jobs, int n)
{
    transcript alone[4];
    for (int i = 0; i < n; i++) {
        if (transcribe(&jobs[i])) fail_msg("%s: %s", jobs[i].wav, jobs[i].out.err);
        alone[i] = jobs[i].out;
        memset(&jobs[i].out, 0, sizeof jobs[i].out);
    }
    pthread_t th[4];
    for (int i = 0; i < n; i++)
        if (pthread_create(&th[i], NULL, run_job, &jobs[i])) fail_msg("no thread");
    for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < n; i++) {
        expect_same(&alone[i], &jobs[i].out, jobs[i].wav);
        if (alone[i].text) printf("    %s: %s\n", jobs[i].wav, alone[i].text);
        transcript_free(&alone[i]), transcript_free(&jobs[i].out);
    }
}

/* whisper-micro.en, at 1 and 2 engine threads: two clips transcribed at once, twice each in
 * their states (the second round reuses every kept buffer and the cross K/V cache). */
static void test_two_states_transcribe_at_once(void **unused)
{
    (void)unused;
    for (int threads = 1; threads <= 2; threads++) {
        wl_session s;
        char err[1024];
        if (wl_session_open(&s, MICRO, NULL, threads, err, sizeof err)) fail_msg("%s", err);
        job jobs[2] = {{s.model, &s.cfg, s.tok, "data/audio/clip_04.wav", 2, {0}},
                       {s.model, &s.cfg, s.tok, "data/audio/err_02.wav", 2, {0}}};
        printf("  whisper-micro.en, %d engine thread(s), two states at once:\n", wl_threads());
        alone_then_together(jobs, 2);
        wl_session_close(&s);
    }
}

/* The synthetic tiny.en's encoder (384 wide, 1500 positions): three states at once on 2 engine
 * threads, so the pool is busy for at least one of them at every step. */
static void test_three_encoders_at_once(void **unused)
{
    (void)unused;
    wl_params p = wl_default_params();
    p.n_threads = 2;
    wl_model *m;
    char err[1024];
    if (wl_model_load(SYNTH, p, &m, err, sizeof err)) fail_msg("%s", err);
    job jobs[3] = {{m, NULL, NULL, "data/audio/clip_09.wav", 1, {0}},
                   {m, NULL, NULL, "data/audio/clip_20.wav", 1, {0}},
                   {m, NULL, NULL, "data/audio/err_05.wav", 1, {0}}};
    alone_then_together(jobs, 3);
    printf("  synthetic tiny.en: three encoder outputs at once, each bitwise as alone\n");
    wl_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_states_transcribe_at_once),
        cmocka_unit_test(test_three_encoders_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
