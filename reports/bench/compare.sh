#!/usr/bin/env bash
# make bench-compare: chooses A (REV=: that commit's bench, built by ci/rev_build.sh in a worktree
# under build/rev/ and reused from then on; RUN=: a stored run; neither: this build again) and
# runs bench_compare with this build's bench as B. The working tree is never touched.
set -euo pipefail
die() { echo "make bench-compare: $*" >&2; exit 1; }
[[ -n $REV && -n $RUN ]] && die "REV=$REV and RUN=$RUN: give one of them (or neither: this build against itself)"
[[ $THREADS =~ ^[0-9]+$ ]] || die "THREADS=$THREADS: one thread count (a comparison runs at one)"
args=(--b "$BIN/bench" --b-label "this build" --model "$MODEL" --threads "$THREADS" --clips "$CLIPS"
      --rounds "$ROUNDS" --min-effect "$MIN_EFFECT" --clock "$CLOCK" --history "$HISTORY" --out "$BUILD/bench-compare.json")
if [[ -n $REV ]]; then
    tree=$(bash ci/rev_build.sh "$REV" build/bench "make bench-compare") || exit $?
    sha=$(git -C "$tree" rev-parse HEAD)
    args+=(--a "$tree/build/bench" --a-label "REV=$REV (${sha:0:12})" --a-commit "$sha")
elif [[ -n $RUN ]]; then
    args+=(--run "$RUN")
else
    args+=(--a "$BIN/bench" --a-label "this build, again")
fi
exec "$BIN/bench_compare" "${args[@]}"
