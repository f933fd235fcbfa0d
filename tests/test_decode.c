/* Decoding against HF generate() on every clip of the goldens (24 lab clips + 5 grammar-error
 * clips): greedy and beam search, with and without timestamps.
 *
 * Sequences: the engine's free-running sequence must equal HF's. Tie rule: where HF's top two
 * processed scores at a step differ by less than epsilon (the tolerance row decode.tie: twice the
 * logits tolerance, since each of the two scores may be off by that much, so their order is not
 * decided by the numbers we can check), another choice is allowed, reported, and the check goes
 * on teacher-forced on HF's token. Every step is therefore also run forced on HF's tokens, which
 * says at which steps the engine's own choice differs and whether each such step is a tie.
 * Beam search keeps five hypotheses, so a different winner is allowed only when its score and
 * HF's winner's (both scored by the engine) are within decode.tie of each other.
 *
 * Numbers (tolerance rows decode.*): per-step log-probs and top-5 as compute_transition_scores
 * and HF's processed scores give them, beam scores (sequences_scores), token timestamps
 * (return_token_timestamps) within 0.02 s, and each step's cross-attention within the stage
 * tolerance of cross_attn.N (lab and edge clips, whose goldens keep cross-attention along greedy).
 *
 * The KV cache as generation uses it (test_kv_cache_steps_match_hf): for the clips with a step
 * golden, the first P tokens of HF's greedy sequence in one wl_decoder_feed call, then one token
 * per call, against HF run the same way (use_cache=True, past_key_values): every row's logits and
 * every layer's cross-attention (tolerance rows step.logits, step.cross_attn.N).
 * The tables go to build/verify/decode[_steps].<model>.json, decode's with the per-mode counts.
 * WL_GOLDEN and WL_MODEL choose another golden folder and model. */
#include "encode.h"
#include "../engine/whisperlab.h"
#include "baseline.h"
#include "diff.h"
#include "golden.h"
#include "fatal_signal.h"
#include "kernel_paths.h"
#include "suite.h"
#include "tolerances.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* beam5_early: generate(num_beams=5, early_stopping=True), run when the golden's settings name it
 * (early_stopping_mode; goldens exported before it lack it and say so in the table). */
static const struct {
    const char *name;
    int beam, timestamps, early_stopping;
} MODES[] = {{"greedy", 0, 0, 0}, {"greedy_ts", 0, 1, 0}, {"beam5", 1, 0, 0}, {"beam5_ts", 1, 1, 0},
             {"beam5_early", 1, 0, 1}};
#define N_MODES 5

typedef struct {
    int clips, equal, tie_clips, failed, steps, ties;
} mode_count;

static t_golden G;
static wl_model *M;
static wl_state *ST; /* over M */
static wl_gen_config CFG;
static wl_dims D;
static t_suite *SUITE;
static mode_count COUNT[N_MODES];
static cJSON *FAILED_CLIPS[N_MODES]; /* per mode, the ids of the clips it failed on */
static t_tol TIE;
static int MAX_NEW, BEAMS, HAS_EARLY;
static char err[1024];
/* The encoder outputs of the clips with a step golden, kept from the decoding test for the KV
 * cache test (the same model and audio give the same bits). */
enum { KEEP_MAX = 8 };
static struct {
    char id[64];
    float *enc;
} KEEP[KEEP_MAX];

static int setup(void **state)
{
    (void)state;
    char tol_file[1100];
    const char *gdir = t_golden_dir_under_test(), *mdir = t_model_dir_under_test();
    t_golden_tolerance_file(gdir, tol_file, sizeof tol_file);
    if (t_kernel_path_take(err, sizeof err)) { /* make verify-kernels */
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    wl_params p = wl_default_params();
    p.n_threads = getenv("WL_THREADS") ? atoi(getenv("WL_THREADS")) : 1;
    if (t_golden_open(&G, gdir, err, sizeof err) || t_tol_load(tol_file, err, sizeof err) ||
        t_tol_find("decode.tie", &TIE, NULL) || wl_model_load(mdir, p, &M, err, sizeof err) || wl_state_new(M, NULL, NULL, &ST, err, sizeof err) ||
        wl_gen_config_load(mdir, &CFG, err, sizeof err)) {
        fprintf(stderr, "%s\n", *err ? err : "tolerance table lacks decode.tie");
        return -1;
    }
    D = wl_model_dims(M);
    const cJSON *set = cJSON_GetObjectItem(G.index, "settings");
    const cJSON *mx = cJSON_GetObjectItem(set, "max_new_tokens"), *b = cJSON_GetObjectItem(set, "beams");
    MAX_NEW = cJSON_IsNumber(mx) ? mx->valueint : 0; /* the synthetic model never ends: HF capped it */
    BEAMS = cJSON_IsNumber(b) ? b->valueint : 5;
    HAS_EARLY = cJSON_IsString(cJSON_GetObjectItem(set, "early_stopping_mode"));
    char title[2400];
    snprintf(title, sizeof title, "decoding vs HF generate() (%s, %s)", gdir, tol_file);
    SUITE = t_suite_new(title);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    t_suite_free(SUITE);
    wl_gen_config_free(&CFG);
    wl_state_free(ST);
    wl_model_free(M);
    t_golden_close(&G);
    for (int i = 0; i < KEEP_MAX; i++) free(KEEP[i].enc);
    for (int m = 0; m < N_MODES; m++) cJSON_Delete(FAILED_CLIPS[m]);
    return 0;
}

static int FROM_CACHE, ENCODED; /* encoder outputs taken from test_stages' run, and computed here */

/* The engine's encoder output for a clip: kept from earlier, test_stages' of this verify run
 * (WL_ENCODER_CACHE), or computed. */
static float *encode_clip(const char *id, const char *wav)
{
    for (int i = 0; i < KEEP_MAX; i++)
        if (KEEP[i].enc && !strcmp(KEEP[i].id, id)) {
            float *enc = KEEP[i].enc;
            KEEP[i].enc = NULL;
            return enc;
        }
    float *enc = t_cache_get(t_model_dir_under_test(), wav, wl_threads(), (size_t)D.n_audio_ctx * D.d_model);
    if (enc) return FROM_CACHE++, enc;
    enc = t_encode(ST, wav, NULL, err, sizeof err);
    if (!enc) fail_msg("%s", err);
    return ENCODED++, enc;
}

/* Keeps enc for the KV cache test if the clip has a step golden (else frees it). */
static void keep_or_free(const cJSON *clip, float *enc)
{
    for (int i = 0; i < KEEP_MAX && cJSON_GetObjectItem(clip, "step"); i++)
        if (!KEEP[i].enc) {
            snprintf(KEEP[i].id, sizeof KEEP[i].id, "%s", clip->string);
            KEEP[i].enc = enc;
            return;
        }
    free(enc);
}

static const wl_st_tensor *tensor(const wl_st_file *f, const char *mode, const char *what)
{
    char name[96];
    snprintf(name, sizeof name, "%s.%s", mode, what);
    const wl_st_tensor *t = wl_st_find(f, name);
    if (!t) fail_msg("golden lacks %s", name);
    return t;
}

static double tie_eps(double score) { return TIE.atol + TIE.rtol * fabs(score); }

static void add(const char *row, const char *clip, const float *got, const float *ref, int64_t n)
{
    t_tol tol;
    if (t_tol_find(row, &tol, NULL)) fail_msg("no tolerance row for %s", row);
    t_diff d = t_diff_arrays(got, ref, n, tol);
    t_suite_add(SUITE, row, clip, &d, tol);
    t_suite_fingerprint(SUITE, row, clip, got, (size_t)n * sizeof *got);
}

/* Per-step log-probs and top-5 of r (steps 0..n) against the golden; top-5 ids are compared
 * where HF's values are not tied (compare values, not indices, at ties). Returns id mismatches. */
static int compare_steps(const wl_result *r, const wl_st_file *f, const char *mode, const char *clip, int n)
{
    const float *lp = tensor(f, mode, "logprob")->data, *tv = tensor(f, mode, "top5.logprob")->data;
    const int32_t *ti = tensor(f, mode, "top5.ids")->data;
    float *got = malloc((size_t)n * WL_TOP * sizeof *got), *glp = malloc((size_t)n * sizeof *glp);
    int bad_ids = 0;
    for (int t = 0; t < n; t++) {
        glp[t] = r->steps[t].logprob;
        for (int k = 0; k < WL_TOP; k++) {
            got[t * WL_TOP + k] = r->steps[t].top_logprob[k];
            int distinct = (k == 0 || tv[t * WL_TOP + k - 1] - tv[t * WL_TOP + k] > tie_eps(tv[t * WL_TOP + k])) &&
                           (k == WL_TOP - 1 || tv[t * WL_TOP + k] - tv[t * WL_TOP + k + 1] > tie_eps(tv[t * WL_TOP + k]));
            if (distinct && isfinite(tv[t * WL_TOP + k]) && r->steps[t].top_id[k] != ti[t * WL_TOP + k]) {
                if (bad_ids++ < 3)
                    printf("FAIL %s clip %s step %d: top-5 #%d is %d, HF's is %d\n", mode, clip, t, k,
                           r->steps[t].top_id[k], ti[t * WL_TOP + k]);
            }
        }
    }
    char row[64];
    snprintf(row, sizeof row, "%s.logprob", mode);
    add(row, clip, glp, lp, n);
    snprintf(row, sizeof row, "%s.top5", mode);
    add(row, clip, got, tv, (int64_t)n * WL_TOP);
    free(got), free(glp);
    return bad_ids;
}

/* Cross-attention of every step (rows of the final sequence) against the golden's
 * teacher-forced cross_attn.N [heads, T, kept positions] and its whole-axis mean/RMS. */
static void compare_cross_attention(const wl_result *r, const wl_st_file *f, const char *clip)
{
    const int R = r->n_tokens - 1, H = r->heads, S = r->n_audio_ctx;
    float *full = malloc((size_t)H * R * S * sizeof *full);
    for (int l = 0; l < r->layers; l++) {
        char name[64], key[80];
        snprintf(name, sizeof name, "cross_attn.%d", l);
        for (int h = 0; h < H; h++)
            for (int i = 0; i < R; i++)
                memcpy(full + ((size_t)h * R + i) * S, r->cross_attn + (((size_t)i * r->layers + l) * H + h) * S,
                       (size_t)S * sizeof *full);
        t_view v = {full, 3, {H, R, S, 0}}, ref = t_golden_view(f, name);
        snprintf(key, sizeof key, "%s.index", name);
        const wl_st_tensor *ix = wl_st_find(f, key); /* absent when the clip is stored whole */
        if (!ref.data || ref.shape[1] != R) fail_msg("clip %s: golden %s missing or not %d steps", clip, name, R);
        int64_t kept_n = ix ? ix->shape[0] : S;
        float *kept = ix ? malloc((size_t)H * R * kept_n * sizeof *kept) : NULL;
        if (ix) t_gather(v, 2, ix->data, kept_n, kept);
        t_tol tol;
        if (t_tol_find(name, &tol, NULL)) fail_msg("no tolerance for %s", name);
        t_diff d = t_diff_views((t_view){ix ? kept : full, 3, {H, R, kept_n, 0}}, ref, tol);
        float *mean = malloc((size_t)H * R * sizeof *mean), *rms = malloc((size_t)H * R * sizeof *rms);
        t_axis_stats(v, 2, mean, rms);
        snprintf(key, sizeof key, "%s.mean", name);
        t_view rm = t_golden_view(f, key);
        snprintf(key, sizeof key, "%s.rms", name);
        t_view rr = t_golden_view(f, key);
        if (!rm.data || !rr.data) fail_msg("clip %s: golden %s lacks .mean or .rms", clip, name);
        d = t_diff_merge(d, t_diff_merge(t_diff_arrays(mean, rm.data, (int64_t)H * R, tol),
                                         t_diff_arrays(rms, rr.data, (int64_t)H * R, tol)));
        snprintf(key, sizeof key, "decode.%s", name);
        t_suite_add(SUITE, key, clip, &d, tol);
        t_suite_fingerprint(SUITE, key, clip, full, (size_t)H * R * S * sizeof *full);
        free(kept), free(mean), free(rms);
    }
    free(full);
}

/* A mode's search on one clip: HF's tokens, the engine's free run and its run forced along
 * HF's tokens (the same result when they agree). */
typedef struct {
    int on;
    const int32_t *want;
    int n_want, n_steps, n_prompt;
    wl_gen_opts o;
    wl_result *free_run, *forced;
} mode_run;

/* Runs the modes that are on and share early_stopping together (wl_generate_many: their
 * steps in one batch, each result as if alone); forced: the forced runs of the modes whose
 * free run left HF's sequence. */
static void run_group(mode_run *runs, const float *enc, const char *clip, int early, int forced)
{
    wl_gen_opts o[N_MODES];
    const float *encs[N_MODES];
    int idx[N_MODES], n = 0;
    for (int m = 0; m < N_MODES; m++) {
        mode_run *r = &runs[m];
        if (!r->on || MODES[m].early_stopping != early || (forced && r->forced)) continue;
        o[n] = r->o, encs[n] = enc, idx[n++] = m;
        if (forced) o[n - 1].forced = r->want + r->n_prompt, o[n - 1].n_forced = r->n_steps;
    }
    if (!n) return;
    wl_gen_config cfg = CFG; /* a shallow copy: only the flag differs */
    cfg.early_stopping = early ? 1 : CFG.early_stopping;
    wl_result *res[N_MODES];
    if (wl_generate_many(ST, &cfg, encs, o, n, res, err, sizeof err)) fail_msg("clip %s: %s", clip, err);
    for (int i = 0; i < n; i++) *(forced ? &runs[idx[i]].forced : &runs[idx[i]].free_run) = res[i];
}

static void run_mode(int mi, mode_run *r, const wl_st_file *f, const char *clip, int lab_clip)
{
    const char *mode = MODES[mi].name;
    mode_count *c = &COUNT[mi];
    const int32_t *want = r->want;
    const int n_want = r->n_want, n_steps = r->n_steps, n_prompt = r->n_prompt;
    wl_result *free_run = r->free_run, *forced = r->forced;
    assert_int_equal(free_run->n_prompt, n_prompt);
    assert_memory_equal(free_run->tokens, want, (size_t)n_prompt * sizeof *want);
    c->clips++, c->steps += n_steps;
    int equal = forced == free_run;
    int first_diff = n_prompt;
    while (first_diff < n_want && first_diff < free_run->n_tokens && free_run->tokens[first_diff] == want[first_diff])
        first_diff++;
    const float *tv = tensor(f, mode, "top5.logprob")->data;
    int ok = 1;
    if (!MODES[mi].beam) {
        /* Teacher-forced on HF's tokens: wherever the engine's own choice differs, HF's top two
         * must be tied; the free run may leave HF's sequence only at such a step. */
        for (int t = 0; t < n_steps; t++) {
            int free_choice = n_prompt + t == first_diff && first_diff < free_run->n_tokens;
            int32_t mine = free_choice ? free_run->tokens[first_diff] : forced->steps[t].top_id[0];
            if (mine == want[n_prompt + t]) continue;
            double gap = (double)tv[t * WL_TOP] - tv[t * WL_TOP + 1];
            int tie = gap < tie_eps(tv[t * WL_TOP]);
            printf("%s clip %s %s step %d: engine %d, HF %d; HF's top-2 gap %.3g (epsilon %.3g)%s\n",
                   tie ? "TIE" : "FAIL", clip, mode, t, mine, want[n_prompt + t], gap, tie_eps(tv[t * WL_TOP]),
                   free_choice ? "; the free run leaves HF's sequence here" : "");
            c->ties += tie;
            ok &= tie;
        }
        if (!equal && (first_diff >= n_want || first_diff >= free_run->n_tokens)) { /* one is a prefix of the other */
            printf("FAIL clip %s %s: %d tokens, HF has %d\n", clip, mode, free_run->n_tokens, n_want);
            ok = 0;
        }
    } else if (!equal) {
        /* A different beam winner: allowed only when its score and HF's winner's are tied. One
         * that is a prefix of the other is no other hypothesis (a finished one ends in
         * end-of-text, an unfinished one at max_len): the same scores then prove nothing. */
        double gap = fabs(free_run->score - forced->score);
        int prefix = first_diff >= n_want || first_diff >= free_run->n_tokens;
        int tie = !prefix && gap < tie_eps(forced->score);
        printf("%s clip %s %s: winner differs from HF's at position %d%s; scores %.7f (engine's) vs %.7f "
               "(HF's, engine-scored), gap %.3g\n", tie ? "TIE" : "FAIL", clip, mode, first_diff,
               prefix ? " (one sequence is a prefix of the other)" : "", free_run->score, forced->score, gap);
        c->ties += tie;
        ok &= tie;
    }
    /* Numbers along HF's sequence (forced), and along the engine's own when they agree. */
    int bad_ids = compare_steps(forced, f, mode, clip, n_steps);
    char row[64]; /* the engine's own sequence is part of its bits */
    snprintf(row, sizeof row, "%s.logprob", mode);
    t_suite_fingerprint(SUITE, row, clip, free_run->tokens, (size_t)free_run->n_tokens * sizeof *free_run->tokens);
    if (MODES[mi].beam) {
        snprintf(row, sizeof row, "%s.score", mode);
        float got = (float)forced->score;
        add(row, clip, &got, tensor(f, mode, "score")->data, 1);
    }
    if (mi == 0) {
        add("greedy.token_time", clip, forced->token_time, tensor(f, mode, "token_timestamps")->data, n_want);
        if (lab_clip) compare_cross_attention(forced, f, clip);
    }
    ok &= bad_ids == 0;
    c->equal += equal, c->tie_clips += !equal && ok, c->failed += !ok;
    if (!ok) {
        if (!FAILED_CLIPS[mi]) FAILED_CLIPS[mi] = cJSON_CreateArray();
        cJSON_AddItemToArray(FAILED_CLIPS[mi], cJSON_CreateString(clip));
    }
    if (forced != free_run) wl_result_free(forced);
    wl_result_free(free_run);
}

/* Every mode on one clip: the free runs, then forced runs where they left HF's sequence (when
 * the engine chose HF's tokens itself, the forced run is the free run: the forced path records
 * exactly what the search records, checked in test_decode_props). */
static void run_modes(const float *enc, const wl_st_file *f, const char *clip, int lab_clip)
{
    mode_run runs[N_MODES] = {0};
    for (int m = 0; m < N_MODES; m++) {
        mode_run *r = &runs[m];
        r->on = !MODES[m].early_stopping || HAS_EARLY;
        if (!r->on) continue;
        const wl_st_tensor *tt = tensor(f, MODES[m].name, "tokens");
        r->want = tt->data, r->n_want = (int)tt->shape[0];
        r->n_steps = (int)tensor(f, MODES[m].name, "logprob")->shape[0], r->n_prompt = r->n_want - r->n_steps;
        r->o = (wl_gen_opts){.beams = MODES[m].beam ? BEAMS : 1, .timestamps = MODES[m].timestamps,
                             .max_new_tokens = MAX_NEW, .token_timestamps = m == 0};
    }
    for (int early = 0; early < 2; early++) run_group(runs, enc, clip, early, 0);
    for (int m = 0; m < N_MODES; m++) {
        mode_run *r = &runs[m];
        if (r->on && r->free_run->n_tokens == r->n_want &&
            !memcmp(r->free_run->tokens, r->want, (size_t)r->n_want * sizeof *r->want))
            r->forced = r->free_run;
    }
    for (int early = 0; early < 2; early++) run_group(runs, enc, clip, early, 1);
    for (int m = 0; m < N_MODES; m++)
        if (runs[m].on) run_mode(m, &runs[m], f, clip, lab_clip);
}

/* The per-mode table as JSON (a mode is a test case of its own in make verify's JUnit XML). */
static cJSON *modes_json(void)
{
    cJSON *modes = cJSON_CreateArray();
    for (int m = 0; m < N_MODES; m++) {
        const mode_count *k = &COUNT[m];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "mode", MODES[m].name);
        cJSON_AddItemToArray(modes, o);
        if (MODES[m].early_stopping && !HAS_EARLY) {
            cJSON_AddStringToObject(o, "skipped", "not in this golden (exported before early_stopping_mode)");
            continue;
        }
        cJSON_AddNumberToObject(o, "clips", k->clips);
        cJSON_AddNumberToObject(o, "equal", k->equal);
        cJSON_AddNumberToObject(o, "tie_clips", k->tie_clips);
        cJSON_AddNumberToObject(o, "failed", k->failed);
        cJSON_AddNumberToObject(o, "steps", k->steps);
        cJSON_AddNumberToObject(o, "tie_steps", k->ties);
        cJSON_AddItemToObject(o, "failed_clips",
                              FAILED_CLIPS[m] ? cJSON_Duplicate(FAILED_CLIPS[m], 1) : cJSON_CreateArray());
    }
    return modes;
}

static void test_decoding_matches_hf(void **state)
{
    (void)state;
    t_exit_on_fatal_signal();
    const cJSON *c;
    int clips = 0;
    printf("%d clips; generation capped at %d new tokens (index.json settings)\n",
           cJSON_GetArraySize(cJSON_GetObjectItem(G.index, "clips")), MAX_NEW);
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(G.index, "clips"))
    {
        const char *id = c->string;
        char wav[512];
        snprintf(wav, sizeof wav, "data/audio/%s", cJSON_GetObjectItem(c, "wav")->valuestring);
        wl_st_file f;
        if (t_golden_open_clip(&G, id, &f, err, sizeof err)) fail_msg("%s", err);
        float *enc = encode_clip(id, wav);
        int staged = wl_st_find(&f, "cross_attn.0") != NULL; /* lab and edge clips */
        run_modes(enc, &f, id, staged);
        keep_or_free(c, enc);
        wl_st_close(&f);
        clips++;
    }
    t_suite_describe(SUITE, "decode", t_kernel_path_label());
    int drifted = t_baseline_check(SUITE, t_golden_dir_under_test(), err, sizeof err);
    if (drifted < 0) fail_msg("%s", err);
    t_suite_print(SUITE);
    printf("\n%-11s %6s %6s %6s %6s %7s %6s\n", "mode", "clips", "equal", "ties", "failed", "steps", "tie-steps");
    int failed = 0;
    for (int m = 0; m < N_MODES; m++) {
        const mode_count *k = &COUNT[m];
        if (MODES[m].early_stopping && !HAS_EARLY) {
            printf("%-11s not in this golden (exported before early_stopping_mode)\n", MODES[m].name);
            continue;
        }
        printf("%-11s %6d %6d %6d %6d %7d %6d\n", MODES[m].name, k->clips, k->equal, k->tie_clips, k->failed,
               k->steps, k->ties);
        failed += k->failed;
    }
    printf("tie epsilon: %.3g + %.3g x |score| (decode.tie)\n", TIE.atol, TIE.rtol);
    printf("encoder outputs: %d clips encoded here, %d from test_stages' run of this verify (WL_ENCODER_CACHE)\n",
           ENCODED, FROM_CACHE);
    assert_int_equal(system("mkdir -p build/verify"), 0);
    char json[1200], name[1024]; /* by the golden folder, as test_stages names its tables */
    t_golden_name(G.dir, name, sizeof name);
    t_suite_json_path(json, sizeof json, "decode", name);
    cJSON *root = t_suite_json(SUITE);
    cJSON_AddItemToObject(root, "modes", modes_json());
    assert_int_equal(t_json_write_file(root, json), 0);
    cJSON_Delete(root);
    assert_int_equal(failed, 0);
    assert_int_equal(t_suite_failures(SUITE), 0);
    assert_int_equal(clips, cJSON_GetArraySize(cJSON_GetObjectItem(G.index, "clips"))); /* 24 + 5 here */
    if (drifted) fail_msg("%d decode row(s) drifted over their budget from the baseline (tests/drift.tsv): the first "
                          "is named above; make baseline REASON=... accepts the change", drifted);
}

/* One clip's step golden: the prompt in one call, then single steps, each call's logits and
 * cross-attention placed at its rows; compared per row with HF's cached run. */
static void check_steps(t_suite *s, const cJSON *c, int *calls)
{
    const char *id = c->string;
    const cJSON *step = cJSON_GetObjectItem(c, "step");
    const int P = cJSON_GetObjectItem(step, "prompt")->valueint;
    char wav[512];
    snprintf(wav, sizeof wav, "data/audio/%s", cJSON_GetObjectItem(c, "wav")->valuestring);
    wl_st_file f;
    if (t_golden_open_clip(&G, id, &f, err, sizeof err)) fail_msg("%s", err);
    const wl_st_tensor *tok = wl_st_find(&f, "tokens");
    if (!tok || tok->dtype != WL_I32) fail_msg("clip %s: golden lacks tokens", id);
    const int T = (int)tok->shape[0] - 1, V = D.n_vocab, L = D.dec_layers, H = D.dec_heads, S = D.n_audio_ctx;
    if (P < 2 || P >= T) fail_msg("clip %s: step golden prompt %d for %d rows", id, P, T);
    float *enc = encode_clip(id, wav);
    float *logits = malloc((size_t)T * V * sizeof *logits), *cross = malloc((size_t)L * H * T * S * sizeof *cross);
    wl_decoder *dec;
    if (wl_decoder_new(ST, enc, &dec, err, sizeof err)) fail_msg("clip %s: %s", id, err);
    for (int pos = 0; pos < T;) {
        int n = pos == 0 ? P : 1, got_n;
        if (wl_decoder_feed(dec, (const int32_t *)tok->data + pos, n, logits + (size_t)pos * V, err, sizeof err))
            fail_msg("clip %s at position %d: %s", id, pos, err);
        assert_int_equal(wl_decoder_pos(dec), pos + n);
        const float *ca = wl_decoder_cross_attn(dec, &got_n); /* [L][H][n][S] */
        assert_non_null(ca);
        assert_int_equal(got_n, n);
        for (int l = 0; l < L; l++)
            for (int h = 0; h < H; h++)
                memcpy(cross + (((size_t)l * H + h) * T + pos) * S, ca + (((size_t)l * H + h) * n) * S,
                       (size_t)n * S * sizeof *cross);
        pos += n, (*calls)++;
    }
    t_tol tol;
    if (t_tol_find("step.logits", &tol, NULL)) fail_msg("no tolerance row step.logits");
    t_diff d = t_golden_compare(&f, "step.logits", 1, (t_view){logits, 2, {T, V, 0, 0}}, tol);
    t_suite_add(s, "step.logits", id, &d, tol);
    t_suite_fingerprint(s, "step.logits", id, logits, (size_t)T * V * sizeof *logits);
    for (int l = 0; l < L; l++) {
        char name[64];
        snprintf(name, sizeof name, "step.cross_attn.%d", l);
        if (t_tol_find(name, &tol, NULL)) fail_msg("no tolerance row %s", name);
        d = t_golden_compare(&f, name, 2, (t_view){cross + (size_t)l * H * T * S, 3, {H, T, S, 0}}, tol);
        t_suite_add(s, name, id, &d, tol);
        t_suite_fingerprint(s, name, id, cross + (size_t)l * H * T * S, (size_t)H * T * S * sizeof *cross);
    }
    printf("clip %s: %d-token prompt in one call, then %d single steps through the KV cache\n", id, P, T - P);
    wl_decoder_free(dec);
    free(enc), free(logits), free(cross);
    wl_st_close(&f);
}

static void test_kv_cache_steps_match_hf(void **state)
{
    (void)state;
    t_exit_on_fatal_signal();
    t_suite *s = t_suite_new("decoder through the KV cache vs HF use_cache=True (prompt, then 1 token/call)");
    const cJSON *c;
    int clips = 0, calls = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(G.index, "clips"))
    {
        if (!cJSON_GetObjectItem(c, "step")) continue;
        check_steps(s, c, &calls);
        clips++;
    }
    t_suite_describe(s, "decode_steps", t_kernel_path_label());
    int drifted = t_baseline_check(s, t_golden_dir_under_test(), err, sizeof err);
    if (drifted < 0) fail_msg("%s", err);
    t_suite_print(s);
    printf("%d clips, %d decoder calls\n", clips, calls);
    assert_int_equal(system("mkdir -p build/verify"), 0);
    char json[1200], name[1024]; /* by the golden folder, as test_stages names its tables */
    t_golden_name(G.dir, name, sizeof name);
    t_suite_json_path(json, sizeof json, "decode_steps", name);
    assert_int_equal(t_suite_write_json(s, json), 0);
    int failures = t_suite_failures(s);
    t_suite_free(s);
    assert_true(clips >= 1);
    assert_int_equal(failures, 0);
    if (drifted) fail_msg("%d KV-cache row(s) drifted over their budget from the baseline (tests/drift.tsv)", drifted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decoding_matches_hf),
        cmocka_unit_test(test_kv_cache_steps_match_hf),
    };
    return cmocka_run_group_tests_name("decoding vs HF generate()", tests, setup, teardown);
}
