/* The benchmark history's record: one JSON object a run, one line in the history file
 * (jsonl_file.h). Every record has "kind" ("bench": a make bench run; "bench-compare": one
 * side of a comparison), "date" (UTC), "commit" and "dirty" (uncommitted changes to tracked
 * files), "machine" (the CPU, its cores, the products' library and its kernels, OpenBLAS's core,
 * the vector width) and "runs": per model and thread count {"model", "threads", "clips",
 * "rounds", "clock" ("wall" or "cpu": bench --clock), "stages": {name: {"median_s", "min_s", "max_s", and "samples_s" (a bench run: each
 * clip's seconds) or "rounds_s" (a comparison: each round's median over the clips)}}}. */
#ifndef BENCH_RECORD_H
#define BENCH_RECORD_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* A new record of `kind` at commit (dirty 1 when the tree had changes), machine copied. */
cJSON *bench_record_new(const char *kind, const char *commit, int dirty, const cJSON *machine);

/* make bench's record of the bench's JSON report (reports/bench/bench.c), clips per run. NULL and
 * err when the report lacks what a record needs. */
cJSON *bench_record_of_bench(const cJSON *report, int clips, char *err, size_t errlen);

/* The run of record for model (compared by its folder's last name) at threads and clips, its
 * stages timed by the same clock (cpu_clock 1: CPU seconds; a run without "clock" is elapsed
 * time), or NULL with err saying which of them the record lacks. */
const cJSON *bench_record_run(const cJSON *record, const char *model, int threads, int clips, int cpu_clock,
                              char *err, size_t errlen);

/* A number rounded to the microsecond, so the history's lines stay short. */
cJSON *bench_record_seconds(double s);

#endif
