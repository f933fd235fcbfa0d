#include "transcript.h"

#include "../../engine/base/util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void *own(transcript *t, size_t bytes)
{
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p) return NULL;
    t->owned[t->n_owned++] = p;
    return p;
}

static int number(const cJSON *o, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v)) return -1;
    *out = v->valuedouble;
    return 0;
}

/* One file's record: prompt, then per step its id and top-5 (ids and probabilities; the
 * command prints p = exp(log-prob) at full double precision, so log(p) gives the log-prob back). */
static int read_file_record(const cJSON *f, transcript *t, cmp_seq *s)
{
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(f, "prompt"), *steps = cJSON_GetObjectItemCaseSensitive(f, "tokens");
    if (!cJSON_IsArray(prompt) || !cJSON_IsArray(steps) || number(f, "score", &s->score)) return -1;
    int np = cJSON_GetArraySize(prompt), ns = cJSON_GetArraySize(steps);
    int32_t *tokens = own(t, (size_t)(np + ns) * sizeof *tokens), *ids = own(t, (size_t)ns * CMP_TOP * sizeof *ids);
    double *lps = own(t, (size_t)ns * CMP_TOP * sizeof *lps);
    if (!tokens || !ids || !lps) return -1;
    for (int i = 0; i < np; i++) {
        const cJSON *v = cJSON_GetArrayItem(prompt, i);
        if (!cJSON_IsNumber(v)) return -1;
        tokens[i] = (int32_t)v->valuedouble;
    }
    for (int i = 0; i < ns; i++) {
        const cJSON *st = cJSON_GetArrayItem(steps, i), *top = cJSON_GetObjectItemCaseSensitive(st, "top5");
        double id;
        if (number(st, "id", &id) || !cJSON_IsArray(top) || cJSON_GetArraySize(top) != CMP_TOP) return -1;
        tokens[np + i] = (int32_t)id;
        for (int k = 0; k < CMP_TOP; k++) {
            const cJSON *alt = cJSON_GetArrayItem(top, k);
            double aid, p;
            if (number(alt, "id", &aid)) return -1;
            /* a suppressed token's p is 0 (printed as 0, or null where the log-prob was -inf) */
            if (number(alt, "p", &p)) p = 0;
            ids[i * CMP_TOP + k] = (int32_t)aid;
            lps[i * CMP_TOP + k] = p > 0 ? log(p) : -INFINITY;
        }
    }
    double score = s->score;
    *s = (cmp_seq){.n_tokens = np + ns, .n_prompt = np, .tokens = tokens, .top_id = ids, .top_lp = lps, .score = score};
    return 0;
}

int transcript_read(const char *path, int n_files, transcript *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    size_t len;
    char *text = wl_read_file(path, &len, err, errlen);
    if (!text) return -1;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
    if (!cJSON_IsArray(files) || cJSON_GetArraySize(files) != n_files) {
        cJSON_Delete(root);
        return wl_fail(err, errlen, "%s: not a transcript of %d files (whisperlab transcribe --json)", path, n_files);
    }
    t->seq = calloc((size_t)n_files, sizeof *t->seq);
    t->owned = calloc((size_t)n_files * 3, sizeof *t->owned);
    int bad = !t->seq || !t->owned;
    for (int i = 0; !bad && i < n_files; i++, t->n++)
        bad = read_file_record(cJSON_GetArrayItem(files, i), t, &t->seq[i]);
    cJSON_Delete(root);
    if (bad) {
        int record = t->n + 1;
        transcript_free(t);
        return wl_fail(err, errlen, "%s: file record %d lacks prompt, tokens, top5 or score", path, record);
    }
    return 0;
}

void transcript_free(transcript *t)
{
    for (int i = 0; i < t->n_owned; i++) free(t->owned[i]);
    free(t->owned), free(t->seq);
    memset(t, 0, sizeof *t);
}
