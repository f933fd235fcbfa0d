#!/usr/bin/env bash
# Runs the libFuzzer targets built by ci/fuzz.mk, one after another, from the repository root.
#   ci/fuzz.sh run SECONDS TARGET...    fuzz each target SECONDS seconds
#   ci/fuzz.sh smoke SECONDS TARGET...  first replay tests/fuzz/regressions/<target>/ and
#                                       tests/fuzz/seeds/<target>/, then fuzz SECONDS seconds
# Seeds are copied from the repository into build/fuzz/corpus/<target>/ (where new inputs are
# kept between runs); crashes go to build/fuzz/artifacts/<target>/, logs to build/fuzz/logs/.
# Prints and writes build/fuzz/summary.txt: per target execs, exec/s, cov and ft (libFuzzer's
# final line), crashes. Exits non-zero if any target crashed or a replayed input failed.
set -uo pipefail
mode=$1 seconds=$2
shift 2
out=build/fuzz
export ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1

# Seeds from the repository's own files (generated ones come from make_seeds).
declare -A SEEDS=(
  [safetensors]=""
  [config]="data/models/whisper-tiny.en/config.json data/models/whisper-tiny.en/preprocessor_config.json
            data/models/whisper-micro.en/config.json data/models/whisper-micro.en/preprocessor_config.json"
  [gen_config]="data/models/whisper-tiny.en/generation_config.json data/models/whisper-micro.en/generation_config.json"
  [model_path]=""
  [audio]="data/audio/clip_01.wav"
  [tokenizer_load]=""
  [tokenizer_bpe]=""
  [golden_index]="golden/whisper-micro.en/index.json golden/whisper-tiny.en-synthetic/index.json"
)
dict_for() {
  case $1 in
    audio) echo tests/fuzz/audio.dict ;;
    model_path | tokenizer_bpe) ;;
    *) echo tests/fuzz/json.dict ;;
  esac
}

"$out/make_seeds" "$out/corpus" build/whisper-micro.en || exit 1
failed=0
rows=()
for t in "$@"; do
  corpus=$out/corpus/$t artifacts=$out/artifacts/$t log=$out/logs/$t.log
  mkdir -p "$corpus" "$artifacts" "$out/logs"
  for f in ${SEEDS[$t]:-}; do cp "$f" "$corpus/$(echo "$f" | tr / _)"; done
  extra=()
  for d in tests/fuzz/seeds/$t tests/fuzz/regressions/$t; do [ -d "$d" ] && extra+=("$d"); done
  if [ "$mode" = smoke ] && [ ${#extra[@]} -gt 0 ]; then
    mapfile -t inputs < <(find "${extra[@]}" -type f)
    if ! "$out/bin/$t" -timeout=10 -rss_limit_mb=2048 "${inputs[@]}" >"$out/logs/$t.replay.log" 2>&1; then
      echo "$t: a regression or seed input fails (log: $out/logs/$t.replay.log)"
      failed=1
    fi
  fi
  dict=$(dict_for "$t")
  before=$(ls "$artifacts" | wc -l)
  "$out/bin/$t" "$corpus" "${extra[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" ${dict:+-dict=$dict} >"$log" 2>&1 &
  pid=$!
  wait $pid
  rc=$?
  rm -rf "${TMPDIR:-/tmp}/wlfuzz.$pid".* # the target's scratch folder, if it died before removing it
  crashes=$(($(ls "$artifacts" | wc -l) - before))
  [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1 # died without an artifact
  [ "$crashes" -gt 0 ] && failed=1
  execs=$(grep -oP 'stat::number_of_executed_units:\s+\K[0-9]+' "$log" || echo ?)
  rate=$(grep -oP 'stat::average_exec_per_sec:\s+\K[0-9]+' "$log" || echo ?)
  cov=$(grep -oP '(DONE|NEW|REDUCE|pulse|INITED).* cov: \K[0-9]+' "$log" | tail -1)
  ft=$(grep -oP '(DONE|NEW|REDUCE|pulse|INITED).* ft: \K[0-9]+' "$log" | tail -1)
  rows+=("$(printf '%-16s %10s %8s %7s %7s %8s' "$t" "$execs" "$rate" "${cov:-?}" "${ft:-?}" "$crashes")")
  echo "${rows[-1]}"
  [ "$crashes" -gt 0 ] && echo "  crash: $(ls -t "$artifacts" | head -1) in $artifacts/ (log: $log)"
done
{
  echo "fuzz $mode, $seconds s per target ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  printf '%-16s %10s %8s %7s %7s %8s\n' target execs exec/s cov ft crashes
  printf '%s\n' "${rows[@]}"
} | tee "$out/summary.txt"
exit $failed
