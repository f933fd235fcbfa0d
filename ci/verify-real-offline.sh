#!/usr/bin/env bash
# make verify's real-model step (ci/real-model.sh, then the golden checks through ci/run-tests.sh),
# run offline against a HF cache built here: openai/whisper-tiny.en as the hub lays it out
# (refs/main, snapshots/<rev>/ of links into blobs/), holding the synthetic tiny.en's files
# without its whisperlab.json marker, so nothing tells it from a downloaded checkpoint. Its
# goldens are HF's numbers for those very files, golden/whisper-tiny.en-synthetic, copied
# untouched under the real model's name: the freshness check must accept them on its own
# (same weights, configs and clips). Then: no goldens, not in the cache, one weight changed, a
# config changed, a marked stand-in in the cache, MODEL= as a folder and as a repo id.
#   bash ci/verify-real-offline.sh BIN     (BIN: where whisperlab and tests/ are, e.g. build)
# Ends with "verify-real-offline: N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
bin=${1:?usage: ci/verify-real-offline.sh BIN}
cli=$bin/whisperlab
checks=("$bin/tests/test_golden" "$bin/tests/test_stages" "$bin/tests/test_decode")
synth=build/whisper-tiny.en-synthetic
work=build/tmp/real-offline
repo=openai/whisper-tiny.en
rev=4e2c7a0d1b9f3c5e8a6d2b7f0c1e9a3d5b8f6e24 # a made-up commit id: the hub names snapshots by commit
passed=0 failed=0
export OPENBLAS_NUM_THREADS=1

ok() { echo "ok: $1"; passed=$((passed + 1)); }
bad() { echo "FAILED: $1"; failed=$((failed + 1)); }
# expect DESCRIPTION PATTERN FILE: FILE holds a line matching the extended regex PATTERN
expect() { if grep -qE -- "$2" "$3"; then ok "$1"; else bad "$1: no line matching '$2' in $3:" && cat "$3"; fi; }

# cache ROOT [MARKER]: openai/whisper-tiny.en in a hub cache at ROOT, with whisperlab.json if MARKER
cache() {
  local root=$1 base=$1/models--openai--whisper-tiny.en f h
  rm -rf "$root" && mkdir -p "$base/blobs" "$base/refs" "$base/snapshots/$rev" || return 1
  for f in config.json generation_config.json model.safetensors vocab.json merges.txt added_tokens.json \
    preprocessor_config.json special_tokens_map.json tokenizer_config.json ${2:+whisperlab.json}; do
    h=$(sha256sum < "$synth/$f" | cut -c1-64) || return 1
    cp "$synth/$f" "$base/blobs/$h" && ln -s "../../blobs/$h" "$base/snapshots/$rev/$f" || return 1
  done
  printf '%s' "$rev" > "$base/refs/main"
}

# step NAME MODEL GOLDEN: ci/real-model.sh's decision into $work/NAME.step (stdout and stderr),
# its arguments into the array step_args; returns its exit code
step() {
  local out rc
  out=$(bash ci/real-model.sh "$cli" "$2" "$3" "${checks[@]}" 2> "$work/$1.err")
  rc=$?
  { printf '%s\n' "$out"; cat "$work/$1.err"; } > "$work/$1.step"
  mapfile -t step_args <<< "$out"
  step_args=("${step_args[@]:1}")
  return $rc
}

rm -rf "$work" && mkdir -p "$work/golden" || exit 1
[ -s "$synth/model.safetensors" ] && [ -x "$cli" ] || { echo "verify-real-offline: build $synth and $cli first (make all)" >&2; exit 1; }
cache "$work/hub" || { echo "verify-real-offline: cannot build the HF cache in $work/hub" >&2; exit 1; }
cp -r golden/whisper-tiny.en-synthetic "$work/golden/whisper-tiny.en" || exit 1
export HF_HUB_CACHE=$work/hub
snap=$work/hub/models--openai--whisper-tiny.en/snapshots/$rev

# 1. Found in the cache, goldens there: the three golden checks run on it and pass.
if step found "" "$work/golden/whisper-tiny.en"; then
  expect "the cached checkpoint is chosen, with its goldens" \
    "^real model: $snap \\($repo in the HF cache \\($work/hub\\)\\) with $work/golden/whisper-tiny.en\$" "$work/found.step"
  rm -rf "$work/encoder-cache" && mkdir -p "$work/encoder-cache"
  if bash ci/run-tests.sh WL_ENCODER_CACHE="$work/encoder-cache" "${step_args[@]}" > "$work/found.log" 2>&1; then
    ok "test_golden, test_stages and test_decode pass on it (the goldens are fresh for these files)"
  else
    bad "the golden checks on the cached checkpoint (log: $work/found.log)" && tail -30 "$work/found.log"
  fi
  rows=$(grep -cE "^test_(golden|stages|decode)\\.whisper-tiny\\.en +[1-9][0-9]* passed +0 failed +exit 0" "$work/found.log")
  [ "$rows" = 3 ] && ok "the three checks ran against the copied goldens" ||
    bad "the three checks against the copied goldens: $rows of 3 summary rows passed (log: $work/found.log)"
else
  bad "ci/real-model.sh refused the cached checkpoint:" && cat "$work/found.step"
fi

# 2. No goldens: not checked, said so, and not a failure.
if step nogolden "" "$work/none/whisper-tiny.en" && [ ${#step_args[@]} -eq 0 ]; then
  expect "missing goldens are named with the command that makes them" \
    "^real model: not checked: .*run make golden MODEL=$repo\$" "$work/nogolden.step"
else
  bad "missing goldens: expected exit 0 and no checks:" && cat "$work/nogolden.step"
fi

# 3. Not in the cache: not checked, said so, and not a failure.
mkdir -p "$work/empty-hub"
if HF_HUB_CACHE=$work/empty-hub step absent "" "$work/golden/whisper-tiny.en" && [ ${#step_args[@]} -eq 0 ]; then
  expect "a cache without the model is said to lack it" \
    "^real model: not checked: $repo is not in the HF cache \\($work/empty-hub\\)" "$work/absent.step"
else
  bad "not in the cache: expected exit 0 and no checks:" && cat "$work/absent.step"
fi

# 4. One weight changed (a valid file, other numbers), then one config: the goldens are stale, and
# test_golden says which file. Only test_golden runs here: the stage checks would fail too, at
# length.
cache "$work/hub-changed" || exit 1
blob=$(readlink -f "$work/hub-changed/models--openai--whisper-tiny.en/snapshots/$rev/model.safetensors")
size=$(stat -c %s "$blob")
byte=$(od -An -tu1 -j $((size - 1)) -N 1 "$blob" | tr -d ' ')
# the last float's exponent moved by 2 (the lowest bit of its top byte): the value x4 or /4
printf "\\$(printf %03o $((byte ^ 1)))" | dd of="$blob" bs=1 seek=$((size - 1)) conv=notrunc status=none
if HF_HUB_CACHE=$work/hub-changed step changed "" "$work/golden/whisper-tiny.en" &&
  ! bash ci/run-tests.sh "${step_args[@]:0:2}" "$bin/tests/test_golden" > "$work/changed.log" 2>&1; then
  expect "a changed weight file fails as stale, naming the file" \
    "goldens are stale: re-run make golden \\(model .*/snapshots/$rev/model\\.safetensors has SHA256" "$work/changed.log"
else
  bad "a changed weight file: expected test_golden to fail (log: $work/changed.log)"
fi

# The same for a config: one more newline in generation_config.json (still the same JSON).
cache "$work/hub-config" || exit 1
cfg=$(readlink -f "$work/hub-config/models--openai--whisper-tiny.en/snapshots/$rev/generation_config.json")
echo >> "$cfg"
if HF_HUB_CACHE=$work/hub-config step config "" "$work/golden/whisper-tiny.en" &&
  ! bash ci/run-tests.sh "${step_args[@]:0:2}" "$bin/tests/test_golden" > "$work/config.log" 2>&1; then
  expect "a changed config fails as stale, naming the file" \
    "goldens are stale: re-run make golden \\(config .*/snapshots/$rev/generation_config\\.json has SHA256" "$work/config.log"
else
  bad "a changed config: expected test_golden to fail (log: $work/config.log)"
fi

# 5. A marked stand-in in the cache under the real model's name: refused, and a failure.
cache "$work/hub-marked" marked || exit 1
if HF_HUB_CACHE=$work/hub-marked step marked "" "$work/golden/whisper-tiny.en"; then
  bad "a stand-in in the cache was accepted:" && cat "$work/marked.step"
else
  expect "a stand-in in the cache is refused" "is a whisperlab stand-in \\(whisperlab.json: kind synthetic\\)" \
    "$work/marked.step"
fi

# 6. MODEL= as a folder and as a repo id resolve to the same snapshot; a stand-in folder is refused.
if step folder "$snap" "$work/golden/whisper-tiny.en"; then
  expect "MODEL=<folder> is taken as given" "^real model: $snap \\(the folder given\\) with " "$work/folder.step"
else
  bad "MODEL=<folder>:" && cat "$work/folder.step"
fi
if step repo "$repo" "$work/golden/whisper-tiny.en"; then
  expect "MODEL=$repo is found in the cache" "^real model: $snap \\($repo in the HF cache" "$work/repo.step"
else
  bad "MODEL=$repo:" && cat "$work/repo.step"
fi
if step standin "$synth" "$work/golden/whisper-tiny.en"; then
  bad "MODEL=$synth was accepted as the real model"
else
  expect "MODEL=<a stand-in folder> is refused" "is a whisperlab stand-in" "$work/standin.step"
fi
if HF_HUB_CACHE=$work/empty-hub step missing "$repo" "$work/golden/whisper-tiny.en"; then
  bad "MODEL=$repo missing from the cache was not an error"
else
  expect "MODEL= naming a repo the cache lacks is an error" "^make verify: MODEL=$repo: .*is not in the HF cache" \
    "$work/missing.step"
fi

echo "verify-real-offline: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
