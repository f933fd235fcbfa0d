#!/usr/bin/env bash
# Builds one make target of another revision, for make compare and make bench-compare:
#   bash ci/rev_build.sh REV TARGET WHO
# REV is checked out once into a detached git worktree build/rev/<sha>/ and reused from then on
# (the working tree and the index are never touched); TARGET is built there by that revision's own
# Makefile, without this make's variables. Prints the worktree's path; on failure says why on
# stderr, as WHO (e.g. "make compare"), and exits 2 for a REV that is not a commit, else 1.
set -euo pipefail
rev=$1 target=$2 who=$3
die() { # message, exit code
    echo "$who: $1" >&2
    exit "$2"
}
sha=$(git rev-parse --verify --quiet "$rev^{commit}") || die "REV=$rev does not name a commit" 2
short=${sha:0:12}
wt=build/rev/$sha
log=build/rev/$sha.log
mkdir -p build/rev
exec 9>"build/rev/$sha.lock"
flock 9 # one build of a revision at a time
# A folder that is not that revision's worktree (a killed run, `git worktree prune`) is made again.
if [ ! -f "$wt/.git" ] || [ "$(git -C "$wt" rev-parse HEAD 2>/dev/null)" != "$sha" ]; then
    rm -rf "$wt"
    git worktree prune
    git worktree add --detach "$wt" "$sha" >"$log" 2>&1 || die "REV=$rev: cannot make the worktree $wt: see $log" 1
fi
echo "$who: building REV=$rev ($short)'s $target in $wt (log: $log)" >&2
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$wt" -j"${JOBS:-2}" "$target" >>"$log" 2>&1 ||
    die "REV=$rev ($short): its $target did not build: see $log" 1
echo "$wt"
