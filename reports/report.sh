#!/usr/bin/env bash
# make report: the whole lab into a fresh staging folder, swapped in over OUT in one step at the
# end by `publish` (reports/tools/out_folder.h): a failed or interrupted run leaves the previous
# report untouched, and OUT is replaced only when it is new, empty or a previous report (checked
# before the run starts).
# Env: BIN (tools), MODEL (folder or repo id; empty = default), FALLBACK (local model), OUT,
# LAB_ARGS (extra lab options, e.g. --limit 3 --max-new-tokens 8), CFLAGS_USED, CC_USED.
set -euo pipefail
BIN=${BIN:-build}
OUT=${OUT:-build/report}
FALLBACK=${FALLBACK:-} # empty: the engine's local model

if [ -z "${WL_STAGE:-}" ]; then
    # this script again, under publish, which gives it the staging folder as WL_STAGE
    start=$(date +%s.%N)
    WL_REPORT_START=$start "$BIN/publish" --parents "$OUT" -- bash "$0"
    echo "report: $OUT ($(ls "$OUT" | wc -l) files) in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
    exit 0
fi
start=${WL_REPORT_START:-$(date +%s.%N)}
new=$WL_STAGE

# shellcheck disable=SC2086
"$BIN/lab" --model "${MODEL:-}" ${FALLBACK:+--fallback "$FALLBACK"} --clips data/clips.json --audio data/audio \
    --out "$new" --staged ${LAB_ARGS:-}

# The stage check against HF goldens, when goldens exist for this model (same weights SHA256).
model_dir=$(sed -n 's/^[[:space:]]*"model":[[:space:]]*"\(.*\)",$/\1/p' "$new/run.json" | head -1)
sha=$(sha256sum "$model_dir/model.safetensors" | cut -d' ' -f1)
golden=""
for idx in golden/*/index.json; do
    [ -f "$idx" ] && grep -q "\"model_sha256\":[[:space:]]*\"$sha\"" "$idx" && golden=$(dirname "$idx") && break
done
golden_args=()
if [ -n "$golden" ] && [ "${GOLDEN_CHECK:-1}" = 1 ]; then
    g0=$(date +%s.%N)
    if WL_MODEL="$model_dir" WL_GOLDEN="$golden" "$BIN/tests/test_stages" > "$new/golden_check.log" 2>&1; then
        status=passed
    else
        status=failed
    fi
    name=$(basename "$golden")
    cp "build/verify/stages.$name.json" "$new/golden_check.json"
    golden_args=(--golden "$golden" --golden-check "$new/golden_check.json" --golden-status "$status"
                 --golden-seconds "$(awk -v a="$g0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')")
    echo "report: stage check against $golden: $status"
fi

"$BIN/tables" --report "$new" --out "$new/README.md"
"$BIN/manifest" --model "$model_dir" ${FALLBACK:+--fallback "$FALLBACK"} --clips data/clips.json --audio data/audio \
    --run "$new/run.json" --cflags "${CFLAGS_USED:-}" --cc "${CC_USED:-}" "${golden_args[@]}" \
    --started "$start" --out "$new/manifest.json"
