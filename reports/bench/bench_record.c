/* bench_record: building and searching the history's records. */
#include "bench_record.h"

#include "../../engine/base/util.h"

#include <math.h>
#include <string.h>
#include <time.h>

cJSON *bench_record_seconds(double s) { return cJSON_CreateNumber(round(s * 1e6) / 1e6); }

cJSON *bench_record_new(const char *kind, const char *commit, int dirty, const cJSON *machine)
{
    char date[32];
    time_t t = time(NULL);
    struct tm tm;
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "kind", kind);
    cJSON_AddStringToObject(r, "date", date);
    cJSON_AddStringToObject(r, "commit", commit ? commit : "");
    cJSON_AddBoolToObject(r, "dirty", dirty);
    cJSON_AddItemToObject(r, "machine", machine ? cJSON_Duplicate(machine, 1) : cJSON_CreateObject());
    cJSON_AddArrayToObject(r, "runs");
    return r;
}

static double number(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* One bench stage ({"stage", "median_s", "min_s", "max_s", "samples_s"}) as the record keeps it. */
static cJSON *stage_of_bench(const cJSON *st)
{
    cJSON *o = cJSON_CreateObject();
    static const char *const keys[] = {"median_s", "min_s", "max_s"};
    for (int k = 0; k < 3; k++) cJSON_AddItemToObject(o, keys[k], bench_record_seconds(number(st, keys[k])));
    const cJSON *samples = cJSON_GetObjectItem(st, "samples_s"), *s;
    if (cJSON_IsArray(samples)) {
        cJSON *a = cJSON_AddArrayToObject(o, "samples_s");
        cJSON_ArrayForEach(s, samples) cJSON_AddItemToArray(a, bench_record_seconds(s->valuedouble));
    }
    return o;
}

cJSON *bench_record_of_bench(const cJSON *report, int clips, char *err, size_t errlen)
{
    const cJSON *commit = cJSON_GetObjectItem(report, "git_commit"), *models = cJSON_GetObjectItem(report, "models");
    if (!cJSON_IsString(commit) || !cJSON_IsArray(models))
        return wl_fail(err, errlen, "the bench report has no git_commit or models"), NULL;
    cJSON *r = bench_record_new("bench", commit->valuestring, cJSON_IsTrue(cJSON_GetObjectItem(report, "git_dirty")),
                                cJSON_GetObjectItem(report, "machine"));
    cJSON *runs = cJSON_GetObjectItem(r, "runs");
    const cJSON *m, *run, *st;
    cJSON_ArrayForEach(m, models) {
        cJSON_ArrayForEach(run, cJSON_GetObjectItem(m, "runs")) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "model", cJSON_GetStringValue(cJSON_GetObjectItem(m, "model")));
            cJSON_AddNumberToObject(o, "threads", number(run, "threads"));
            cJSON_AddNumberToObject(o, "clips", clips);
            cJSON_AddNumberToObject(o, "rounds", 1);
            const char *clock = cJSON_GetStringValue(cJSON_GetObjectItem(report, "stage_clock"));
            cJSON_AddStringToObject(o, "clock", clock ? clock : "wall");
            cJSON *stages = cJSON_AddObjectToObject(o, "stages");
            cJSON_ArrayForEach(st, cJSON_GetObjectItem(run, "stages")) {
                const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(st, "stage"));
                if (name) cJSON_AddItemToObject(stages, name, stage_of_bench(st));
            }
            cJSON_AddItemToArray(runs, o);
        }
    }
    return r;
}

static const char *last_name(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    const char *s = path + n;
    while (s > path && s[-1] != '/') s--;
    return s;
}

static int same_folder_name(const char *a, const char *b)
{
    const char *x = last_name(a), *y = last_name(b);
    size_t nx = strcspn(x, "/"), ny = strcspn(y, "/");
    return nx == ny && !strncmp(x, y, nx);
}

const cJSON *bench_record_run(const cJSON *record, const char *model, int threads, int clips, int cpu_clock,
                              char *err, size_t errlen)
{
    const cJSON *run;
    int model_seen = 0, threads_seen = 0, clips_seen = 0;
    cJSON_ArrayForEach(run, cJSON_GetObjectItem(record, "runs")) {
        const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(run, "model"));
        if (!m || !same_folder_name(m, model)) continue;
        model_seen = 1;
        if (number(run, "threads") != threads) continue;
        threads_seen = 1;
        if (number(run, "clips") != clips) continue;
        clips_seen = 1;
        const char *clock = cJSON_GetStringValue(cJSON_GetObjectItem(run, "clock"));
        if (!strcmp(clock ? clock : "wall", cpu_clock ? "cpu" : "wall")) return run;
    }
    if (!model_seen) wl_fail(err, errlen, "has no run of model %s", last_name(model));
    else if (!threads_seen) wl_fail(err, errlen, "has no run of %s at %d thread(s)", last_name(model), threads);
    else if (!clips_seen)
        wl_fail(err, errlen, "has no run of %s at %d thread(s) over %d clip(s)", last_name(model), threads, clips);
    else wl_fail(err, errlen, "has no run of %s timed in %s seconds (CLOCK=%s)", last_name(model),
                 cpu_clock ? "CPU" : "elapsed", cpu_clock ? "cpu" : "wall");
    return NULL;
}
