#!/usr/bin/env bash
# make baseline: runs the golden tests with their drift recorded but not failing, then accepts each
# golden folder's records into tests/baselines/<folder>.tsv with the commit and the reason.
# usage: ci/baseline.sh BIN REASON [all] [MODEL]   (all: every kernel path this CPU runs, as
# verify-kernels; the real tiny.en too when make verify would check it: ci/real-model.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
bin=$1 reason=$2 paths=${3:-} model=${4:-}
[ -n "$reason" ] || { echo "make baseline: say why in one line: make baseline REASON='...'" >&2; exit 2; }
export WL_DRIFT=record
rm -rf build/verify/baseline "$bin/tmp/encoder-cache" && mkdir -p "$bin/tmp/encoder-cache" build/logs tests/baselines
if [ "$paths" = all ]; then
  bash ci/kernel-paths.sh > build/logs/baseline.log 2>&1
else
  real=$(bash ci/real-model.sh "$bin/whisperlab" "$model" golden/whisper-tiny.en "$bin/tests/test_stages" "$bin/tests/test_decode") || exit 1
  mapfile -t real <<< "$real"
  echo "make baseline: ${real[0]}"
  bash ci/run-tests.sh WL_ENCODER_CACHE="$bin/tmp/encoder-cache" "$bin/tests/test_stages" "$bin/tests/test_decode" \
    WL_MODEL=build/whisper-micro.en WL_GOLDEN=golden/whisper-micro.en "$bin/tests/test_stages" "$bin/tests/test_decode" \
    "${real[@]:1}" > build/logs/baseline.log 2>&1
fi || { echo "make baseline: a golden test failed; a baseline is taken from a passing run only (build/logs/baseline.log)" >&2; exit 1; }
dirty=$(git status --porcelain -- engine tests ':!tests/baselines' | grep -q . && echo " + uncommitted changes")
measured="$(git rev-parse --short HEAD)$dirty $(date -u +%F): $(printf '%s' "$reason" | tr '\t\n' '  ')"
for dir in golden/*/; do
  g=$(basename "$dir")
  records=(build/verify/baseline/"$g".*.tsv)
  [ -e "${records[0]}" ] || continue
  "$bin/accept_baseline" --measured "$measured" "tests/baselines/$g.tsv" "${records[@]}" || exit 1
done
