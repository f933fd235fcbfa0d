/* tables: the lab's analysis tables in markdown, made only from the report's JSON files (each
 * checked against reports/report_schema.json first).
 *   tables --report DIR --out DIR/README.md   the report's README: banner, tables, heatmaps
 *   tables --report DIR --splice FILE.md      the tables between FILE's marker comments
 *   tables --report DIR --check               only check every file */
#include "tools/replace_file.h"
#include "tools/schema.h"

#include "../engine/base/strbuf.h"
#include "../engine/base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BEGIN_MARK "<!-- whisperlab:tables begin -->"
#define END_MARK "<!-- whisperlab:tables end -->"

static const char *const FILES[] = {"run.json", "transcriptions.json", "tokens.json", "wer.json", "confidence.json",
                                    "timestamps.json", "monotonicity.json", "grammar.json", "greedy_vs_beam.json"};
enum { RUN, TRANSCRIPTIONS, TOKENS, WER, CONFIDENCE, TIMESTAMPS, MONOTONICITY, GRAMMAR, BEAMS, N_FILES };

static const cJSON *get(const cJSON *o, const char *path)
{
    char key[128];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        o = cJSON_GetObjectItemCaseSensitive(o, key);
        path += n + (path[n] == '.');
    }
    return o;
}

/* A cell: text with | and newlines escaped, quoted so leading spaces show. */
static const char *cell(const char *s, char *buf, size_t len)
{
    size_t w = 0;
    for (; s && *s && w + 3 < len; s++) {
        if (*s == '|') buf[w++] = '\\', buf[w++] = '|';
        else buf[w++] = *s == '\n' ? ' ' : *s;
    }
    buf[w] = 0;
    return buf;
}

static const char *num(const cJSON *v, const char *fmt, char *buf, size_t len)
{
    if (!cJSON_IsNumber(v)) return "–";
    snprintf(buf, len, fmt, v->valuedouble);
    return buf;
}

static const char *pct(const cJSON *v, char *buf, size_t len)
{
    if (!cJSON_IsNumber(v)) return "–";
    snprintf(buf, len, "%.1f %%", 100 * v->valuedouble);
    return buf;
}

static void banner(wl_strbuf *t, const cJSON *run)
{
    const char *kind = get(run, "model_kind")->valuestring, *what = get(run, "model_summary")->valuestring;
    if (!strcmp(kind, "synthetic"))
        wl_strbuf_printf(t, "> **Synthetic weights: the numbers test the pipeline, not Whisper.** Model: %s.\n\n", what);
    else if (!strcmp(kind, "trained-here"))
        wl_strbuf_printf(t, "> **A small model trained here on espeak-ng speech, not OpenAI's Whisper.** Model: %s.\n\n", what);
    else wl_strbuf_printf(t, "> Model: a HuggingFace checkpoint (%s).\n\n", what);
}

static void tables(wl_strbuf *t, cJSON *const *f)
{
    char a[512], b[512], c[64], d[64], e[64], g[64], h[64], i_[64], j[64];
    const cJSON *w = get(f[WER], "summary"), *clip;
    wl_strbuf_printf(t, "**WER** (normalised text, all edits / reference words): lab clips %s over %d clips (%d exact); "
           "grammar-error clips against what was spoken %s.\n\n",
        pct(get(w, "lab.wer"), a, sizeof a), get(w, "lab.clips")->valueint, get(w, "lab.exact")->valueint,
        pct(get(w, "grammar_errors.wer"), b, sizeof b));

    wl_strbuf_printf(t, "| clip | expected | predicted | WER | mean p | min p (token) | verb p | ρ peak | forward steps | start err (s) | end err (s) |\n");
    wl_strbuf_printf(t, "|---|---|---|---|---|---|---|---|---|---|---|\n");
    cJSON_ArrayForEach(clip, f[TRANSCRIPTIONS])
    {
        const char *id = clip->string;
        const cJSON *cf = get(get(f[CONFIDENCE], "clips"), id), *ts = get(get(f[TIMESTAMPS], "clips"), id);
        const cJSON *mo = get(get(f[MONOTONICITY], "clips"), id);
        char minp[128];
        if (!cf || !ts || !mo) continue;
        snprintf(minp, sizeof minp, "%s (%s)", num(get(cf, "min_p"), "%.3f", c, sizeof c),
                 cell(get(cf, "min_token")->valuestring, a, sizeof a));
        wl_strbuf_printf(t, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", id,
            cell(get(clip, "expected")->valuestring, a, sizeof a), cell(get(clip, "predicted")->valuestring, b, sizeof b),
            pct(get(clip, "wer"), d, sizeof d), num(get(cf, "mean_p"), "%.3f", e, sizeof e), minp,
            num(get(cf, "verb.p"), "%.3f", g, sizeof g), num(get(mo, "alignment_heads.rho_peak"), "%.2f", h, sizeof h),
            num(get(mo, "alignment_heads.nondecreasing"), "%.2f", i_, sizeof i_),
            num(get(ts, "error.start"), "%+.2f", j, sizeof j), num(get(ts, "error.end"), "%+.2f", c, sizeof c));
    }
    const cJSON *tsum = get(f[TIMESTAMPS], "summary"), *msum = get(f[MONOTONICITY], "summary");
    wl_strbuf_printf(t, "\nTimestamps against the speech span (energy envelope): mean |start error| %s s, mean |end error| %s s; "
           "DTW start of the first word %s s.\n",
        num(get(tsum, "mean_abs_start_error"), "%.3f", a, sizeof a), num(get(tsum, "mean_abs_end_error"), "%.3f", b, sizeof b),
        num(get(tsum, "mean_abs_dtw_start_error"), "%.3f", c, sizeof c));
    wl_strbuf_printf(t, "Cross-attention (alignment heads, over the speech): cleanest clip %s, messiest %s; mean ρ(token, peak) per layer:",
        cJSON_IsString(get(msum, "cleanest")) ? get(msum, "cleanest")->valuestring : "–",
        cJSON_IsString(get(msum, "messiest")) ? get(msum, "messiest")->valuestring : "–");
    const cJSON *x;
    int l = 0;
    cJSON_ArrayForEach(x, get(msum, "mean_rho_peak_per_layer")) wl_strbuf_printf(t, " layer %d %s", l++, num(x, "%.2f", a, sizeof a));
    wl_strbuf_printf(t, ".\n\n");

    wl_strbuf_printf(t, "**Lowest-confidence verbs**\n\n| clip | expected | predicted | p | top-5 alternatives |\n|---|---|---|---|---|\n");
    cJSON_ArrayForEach(x, get(f[CONFIDENCE], "summary.lowest_verbs"))
    {
        wl_strbuf alts = {0};
        const cJSON *alt;
        cJSON_ArrayForEach(alt, get(x, "top5")) wl_strbuf_printf(&alts, "%s`%s` %s", alts.n ? ", " : "", cell(get(alt, "text")->valuestring, a, sizeof a),
                                                    num(get(alt, "p"), "%.3f", c, sizeof c));
        wl_strbuf_printf(t, "| %s | %s | %s | %s | %s |\n", get(x, "clip")->valuestring, cell(get(x, "expected")->valuestring, a, sizeof a),
            cJSON_IsString(get(x, "predicted")) ? cell(get(x, "predicted")->valuestring, b, sizeof b) : "–",
            num(get(x, "p"), "%.3f", c, sizeof c), alts.s ? alts.s : "");
        free(alts.s);
    }

    const cJSON *bsum = get(f[BEAMS], "summary");
    wl_strbuf_printf(t, "\n**Greedy against beam search (5 beams)**: %d of %d clips differ.\n\n",
        get(bsum, "differ")->valueint, get(bsum, "clips")->valueint);
    wl_strbuf_printf(t, "| clip | greedy | beam | differ | greedy mean log-p | beam score |\n|---|---|---|---|---|---|\n");
    cJSON_ArrayForEach(x, get(f[BEAMS], "clips"))
        wl_strbuf_printf(t, "| %s | %s | %s | %s | %s | %s |\n", x->string, cell(get(x, "greedy.text")->valuestring, a, sizeof a),
            cell(get(x, "beam.text")->valuestring, b, sizeof b), cJSON_IsTrue(get(x, "differ")) ? "yes" : "no",
            num(get(x, "greedy.mean_logprob"), "%.4f", c, sizeof c), num(get(x, "beam.score"), "%.4f", d, sizeof d));

    const cJSON *gsum = get(f[GRAMMAR], "summary");
    wl_strbuf_printf(t, "\n**Grammar errors**: %d clips; transcribed as spoken %d, corrected %d; the spoken form is the more "
           "likely continuation in %d.\n\n",
        get(gsum, "clips")->valueint, get(gsum, "as_spoken")->valueint, get(gsum, "corrected")->valueint,
        get(gsum, "prefers_spoken_form")->valueint);
    wl_strbuf_printf(t, "| clip | spoken | grammatical | transcribed | outcome | after | P(spoken form) | P(grammatical form) |\n"
           "|---|---|---|---|---|---|---|---|\n");
    cJSON_ArrayForEach(x, get(f[GRAMMAR], "clips"))
        wl_strbuf_printf(t, "| %s | %s | %s | %s | %s | `%s` | %s | %s |\n", x->string, cell(get(x, "sentence")->valuestring, a, sizeof a),
            cell(get(x, "correct")->valuestring, b, sizeof b),
            cJSON_IsString(get(x, "predicted_form")) ? get(x, "predicted_form")->valuestring : "–",
            get(x, "outcome")->valuestring, get(x, "prefix")->valuestring, num(get(x, "p_spoken"), "%.4f", c, sizeof c),
            num(get(x, "p_correct"), "%.4f", d, sizeof d));
}

static void heatmaps(wl_strbuf *t, cJSON *const *f)
{
    const cJSON *x;
    wl_strbuf_printf(t, "\n## Cross-attention\n\nRows are the decoded tokens, columns the encoder positions over the speech "
           "(plus 0.25 s each side), in seconds; colour is the attention of the alignment heads, averaged.\n\n");
    cJSON_ArrayForEach(x, get(f[MONOTONICITY], "clips"))
        wl_strbuf_printf(t, "![clip %s](%s)\n", x->string, get(x, "heatmap")->valuestring);
}

/* The first occurrence of mark on a line of its own in s[0..n) (markers quoted in prose do not
 * count); every byte is text here, NULs included. */
static const char *find_line(const char *s, size_t n, const char *mark)
{
    size_t m = strlen(mark);
    for (const char *p = s; (p = memmem(p, n - (size_t)(p - s), mark, m)); p += m) {
        size_t after = (size_t)(p - s) + m;
        if ((p == s || p[-1] == '\n') && (after == n || p[m] == '\n' || p[m] == '\r')) return p;
    }
    return NULL;
}

/* Replaces what lies between the markers of path with body; every other byte of the file is
 * kept as it was (replace_file: the link, the mode and owner, all or nothing). */
static int splice(const char *path, const char *body)
{
    char err[2048];
    size_t n;
    char *old = wl_read_file(path, &n, err, sizeof err);
    if (!old) return fprintf(stderr, "tables: %s\n", err), -1;
    const char *b = find_line(old, n, BEGIN_MARK), *e = b ? find_line(b, n - (size_t)(b - old), END_MARK) : NULL;
    if (!b || !e) {
        free(old);
        return fprintf(stderr, "tables: %s: no \"%s\" ... \"%s\" marker lines\n", path, BEGIN_MARK, END_MARK), -1;
    }
    wl_strbuf doc = {0};
    wl_strbuf_add(&doc, old, (size_t)(b - old));
    wl_strbuf_printf(&doc, "%s\n%s", BEGIN_MARK, body);
    wl_strbuf_add(&doc, e, n - (size_t)(e - old));
    free(old);
    int rc = doc.oom ? (fprintf(stderr, "tables: %s: out of memory\n", path), -1)
                     : replace_file(path, doc.s, doc.n, err, sizeof err) ? (fprintf(stderr, "tables: %s\n", err), -1) : 0;
    free(doc.s);
    return rc;
}

static const char USAGE[] = "usage: tables --report DIR (--out README.md | --splice FILE.md | --check) [--schema F]\n";

int main(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL, *splice_into = NULL, *schema_path = "reports/report_schema.json";
    int check_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) return fputs(USAGE, stdout), 0;
        if (!strcmp(argv[i], "--check")) check_only = 1;
        else if (i + 1 < argc && !strcmp(argv[i], "--report")) dir = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--out")) out = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--splice")) splice_into = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--schema")) schema_path = argv[++i];
        else return fprintf(stderr, "tables: unknown or incomplete option '%s'\n", argv[i]), 2;
    }
    if (!dir || (!out && !splice_into && !check_only)) return fputs(USAGE, stderr), 2;
    char err[2048];
    cJSON *schema = schema_load(schema_path, err, sizeof err), *f[N_FILES] = {0};
    int rc = schema ? 0 : 1;
    if (!schema) fprintf(stderr, "tables: %s\n", err);
    for (int i = 0; !rc && i < N_FILES; i++)
        if (!(f[i] = schema_read(schema, dir, FILES[i], err, sizeof err))) fprintf(stderr, "tables: %s\n", err), rc = 1;
    /* every clip in every per-clip file, and token ids and probabilities in step */
    const cJSON *clip;
    if (!rc) cJSON_ArrayForEach(clip, f[TRANSCRIPTIONS])
    {
        const char *id = clip->string;
        int n_ids = cJSON_GetArraySize(get(clip, "tokens")), n_p = cJSON_GetArraySize(get(clip, "token_probs"));
        const cJSON *need[] = {get(f[TOKENS], id), get(get(f[WER], "clips"), id), get(get(f[CONFIDENCE], "clips"), id),
                               get(get(f[TIMESTAMPS], "clips"), id), get(get(f[MONOTONICITY], "clips"), id),
                               get(get(f[BEAMS], "clips"), id)};
        static const int need_file[] = {TOKENS, WER, CONFIDENCE, TIMESTAMPS, MONOTONICITY, BEAMS};
        for (int k = 0; k < 6 && !rc; k++)
            if (!need[k])
                fprintf(stderr, "tables: %s/%s: clip \"%s\" of transcriptions.json is missing\n", dir, FILES[need_file[k]], id), rc = 1;
        if (!rc && (n_ids != n_p || n_ids != cJSON_GetArraySize(get(get(f[TOKENS], id), "greedy"))))
            fprintf(stderr, "tables: %s/transcriptions.json: %s: tokens, token_probs and tokens.json differ in length\n", dir, id), rc = 1;
        if (!rc && cJSON_IsString(get(clip, "correct")) != (get(get(f[GRAMMAR], "clips"), id) != NULL))
            fprintf(stderr, "tables: %s/grammar.json: clip \"%s\" and the grammar-error clips disagree\n", dir, id), rc = 1;
        if (rc) break;
    }
    if (!rc && !check_only) {
        wl_strbuf t = {0};
        tables(&t, f);
        if (t.oom) fprintf(stderr, "tables: out of memory\n"), rc = 1;
        if (!rc && splice_into) rc = splice(splice_into, t.s) ? 1 : 0;
        if (!rc && out) {
            wl_strbuf doc = {0};
            wl_strbuf_printf(&doc, "# whisperlab report\n\n");
            banner(&doc, f[RUN]);
            wl_strbuf_printf(&doc, "Model folder `%s`; %d clips; made by `make report` from the JSON files in this folder "
                      "(`make tables FILE=x.md` puts the same tables into any markdown file).\n\n",
                get(f[RUN], "model")->valuestring, get(f[RUN], "settings.clips")->valueint);
            wl_strbuf_printf(&doc, "%s%s\n%s", BEGIN_MARK "\n", t.s, END_MARK "\n");
            heatmaps(&doc, f);
            if (doc.oom) fprintf(stderr, "tables: out of memory\n"), rc = 1;
            else if (replace_file(out, doc.s, doc.n, err, sizeof err)) fprintf(stderr, "tables: %s\n", err), rc = 1;
            free(doc.s);
        }
        free(t.s);
    }
    for (int i = 0; i < N_FILES; i++) cJSON_Delete(f[i]);
    cJSON_Delete(schema);
    return rc;
}
