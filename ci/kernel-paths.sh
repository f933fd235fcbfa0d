#!/usr/bin/env bash
# The golden checks on every kernel path this CPU runs (build/tests/test_threads --list-paths:
# oneDNN at its own ISA and capped at each lower one, OpenBLAS at its own core and forced to each
# lower one, 8-lane vector kernels where the CPU takes 16): test_stages on the synthetic tiny.en,
# and test_stages and test_decode on whisper-micro.en, each against HF's goldens with the same
# tolerances as make verify. A row per path and test; exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=1
mkdir -p build/logs/kernel-paths
paths=$(build/tests/test_threads --list-paths) || { echo "kernel-paths: cannot list the paths" >&2; exit 2; }
rows=() failed=0 n=0
while IFS=$'\t' read -r envs label; do
  n=$((n + 1))
  for run in "test_stages synthetic" "test_stages micro" "test_decode micro"; do
    set -- $run
    log=build/logs/kernel-paths/$n.$1.$2.log
    if [ "$2" = micro ]; then
      # shellcheck disable=SC2086 # envs are env(1)'s words
      env $envs WL_MODEL=build/whisper-micro.en WL_GOLDEN=golden/whisper-micro.en "build/tests/$1" >"$log" 2>&1
    else
      # shellcheck disable=SC2086
      env $envs "build/tests/$1" >"$log" 2>&1
    fi
    rc=$?
    worst=$(grep -m1 -E '^first failing stage' "$log" | cut -c1-70)
    [ $rc -ne 0 ] && failed=$((failed + 1))
    rows+=("$(printf '%-34s %-12s %-10s %s' "$label" "$1" "$2" "$([ $rc -eq 0 ] && echo passed || echo "FAILED ${worst:-exit $rc} ($log)")")")
  done
done <<<"$paths"
echo "golden checks on every kernel path this CPU runs ($(grep -m1 -o 'model name.*' /proc/cpuinfo | cut -c14-60)):"
printf '%s\n' "${rows[@]}"
echo "kernel-paths: $n paths, $failed failed runs"
[ $failed -eq 0 ]
