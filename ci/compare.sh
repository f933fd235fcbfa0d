#!/usr/bin/env bash
# make compare: side A is REV, built in a detached git worktree under build/rev/<sha>/ by
# ci/rev_build.sh (made once, then reused; the working tree and the index are never touched), or
# this build when REV is empty; side B is this build. Both run through their own whisperlab command, compared by
# $BIN/compare_builds (tests/compare/). Knobs (environment, from the Makefile):
#   REV=<rev>            side A's revision
#   THREADS=N            side B's engine threads (default 1); A_THREADS=N side A's (default 1)
#   A_ENV=, B_ENV=       each side's environment, "NAME=VALUE ...": kernel paths such as
#                        WL_SGEMM_OPENBLAS=1, WL_VMATH_LANES=8, DNNL_MAX_CPU_ISA=AVX, OPENBLAS_CORETYPE=Haswell
#   MODEL=DIR            the model folder (default build/whisper-tiny.en-synthetic); its goldens are
#                        golden/<folder name>/
#   CLIPS=01,02,...      a subset of the goldens' clips; ONLY=stages or ONLY=decoding one half
#   NAME=                the JSON's name: build/compare/NAME.json (default rev-<sha> or this-build)
set -euo pipefail

BIN=${BIN:-build}
die() { # message, exit code
    echo "make compare: $1" >&2
    exit "$2"
}

model=${MODEL:-build/whisper-tiny.en-synthetic}
model=${model%/}
golden=golden/$(basename "$model")
[ -f "$model/config.json" ] || die "MODEL=$model: not a model folder (no config.json)" 2
[ -f "$golden/index.json" ] || die "$golden/index.json: no goldens for the model $(basename "$model")" 1
threads=${THREADS:-1}
a_threads=${A_THREADS:-1}
for t in "$threads" "$a_threads"; do
    [[ $t =~ ^[0-9]+$ ]] || die "THREADS=$threads A_THREADS=$a_threads: expected thread counts" 2
done
name=${NAME:-}
[[ -z $name || $name =~ ^[A-Za-z0-9._-]+$ ]] || die "NAME=$name: letters, digits, '.', '_' and '-' only" 2

here=$(git rev-parse --short HEAD)
git diff --quiet HEAD 2>/dev/null || here="$here + uncommitted changes"
a_cli=$BIN/whisperlab
a_label="this build ($here)"
mkdir -p build/compare
if [ -n "${REV:-}" ]; then
    wt=$(bash ci/rev_build.sh "$REV" build/whisperlab "make compare") || exit $?
    short=$(git -C "$wt" rev-parse --short=12 HEAD)
    a_cli=$wt/build/whisperlab
    a_label="REV=$REV ($short)"
    name=${name:-rev-$short}
fi
name=${name:-this-build}

exec "$BIN/compare_builds" --a-cli "$a_cli" --b-cli "$BIN/whisperlab" --a-label "$a_label" \
    --b-label "working tree ($here)" --a-threads "$a_threads" --b-threads "$threads" \
    --a-env "${A_ENV:-}" --b-env "${B_ENV:-}" --model "$model" --golden "$golden" --clips "${CLIPS:-}" \
    --only "${ONLY:-}" --json "build/compare/$name.json"
