#!/usr/bin/env bash
# make bench-compare: chooses A (REV=: that commit's bench, built in a worktree under
# $BUILD/bench-rev/ and reused from then on; RUN=: a stored run; neither: this build again) and
# runs bench_compare with this build's bench as B. The working tree is never touched.
set -euo pipefail
die() { echo "make bench-compare: $*" >&2; exit 1; }
[[ -n $REV && -n $RUN ]] && die "REV=$REV and RUN=$RUN: give one of them (or neither: this build against itself)"
[[ $THREADS =~ ^[0-9]+$ ]] || die "THREADS=$THREADS: one thread count (a comparison runs at one)"
args=(--b "$BIN/bench" --b-label "this build" --model "$MODEL" --threads "$THREADS" --clips "$CLIPS"
      --rounds "$ROUNDS" --min-effect "$MIN_EFFECT" --clock "$CLOCK" --history "$HISTORY" --out "$BUILD/bench-compare.json")
if [[ -n $REV ]]; then
    sha=$(git rev-parse --verify --quiet "$REV^{commit}") || die "REV=$REV: not a commit of this repository"
    tree=$BUILD/bench-rev/$sha
    if [[ ! -e $tree/.git ]]; then
        git worktree prune
        rm -rf "$tree"
        mkdir -p "$BUILD/bench-rev"
        git worktree add --detach --quiet "$tree" "$sha" || die "REV=$REV: cannot check it out into $tree"
    fi
    # Its own Makefile builds its bench; this make's variables (MAKEFLAGS) are not passed on.
    echo "make bench-compare: building REV=$REV's bench in $tree"
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$tree" -j"$JOBS" build/bench >/dev/null ||
        die "REV=$REV: $tree could not build build/bench (run: make -C $tree build/bench)"
    args+=(--a "$tree/build/bench" --a-label "REV=$REV (${sha:0:12})" --a-commit "$sha")
elif [[ -n $RUN ]]; then
    args+=(--run "$RUN")
else
    args+=(--a "$BIN/bench" --a-label "this build, again")
fi
exec "$BIN/bench_compare" "${args[@]}"
