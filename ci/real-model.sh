#!/usr/bin/env bash
# make verify's real model: which checkpoint to check against which goldens, if any.
#   bash ci/real-model.sh WHISPERLAB MODEL GOLDEN TEST...
# MODEL: a folder or a repo id (empty: openai/whisper-tiny.en in the HF cache), resolved by
# `whisperlab which` as every command resolves it. GOLDEN: its goldens (golden/whisper-tiny.en).
# Prints, one per line: what was decided (for make verify's summary), then the arguments that
# run the TESTs on it through ci/run-tests.sh (none when it is not checked). Not checked, exit 0:
# the repo is not in the HF cache, or GOLDEN has no index.json. Exit 1 with a message: MODEL
# cannot be resolved, or it is one of whisperlab's stand-ins (whisperlab.json), which are checked
# under their own names and never stand for the real model.
set -uo pipefail
[ $# -ge 3 ] || { echo "usage: ci/real-model.sh WHISPERLAB MODEL GOLDEN TEST..." >&2; exit 2; }
cli=$1 model=$2 golden=$3
shift 3
asked=${model:-openai/whisper-tiny.en}
# A line per argument goes back to make: a path with a line break could not.
case "$asked$golden" in *$'\n'*) echo "make verify: MODEL and the golden folder must be one line each" >&2; exit 1 ;; esac

out=$("$cli" which --model "$asked" 2>&1)
rc=$?
if [ $rc -eq 3 ] && [ -z "$model" ]; then
  echo "real model: not checked: ${out#whisperlab: } (MODEL= can name another folder or repo id)"
  exit 0
fi
[ $rc -eq 0 ] || { echo "make verify: MODEL=$asked: ${out#whisperlab: }" >&2; exit 1; }
folder=$(sed -n 's/^folder  //p' <<< "$out")
from=$(sed -n 's/^from    //p' <<< "$out")
kind=$(sed -n 's/^kind    //p' <<< "$out")
if [ "$kind" != checkpoint ]; then
  echo "make verify: $folder ($from) is a whisperlab stand-in (whisperlab.json: kind $kind), not the" \
    "real model: it is checked under its own name; MODEL= must name a HF checkpoint" >&2
  exit 1
fi
if [ ! -e "$golden/index.json" ]; then
  echo "real model: not checked: $folder ($from) has no goldens in $golden/:" \
    "run make golden MODEL=$asked"
  exit 0
fi
echo "real model: $folder ($from) with $golden"
printf '%s\n' "WL_MODEL=$folder" "WL_GOLDEN=$golden" "$@"
