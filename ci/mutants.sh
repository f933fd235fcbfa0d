#!/usr/bin/env bash
# Proves the suite fails on real bugs. In a scratch clone of HEAD (the working tree is never
# touched), plants one small bug at a time -- a one-line change a kernel rewrite or a refactor
# could bring -- rebuilds only the test that must catch it, and runs that test as `make verify`
# runs it:
#   stage   the stage diff (test_stages on the synthetic tiny.en and its goldens) must FIRST fail
#           at the named stage: a LayerNorm bug in encoder layer 0 at enc.layer.0, not later at
#           logits. STAGE@edge: first in the edge-clip table (quiet, 44.1 kHz stereo, 8 kHz),
#           the lab clips passing. The golden mel64 (HF's formula in float64) checks stage mel.
#   drift   an error grown inside tolerance: test_stages must pass every tolerance and fail on its
#           drift from the baseline (tests/baselines/), naming STAGE as the first over budget.
#   reported  a bit-level change inside the noise: test_stages must pass, with STAGE the first
#           row whose bits differ from the baseline (every earlier row: same bits).
#   fails   the named test must fail and its output must match a pattern naming what broke.
#           test_decode runs on whisper-micro.en and its goldens, as make verify's second pass
#           does (that model ends its sentences, so beam search finishes hypotheses, and it runs
#           far faster than the synthetic pass); the other tests as make verify's first pass.
# A mutant whose text is not found exactly once in its file, or that does not build, is a
# failure of this script: the list stays honest as the code changes. Before any mutant, every
# test used must pass unmutated. Prints a table and "mutants: N caught, N missed"; exits
# non-zero if any mutant was missed, caught at the wrong stage or did not apply.
# MUTANTS=regex runs only the mutants whose name matches; MUTANT_TIMEOUT (s, default 900) caps
# one test run. How long the whole list takes: docs/performance.md.
set -uo pipefail
top=$(git rev-parse --show-toplevel) || exit 2
t_start=$SECONDS
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git clone -q "$top" "$scratch/repo" || exit 2
cd "$scratch/repo" || exit 2
mkdir -p build
[ -f "$top/build/.deps-ok" ] && cp "$top/build/.deps-ok" build/
echo "mutants: scratch clone of $(git log -1 --format='%h %s') in $scratch"
# Both local models from HEAD's own generator and files (never a working tree's).
if ! make -s model micro >"$scratch/setup.log" 2>&1; then
  tail -20 "$scratch/setup.log"
  echo "mutants: cannot build the models in the scratch clone"
  exit 2
fi
(cd build/whisper-tiny.en-synthetic && sha256sum --quiet -c "$scratch/repo/data/models/whisper-tiny.en-synthetic.sha256") ||
  { echo "mutants: the synthetic checkpoint does not match its recorded SHA256"; exit 2; }

TIMEOUT=${MUTANT_TIMEOUT:-900} # seconds per test run: a mutant that hangs the test is not "caught"
only=${MUTANTS:-}

# run TEST LOG: the test binary as make verify runs it, stdout to LOG and stderr to LOG.err (apart:
# cmocka's unbuffered stderr would land inside stdout's lines); returns its exit code.
run() {
  case "$1" in
    test_decode) WL_MODEL=build/whisper-micro.en WL_GOLDEN=golden/whisper-micro.en \
                   timeout "$TIMEOUT" "build/tests/$1" >"$2" 2>"$2.err" ;;
    *) timeout "$TIMEOUT" "build/tests/$1" >"$2" 2>"$2.err" ;;
  esac
}
test_label() { [ "$1" = test_decode ] && echo "test_decode (micro)" || echo "$1"; }
# targets TEST: what to build for it (test_bad_inputs, test_bad_models, test_cli and test_threads run the
# whisperlab command, test_clip_list the lab, which hold the mutant)
targets() {
  echo "build/tests/$1"
  case "$1" in test_bad_inputs | test_bad_models | test_cli | test_threads) echo build/whisperlab ;; test_clip_list) echo build/lab ;; esac
}

# plant FILE FROM TO: replaces the one occurrence of the literal text FROM; prints how many
# times FROM occurs when that is not once (then nothing is changed).
plant() {
  FROM=$2 TO=$3 perl -e '
    my $f = shift; local $/; open(my $h, "<", $f) or do { print "no file"; exit 1 };
    my $s = <$h>; close $h;
    my $n = () = $s =~ /\Q$ENV{FROM}\E/g;
    if ($n != 1) { print "found $n times"; exit 1 }
    $s =~ s/\Q$ENV{FROM}\E/$ENV{TO}/;
    open($h, ">", $f) or exit 1; print $h $s; close $h;' "$1"
}

names=() files=() expects=() gots=() verdicts=()
caught=0 missed=0
declare -A used=()

record() { # name file expected got verdict
  names+=("$1") files+=("$2") expects+=("$3") gots+=("$4") verdicts+=("$5")
  if [ "$5" = caught ]; then caught=$((caught + 1)); else missed=$((missed + 1)); fi
  printf '%-8s %-28s %s -> %s  (%ds)\n' "$5" "$1" "$3" "$4" $((SECONDS - t_mutant))
}

# mutate KIND NAME FILE FROM TO EXPECT [PATTERN] -- KIND stage: EXPECT is the stage; KIND fails:
# EXPECT is the test, PATTERN an extended regex its output must match.
mutate() {
  local kind=$1 name=$2 file=$3 from=$4 to=$5 expect=$6 pattern=${7:-} test why log rc first
  [ -n "$only" ] && ! [[ $name =~ $only ]] && return
  test=$([ "$kind" = fails ] && echo "$expect" || echo test_stages)
  if [ "$pass" = collect ]; then used[$test]=1; return; fi
  t_mutant=$SECONDS
  local shown
  case $kind in fails) shown="$(test_label "$test"): /$pattern/" ;; stage) shown=$expect ;; *) shown="$kind $expect" ;; esac
  git checkout -q -- .
  if ! why=$(plant "$file" "$from" "$to"); then record "$name" "$file" "$shown" "does not apply: $why" "NO-APPLY"; return; fi
  log=$scratch/$name.log
  if ! make -s $(targets "$test") >"$log" 2>&1; then
    grep -m1 -E 'error' "$log"
    record "$name" "$file" "$shown" "does not build" "NO-BUILD"; return
  fi
  run "$test" "$log"; rc=$?
  if [ "$rc" -eq 124 ]; then record "$name" "$file" "$shown" "timed out after ${TIMEOUT}s" "TIMEOUT"; return; fi
  if [ "$kind" = drift ]; then
    first=$(grep -m1 -oE '^first stage over its drift budget: [^ ]+' "$log" | awk '{print $NF}')
    if [ "$rc" -eq 0 ]; then record "$name" "$file" "$shown" "passed" "MISSED"
    elif grep -q '^first failing stage' "$log"; then record "$name" "$file" "$shown" "out of tolerance, not drift" "WRONG"
    elif [ "$first" = "$expect" ]; then record "$name" "$file" "$shown" "drift first at $first" "caught"
    else record "$name" "$file" "$shown" "drift first at ${first:-none} (exit $rc)" "WRONG"; fi
    return
  fi
  if [ "$kind" = reported ]; then
    # the first row of the lab table not marked "same bits"
    first=$(awk '/^engine vs HF goldens/ { on = 1; next } on && /^\(headroom/ { exit }
      on && NF > 8 && $1 != "stage" && !/same bits/ { print $1; exit }' "$log")
    if [ "$rc" -ne 0 ]; then record "$name" "$file" "$shown" "failed (exit $rc)" "WRONG"
    elif [ "$first" = "$expect" ]; then record "$name" "$file" "$shown" "passed, bits first differ at $first" "caught"
    else record "$name" "$file" "$shown" "passed, bits first differ at ${first:-no stage}" "MISSED"; fi
    return
  fi
  if [ "$kind" = stage ]; then
    # The first failing stage of the lab table, else of the edge-clip table (STAGE@edge); the
    # golden mel64 checks the engine's mel stage. first = "key display".
    first=$(awk '/^engine vs HF goldens/ { t = "" } /^edge clips: engine vs HF/ { t = "@edge" }
      /^first failing stage: / { s = $4; sub(/^mel64$/, "mel", s); print s t " " $0; exit }' "$log" |
      sed -E 's/ first failing stage: ([^ ]+) \(worst clip ([^:]+): max-abs ([^,]+), headroom ([^)]+)\)$/ \1 (clip \2, max-abs \3, headroom \4)/' |
      sed -E 's/^([^ @]+)@edge ([^ ]+) /\1@edge \2 [edge clips] /')
    if [ "$rc" -eq 0 ]; then record "$name" "$file" "$shown" "passed" "MISSED"
    elif [ -z "$first" ]; then record "$name" "$file" "$shown" "exit $rc, no stage: $(tail -1 "$log" | cut -c1-60)" "NO-STAGE"
    elif [ "${first%% *}" = "$expect" ]; then record "$name" "$file" "$shown" "${first#* }" "caught"
    else record "$name" "$file" "$shown" "${first#* }" "WRONG"; fi
  else
    first=$(cat "$log" "$log.err" | grep -m1 -E "$pattern" | sed -E 's/^ +//; s/ +/ /g' | cut -c1-70)
    if [ "$rc" -eq 0 ]; then record "$name" "$file" "$shown" "passed" "MISSED"
    elif [ -z "$first" ]; then record "$name" "$file" "$shown" "exit $rc, output lacks the pattern" "WRONG"
    else record "$name" "$file" "$shown" "$(test_label "$test"): $first" "caught"; fi
  fi
}
stage() { mutate stage "$@"; }
drift() { mutate drift "$@"; }
reported() { mutate reported "$@"; }
fails() { mutate fails "$@"; }

# ---- the mutants ------------------------------------------------------------------------------
# Declared first (so the tests they need are known), run after the baseline.
list() {
# mel front end (the mel stage: the golden mel, or mel64 which holds it to 2 ulps)
stage mel.hann.symmetric engine/frontend/mel.c 'cos(2.0 * M_PI * i / WL_N_FFT)' 'cos(2.0 * M_PI * i / (WL_N_FFT - 1))' mel
stage mel.frames.not.centred engine/frontend/mel.c 'j->x[t * WL_HOP + i - WL_N_FFT / 2]' 'j->x[t * WL_HOP + i]' mel
stage mel.reflect.repeats.edge engine/frontend/mel.c 'x[-k] = x[k];' 'x[-k] = x[k - 1];' mel
stage mel.slaney.norm.half.width engine/frontend/mel.c '(2.0 / (f[j + 2] - f[j]))' '(2.0 / (f[j + 2] - f[j + 1]))' mel
# the log clamp only bites on quiet audio: the -39.7 dBFS edge clip
stage mel.log.clamp.1e-8 engine/frontend/mel.c 'v = log10(v > 1e-10 ? v : 1e-10);' 'v = log10(v > 1e-8 ? v : 1e-8);' mel@edge
stage mel.floor.80 engine/frontend/mel.c 'top - 8.0 ? meld[i] : top - 8.0' 'top - 80.0 ? meld[i] : top - 80.0' mel
stage mel.norm.precedence engine/frontend/mel.c '((meld[i] > top - 8.0 ? meld[i] : top - 8.0) + 4.0) / 4.0)' \
  '(meld[i] > top - 8.0 ? meld[i] : top - 8.0) + 4.0 / 4.0)' mel
# audio: only the edge clips (44.1 kHz stereo with different channels, 8 kHz) reach this code
stage stereo.first.channel.only engine/frontend/audio.c 'float v = block[i * ch + c];' 'float v = block[i * ch];' mel@edge
stage resampler.medium.quality engine/frontend/audio.c 'soxr_quality_spec(SOXR_HQ, 0)' 'soxr_quality_spec(SOXR_MQ, 0)' mel@edge
# conv stem
stage conv.taps.flipped engine/model/model.c 'Wk[((int64_t)o * 3 + k) * C_in + i]' 'Wk[((int64_t)o * 3 + (2 - k)) * C_in + i]' conv1
stage conv.taps.skip.padding engine/nn/encoder.c 'in_padded + (int64_t)(r0 + r) * stride * C_in' \
  'in_padded + ((int64_t)(r0 + r) * stride + 1) * C_in' conv1
stage conv1.bias.from.conv2 engine/model/layout.c $'MODEL(conv1.b)},\n    {"model.encoder.conv2.weight", WL_KIND_WEIGHT, {D_MODEL, D_MODEL, TAPS}, MODEL(conv2.w)},\n    {"model.encoder.conv2.bias", WL_KIND_BIAS, {D_MODEL}, MODEL(conv2.b)}' \
  $'MODEL(conv2.b)},\n    {"model.encoder.conv2.weight", WL_KIND_WEIGHT, {D_MODEL, D_MODEL, TAPS}, MODEL(conv2.w)},\n    {"model.encoder.conv2.bias", WL_KIND_BIAS, {D_MODEL}, MODEL(conv1.b)}' conv1
stage gelu.erf.times.sqrt2 engine/kernels/vmath_lanes.h 'e[k] = xp[k] * SPLATV((float)M_SQRT1_2);' 'e[k] = xp[k] * SPLATV((float)M_SQRT2);' conv1
stage erf.taylor.coefficient engine/kernels/vmath_lanes.h '1.128379167e-1f' '1.128379167e-2f' conv1
# a mixed group of GELU's queue with the long formula in every lane: the kernel test of each value alone
fails gelu.group.skips.blend engine/kernels/vmath_lanes.h 'else if (any_small) y[k] =' 'else if (any_small && count == 1) y[k] =' test_vmath 'FAILED.*test_gelu_alone'
stage exp.ln2.low.sign engine/kernels/vmath_lanes.h 'SPLATV(-2.12194440e-4f)' 'SPLATV(2.12194440e-4f)' conv1
# an exp clamp no stage reaches (|scores| stay far below 87): the kernel test against libm
fails exp.overflow.clamp.low engine/kernels/vmath_lanes.h 'const VF hi = SPLATV(88.7f)' 'const VF hi = SPLATV(87.3f)' test_vmath 'FAILED.*test_exp'
# against the baseline, inside every tolerance: LayerNorm's 1/std in float (1-ulp changes) is
# reported where it starts and passes; an error tripled from encoder layer 2 on fails there
reported layernorm.rstd.in.float engine/nn/ops.c 'float rstd = (float)(1.0 / sqrt(var[r] / C + 1e-5));' \
  'float rstd = 1.0f / sqrtf((float)(var[r] / C + 1e-5));' enc.layer.0
drift enc.layer.2.error.tripled engine/nn/encoder.c '        wl_emit(s, WL_STAGE_ENC_LAYER, l, j.h, 2, T, C, 0);' \
  $'        if (l == 2) for (int64_t i = 0; i < TC; i += 5) j.h[i] += i % 2 ? 1.5e-6f : -1.5e-6f;\n        wl_emit(s, WL_STAGE_ENC_LAYER, l, j.h, 2, T, C, 0);' enc.layer.2
# positions
stage enc.positions.first.row engine/nn/encoder.c 'j->x[i] + j->m->w.enc_pos[i]' 'j->x[i] + j->m->w.enc_pos[i % C]' enc.embed
stage dec.positions.off.by.one engine/nn/decoder.c 'm->w.dec_pos[(int64_t)r.pos[i] * C + e]' 'm->w.dec_pos[(int64_t)(r.pos[i] + 1) * C + e]' dec.embed
# encoder layers (LayerNorm, attention, softmax and FFN code is shared: first met in encoder layer 0)
stage layernorm.eps.1e-6 engine/nn/ops.c 'var[r] / C + 1e-5' 'var[r] / C + 1e-6' enc.layer.0
stage layernorm.var.unbiased engine/nn/ops.c 'sqrt(var[r] / C + 1e-5)' 'sqrt(var[r] / (C - 1) + 1e-5)' enc.layer.0
stage layernorm.mean.not.subtracted engine/nn/ops.c '__builtin_convertvector(xv, v4d) - m, v4f)' '__builtin_convertvector(xv, v4d), v4f)' enc.layer.0
stage attn.scale.by.d_model engine/nn/ops.c '1.0 / sqrt((double)(C / H))' '1.0 / sqrt((double)C)' enc.layer.0
stage enc.k.with.q.weights engine/nn/encoder.c 'j->L->attn.k, R, C, C' 'j->L->attn.q, R, C, C' enc.layer.0
# v's bias loaded into k's slot: v has none, and k's shifts each query's scores alike (softmax keeps them)
stage v.bias.dropped engine/model/layout.c '{"self_attn.v_proj.bias", WL_KIND_BIAS, {D_MODEL}, ENC(attn.v.b)},' \
  '{"self_attn.v_proj.bias", WL_KIND_BIAS, {D_MODEL}, ENC(attn.k.b)},' enc.layer.0
stage enc.out.proj.with.v engine/nn/encoder.c 'j->L->attn.o, R, C, C);' 'j->L->attn.v, R, C, C);' enc.layer.0
stage enc.attention.causal engine/nn/ops.c '{out, probs, q, kt, v, Tq, Tk, C, H, -1, 1, 0}' '{out, probs, q, kt, v, Tq, Tk, C, H, 0, 1, 0}' \
  enc.layer.0
stage softmax.pad.lanes.zero engine/kernels/vmath_lanes.h 'VF v = SPLATV(-INFINITY); /* padding lanes' 'VF v = SPLATV(0.0f); /* padding lanes' enc.layer.0
stage softmax.tail.unscaled engine/kernels/vmath_lanes.h 'for (; i < n; i++) x[i] *= inv[0];' '' enc.layer.0
stage ffn.gelu.short engine/nn/ops.c 'wl_gelu(f, (int64_t)T * FFN);' 'wl_gelu(f, (int64_t)T * C);' enc.layer.0
stage ffn.residual.dropped engine/nn/ops.c 'wl_vadd(h, x, (int64_t)T * C);' 'memcpy(h, x, (size_t)T * C * sizeof *h);' enc.layer.0
# each block's attention over its own keys only: the same wrong bits at every thread count (blocks
# are fixed), so the stage diff catches it
stage enc.rows.see.own.keys.only engine/nn/encoder.c 'j->k, j->v, R, T, C' 'j->k + o, j->v + o, R, R, C' enc.layer.0
stage enc.final.norm.decoders engine/nn/encoder.c 'wl_layernorm(out, j.h, m->w.enc_ln, T, C);' 'wl_layernorm(out, j.h, m->w.dec_ln, T, C);' enc.out
# threads: one thread (the stage table) never splits work, so test_threads (1 vs 2 vs 3 threads,
# bitwise) must catch these (a dropped row leaves uninitialised values: a difference or a
# non-finite logit, either way test_thread_counts_agree fails)
fails pool.slice.drops.last.row engine/kernels/parallel.c '(int)((long long)n * (i + 1) / threads)}' \
  '(int)((long long)n * (i + 1) / threads) - 1}' test_threads 'FAILED.*test_every_kernel_path'
fails cross.cache.ignores.audio engine/nn/kv_cache.c 'if (s->valid && !memcmp(s->enc, enc_out, n * sizeof(float)))' \
  'if (s->valid)' test_threads 'cross K/V cache, b'
fails cross.cache.takes.held.slot engine/nn/kv_cache.c $'        if (s->users) continue;\n' '' \
  test_threads 'cross K/V cache, a .its live fork'
fails cross.cache.fork.not.counted engine/nn/decoder.c 'if ((d->slot = src->slot)) d->slot->users++;' \
  'd->slot = src->slot;' test_threads 'cross K/V cache, a .its live fork'
# the searches' skipping of values that cannot rank (wl_vfirst_above)
fails first.above.drops.add engine/kernels/vmath.c 'hit |= t < v + a;' 'hit |= t < v;' test_vmath 'wl_vfirst_above start'
fails topk.skips.past.best engine/decode/search.c 'n - i, val[k - 1])) >= n) break;' 'n - i, val[0])) >= n) break;' \
  test_decode 'FAILED'
fails beam.final.pass.whole.sequence engine/decode/search.c 'int n = R - i0 < WL_STEP_ROWS ? R - i0 : WL_STEP_ROWS, got;' \
  'int n = R - i0, got;' test_decode_props 'cross-attention is not greedy'"'"'s'
fails kv.growth.loses.cache engine/nn/decoder.c 'float *k = realloc(d->k_self[l], bytes);' \
  'float *k = (free(d->k_self[l]), malloc(bytes));' test_engine 'FAILED.*test_step_by_step_equals_whole_sequence'
fails spare.buffers.handed.twice engine/nn/kv_cache.c '*b = x->spare[--x->n_spares];' '*b = x->spare[x->n_spares - 1];' \
  test_decode_props 'FAILED.*test_searches_together_are_each_alone'
fails cross.group.first.row.only engine/nn/decoder.c 'memcpy(out + (int64_t)start[j] * C, ag + (int64_t)g * C, k * row_bytes);' \
  'memcpy(out + (int64_t)start[j] * C, ag, k * row_bytes);' test_decode_props 'together: other'
# the few-row kernels of a generation step (lengths the goldens never use: the kernel test)
fails dot.tail.dropped engine/kernels/vmath_lanes.h 'for (int k = i; k < n; k++) r += W[k] * x[b * ldx + k];' '' test_vmath 'wl_vmatmul n=1 '
fails vecmat.skips.first.key engine/kernels/vmath_lanes.h $'for (int k = 0; k < rows; k++) {\n        const float *row' \
  $'for (int k = 1; k < rows; k++) {\n        const float *row' test_vmath 'wl_vvecmat n='
fails vecmat.block.one.weight.row engine/kernels/vmath_lanes.h 'NAME(bcast)(&w[t], s + t * lds + k);' 'NAME(bcast)(&w[t], s + k);' \
  test_vmath 'wl_vvecmat: 16 and 8 lanes differ'
fails sum.exp.pad.lanes.zero engine/kernels/vmath_lanes.h "SPLATV(-INFINITY); /* the tail's unused" "SPLATV(0.0f); /* the tail's unused" \
  test_vmath 'wl_vsum_exp n='
fails sum.exp.drops.upper.lanes engine/kernels/vmath_lanes.h 'v4d a = acc[0] + acc[1];' 'v4d a = acc[0];' test_vmath 'wl_vsum_exp n=5:'
# the 16-lane builds must keep the eight-lane ones' order of sums (test_vmath runs both on any
# x86-64 CPU: without AVX-512, the 16-lane source built for the CPU's own vectors, wl_vmath_force)
fails wide.sum.halves.swapped engine/kernels/vmath_lanes.h '*sum += LO8(*v), *sum += HI8(*v);' '*sum += HI8(*v), *sum += LO8(*v);' \
  test_vmath '16 and 8 lanes differ'
fails wide.tile.low.half.twice engine/kernels/vmath_lanes.h 'v8f s = LO8(acc[b][0]) + HI8(acc[b][0]);' \
  'v8f s = LO8(acc[b][0]) + LO8(acc[b][0]);' test_vmath 'wl_vmatmul'
# the two-row tile (16 lanes): its own tail, its second row, and reduce8's lanes (test_vmath: the
# 16-lane build against the eight-lane one on any CPU)
fails pair.tail.dropped engine/kernels/vmath_lanes.h 'for (int k = i; k < n; k++) sum += W[r * ldw + k] * x[b * ldx + k];' '' \
  test_vmath 'wl_vmatmul: 16 and 8 lanes differ'
fails pair.second.row.is.first engine/kernels/vmath_lanes.h 'memcpy(&w1, W + ldw + i, sizeof w1);' 'memcpy(&w1, W + i, sizeof w1);' \
  test_vmath 'wl_vmatmul: 16 and 8 lanes differ'
fails reduce8.first.pairs.wrong.lanes engine/kernels/vmath_eight.h '(s[2 * k], s[2 * k + 1], 0, 2, 4, 6, 8, 10, 12, 14) +' \
  '(s[2 * k], s[2 * k + 1], 0, 1, 4, 5, 8, 9, 12, 13) +' test_vmath 'wl_vmatmul: 16 and 8 lanes differ'
# work split over threads (test_threads: 1, 2 and 3 threads give the same bits)
fails mel.frames.split.offset engine/frontend/mel.c 'j->power + (size_t)t * WL_N_BINS' 'j->power + (size_t)(t - t0) * WL_N_BINS' \
  test_threads 'encoder output element|FATAL: signal'
fails gemm.cols.split.offset engine/nn/ops.c 'j->W.w + (int64_t)o0 * j->IN, j->IN, j->out + o0' \
  'j->W.w + (int64_t)(o0 - b0 * GEMM_COLS) * j->IN, j->IN, j->out + o0' test_threads '(token feed, logit|product .* differs)'
fails enc.slot.scratch.shared engine/nn/encoder.c 'j->slots + (size_t)wl_parallel_slot() * j->slot_floats' 'j->slots' \
  test_threads 'encoder output element|FATAL: signal'
# a product's rows or columns grouped by the thread split (OpenBLAS's Haswell kernels give such rows other bits;
# oneDNN's do not, so test_threads catches these in its OpenBLAS pass)
fails pool.aligned.slices.unaligned engine/kernels/parallel.c 'wl_parallel_for((int)(((int64_t)n + block - 1) / block), 1, aligned_slice, &j);' \
  '(void)j, (void)aligned_slice, wl_parallel_for(n, 1, fn, ctx);' test_threads 'encoder output element'
fails gemm.cols.one.call.per.slice engine/nn/ops.c 'int o0 = b * GEMM_COLS, o1 = (b + 1) * GEMM_COLS < j->OUT ? (b + 1) * GEMM_COLS : j->OUT;' \
  'int o0 = b0 * GEMM_COLS, o1 = b1 * GEMM_COLS < j->OUT ? b1 * GEMM_COLS : j->OUT; b = b1;' test_threads '(token feed, logit|product .* differs)'
# a product call's shape tied to the thread split (oneDNN's AVX2 sgemm gives a row other bits in a
# call of another length: test_threads checks every kernel path the CPU runs, oneDNN capped at AVX2
# included, and products of widths the local models' decoders never reach)
fails gemm.rows.one.call.per.slice engine/nn/ops.c 'int t0 = b * GEMM_ROWS, t1 = (b + 1) * GEMM_ROWS < j->T ? (b + 1) * GEMM_ROWS : j->T;' \
  'int t0 = b0 * GEMM_ROWS, t1 = b1 * GEMM_ROWS < j->T ? b1 * GEMM_ROWS : j->T; b = b1;' test_threads 'product .* differs'
fails enc.block.loop.per.slice engine/nn/encoder.c $'    for (int b = t0; b < t1; b += ROW_BLOCK) {\n        const int R = t1 - b < ROW_BLOCK ? t1 - b : ROW_BLOCK;\n        const int64_t o = (int64_t)b * C;\n        wl_attention_kt' \
  $'    for (int b = t0; b < t1; b += t1 - t0) {\n        const int R = t1 - b;\n        const int64_t o = (int64_t)b * C;\n        wl_attention_kt' \
  test_threads 'encoder output element|FATAL: signal'
# decoder
stage dec.token.embedding.scaled engine/nn/decoder.c 'm->w.tok_emb[(int64_t)tokens[i] * C + e] + m->w.dec_pos' \
  'm->w.tok_emb[(int64_t)tokens[i] * C + e] * __builtin_sqrtf((float)C) + m->w.dec_pos' dec.embed
stage causal.mask.shows.next engine/nn/ops.c 'j->causal + r0 + i + 1; c < Tk' 'j->causal + r0 + i + 2; c < Tk' dec.layer.0
stage cross.v.with.k.weights engine/nn/kv_cache.c 'j->m->w.dec[l].cross.v, n, C, C);' 'j->m->w.dec[l].cross.k, n, C, C);' \
  dec.layer.0
# channel-major keys: the decoder's cross K and, since the encoder keeps its K so too, the encoder's (met first)
stage keys.cm.wrong.head engine/nn/ops.c 'const float *kt = j->k + (int64_t)h * D * Tk;' 'const float *kt = j->k + (int64_t)h * D;' \
  enc.layer.0
stage cross.v.bias.dropped engine/nn/ops.c 'for (int o = 0; W.b && o < OUT; o++)' 'for (int o = 0; W.b && o < 0; o++)' dec.layer.0
fails step.scores.short.dot engine/nn/ops.c 'wl_vvecmat(S, Tk, q, C, R, kt, Tk, D, Tk);' 'wl_vvecmat(S, Tk, q, C, R, kt, Tk, D - 1, Tk);' \
  test_decode 'step.cross_attn.0 .*FAIL'
stage cross.query.unscaled engine/nn/decoder.c 'wl_query(w->q, w->x, L->cross.q, n, C, H);' 'wl_linear(w->q, w->x, L->cross.q, n, C, C);' dec.layer.0
stage dec.final.norm.encoders engine/nn/decoder.c 'wl_layernorm(out, h, m->w.dec_ln, n, C);' 'wl_layernorm(out, h, m->w.enc_ln, n, C);' dec.out
stage logits.tied.with.bias engine/nn/decoder.c 'wl_linear_w tied = {m->w.tok_emb, NULL};' 'wl_linear_w tied = {m->w.tok_emb, m->w.dec_pos};' logits
fails kv.cache.pos.one.per.feed engine/nn/decoder.c 'decs[i]->pos += r.cnt[i], decs[i]->xattn_n' 'decs[i]->pos += 1, decs[i]->xattn_n' \
  test_decode 'FAILED.*test_kv_cache_steps_match_hf'
fails attn.block.mask.offset engine/nn/ops.c 'j->causal + r0 + i + 1; c < Tk' 'j->causal + i + 1; c < Tk' \
  test_engine 'FAILED.*test_step_by_step_equals_whole_sequence'
# logits processors
fails suppress.first.step.only engine/decode/logits_process.c '    forbid_list(scores, c->suppress, c->n_suppress, p->n_vocab);' \
  '    if (len == p->begin_index) forbid_list(scores, c->suppress, c->n_suppress, p->n_vocab);' \
  test_decode_props 'a suppressed token emitted'
fails begin.suppress.second.step engine/decode/logits_process.c 'if (len == p->begin_index) forbid_list' \
  'if (len == p->begin_index + 1) forbid_list' test_decode_props 'a begin-suppressed token first'
fails ts.lone.first.is.open.pair engine/decode/logits_process.c 'int penult_ts = n < 2 || s[n - 2] >= TB;' \
  'int penult_ts = n >= 2 && s[n - 2] >= TB;' test_decode_props 'three timestamps in a row'
fails ts.may.repeat engine/decode/logits_process.c 'forbid(scores, TB, last_ts && !penult_ts ? last : last + 1);' \
  'forbid(scores, TB, last);' test_decode_props 'a decreasing timestamp'
fails ts.max.initial.off.by.one engine/decode/logits_process.c 'TB + c->max_initial_timestamp_index + 1, V' \
  'TB + c->max_initial_timestamp_index + 2, V' test_decode_props 'not an initial timestamp'
fails ts.probability.rule.inverted engine/decode/logits_process.c 'logsumexp(scores + TB, V - TB) > max_text' \
  'logsumexp(scores + TB, V - TB) < max_text' test_decode 'FAIL clip .* greedy_ts step'
fails notimestamps.not.suppressed engine/decode/logits_process.c 'scores[c->no_timestamps] = -INFINITY;' \
  '(void)c->no_timestamps;' test_decode_props 'notimestamps\|> emitted'
# weights checked at load: the fast pass must send a tensor with a NaN/Inf to the search (F32 in
# test_engine_inputs' tiny model, F16 in test_bad_models' copy of whisper-micro.en)
fails finite.check.skips.bad.tensors engine/model/model.c 'int bad = size && any_all_ones(p, t->nbytes / size, size, mask);' \
  'int bad = size && !any_all_ones(p, t->nbytes / size, size, mask);' test_engine_inputs 'FAILED.*test_non_finite_weights'
fails finite.check.half.first.only engine/model/model.c 'memcpy(&b, p + 2 * i, sizeof b);' 'memcpy(&b, p, sizeof b);' \
  test_bad_models 'FAIL st_nan_weight'
fails half.bulk.subnormals.as.normal engine/io/half.c 'v8u is_sub = (v8u)(exp == 0),' 'v8u is_sub = (v8u)(mag == 0),' \
  test_engine 'in bulk, '
# search
fails greedy.tie.last.max engine/decode/search.c 'wl_vfirst_above(x + i, 0.0f, n - i, x[best])' \
  'wl_vfirst_above(x + i, 0.0f, n - i, nextafterf(x[best], -INFINITY))' \
  test_decode_props 'FAILED.*test_greedy_ties_take_the_lowest_id'
fails beam.length.counts.prompt engine/decode/search.c 'sum / pow((double)generated, s->cfg->length_penalty)' \
  'sum / pow((double)(generated + s->n_prompt), s->cfg->length_penalty)' test_decode 'beam5.score .*FAIL'
fails beam.eos.not.counted engine/decode/beam_search.c '(double)cand_score[r], bs->cur_len + 1 - s->n_prompt);' \
  '(double)cand_score[r], bs->cur_len - s->n_prompt);' test_decode 'beam5.score .*FAIL'
fails beam.eos.keeps.running engine/decode/beam_search.c $'bs->cur_len + 1 - s->n_prompt);\n            continue;' \
  'bs->cur_len + 1 - s->n_prompt);' test_decode 'FAIL clip .* beam5: winner differs'
fails beam.stops.one.token.early engine/decode/beam_search.c 'if (bs->done || bs->cur_len >= s->max_len) return' \
  'if (bs->done || bs->cur_len + 1 >= s->max_len) return' test_decode_props 'FAILED.*test_one_beam_is_greedy'
fails beam.final.eos.dropped engine/decode/beam_search.c 'if (w->len < s->max_len) j->p.tok[j->p.len++] = s->cfg->eos;' \
  'if (w->len < 0) j->p.tok[j->p.len++] = s->cfg->eos;' test_decode 'FAIL clip .* prefix of the other'
# searches stepped together: a batch's rows must each get the numbers they get alone
fails batch.rows.take.sgemm engine/nn/ops.c 'if (T <= WL_STEP_ROWS) {' 'if (T <= 8) {' test_decode_props 'together than alone'
fails batch.logits.misrouted engine/decode/generate.c 'const float *x = w->logits + (size_t)r * w->V;' \
  'const float *x = w->logits + (size_t)(r ? r - 1 : 0) * w->V;' test_decode_props 'together than alone'
# beam search's candidates: each beam's best, then merged
fails beam.candidates.unscored engine/decode/beam_search.c 'top_k(row, p->score, V, K,' 'top_k(row, 0.0f, V, K,' \
  test_decode 'FAIL.*beam5|beam5.*FAIL'
fails beam.merge.skips.first.beam engine/decode/beam_search.c 'if (bs->at[b] < bs->bn[b] &&' \
  'if (b > 0 && bs->at[b] < bs->bn[b] &&' test_decode 'FAIL.*beam5|beam5.*FAIL'
# token timestamps
fails median.filter.width.5 engine/decode/align.c 'F, cfg->median_filter_width, pad, win' \
  'F, cfg->median_filter_width - 2, pad, win' test_decode 'FAIL greedy.token_time'
fails zscore.mean.not.subtracted engine/decode/align.c '? (wa[(size_t)r * F + f] - mean) / sd : 0' \
  '? wa[(size_t)r * F + f] / sd : 0' test_decode_props 'starts at .* planted'
fails dtw.up.left.swapped engine/decode/align.c 'c1 = AT(cost, i - 1, j), c2 = AT(cost, i, j - 1)' \
  'c1 = AT(cost, i, j - 1), c2 = AT(cost, i - 1, j)' test_decode_props 'FAILED.*test_dtw_recovers_planted_path'
fails dtw.time.from.last.column engine/decode/align.c 'if (pr[k] != seen) seen = pr[k]' 'if (pr[k] >= seen) seen = pr[k]' \
  test_decode_props 'starts at .* planted'
# beam search with early_stopping=True (micro's golden mode beam5_early)
fails early.stop.at.first.hypothesis engine/decode/beam_search.c '    if (L->n < L->beams) return 0;' \
  '    if (L->n < (s->cfg->early_stopping ? 1 : L->beams)) return 0;' test_decode 'FAIL clip .* beam5_early'
# tokenizer
fails timestamp.window.reset.dropped engine/text/detokenize.c 'if (ts < cur_max) prev_len += cur_max;' \
  'if (ts < cur_max) prev_len += 0;' test_tokenizer 'MISMATCH .*\(with_timestamps\)'
fails bpe.first.merge.skipped engine/text/tokenizer.c 'for (line = line ? line + 1 : NULL;' \
  "for (line = line ? strchr(line + 1, '\\n') + 1 : NULL;" test_tokenizer 'MISMATCH'
fails bytes.bypass.utf8.decode engine/text/detokenize.c '(&run, t->bytes[id], t->nbytes[id]);' \
  '(out, t->bytes[id], t->nbytes[id]);' test_tokenizer 'MISMATCH .*first half'
fails skip.special.lost.in.timestamps engine/text/detokenize.c 'decode(t, ids + seg, i - seg, flags & ~WL_DECODE_TIMESTAMPS)' \
  'decode(t, ids + seg, i - seg, 0)' test_tokenizer 'MISMATCH .*\(skip_special_with_timestamps\)'
fails timestamp.begin.off.by.one engine/text/tokenizer.c 't->timestamp_begin = last + 1;' 't->timestamp_begin = last;' \
  test_tokenizer 'MISMATCH .*\(with_timestamps\)'
# inputs checked as HF reads them, and against each other (a model folder, the clip list)
fails json.first.key.kept engine/io/json_file.c 'if (before >= 0) items[before] = NULL;' \
  'if (before >= 0) items[i] = NULL;' test_read_file 'FAILED.*test_json_as_python_reads_it'
fails json.trailing.text.allowed engine/io/json_file.c 'if (at < len) {' 'if (0) {' test_read_file 'was accepted'
fails json.floats.unmarked engine/io/json_file.c 'if (is_float && !(node->valuestring = strdup("float"))) return -1;' \
  'if (0 && is_float) return -1;' test_read_file 'FAILED.*test_json_as_python_reads_it'
fails padding.value.ignored engine/frontend/mel.c 'for (size_t i = n; pad_value != 0' 'for (size_t i = n; 0' \
  test_padding 'FAILED.*test_quarter_padding'
fails timestamps.not.crosschecked engine/text/tokenizer.c 'if (t->timestamp_begin != c->timestamp_begin)' 'if (0)' \
  test_bad_models 'FAIL special_lacks_notimestamps'
fails added.token.remap.allowed engine/text/tokenizer.c 'if (in_vocab >= 0 && in_vocab != id)' 'if (0)' \
  test_bad_models 'FAIL added_endoftext_remapped'
fails suppress.everything.allowed engine/model/gen_config.c 'all = !left;' 'all = 0;' test_bad_models 'FAIL gen_suppress_everything'
fails huge.samples.accepted engine/frontend/audio.c 'if (fabsf(v) > WL_MAX_SAMPLE) {' 'if (fabsf(v) > 1e38f) {' \
  test_bad_inputs 'FAIL audio_huge_sample'
# the real model: a broken HF cache entry is reported, never skipped as "not downloaded"
fails cache.broken.entry.as.absent engine/io/model_path.c 'int there = lstat(base, &st) == 0 || errno != ENOENT;' \
  'int there = lstat(base, &st) == 0;' test_model_path 'FAILED.*test_cache_has_repo'
fails which.absent.as.broken engine/cli/which.c 'int absent = *arg && stat(arg, &st) != 0' 'int absent = 0 && stat(arg, &st) != 0' \
  test_cli 'FAILED.*test_which'
fails empty.clip.list.accepted reports/tools/clip_list.c 'else if (cJSON_GetArraySize(g[0]) == 0)' 'else if (0)' \
  test_clip_list 'FAILED.*test_bad_lists_refused'
# invalid UTF-8 in byte tokens (no golden holds any): Python's replacement, by hand-worked cases
fails utf8.e0.overlong.accepted engine/text/tokenizer.h 'unsigned lo = s[0] == 0xE0 ? 0xA0 :' 'unsigned lo = s[0] == 0xE0 ? 0x80 :' \
  test_tokenizer 'case [0-9]+: decoded to'
fails utf8.c0.lead.accepted engine/text/tokenizer.h 's[0] >= 0xC2 ? 2 : 0;' 's[0] >= 0xC0 ? 2 : 0;' test_tokenizer 'case [0-9]+: decoded to'
# the mel's edges: audio loudest at the very end of the window (test_engine's plain-DFT frame)
fails mel.top.skips.last.block engine/frontend/mel.c 'for (int b = 0; b < n_blocks; b++) top' 'for (int b = 0; b < n_blocks - 1; b++) top' \
  test_engine 'not the floor|FAILED.*test_mel_loudest_at_the_end'
fails mel.end.reflect.repeats.edge engine/frontend/mel.c 'x[N - 1 + k] = x[N - 1 - k];' 'x[N - 1 + k] = x[N - k];' \
  test_engine 'FAILED.*test_mel_loudest_at_the_end'
# a logit that overflows in a feed's second row only (test_engine_inputs' tiny model, 2e38 in one embedding channel)
fails logits.check.first.row.only engine/nn/decoder.c 'wl_first_non_finite(logits, (int64_t)n * m->c.n_vocab)' \
  'wl_first_non_finite(logits, m->c.n_vocab)' test_engine_inputs 'FAILED.*test_non_finite_logit_after_the_first_row'
# a teacher-forced feed of more than one block of query rows: its stored cross-attention
fails attn.probs.block.offset engine/nn/ops.c 'j->probs + ((int64_t)h * j->Tq + r0) * Tk' 'j->probs + ((int64_t)h * j->Tq) * Tk' \
  test_engine 'FAILED.*test_step_by_step_equals_whole_sequence'
# settings no golden uses: token timestamps cropped to the clip's frames; n_threads 0
fails dtw.crop.ignored engine/decode/align.c 'int F = n_frames > 0 && n_frames / 2 < S ? n_frames / 2 : S;' 'int F = S;' \
  test_decode_props 'cropped trial'
fails threads.zero.is.one engine/kernels/parallel.c 'pool_threads = n > 0 ? n : openblas_choice;' 'pool_threads = n > 0 ? n : 1;' \
  test_threads "n_threads 0 gave"
fails greedy.score.over.one.more engine/decode/search.c 'else r->score = (double)p->score / n;' 'else r->score = (double)p->score / (n + 1);' \
  test_decode_props 'greedy score'
# checkpoint checks at their edges
fails st.header.past.end.by.8 engine/io/safetensors.c 'hlen > f->map_size - 8' 'hlen > f->map_size' \
  test_safetensors 'FAILED.*test_header_longer_than_file'
fails layout.last.dim.unchecked engine/model/layout.c 'same && d < t->ndim; d++' 'same && d < t->ndim - 1; d++' \
  test_bad_models 'FAIL st_last_dim'
# beam search bookkeeping against HF's rules (test_search: BeamHypotheses and whole searches)
fails beam.eos.last.rank.dropped engine/decode/beam_search.c 'if (r >= B) continue;' 'if (r >= B - 1) continue;' test_search 'rules \['
fails hyps.worst.not.min engine/decode/beam_search.c 'L->worst = fmin(score, L->worst);' 'L->worst = score;' test_search 'HF keeps'
fails hyps.drop.last.of.lowest engine/decode/beam_search.c 'if (L->h[i].score < L->h[lo].score) lo = i;' 'if (L->h[i].score <= L->h[lo].score) lo = i;' \
  test_search 'HF.s is add|HF keeps'
fails hyps.done.counts.prompt engine/decode/beam_search.c 'hyp_score(s, best_sum, cur_len - s->n_prompt)' 'hyp_score(s, best_sum, cur_len)' \
  test_search 'is_done'
fails hyps.done.strict engine/decode/beam_search.c 'return L->worst >= wl_hyp_score' 'return L->worst > wl_hyp_score' test_search 'is_done'
fails beam.done.on.worst.candidate engine/decode/beam_search.c 'hyps_done(s, &bs->L, (double)cand_score[0],' 'hyps_done(s, &bs->L, (double)cand_score[nc - 1],' \
  test_search 'rules \['
fails beam.finish.ties.take.first engine/decode/beam_search.c 'if (b->L.h[h].score >= b->L.h[best].score) best = h;' \
  'if (b->L.h[h].score > b->L.h[best].score) best = h;' test_search 'rules \['
fails beam.merge.ties.later.beam engine/decode/beam_search.c '> bs->bcand_score[best * K + bs->at[best]]))' '>= bs->bcand_score[best * K + bs->at[best]]))' \
  test_search 'rules \['
fails topk.ties.later.index engine/decode/search.c 'for (; j > 0 && val[j - 1] < v; j--)' 'for (; j > 0 && val[j - 1] <= v; j--)' \
  test_search 'torch.topk'
# report values, on hand-made inputs (test_report_metrics)
fails confidence.mean.skips.first reports/lab/confidence.c $'for (int i = 0; i < r->n_steps; i++) {\n        if (!lab_is_text' \
  $'for (int i = 1; i < r->n_steps; i++) {\n        if (!lab_is_text' test_report_metrics 'FAILED.*test_confidence_values'
fails confidence.word.from.second.token reports/lab/confidence.c 'lp += r->steps[w->first - r->n_prompt + t].logprob' \
  'lp += r->steps[w->first - r->n_prompt + t + 1].logprob' test_report_metrics 'FAILED.*test_confidence_values'
fails timestamps.end.from.start.edge reports/lab/timestamps.c 'last - c->span.end' 'last - c->span.start' \
  test_report_metrics 'FAILED.*test_timestamps_values'
fails timestamps.word.end.own.start reports/lab/timestamps.c 'g->token_time[after] : NAN' 'g->token_time[after - 1] : NAN' \
  test_report_metrics 'FAILED.*test_timestamps_values'
fails monotonicity.repeat.counts.back reports/tools/monotonicity.c 'pk[r] >= pk[r - 1]' 'pk[r] > pk[r - 1]' \
  test_report_metrics 'FAILED.*test_monotonicity_repeated_peaks'
fails monotonicity.tie.last.peak reports/tools/monotonicity.c 'if (row[c] > row[best]) best = c;' 'if (row[c] >= row[best]) best = c;' \
  test_report_metrics 'FAILED.*test_monotonicity_repeated_peaks'
fails greedy.vs.beam.sum.skips.first reports/lab/beam_compare.c 'for (int i = 0; i < r->n_steps; i++) s +=' 'for (int i = 1; i < r->n_steps; i++) s +=' \
  test_report_metrics 'FAILED.*test_greedy_vs_beam_values'
fails grammar.word.sum.skips.first reports/lab/grammar.c 'for (int i = 0; i < n; i++) *lp_word' 'for (int i = 1; i < n; i++) *lp_word' \
  test_report_metrics 'FAILED.*test_grammar_values'
fails grammar.first.token.next.row reports/lab/grammar.c '*lp_first = lp[np - 1]' '*lp_first = lp[np]' \
  test_report_metrics 'FAILED.*test_grammar_values'
fails normaliser.tens.joins.tens reports/tools/normalise.c 'else if (!v.is_str && v.num % 100 == 0) v.num += cur.value;' \
  'else if (!v.is_str && v.num % 10 == 0) v.num += cur.value;' test_report_metrics 'normalise\("twenty thirty"\)'
fails speech.span.partial.frame.dropped reports/tools/speech_span.c '1 + (n - SPEECH_SPAN_FRAME + SPEECH_SPAN_HOP - 1) / SPEECH_SPAN_HOP' \
  '1 + (n - SPEECH_SPAN_FRAME) / SPEECH_SPAN_HOP' test_report_metrics 'FAILED.*test_speech_span'
fails speech.span.rms.over.full.frame reports/tools/speech_span.c 'sqrt(sq / (double)n)' 'sqrt(sq / SPEECH_SPAN_FRAME)' \
  test_report_metrics 'FAILED.*test_speech_span'
}

# ---- baseline: every test the selected mutants use must pass unmutated -------------------------
pass=collect
list
[ ${#used[@]} -eq 0 ] && { echo "mutants: no mutant matches MUTANTS='$only'"; exit 2; }
for t in "${!used[@]}"; do
  t0=$SECONDS
  if ! make -s $(targets "$t") >"$scratch/build-$t.log" 2>&1; then
    tail -20 "$scratch/build-$t.log"; echo "mutants: $t does not build unmutated"; exit 2
  fi
  if ! run "$t" "$scratch/base-$t.log"; then
    tail -30 "$scratch/base-$t.log"; echo "mutants: $(test_label "$t") fails without any mutant: fix that first"; exit 2
  fi
  echo "baseline $(test_label "$t") passes ($((SECONDS - t0))s)"
done

# ---- the mutants, one at a time --------------------------------------------------------------
pass=run
list
git checkout -q -- .

echo
w=(6 6 8 9 7)
for i in "${!names[@]}"; do
  [ ${#names[$i]} -gt ${w[0]} ] && w[0]=${#names[$i]}
  [ ${#files[$i]} -gt ${w[1]} ] && w[1]=${#files[$i]}
  [ ${#expects[$i]} -gt ${w[2]} ] && w[2]=${#expects[$i]}
  [ ${#gots[$i]} -gt ${w[3]} ] && w[3]=${#gots[$i]}
done
fmt="%-${w[0]}s | %-${w[1]}s | %-${w[2]}s | %-${w[3]}s | %s\n"
printf "$fmt" mutant file "expected stage/test" "caught at" verdict
printf "$fmt" "$(printf '%*s' "${w[0]}" '' | tr ' ' -)" "$(printf '%*s' "${w[1]}" '' | tr ' ' -)" \
  "$(printf '%*s' "${w[2]}" '' | tr ' ' -)" "$(printf '%*s' "${w[3]}" '' | tr ' ' -)" "-------"
for i in "${!names[@]}"; do
  printf "$fmt" "${names[$i]}" "${files[$i]}" "${expects[$i]}" "${gots[$i]}" "${verdicts[$i]}"
done
echo
echo "mutants: $caught caught, $missed missed ($(((SECONDS - t_start) / 60)) min $(((SECONDS - t_start) % 60)) s)"
[ "$missed" -eq 0 ]
