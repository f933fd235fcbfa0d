#!/usr/bin/env bash
# Runs each test binary given, from the repository root. Per test: a log in build/logs/, its
# exit code, and one summary row. A NAME=VALUE argument sets that environment variable for the
# binaries after it (e.g. WL_GOLDEN=golden/whisper-micro.en); while WL_GOLDEN is set, logs and
# rows carry its folder name. Ends with the line "verify: N passed, N failed" counting
# cmocka test cases, and exits non-zero if any binary failed.
set -uo pipefail
mkdir -p build/logs
passed=0 failed=0 broken=()
summary=()
for t in "$@"; do
  case "$t" in *=*) export "${t?}"; continue ;; esac
  name=$(basename "$t")${WL_GOLDEN:+.$(basename "$WL_GOLDEN")}
  log=build/logs/$name.log
  "$t" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  echo "$rc" > "build/logs/$name.rc"
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
echo "verify: $passed passed, $failed failed"
[ ${#broken[@]} -eq 0 ]
