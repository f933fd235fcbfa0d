#!/usr/bin/env bash
# The whisperlab command under valgrind's memcheck on the trained local model: `info`, `transcribe`
# of one clip (beam search, timestamps and JSON, so generation, DTW and the tokenizer run) and
# `dump` of its stages. A memory error or a definitely lost block fails the run; blocks still
# reachable at exit (OpenBLAS's thread pool, FFTW's plans) do not; ci/valgrind.supp says which
# reports of oneDNN's generated kernels are silenced, and why. ASan (make verify SANITIZE=1)
# runs with leak checks off, so this is where leaks are caught.
#
#   bash ci/valgrind.sh [WHISPERLAB] [MODEL]     (defaults: build/whisperlab build/whisper-micro.en)
#
# Logs: build/logs/valgrind.<run>.log. Ends with "valgrind: all 3 runs clean" or "valgrind: N of 3
# runs failed" (not the "N passed, N failed" form, which CI reads as the test suite's count) and
# exits 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
cli=${1:-build/whisperlab}
model=${2:-build/whisper-micro.en}
clip=data/audio/clip_01.wav
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
[ -x "$cli" ] && [ -f "$model/model.safetensors" ] || { echo "valgrind.sh: $cli or $model is missing (run make)" >&2; exit 1; }
mkdir -p build/logs build/tmp/valgrind
rm -f build/tmp/valgrind/stages.st
passed=0 failed=0

# run NAME ARGS...: the command must exit 0 with no valgrind error (valgrind's own failure exit
# is 1, the same as the command's for a bad file: every run here is a good input).
run() {
  local name=$1 log=build/logs/valgrind.$1.log
  shift
  if valgrind --suppressions=ci/valgrind.supp --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --log-file="$log" \
      "$cli" "$@" >/dev/null 2>"$log.stderr"; then
    passed=$((passed + 1))
    echo "valgrind: $name: clean ($(grep -oE 'total heap usage: [0-9,]+ allocs' "$log"))"
  else
    failed=$((failed + 1))
    echo "valgrind: $name: FAILED (whisperlab $*)"
    grep -E 'Invalid|uninitialised|definitely lost|ERROR SUMMARY' "$log" | sed 's/^/    /'
    sed 's/^/    stderr: /' "$log.stderr"
  fi
}

run info info --model "$model"
# Both on one engine thread: on a pool of two, once oneDNN's kernels are built at load
# (wl_sgemm_prepare), memcheck flags the generated kernels' reads on the pool's second thread as
# uninitialised (dump always; transcribe in some runs, its products split by columns) and reports
# that thread's TLS, and libgomp's data for it, as lost (the pool's threads live until exit),
# while the output stays bitwise the native run's: not understood yet, so not silenced. The pool
# at two and three threads runs under ASan and UBSan (make verify SANITIZE=1: test_threads,
# test_states).
run transcribe transcribe --model "$model" --beams 3 --timestamps --json --threads 1 "$clip"
run dump dump --model "$model" --audio "$clip" --out build/tmp/valgrind/stages.st --threads 1
if [ "$failed" -eq 0 ]; then echo "valgrind: all $passed runs clean"; else echo "valgrind: $failed of $((passed + failed)) runs failed"; fi
[ "$failed" -eq 0 ]
