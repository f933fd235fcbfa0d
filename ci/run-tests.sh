#!/usr/bin/env bash
# Runs each test binary given, from the repository root, up to JOBS at a time (default: the
# number of cores; every test uses one thread unless it sets its own). Per test: a log in
# build/logs/, its exit code, and one summary row. A NAME=VALUE argument sets that environment
# variable for the binaries after it (e.g. WL_GOLDEN=golden/whisper-micro.en); while WL_GOLDEN is
# set, logs and rows carry its folder name. Each test's output is printed whole when it ends (in
# the order they end: give the slowest first); the summary keeps the order given. Ends with
# VERIFY_MODELS (when set: which models were checked against which goldens), then the line
# "verify: N passed, N failed" counting cmocka test cases, and exits non-zero if any binary failed.
# The run list, build/logs/runs.tsv (a line per binary: log name, binary, WL_GOLDEN's folder name,
# exit code, wall seconds), is written last: make verify's JUnit XML is built from it
# (ci/junit_report.c).
set -uo pipefail
# The engine's threads are its own pool's (each test chooses its count); OpenBLAS's idle threads
# would only spin at every test process's start, taking a core from the test beside it.
export OPENBLAS_NUM_THREADS=1
mkdir -p build/logs
rm -f build/logs/runs.tsv
jobs_max=${JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs_max" -ge 1 ] 2>/dev/null || jobs_max=1
names=() runs=()

# one test in the background: output to its log, start and end times to its .time, then its
# exit code to its .rc (last: its presence says the test has ended)
start() {
  local t=$1 name=$2
  (t0=$EPOCHREALTIME; "$t" >"build/logs/$name.log" 2>&1; rc=$?
   echo "$t0 $EPOCHREALTIME" >"build/logs/$name.time"; echo $rc >"build/logs/$name.rc") &
}

# prints the log of each finished test not yet shown
declare -A shown=()
show_finished() {
  local n
  for n in "${names[@]}"; do
    if [ -z "${shown[$n]:-}" ] && [ -s "build/logs/$n.rc" ]; then
      cat "build/logs/$n.log"
      shown[$n]=1
    fi
  done
}

for t in "$@"; do
  case "$t" in *=*) export "${t?}"; continue ;; esac
  name=$(basename "$t")${WL_GOLDEN:+.$(basename "$WL_GOLDEN")}
  rm -f "build/logs/$name.rc" "build/logs/$name.time"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
    wait -n
    show_finished
  done
  names+=("$name")
  runs+=("$name"$'\t'"$(basename "$t")"$'\t'"$(basename "${WL_GOLDEN:-}")")
  start "$t" "$name"
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do
  wait -n
  show_finished
done
wait
show_finished

passed=0 failed=0 broken=()
summary=()
echo $'# log name\tbinary\tgolden\texit\tseconds' >build/logs/runs.tsv.tmp
for i in "${!names[@]}"; do
  name=${names[$i]}
  log=build/logs/$name.log
  rc=$(cat "build/logs/$name.rc" 2>/dev/null || echo 1)
  seconds=$(awk '{ printf "%.3f", $2 - $1 }' "build/logs/$name.time" 2>/dev/null)
  echo "${runs[$i]}"$'\t'"$rc"$'\t'"${seconds:--1}" >>build/logs/runs.tsv.tmp
  p=$(grep -oE '^\[  PASSED  \] [0-9]+' "$log" | awk '{s+=$NF} END {print s+0}')
  f=$(grep -oE '^\[  FAILED  \] [0-9]+ test' "$log" | awk '{s+=$3} END {print s+0}')
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1   # crashed or failed outside a test case
  passed=$((passed + p)) failed=$((failed + f))
  [ "$rc" -ne 0 ] && broken+=("$name")
  summary+=("$(printf '%-44s %4d passed %4d failed  exit %d' "$name" "$p" "$f" "$rc")")
done
echo
echo "== verify summary =="
printf '%s\n' "${summary[@]}"
[ ${#broken[@]} -gt 0 ] && echo "failing: ${broken[*]} (logs in build/logs/)"
[ -n "${VERIFY_MODELS:-}" ] && printf '%s\n' "$VERIFY_MODELS"
echo "verify: $passed passed, $failed failed"
mv build/logs/runs.tsv.tmp build/logs/runs.tsv
[ ${#broken[@]} -eq 0 ]
