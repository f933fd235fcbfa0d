/* The search's bookkeeping against HF's rules, written again here from transformers 4.43
 * (generation/beam_search.py and utils.py), not from the engine:
 * - top_k and argmax on ties: by value, then the lower index (torch.topk / torch.argmax on CPU);
 *   NaN never ranks;
 * - BeamHypotheses.add (keep num_beams, drop the first of the lowest on overflow, worst_score)
 *   and is_done (early_stopping, or the best running sum at cur_len - prompt cannot beat it),
 *   on random streams with many equal scores;
 * - whole beam searches (2, 3 and 5 beams, length penalties 1, 0.5 and 2, early_stopping on and
 *   off) over made-up log-probs with many ties and a frequent end-of-text, against a reference
 *   search: the 2B best of B x V (flat index order on ties), end-of-text taken only in the top
 *   B ranks and scored at cur_len + 1 - prompt, is_done on the best candidate, finalize (every
 *   open beam added, the last of the best kept, end-of-text appended below max_length).
 * The engine's own search.c is compiled into this test so its static parts can be called; its
 * decoders run on a tiny model (vocab 64) but the logits are the test's. */
#include "../engine/decode/beam_search.h"
#include "../engine/decode/generate.h"
#include "../gen/synthetic_checkpoint.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static char err[1024];

static unsigned rnd(unsigned *s) { return (*s = *s * 1103515245u + 12345u) >> 8; }

/* ---- top_k and argmax: value, then lower index --------------------------------------------- */

typedef struct {
    float v;
    int i;
} entry;

static int by_value_then_index(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? 1 : -1;
    return (x->i > y->i) - (x->i < y->i);
}

static void test_top_k_ties(void **state)
{
    (void)state;
    enum { N = 3000 };
    static float x[N];
    static entry e[N];
    int idx[10], checked = 0;
    float val[10];
    for (unsigned seed = 1; seed <= 200; seed++) {
        unsigned s = seed;
        int n = 1 + (int)(rnd(&s) % N), k = 1 + (int)(rnd(&s) % 10);
        float add = (float)(rnd(&s) % 3) - 1.0f;
        int levels = 1 + (int)(rnd(&s) % 6); /* few distinct values: ties everywhere */
        int ne = 0;
        for (int i = 0; i < n; i++) {
            unsigned r = rnd(&s);
            x[i] = r % 50 == 0 ? NAN : (float)(r % levels) * 0.25f - 3.0f;
            if (r % 50 == 1) x[i] = -INFINITY;
            float v = x[i] + add;
            if (!isnan(v)) e[ne++] = (entry){v, i};
        }
        qsort(e, (size_t)ne, sizeof *e, by_value_then_index);
        int got = wl_top_k(x, add, n, k, idx, val), want = ne < k ? ne : k;
        if (got != want) fail_msg("seed %u: top_k found %d of %d, want %d", seed, got, k, want);
        for (int j = 0; j < got; j++)
            if (idx[j] != e[j].i || val[j] != e[j].v)
                fail_msg("seed %u, n %d, k %d: rank %d is token %d (%g), torch.topk's is %d (%g)", seed, n, k, j, idx[j],
                         val[j], e[j].i, e[j].v);
        int am = wl_argmax(x, n), first = 0;
        for (int i = 1; i < n; i++)
            if (x[i] > x[first]) first = i; /* a NaN first stays: nothing compares above it */
        if (am != first) fail_msg("seed %u: argmax %d, torch.argmax's first maximum %d", seed, am, first);
        checked += got;
    }
    printf("  top_k and argmax: 200 random rows with ties, NaN and -inf; %d ranks as torch orders them\n", checked);
}

/* ---- BeamHypotheses ----------------------------------------------------------------------- */

/* HF's list of (score, hyp) in the order added; hyp is an id here. */
typedef struct {
    double score[16];
    int id[16], n, beams;
    double worst, lp;
    int early;
} ref_hyps;

static void ref_add(ref_hyps *R, int id, double sum, int generated_len)
{
    double score = sum / pow((double)generated_len, R->lp);
    if (!(R->n < R->beams || score > R->worst)) return;
    R->score[R->n] = score, R->id[R->n++] = id;
    if (R->n > R->beams) { /* sorted((s, idx)): the lowest score, the first of equals, goes */
        int order[16];
        for (int i = 0; i < R->n; i++) order[i] = i;
        for (int i = 1; i < R->n; i++)
            for (int j = i; j > 0 && (R->score[order[j]] < R->score[order[j - 1]] ||
                                      (R->score[order[j]] == R->score[order[j - 1]] && order[j] < order[j - 1]));
                 j--) {
                int t = order[j];
                order[j] = order[j - 1], order[j - 1] = t;
            }
        int gone = order[0];
        R->worst = R->score[order[1]];
        for (int i = gone; i + 1 < R->n; i++) R->score[i] = R->score[i + 1], R->id[i] = R->id[i + 1];
        R->n--;
    } else R->worst = fmin(score, R->worst);
}

static int ref_is_done(const ref_hyps *R, double best_sum, int cur_len, int prompt_len)
{
    if (R->n < R->beams) return 0;
    if (R->early) return 1;
    return R->worst >= best_sum / pow((double)(cur_len - prompt_len), R->lp);
}

static void test_hypotheses_keep_and_done(void **state)
{
    (void)state;
    const double lps[] = {1.0, 0.5, 2.0, -1.0};
    int adds = 0, dones = 0;
    for (unsigned seed = 1; seed <= 400; seed++) {
        unsigned s = seed;
        wl_gen_config cfg = {.length_penalty = lps[seed % 4], .early_stopping = (int)(seed / 4 % 2)};
        search S = {.cfg = &cfg, .n_prompt = 3};
        int B = 1 + (int)(rnd(&s) % 5);
        hyp_list L = {calloc((size_t)B + 1, sizeof *L.h), 0, B, 1e9};
        for (int h = 0; h <= B; h++) assert_int_equal(wl_path_init(&L.h[h].p, 32), 0);
        path p;
        assert_int_equal(wl_path_init(&p, 32), 0);
        ref_hyps R = {.n = 0, .beams = B, .worst = 1e9, .lp = cfg.length_penalty, .early = cfg.early_stopping};
        for (int a = 0; a < 30; a++, adds++) {
            int gen = 1 + (int)(rnd(&s) % 6);
            double sum = -0.5 * (double)(rnd(&s) % 8); /* few values: equal scores */
            p.len = 3 + gen, p.tok[0] = a;
            wl_hyps_add(&S, &L, &p, sum, gen);
            ref_add(&R, a, sum, gen);
            if (L.n != R.n || L.worst != R.worst)
                fail_msg("seed %u, add %d: %d kept, worst %g; HF keeps %d, worst %g", seed, a, L.n, L.worst, R.n,
                         R.worst);
            for (int i = 0; i < L.n; i++)
                if (L.h[i].p.tok[0] != R.id[i] || L.h[i].score != R.score[i])
                    fail_msg("seed %u, add %d: kept #%d is add %d (%g); HF's is add %d (%g)", seed, a, i, L.h[i].p.tok[0],
                             L.h[i].score, R.id[i], R.score[i]);
            double best = -0.25 * (double)(rnd(&s) % 12);
            int cur = 4 + (int)(rnd(&s) % 8);
            if (wl_hyps_done(&S, &L, best, cur) != ref_is_done(&R, best, cur, 3))
                fail_msg("seed %u, add %d: is_done(%g, cur_len %d) is %d, HF's %d", seed, a, best, cur,
                         wl_hyps_done(&S, &L, best, cur), ref_is_done(&R, best, cur, 3));
            dones += ref_is_done(&R, best, cur, 3);
        }
        for (int h = 0; h <= B; h++) wl_path_free(&L.h[h].p);
        free(L.h), wl_path_free(&p);
    }
    printf("  BeamHypotheses: %d adds over 400 streams kept and ranked as HF's; is_done agreed (%d true)\n", adds,
           dones);
}

/* ---- whole beam searches over made-up log-probs ---------------------------------------------- */

enum { V = 64, EOS = 63, MAXLEN = 24, PROMPT = 1 };

/* The logits after a sequence: a hash of it picks each token's logit from a few levels (ties),
 * end-of-text often among the best. For every third seed the hash is of the length alone: every
 * beam then sees the same row, so beams of equal scores tie across beams (HF ranks the lower
 * beam first: the flat index order). */
static void made_up_logits(unsigned seed, const int32_t *seq, int len, float *row)
{
    unsigned h = seed * 2654435761u;
    for (int i = 0; i < len; i++) h = (h ^ (unsigned)(seed % 3 ? seq[i] : i)) * 16777619u;
    for (int v = 0; v < V; v++) {
        unsigned r = rnd(&h);
        row[v] = v < 8 || v == EOS ? (float)(r % 5) * 0.5f : -8.0f - (float)(r % 3);
    }
    if (rnd(&h) % 4 == 0) row[EOS] = 2.5f; /* end-of-text first */
}

static void log_probs(const wl_processors *proc, unsigned seed, const int32_t *seq, int len, float *row)
{
    made_up_logits(seed, seq, len, row);
    wl_log_softmax(row, V);
    wl_process_logits(proc, seq, len, row);
}

typedef struct {
    int32_t tok[MAXLEN + 1];
    int len;
    float score;
} ref_beam;

/* GU:_beam_search with BeamSearchScorer, batch 1, from HF's rules. */
static void ref_search(const wl_gen_config *cfg, int B, int max_len, unsigned seed, int32_t *out, int *n_out,
                       float *score)
{
    wl_processors proc = {cfg, 0, PROMPT, V};
    ref_beam beam[8], next[8];
    ref_hyps R = {.beams = B, .worst = 1e9, .lp = cfg->length_penalty, .early = cfg->early_stopping};
    static int32_t hyp_tok[8 * MAXLEN][MAXLEN + 1]; /* every hypothesis offered, by id */
    int hyp_len[8 * MAXLEN], n_added = 0;
    for (int b = 0; b < B; b++) beam[b] = (ref_beam){.tok = {cfg->decoder_start}, .len = 1, .score = b ? -1e9f : 0};
    int cur_len = 1, done = 0;
    static entry cand[8 * V];
    float row[V];
    for (;;) {
        int nc = 0;
        for (int b = 0; b < B; b++) {
            log_probs(&proc, seed, beam[b].tok, beam[b].len, row);
            for (int v = 0; v < V; v++) cand[nc++] = (entry){row[v] + beam[b].score, b * V + v};
        }
        qsort(cand, (size_t)nc, sizeof *cand, by_value_then_index); /* torch.topk(2B) of the flat scores */
        int nn = 0;
        for (int r = 0; r < 2 * B && nn < B; r++) {
            int b = cand[r].i / V, v = cand[r].i % V;
            if (v == EOS) {
                if (r >= B) continue; /* beam_token_rank >= num_beams: not a hypothesis */
                memcpy(hyp_tok[n_added], beam[b].tok, sizeof beam[b].tok), hyp_len[n_added] = beam[b].len;
                ref_add(&R, n_added++, (double)cand[r].v, cur_len + 1 - PROMPT);
                continue;
            }
            next[nn] = beam[b], next[nn].tok[next[nn].len++] = v, next[nn++].score = cand[r].v;
        }
        done = done || ref_is_done(&R, (double)cand[0].v, cur_len + 1, PROMPT);
        memcpy(beam, next, sizeof *beam * (size_t)B);
        cur_len++;
        if (done || cur_len >= max_len) break;
    }
    if (!done) /* finalize: the open beams join */
        for (int b = 0; b < B; b++) {
            memcpy(hyp_tok[n_added], beam[b].tok, sizeof beam[b].tok), hyp_len[n_added] = beam[b].len;
            ref_add(&R, n_added++, (double)beam[b].score, beam[b].len - PROMPT);
        }
    int best = 0; /* sorted(by score).pop(): the last of the best */
    for (int i = 1; i < R.n; i++)
        if (R.score[i] >= R.score[best]) best = i;
    int id = R.id[best];
    memcpy(out, hyp_tok[id], sizeof *out * (size_t)hyp_len[id]);
    *n_out = hyp_len[id];
    if (*n_out < max_len) out[(*n_out)++] = EOS;
    *score = (float)R.score[best];
}

static wl_model *TINY;
static wl_state *TINY_STATE; /* over TINY */
static wl_gen_config TCFG;
static float *TENC;

static int setup(void **state)
{
    (void)state;
    const char *dir = "build/tmp/search-tiny";
    char cmd[512], path[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    if (system(cmd)) return -1;
    static const char *const files[][2] = {
        {"config.json", "{\"num_mel_bins\": 80, \"d_model\": 8, \"vocab_size\": 64, \"encoder_layers\": 1,"
                        " \"encoder_attention_heads\": 2, \"encoder_ffn_dim\": 16, \"decoder_layers\": 1,"
                        " \"decoder_attention_heads\": 2, \"decoder_ffn_dim\": 16, \"max_source_positions\": 150,"
                        " \"max_target_positions\": 32}"},
        {"preprocessor_config.json", "{\"sampling_rate\": 16000, \"n_fft\": 400, \"hop_length\": 160, \"feature_size\": 80,"
                                     " \"chunk_length\": 3, \"n_samples\": 48000, \"nb_max_frames\": 300}"},
        {"generation_config.json", "{\"decoder_start_token_id\": 1, \"eos_token_id\": 63, \"max_length\": 24}"},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i][0]);
        FILE *f = fopen(path, "w");
        if (!f) return -1;
        fputs(files[i][1], f);
        fclose(f);
    }
    char config[512];
    snprintf(config, sizeof config, "%s/config.json", dir);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    wl_params p = wl_default_params();
    p.n_threads = 1;
    if (gen_write_synthetic(config, path, NULL, NULL, err, sizeof err) || wl_model_load(dir, p, &TINY, err, sizeof err) ||
        wl_state_new(TINY, NULL, NULL, &TINY_STATE, err, sizeof err) ||
        wl_gen_config_load(dir, &TCFG, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    wl_dims d = wl_model_dims(TINY);
    TENC = calloc((size_t)d.n_audio_ctx * d.d_model, sizeof *TENC);
    return TENC && d.n_vocab == V ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(TENC);
    wl_gen_config_free(&TCFG);
    wl_state_free(TINY_STATE);
    wl_model_free(TINY);
    return 0;
}

/* The engine's beam search (its job, beams_begin and beams_step) with the made-up log-probs in
 * place of the decoder's logits. */
static void engine_search(const wl_gen_config *cfg, int B, unsigned seed, int32_t *out, int *n_out, float *score)
{
    wl_gen_opts o = {.beams = B, .max_new_tokens = MAXLEN - PROMPT, .no_cross_attn = 1};
    job j = {.s = {.st = TINY_STATE, .d = wl_model_dims(TINY), .cfg = cfg, .o = &o, .V = V}, .beam_search = 1};
    float rows[8 * V];
    if (wl_search_prepare(&j.s, 1, err, sizeof err) || wl_job_begin(&j, TENC, err, sizeof err)) fail_msg("%s", err);
    made_up_logits(seed, j.p.tok, j.p.len, rows);
    wl_status st = wl_beams_begin(&j, rows, err, sizeof err);
    while (!st && j.n_feed) {
        for (int b = 0; b < B; b++) made_up_logits(seed, j.b->beam[b].tok, j.b->beam[b].len, rows + b * V);
        st = wl_beams_step(&j, rows, V, err, sizeof err);
    }
    if (st) fail_msg("%s", err);
    memcpy(out, j.p.tok, sizeof *out * (size_t)j.p.len);
    *n_out = j.p.len, *score = j.p.score;
    wl_job_free(&j);
}

static void test_beam_search_against_hf_rules(void **state)
{
    (void)state;
    const int beams[] = {2, 3, 5};
    const double lps[] = {1.0, 0.5, 2.0};
    int runs = 0, early_ends = 0, cut = 0;
    for (int bi = 0; bi < 3; bi++)
        for (int li = 0; li < 3; li++)
            for (int early = 0; early < 2; early++)
                for (unsigned seed = 1; seed <= 40; seed++, runs++) {
                    wl_gen_config cfg = TCFG;
                    cfg.length_penalty = lps[li], cfg.early_stopping = early;
                    int32_t a[MAXLEN + 1], b[MAXLEN + 1];
                    int na, nb;
                    float sa, sb;
                    engine_search(&cfg, beams[bi], seed, a, &na, &sa);
                    ref_search(&cfg, beams[bi], MAXLEN, seed, b, &nb, &sb);
                    if (na != nb || memcmp(a, b, sizeof *a * (size_t)na) || sa != sb) {
                        char ta[256] = "", tb[256] = "";
                        for (int i = 0; i < na; i++) snprintf(ta + strlen(ta), sizeof ta - strlen(ta), " %d", a[i]);
                        for (int i = 0; i < nb; i++) snprintf(tb + strlen(tb), sizeof tb - strlen(tb), " %d", b[i]);
                        fail_msg("beams %d, length_penalty %g, early_stopping %d, seed %u: engine [%s] score %.9g; HF's "
                                 "rules [%s] score %.9g",
                                 beams[bi], lps[li], early, seed, ta, sa, tb, sb);
                    }
                    early_ends += nb < MAXLEN, cut += nb == MAXLEN;
                }
    printf("  beam search: %d searches as HF's rules give them (%d ended before max_length, %d cut by it)\n", runs,
           early_ends, cut);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top_k_ties),
        cmocka_unit_test(test_hypotheses_keep_and_done),
        cmocka_unit_test(test_beam_search_against_hf_rules),
    };
    return cmocka_run_group_tests_name("search bookkeeping", tests, setup, teardown);
}
