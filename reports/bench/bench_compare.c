/* make bench-compare: two builds' benches run in interleaved rounds (A B, B A, A B, ...: the
 * one that goes first alternates, so neither gains from going second), on the same model,
 * thread count and clips, and per stage the verdict of bench_stats.h: slower, faster or no
 * change beyond the noise the rounds show. Each round is one bench process; its figure for a
 * stage is that stage's median over the clips. A may instead be a stored run (a history record
 * that carries its rounds), which cannot be interleaved with B: weaker evidence, and said so.
 * Only the options every bench has had are used (--model, --threads, --clips, --json), so an
 * older build's bench runs; one that lacks them is named with what it lacks.
 * Usage:
 *   bench_compare --b BENCH (--a BENCH | --run FILE[:LINE]) --model DIR [--threads N] [--clips N]
 *                 [--rounds N] [--min-effect PERCENT] [--a-label S] [--b-label S] [--a-commit SHA]
 *                 [--clock wall|cpu] [--history FILE] [--out FILE] */
#include "../../engine/base/util.h"
#include "../../engine/io/json_file.h"
#include "../tools/bench_stats.h"
#include "../tools/jsonl_file.h"
#include "../tools/replace_file.h"
#include "bench_record.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const char *bench, *label, *commit; /* commit NULL: the one its report names */
    int dirty;
    cJSON *machine; /* from its first report */
    cJSON *rounds;  /* {stage: [each round's median seconds]} in the order first seen */
    int stored;     /* a history record, not run here */
} side;

typedef struct {
    const char *model;
    int threads, clips, rounds;
    double min_effect;
    int cpu_clock; /* the stages in CPU seconds (bench --clock cpu), else elapsed */
} setup;

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The first line of a file (a child's standard error), or "" */
static void first_line(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    out[0] = 0;
    if (f && fgets(out, (int)n, f)) out[strcspn(out, "\n")] = 0;
    if (f) fclose(f);
}

/* Runs s's bench once into json; its messages to errfile. 0, or -1 and err. */
static int run_bench(side *s, const setup *u, const char *json, const char *errfile, char *err, size_t errlen)
{
    char threads[16], clips[16];
    snprintf(threads, sizeof threads, "%d", u->threads);
    snprintf(clips, sizeof clips, "%d", u->clips);
    /* --clock only when asked for: an older bench lacks it, and times elapsed seconds anyway */
    char *const argv[] = {(char *)s->bench, "--model", (char *)u->model, "--threads", threads, "--clips", clips,
                          "--json", (char *)json, u->cpu_clock ? "--clock" : NULL, "cpu", NULL};
    unlink(json); /* a bench that ignores --json must not pass off the last round's report */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return wl_fail(err, errlen, "fork: %s", strerror(errno));
    if (pid == 0) {
        int out = open("/dev/null", O_WRONLY), e = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (out >= 0 && e >= 0 && dup2(out, 1) == 1 && dup2(e, 2) == 2) execv(s->bench, argv);
        dprintf(e >= 0 ? e : 2, "cannot run: %s\n", strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return wl_fail(err, errlen, "waitpid: %s", strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    char why[512];
    first_line(errfile, why, sizeof why);
    if (strstr(why, "unknown option") && strstr(why, "--clock"))
        return wl_fail(err, errlen, "%s's bench (%s) lacks --clock (it predates CPU-second figures): CLOCK=wall "
                                    "compares elapsed time, which every bench reports", s->label, s->bench);
    if (strstr(why, "unknown option"))
        return wl_fail(err, errlen, "%s's bench (%s) lacks an option the comparison needs (--model, --threads, "
                                    "--clips, --json): it says \"%s\"", s->label, s->bench, why);
    if (WIFSIGNALED(status))
        return wl_fail(err, errlen, "%s's bench (%s) was killed by signal %d: %s", s->label, s->bench,
                       WTERMSIG(status), why);
    return wl_fail(err, errlen, "%s's bench (%s) failed (exit %d): %s", s->label, s->bench, WEXITSTATUS(status),
                   why[0] ? why : "no message");
}

/* Takes one round's report: each stage's median over the clips into s->rounds. */
static int take_round(side *s, const setup *u, const char *json, char *err, size_t errlen)
{
    char why[1024];
    if (access(json, F_OK))
        return wl_fail(err, errlen, "%s's bench (%s) ran but wrote no report to --json: it predates the --json "
                                    "report the comparison needs", s->label, s->bench);
    cJSON *report = wl_json_read_object(json, why, sizeof why);
    if (!report) return wl_fail(err, errlen, "%s's bench wrote no usable report: %s", s->label, why);
    const char *clock = cJSON_GetStringValue(cJSON_GetObjectItem(report, "stage_clock"));
    if (u->cpu_clock && !(clock && !strcmp(clock, "cpu"))) {
        cJSON_Delete(report);
        return wl_fail(err, errlen, "%s's bench (%s) did not time its stages in CPU seconds as asked (--clock cpu): "
                                    "CLOCK=wall compares elapsed time", s->label, s->bench);
    }
    const cJSON *model = cJSON_GetArrayItem(cJSON_GetObjectItem(report, "models"), 0);
    const cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItem(model, "runs"), 0);
    const cJSON *stages = cJSON_GetObjectItem(run, "stages"), *st;
    if (!cJSON_IsArray(stages) || !cJSON_GetArraySize(stages)) {
        cJSON_Delete(report);
        return wl_fail(err, errlen, "%s's bench report (%s) has no models[0].runs[0].stages: per-stage figures are "
                                    "what the comparison needs", s->label, json);
    }
    cJSON_ArrayForEach(st, stages) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(st, "stage"));
        const cJSON *med = cJSON_GetObjectItem(st, "median_s");
        if (!name || !cJSON_IsNumber(med)) continue;
        cJSON *list = cJSON_GetObjectItem(s->rounds, name);
        if (!list) list = cJSON_AddArrayToObject(s->rounds, name);
        cJSON_AddItemToArray(list, cJSON_CreateNumber(med->valuedouble));
    }
    if (!s->machine) {
        s->machine = cJSON_Duplicate(cJSON_GetObjectItem(report, "machine"), 1);
        if (!s->commit) {
            const char *c = cJSON_GetStringValue(cJSON_GetObjectItem(report, "git_commit"));
            s->commit = strdup(c ? c : "");
            s->dirty = cJSON_IsTrue(cJSON_GetObjectItem(report, "git_dirty"));
        }
    }
    cJSON_Delete(report);
    return 0;
}

/* The stored run named by spec (FILE:LINE; a history FILE: its last record that fits, which is
 * the B side of the latest comparison of the same setup; or a comparison's --out FILE: its B)
 * into a. 0, or -1 and err naming the file. */
static int load_stored(side *a, const char *spec, const setup *u, char *err, size_t errlen)
{
    char path[4096], why[1024];
    snprintf(path, sizeof path, "%s", spec);
    int line = 0;
    char *colon = strrchr(path, ':');
    if (colon && wl_parse_whole(colon + 1, 1, 100000000, &line)) *colon = 0;
    else line = 0;
    cJSON *records = NULL, *one = NULL;
    size_t n = strlen(path);
    if (n > 5 && !strcmp(path + n - 5, ".json")) {
        one = wl_json_read_object(path, why, sizeof why);
        if (!one) return wl_fail(err, errlen, "RUN=%s: %s", spec, why);
        records = cJSON_CreateArray();
        cJSON *b = cJSON_DetachItemFromObject(one, "b");
        cJSON_AddItemToArray(records, b ? b : one);
        if (b) cJSON_Delete(one);
    } else if (!(records = jsonl_read(path, stderr, why, sizeof why)))
        return wl_fail(err, errlen, "RUN=%s: %s", spec, why);
    const cJSON *pick = NULL, *run = NULL, *r;
    why[0] = 0;
    cJSON_ArrayForEach(r, records) {
        const cJSON *ln = cJSON_GetObjectItem(r, "line");
        if (line && !(cJSON_IsNumber(ln) && ln->valueint == line)) continue;
        const cJSON *x = bench_record_run(r, u->model, u->threads, u->clips, u->cpu_clock, why, sizeof why);
        const cJSON *rounds = x ? cJSON_GetObjectItem(x, "rounds") : NULL;
        if (x && !(cJSON_IsNumber(rounds) && rounds->valueint >= BENCH_STATS_MIN_PAIRED)) {
            snprintf(why, sizeof why, "has %d round(s) of stage figures; a comparison needs at least %d (records "
                                      "of make bench-compare carry them)", cJSON_IsNumber(rounds) ? rounds->valueint : 0,
                     BENCH_STATS_MIN_PAIRED);
            x = NULL;
        }
        if (x) pick = r, run = x;
    }
    if (!pick) {
        cJSON_Delete(records);
        if (line && !why[0]) return wl_fail(err, errlen, "RUN=%s: no record at line %d", spec, line);
        return wl_fail(err, errlen, "RUN=%s: %s%s", spec, line ? "that record " : "no record fits: the last ",
                       why[0] ? why : "file holds no records");
    }
    const cJSON *st;
    cJSON_ArrayForEach(st, cJSON_GetObjectItem(run, "stages")) {
        const cJSON *rs = cJSON_GetObjectItem(st, "rounds_s");
        if (cJSON_IsArray(rs)) cJSON_AddItemToObject(a->rounds, st->string, cJSON_Duplicate(rs, 1));
    }
    const char *c = cJSON_GetStringValue(cJSON_GetObjectItem(pick, "commit"));
    const char *date = cJSON_GetStringValue(cJSON_GetObjectItem(pick, "date"));
    static char label[512];
    snprintf(label, sizeof label, "stored run %.12s of %s (%s)", c ? c : "?", date ? date : "?", spec);
    a->label = label, a->commit = strdup(c ? c : ""), a->dirty = cJSON_IsTrue(cJSON_GetObjectItem(pick, "dirty"));
    a->machine = cJSON_Duplicate(cJSON_GetObjectItem(pick, "machine"), 1);
    a->stored = 1;
    cJSON_Delete(records);
    return 0;
}

static int values(const cJSON *list, double *x)
{
    int n = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, list) if (n < BENCH_STATS_MAX_SAMPLES && cJSON_IsNumber(v)) x[n++] = v->valuedouble;
    return n;
}

/* One side's history record. */
static cJSON *record_of(const side *s, const char *which, const setup *u)
{
    cJSON *r = bench_record_new("bench-compare", s->commit, s->dirty, s->machine);
    cJSON_AddStringToObject(r, "side", which);
    cJSON_AddStringToObject(r, "label", s->label);
    cJSON *run = cJSON_CreateObject(), *stages = cJSON_AddObjectToObject(run, "stages");
    cJSON_AddStringToObject(run, "model", u->model);
    cJSON_AddNumberToObject(run, "threads", u->threads);
    cJSON_AddNumberToObject(run, "clips", u->clips);
    cJSON_AddNumberToObject(run, "rounds", cJSON_GetArraySize(s->rounds->child)); /* a stored run's own count */
    cJSON_AddStringToObject(run, "clock", u->cpu_clock ? "cpu" : "wall");
    const cJSON *list;
    double x[BENCH_STATS_MAX_SAMPLES];
    cJSON_ArrayForEach(list, s->rounds) {
        int n = values(list, x);
        cJSON *o = cJSON_AddObjectToObject(stages, list->string), *a = cJSON_AddArrayToObject(o, "rounds_s");
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < n; i++) {
            cJSON_AddItemToArray(a, bench_record_seconds(x[i]));
            lo = fmin(lo, x[i]), hi = fmax(hi, x[i]);
        }
        cJSON_AddItemToObject(o, "median_s", bench_record_seconds(bench_stats_median(x, n)));
        cJSON_AddItemToObject(o, "min_s", bench_record_seconds(lo));
        cJSON_AddItemToObject(o, "max_s", bench_record_seconds(hi));
    }
    cJSON_AddItemToArray(cJSON_GetObjectItem(r, "runs"), run);
    return r;
}

/* The per-stage table, printed and returned as JSON. */
static cJSON *compare_stages(const side *a, const side *b, const setup *u)
{
    cJSON *out = cJSON_CreateArray();
    int counts[3] = {0, 0, 0}, noisy = 0;
    double coverage = BENCH_STATS_LEVEL;
    if (!a->stored) bench_stats_sign_rank(u->rounds, &coverage);
    printf("  %-28s %10s %10s %7s   %5.1f%% interval  %s\n", "stage", "A ms", "B ms", "B/A", 100 * coverage, "verdict");
    const cJSON *la;
    double x[BENCH_STATS_MAX_SAMPLES], y[BENCH_STATS_MAX_SAMPLES];
    cJSON_ArrayForEach(la, a->rounds) {
        const cJSON *lb = cJSON_GetObjectItem(b->rounds, la->string);
        int na = values(la, x), nb = lb ? values(lb, y) : 0;
        bench_comparison c;
        if (!lb || bench_stats_compare(x, na, y, nb, !a->stored, u->min_effect, BENCH_STATS_MIN_SHIFT, &c)) {
            printf("  %-28s %s\n", la->string, lb ? "no verdict: a round lacks it, or timed it at 0 s (too short for the clock)" : "only in A");
            continue;
        }
        counts[c.verdict + 1]++;
        /* "no change" with an interval wider than the minimum effect cannot rule out a change of
         * that size: said, so that the noise is not read as evidence of no change */
        double reach = fmax(c.hi - 1, 1 - c.lo);
        /* no change in a stage so short that the minimum effect is under the minimum shift: not
         * evidence either way (a larger change is still judged) */
        int tiny = c.verdict == BENCH_NO_CHANGE && fmax(c.median_a, c.median_b) * u->min_effect < BENCH_STATS_MIN_SHIFT;
        int wide = !tiny && c.verdict == BENCH_NO_CHANGE && (c.hi > 1 + u->min_effect || c.lo < 1 / (1 + u->min_effect));
        noisy += wide;
        printf("  %-28s %10.2f %10.2f %7.3f   [%6.3f, %6.3f]  %s", la->string, 1e3 * c.median_a, 1e3 * c.median_b,
               c.ratio, c.lo, c.hi, bench_verdict_name(c.verdict));
        if (tiny) printf(" (too short to judge)");
        if (wide) printf(" (noisy: up to %.0f%% not ruled out)", 100 * reach);
        printf("\n");
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "stage", la->string);
        cJSON_AddNumberToObject(o, "median_a_s", c.median_a);
        cJSON_AddNumberToObject(o, "median_b_s", c.median_b);
        cJSON_AddNumberToObject(o, "ratio", c.ratio);
        cJSON_AddNumberToObject(o, "interval_lo", c.lo);
        cJSON_AddNumberToObject(o, "interval_hi", c.hi);
        cJSON_AddStringToObject(o, "verdict", bench_verdict_name(c.verdict));
        cJSON_AddBoolToObject(o, "noisy", wide);
        cJSON_AddBoolToObject(o, "too_short", tiny);
        cJSON_AddItemToArray(out, o);
    }
    const cJSON *lb;
    cJSON_ArrayForEach(lb, b->rounds) if (!cJSON_GetObjectItem(a->rounds, lb->string))
        printf("  %-28s only in B\n", lb->string);
    printf("bench-compare: %d slower, %d faster, %d no change\n", counts[2], counts[0], counts[1]);
    if (noisy)
        printf("bench-compare: %d of the no-change stages were too noisy to rule out a %.0f%% change: more ROUNDS=, "
               "or a quieter machine\n", noisy, 100 * u->min_effect);
    return out;
}

static const char USAGE[] =
    "usage: bench_compare --b BENCH (--a BENCH | --run FILE[:LINE]) --model DIR [--threads N] [--clips N]\n"
    "                     [--rounds N] [--min-effect PERCENT] [--a-label S] [--b-label S] [--a-commit SHA]\n"
    "                     [--clock wall|cpu] [--history FILE] [--out FILE]\n";

int main(int argc, char **argv)
{
    side a = {.label = "A"}, b = {.label = "B"};
    setup u = {NULL, 1, 3, 12, BENCH_STATS_MIN_EFFECT, 0};
    const char *run = NULL, *history = NULL, *out = NULL;
    for (int i = 1; i < argc; i += 2) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--help")) return fputs(USAGE, stdout), 0;
        if (!v) return fprintf(stderr, "bench_compare: option '%s' needs a value (--help lists them)\n", k), 2;
        if (!strcmp(k, "--a")) a.bench = v;
        else if (!strcmp(k, "--b")) b.bench = v;
        else if (!strcmp(k, "--run")) run = v;
        else if (!strcmp(k, "--model")) u.model = v;
        else if (!strcmp(k, "--a-label")) a.label = v;
        else if (!strcmp(k, "--b-label")) b.label = v;
        else if (!strcmp(k, "--a-commit")) a.commit = v;
        else if (!strcmp(k, "--history")) history = v;
        else if (!strcmp(k, "--out")) out = v;
        else if (!strcmp(k, "--clock")) {
            if (strcmp(v, "wall") && strcmp(v, "cpu"))
                return fprintf(stderr, "bench_compare: --clock '%s': wall or cpu\n", v), 2;
            u.cpu_clock = !strcmp(v, "cpu");
        }
        else if (!strcmp(k, "--threads") || !strcmp(k, "--clips") || !strcmp(k, "--rounds")) {
            int *dst = k[2] == 't' ? &u.threads : k[2] == 'c' ? &u.clips : &u.rounds;
            int lo = k[2] == 'r' ? BENCH_STATS_MIN_PAIRED : 1, hi = k[2] == 't' ? 64 : k[2] == 'c' ? 240 : 100;
            if (!wl_parse_whole(v, lo, hi, dst))
                return fprintf(stderr, "bench_compare: %s '%s': not a whole number from %d to %d\n", k, v, lo, hi), 2;
        } else if (!strcmp(k, "--min-effect")) {
            char *end;
            double p = strtod(v, &end);
            if (end == v || *end || !(p >= 0 && p < 100))
                return fprintf(stderr, "bench_compare: --min-effect '%s': not a percentage from 0 to 100\n", v), 2;
            u.min_effect = p / 100;
        } else return fprintf(stderr, "bench_compare: unknown option '%s' (--help lists them)\n", k), 2;
    }
    if (!b.bench || !u.model || !a.bench == !run)
        return fprintf(stderr, "bench_compare: needs --b, --model and one of --a or --run (--help)\n"), 2;
    char err[2048], dir[256], json[300], errfile[300];
    snprintf(dir, sizeof dir, "%s/wl_bench_compare_XXXXXX", P_tmpdir);
    a.rounds = cJSON_CreateObject(), b.rounds = cJSON_CreateObject();
    if (run && load_stored(&a, run, &u, err, sizeof err)) return fprintf(stderr, "bench_compare: %s\n", err), 1;
    if (!mkdtemp(dir))
        return fprintf(stderr, "bench_compare: cannot make a folder in %s: %s\n", P_tmpdir, strerror(errno)), 1;
    snprintf(json, sizeof json, "%s/bench.json", dir);
    snprintf(errfile, sizeof errfile, "%s/stderr", dir);
    printf("bench-compare: A = %s, B = %s\n  %s, %d thread(s), %d clip(s) a round, %s, %d rounds %s\n", a.label,
           b.label, u.model, u.threads, u.clips, u.cpu_clock ? "CPU seconds" : "elapsed seconds", u.rounds,
           a.stored ? "of B against A's stored rounds" : "each, interleaved (A B, B A, A B, ...)");
    fflush(stdout);
    int rc = 0;
    for (int r = 0; r < u.rounds && !rc; r++) {
        side *order[2] = {r % 2 ? &b : &a, r % 2 ? &a : &b};
        for (int k = 0; k < 2 && !rc; k++) {
            if (order[k]->stored) continue;
            double t0 = wall();
            rc = run_bench(order[k], &u, json, errfile, err, sizeof err) || take_round(order[k], &u, json, err, sizeof err);
            if (!rc) fprintf(stderr, "  round %d/%d: %s in %.0f s\n", r + 1, u.rounds, order[k]->label, wall() - t0);
        }
    }
    unlink(json), unlink(errfile), rmdir(dir);
    if (rc) return fprintf(stderr, "bench_compare: %s\n", err), 1;
    if (a.stored)
        printf("statistic: per round, each stage's median over the clips; B/A = the median of B's rounds over the "
               "median of A's;\n  its %.0f%% interval: bootstrap percentiles (%d resamples, each side on its own, "
               "fixed seed);\n", 100 * BENCH_STATS_LEVEL, BENCH_STATS_RESAMPLES);
    else
        printf("statistic: per round, each stage's median over the clips; B/A = the median over the rounds of B's "
               "over A's (paired\n  by round); its interval: the sign test's for a median (ratios ranked; exact "
               "coverage, any noise distribution);\n");
    printf("  slower or faster only when the interval excludes 1, B/A is beyond %.0f%% and the medians are %.3f ms "
           "apart\n  (a smaller shift is never called a change)\n", 100 * u.min_effect, 1e3 * BENCH_STATS_MIN_SHIFT);
    if (a.stored)
        printf("A is a stored run: it was not interleaved with B, so a change in the machine's load between the two "
               "shows as a change of the build;\n  weaker evidence than REV=, which runs both now\n");
    cJSON *result = cJSON_CreateObject();
    cJSON_AddItemToObject(result, "stages", compare_stages(&a, &b, &u));
    cJSON_AddNumberToObject(result, "min_effect", u.min_effect);
    cJSON_AddNumberToObject(result, "min_shift_s", BENCH_STATS_MIN_SHIFT);
    cJSON_AddBoolToObject(result, "interleaved", !a.stored);
    cJSON *ra = record_of(&a, "A", &u), *rb = record_of(&b, "B", &u);
    if (history && ((!a.stored && jsonl_append(history, ra, err, sizeof err)) || jsonl_append(history, rb, err, sizeof err)))
        fprintf(stderr, "bench_compare: %s\n", err), rc = 1;
    else if (history) printf("bench-compare: the rounds appended to %s (RUN=%s:<line> compares against them)\n", history, history);
    cJSON_AddItemToObject(result, "a", ra);
    cJSON_AddItemToObject(result, "b", rb);
    char *text = cJSON_Print(result);
    if (out && (!text || replace_file(out, text, strlen(text), err, sizeof err)))
        fprintf(stderr, "bench_compare: %s\n", text ? err : "out of memory"), rc = 1;
    else if (out) printf("bench-compare: %s\n", out);
    cJSON_free(text);
    cJSON_Delete(result);
    cJSON_Delete(a.machine), cJSON_Delete(b.machine), cJSON_Delete(a.rounds), cJSON_Delete(b.rounds);
    return rc;
}
