#!/usr/bin/env bash
# Proves the golden suite fails on real bugs: plants one small bug at a time in a scratch clone
# of HEAD, runs the stage diff, and reports the first stage that caught it. Prints
# "mutants: N caught, N missed" and exits non-zero if any was missed. Takes ~1 min per mutant.
set -uo pipefail
top=$(git rev-parse --show-toplevel)
cd "$top"
make -s model >/dev/null
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git clone -q "$top" "$scratch/repo"
mkdir -p "$scratch/repo/build"
cp -r build/whisper-tiny.en-synthetic build/.deps-ok "$scratch/repo/build/"
cd "$scratch/repo"

caught=0 missed=0
mutant() { # file, sed expression, description
  git checkout -q -- .
  sed -i "$2" "$1"
  if git diff --quiet; then echo "mutant did not apply: $3"; missed=$((missed + 1)); return; fi
  make -s build/tests/test_stages >/dev/null 2>&1 || { echo "does not build: $3"; missed=$((missed + 1)); return; }
  first=$(build/tests/test_stages 2>&1 | grep "first failing stage")
  if [ -n "$first" ]; then caught=$((caught + 1)); echo "caught  $3: ${first#first failing stage: }"
  else missed=$((missed + 1)); echo "MISSED  $3"; fi
}

mutant engine/mel.c 's/cos(2.0 \* M_PI \* i \/ WL_N_FFT)/cos(2.0 * M_PI * i \/ (WL_N_FFT - 1))/' "symmetric instead of periodic Hann window"
mutant engine/mel.c 's/for (int t = 0; t < WL_N_FRAMES; t++) { \/\* frame 3000/for (int t = 1; t < WL_N_FRAMES; t++) { \/* frame 3000/' "first mel frame left empty"
mutant engine/ops.c 's/erff(x\[i\] \* (float)M_SQRT1_2)/tanhf(0.7978845608f * (x[i] + 0.044715f * x[i] * x[i] * x[i]))/' "tanh-approximate GELU"
mutant engine/encoder.c 's/wl_conv1d_k3(c2, c1, m->conv2, C, WL_N_FRAMES, C, 2);/wl_conv1d_k3(c2, c1 + 1, m->conv2, C, WL_N_FRAMES - 1, C, 2);/' "conv2 input shifted by one frame"
mutant engine/ops.c 's/var \/ C + 1e-5/var \/ C + 1e-6/' "LayerNorm eps 1e-6 instead of 1e-5"
mutant engine/ops.c 's/    const float scale = (float)(1.0 \/ sqrt((double)(C \/ H)));/    const float scale = (float)(1.0 \/ sqrt((double)(C \/ H)) * 1.001);/' "attention scale 0.1% off"
mutant engine/model.c 's/a->v.b = get(m, ok, "%s.v_proj.bias", prefix);/a->v.b = NULL; (void)get(m, ok, "%s.v_proj.bias", prefix);/' "v_proj bias dropped"
mutant engine/decoder.c 's/m->dec_pos\[(int64_t)(P + i) \* C + e\]/m->dec_pos[(int64_t)(P + i + 1) * C + e]/' "decoder positions off by one"
mutant engine/ops.c 's/for (int j = causal + i + 1; j < Tk; j++)/for (int j = causal + i + 2; j < Tk; j++)/' "causal mask shows the next token"

echo "mutants: $caught caught, $missed missed"
[ "$missed" -eq 0 ]
