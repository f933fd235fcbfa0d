#!/usr/bin/env python3
"""Export HuggingFace transformers goldens for whisperlab.

For each clip: every stage tensor (mel ... logits, cross_attn.N) from HF's WhisperForConditionalGeneration,
the exact log-mel in float64 (mel64), and the decoding outputs of HF generate() (greedy and beam-5, with and
without timestamps); for a few clips the decoder run through HF's KV cache (a prompt in one call, then one
token per call). Audio is read as librosa.load(path, sr=16000) reads it (channels averaged in float32,
libsoxr HQ resampling, fix_length). Written as safetensors per clip plus index.json (provenance).
Layout: golden/README.md.

Needs: torch, numpy, transformers >= 4.40 (a normal `pip install transformers torch`), and libsoxr
(libsoxr.so.0, through ctypes) for clips that are not at 16 kHz.
Usage: export_golden.py --model DIR --clips data/clips.json --audio data/audio --out golden/NAME
                        [--edge-clips data/audio/edge/clips.json]
"""
import argparse
import ctypes
import ctypes.util
import datetime
import hashlib
import json
import os
import platform
import re
import sys
import wave

# Bump when what is exported (names, layout, settings) changes: make verify then calls goldens stale.
EXPORTER_VERSION = 2

def engine_stages():
    """The engine's stage table, engine/model/stages.c, read with a regular expression (one row per line
    there) so that the engine, its tests and this exporter share one list: [(name, per)] in data-flow
    order, per being ONCE, PER_ENC_LAYER or PER_DEC_LAYER."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "engine", "model", "stages.c")
    with open(path, encoding="utf-8") as f:
        rows = re.findall(r'^\s*\[WL_STAGE_\w+\] = \{"([\w.]+)", WL_(ONCE|PER_ENC_LAYER|PER_DEC_LAYER),',
                          f.read(), re.M)
    if not rows:
        print(f"export_golden: {path}: no stage table found", file=sys.stderr)
        sys.exit(1)
    return rows


STAGES = engine_stages()


def stage(base, layer=None):
    """A stage's name as the engine emits it: a name of the table, with .layer for a stage per layer."""
    per = dict(STAGES).get(base)
    if per is None or (per == "ONCE") != (layer is None):
        fail(f"{base} (layer {layer}) is not a stage of engine/model/stages.c")
    return base if layer is None else f"{base}.{layer}"


def stage_names(n_enc, n_dec):
    """Every stage a model with these layer counts has, in the table's order."""
    count = {"PER_ENC_LAYER": n_enc, "PER_DEC_LAYER": n_dec}
    return [name if per == "ONCE" else f"{name}.{i}" for name, per in STAGES for i in range(count.get(per, 1))]


# How each stage is reduced: (name prefix, axis, which kept set). dec.* are stored whole.
REDUCTIONS = [
    ("step.logits", 1, "vocab_ids"), ("step.cross_attn.", 2, "enc_frames"),
    ("mel", 1, "mel_frames"), ("conv1", 1, "mel_frames"), ("conv2", 1, "enc_frames"),
    ("enc.", 0, "enc_frames"), ("logits", 1, "vocab_ids"), ("cross_attn.", 2, "enc_frames"),
    ("dec.", None, None),
]


def fail(msg):
    print(f"export_golden: {msg}", file=sys.stderr)
    sys.exit(1)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Soxr:
    """libsoxr through ctypes, called as python-soxr's soxr.resample(x, in_rate, out_rate, "HQ") calls it
    (librosa.resample's default res_type "soxr_hq"): soxr_create with float32 I/O,
    soxr_quality_spec(SOXR_HQ, 0) and the default runtime spec (one thread), soxr_process on chunks of
    int(48000 * in_rate / out_rate) input samples, then a flush; output capped at int(n * out / in) + 1."""

    HQ, FLOAT32_I = 4, 0

    class IoSpec(ctypes.Structure):
        _fields_ = [("itype", ctypes.c_int), ("otype", ctypes.c_int), ("scale", ctypes.c_double),
                    ("e", ctypes.c_void_p), ("flags", ctypes.c_ulong)]

    class QualitySpec(ctypes.Structure):
        _fields_ = [("precision", ctypes.c_double), ("phase_response", ctypes.c_double),
                    ("passband_end", ctypes.c_double), ("stopband_begin", ctypes.c_double),
                    ("e", ctypes.c_void_p), ("flags", ctypes.c_ulong)]

    def __init__(self):
        name = ctypes.util.find_library("soxr") or "libsoxr.so.0"
        try:
            lib = ctypes.CDLL(name)
        except OSError as e:
            fail(f"cannot load libsoxr ({name}: {e}); install libsoxr0 (Debian) to read audio that is not 16 kHz")
        c = ctypes
        lib.soxr_version.restype = c.c_char_p
        lib.soxr_io_spec.restype, lib.soxr_io_spec.argtypes = Soxr.IoSpec, [c.c_int, c.c_int]
        lib.soxr_quality_spec.restype, lib.soxr_quality_spec.argtypes = Soxr.QualitySpec, [c.c_ulong, c.c_ulong]
        lib.soxr_create.restype = c.c_void_p
        lib.soxr_create.argtypes = [c.c_double, c.c_double, c.c_uint, c.POINTER(c.c_char_p),
                                    c.POINTER(Soxr.IoSpec), c.POINTER(Soxr.QualitySpec), c.c_void_p]
        lib.soxr_process.restype = c.c_char_p
        lib.soxr_process.argtypes = [c.c_void_p, c.c_void_p, c.c_size_t, c.POINTER(c.c_size_t),
                                     c.c_void_p, c.c_size_t, c.POINTER(c.c_size_t)]
        lib.soxr_delete.argtypes = [c.c_void_p]
        self.lib = lib
        self.version = lib.soxr_version().decode()

    def resample(self, x, in_rate, out_rate, np):
        lib, c = self.lib, ctypes
        x = np.ascontiguousarray(x, dtype=np.float32)
        n = len(x)
        olen = int(n * out_rate / in_rate) + 1
        chunk = int(48000 * in_rate / out_rate)
        io, q, err = lib.soxr_io_spec(Soxr.FLOAT32_I, Soxr.FLOAT32_I), lib.soxr_quality_spec(Soxr.HQ, 0), c.c_char_p()
        h = lib.soxr_create(float(in_rate), float(out_rate), 1, c.byref(err), c.byref(io), c.byref(q), None)
        if err.value:
            fail(f"libsoxr: {err.value.decode()}")
        y, pos, done = np.zeros(olen, dtype=np.float32), 0, c.c_size_t()
        try:
            for at in range(0, n, chunk):
                e = lib.soxr_process(h, x[at:].ctypes.data, min(chunk, n - at), None,
                                     y[pos:].ctypes.data, olen - pos, c.byref(done))
                if e:
                    fail(f"libsoxr: {e.decode()}")
                pos += done.value
            e = lib.soxr_process(h, None, 0, None, y[pos:].ctypes.data, olen - pos, c.byref(done))  # flush
            if e:
                fail(f"libsoxr: {e.decode()}")
            pos += done.value
        finally:
            lib.soxr_delete(h)
        return y[:pos]


_SOXR = None


def load_audio(path, np):
    """float32 mono samples at 16 kHz as librosa.load(path, sr=16000) returns them (soundfile + librosa 0.10):
    16-bit PCM as int16 / 32768 in float32, the mean of the channels in float32 (to_mono), then, when the
    file is not at 16 kHz, soxr HQ resampling and fix_length to ceil(n * 16000 / rate) samples.
    Returns (samples, native rate, channels)."""
    global _SOXR
    try:
        with wave.open(path, "rb") as w:
            rate, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            if width != 2:
                fail(f"{path}: need 16-bit PCM, got {8 * width}-bit")
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    except (wave.Error, EOFError) as e:
        fail(f"{path}: not a readable WAV file ({e})")
    y = (pcm.astype(np.float32) / np.float32(32768.0)).reshape(-1, ch).T  # [channels, n], as soundfile + .T
    if ch > 1:
        y = np.mean(y, axis=0)  # librosa.to_mono: float32 mean over the channel axis
    y = np.ascontiguousarray(y.reshape(-1), dtype=np.float32)
    if rate != 16000:
        _SOXR = _SOXR or Soxr()
        n_out = int(np.ceil(len(y) * (16000 / rate)))  # librosa.resample(fix=True)
        y = _SOXR.resample(y, rate, 16000, np)
        y = np.pad(y, (0, n_out - len(y))) if len(y) < n_out else y[:n_out]  # librosa.util.fix_length
    return y.astype(np.float32), rate, ch


def mel64(audio, fe, np):
    """The log-mel spectrogram of WhisperFeatureExtractor's numpy path (_np_extract_fbank_features), in
    float64 throughout: pad/trim to n_samples, reflect-pad n_fft/2, periodic Hann window, |rfft|^2, drop
    the last frame, HF's Slaney mel filters (fe.mel_filters, float64), log10 of max(x, 1e-10), floor at
    max - 8, (x + 4) / 4. (HF's own numpy path stores the STFT as complex64; this does not.)"""
    from transformers.audio_utils import window_function
    x = np.zeros(fe.n_samples, dtype=np.float64)
    k = min(len(audio), fe.n_samples)
    x[:k] = audio[:k]
    half = fe.n_fft // 2
    xp = np.pad(x, (half, half), mode="reflect")
    n_frames = 1 + (len(xp) - fe.n_fft) // fe.hop_length
    idx = np.arange(fe.n_fft)[None, :] + fe.hop_length * np.arange(n_frames)[:, None]
    frames = xp[idx] * window_function(fe.n_fft, "hann").astype(np.float64)[None, :]
    spec = np.fft.rfft(frames, axis=1)
    power = (spec.real ** 2 + spec.imag ** 2)[:-1]  # [frames - 1, bins]
    mel = np.asarray(fe.mel_filters, dtype=np.float64).T @ power.T  # [n_mels, frames - 1]
    log = np.log10(np.maximum(mel, 1e-10))
    log = np.maximum(log, log.max() - 8.0)
    return (log + 4.0) / 4.0


def kept_frames(n_frames, speech_end, stride):
    """Frames [0, speech_end + 16), every stride-th frame after, and the last two (edge effects)."""
    keep = set(range(min(n_frames, speech_end + 16)))
    keep.update(range(0, n_frames, stride))
    keep.update([n_frames - 2, n_frames - 1])
    return sorted(keep)


class Recorder:
    """Forward hooks that capture conv and per-layer outputs under whisperlab's stage names."""

    def __init__(self, model, torch):
        self.out, self.active, self.handles = {}, False, []
        enc, dec = model.model.encoder, model.model.decoder
        gelu = torch.nn.functional.gelu
        self._hook(enc.conv1, lambda o: gelu(o), stage("conv1"))  # HF applies GELU outside the module
        self._hook(enc.conv2, lambda o: gelu(o), stage("conv2"))
        self._prehook(enc.layers[0], stage("enc.embed"))
        for i, layer in enumerate(enc.layers):
            self._hook(layer, lambda o: o[0], stage("enc.layer", i))
        self._prehook(dec.layers[0], stage("dec.embed"))
        for i, layer in enumerate(dec.layers):
            self._hook(layer, lambda o: o[0], stage("dec.layer", i))
        self._hook(dec.layer_norm, lambda o: o, stage("dec.out"))

    def _hook(self, module, pick, name):
        def fn(_m, _inp, output):
            if self.active:
                self.out[name] = pick(output).detach().clone()
        self.handles.append(module.register_forward_hook(fn))

    def _prehook(self, module, name):
        def fn(_m, inp):
            if self.active:
                self.out[name] = inp[0].detach().clone()
        self.handles.append(module.register_forward_pre_hook(fn))


def decode_outputs(prefix, gen, torch, beam):
    """Tokens, per-step log-probs of the chosen token and the top-5 alternatives."""
    seq = gen.sequences[0]
    steps = len(gen.scores)
    out = {f"{prefix}.tokens": seq.to(torch.int32)}
    if beam:
        # The winner's beam at each of its steps; -1 pads steps after it finished.
        if getattr(gen, "beam_indices", None) is None:
            fail("this transformers' Whisper generate() returns no beam_indices for short-form audio "
                 "(transformers PR #30984 and later); use transformers 4.40-4.42")
        bi = [int(b) for b in gen.beam_indices[0][:steps] if b >= 0]
        steps = len(bi)
        rows = [gen.scores[t][bi[t]] for t in range(steps)]  # processed log-probs (not renormalised)
        out[f"{prefix}.score"] = gen.sequences_scores.to(torch.float32).reshape(1)
    else:
        rows = [torch.log_softmax(gen.scores[t][0].float(), dim=-1) for t in range(steps)]
    lp = torch.stack(rows)
    chosen = seq[len(seq) - steps:]
    out[f"{prefix}.logprob"] = lp.gather(1, chosen[:, None].long())[:, 0].contiguous()
    top = torch.topk(lp, 5, dim=-1)
    out[f"{prefix}.top5.ids"] = top.indices.to(torch.int32).contiguous()
    out[f"{prefix}.top5.logprob"] = top.values.contiguous()
    if hasattr(gen, "token_timestamps") and gen.token_timestamps is not None:
        out[f"{prefix}.token_timestamps"] = gen.token_timestamps[0].to(torch.float32).contiguous()
    return out


def reduce_stage(name, full, index, axis, torch):
    """The stage subsampled along axis (unless index is None), with float64 mean and RMS over that axis.
    Stored as float32 (mel64 is computed in float64 and rounded once here)."""
    x64 = full.double()
    out = {f"{name}.mean": x64.mean(dim=axis).float().contiguous(),
           f"{name}.rms": x64.pow(2).mean(dim=axis).sqrt().float().contiguous()}
    if index is None:
        out[name] = full.float().contiguous()
    else:
        idx = torch.tensor(index, dtype=torch.long)
        out[name] = full.index_select(axis, idx).float().contiguous()
        out[f"{name}.index"] = idx.to(torch.int32)
    return out


def step_decode(model, enc, seq, prompt, torch):
    """HF's decoder as generation runs it: the first `prompt` tokens of seq[:-1] in one call with
    use_cache=True, then one token per call on past_key_values. Returns logits [T, V] and, per layer,
    cross-attention [heads, T, positions], T = len(seq) - 1 (rows in input order)."""
    try:
        from transformers.cache_utils import DynamicCache, EncoderDecoderCache
        past = EncoderDecoderCache(DynamicCache(), DynamicCache())
    except ImportError:  # transformers < 4.42: the legacy tuple cache
        past = None
    inputs = seq[None, :-1]
    logits, cross, pos = [], [], 0
    for n in [prompt] + [1] * (inputs.shape[1] - prompt):
        out = model(encoder_outputs=(enc,), decoder_input_ids=inputs[:, pos:pos + n], past_key_values=past,
                    use_cache=True, output_attentions=True)
        past = out.past_key_values
        logits.append(out.logits[0])
        cross.append([a[0] for a in out.cross_attentions])
        pos += n
    return torch.cat(logits), [torch.cat([c[l] for c in cross], dim=1) for l in range(len(cross[0]))]


def export_clip(clip, args, model, fe, rec, torch, np, full):
    audio, _, _ = load_audio(os.path.join(args.audio, clip["file"]), np)
    feats = fe(audio, sampling_rate=16000, return_tensors="pt").input_features
    gen_kw = dict(return_dict_in_generate=True, output_scores=True)
    if args.max_new_tokens:
        gen_kw["max_new_tokens"] = args.max_new_tokens
    tensors = {}
    with torch.no_grad():
        g = model.generate(feats, return_token_timestamps=True, **gen_kw)
        tensors.update(decode_outputs("greedy", g, torch, beam=False))
        tensors.update(decode_outputs("greedy_ts", model.generate(feats, return_timestamps=True, **gen_kw),
                                      torch, beam=False))
        tensors.update(decode_outputs("beam5", model.generate(feats, num_beams=5, **gen_kw), torch, beam=True))
        tensors.update(decode_outputs("beam5_ts", model.generate(feats, num_beams=5, return_timestamps=True,
                                                                 **gen_kw), torch, beam=True))
        # early_stopping=True: the search ends as soon as 5 hypotheses are finished (BeamHypotheses.is_done)
        tensors.update(decode_outputs("beam5_early", model.generate(feats, num_beams=5, early_stopping=True,
                                                                    **gen_kw), torch, beam=True))
        if clip["set"] == "grammar_errors":
            return tensors, None, None
        # Stages: teacher-forced on HF's greedy sequence (the last token is never fed back).
        seq = g.sequences[0]
        rec.out.clear()
        rec.active = True
        out = model(input_features=feats, decoder_input_ids=seq[None, :-1], output_attentions=True)
        rec.active = False
        step = None
        if clip["id"] in args.step_ids and len(seq) >= 5:
            prompt = min(4, len(seq) - 3)  # a multi-token prompt, then at least two single steps
            step = (prompt,) + step_decode(model, out.encoder_last_hidden_state, seq, prompt, torch)
    exact = mel64(audio, fe, np)
    # HF's own numpy path (float64 STFT stored as complex64) must agree with mel64 to float32 rounding.
    hf_np = fe._np_extract_fbank_features(np.pad(audio[:fe.n_samples], (0, max(0, fe.n_samples - len(audio))))[None],
                                          "cpu")[0]
    if np.abs(hf_np - exact).max() > 1e-6:
        fail(f"clip {clip['id']}: mel64 is {np.abs(hf_np - exact).max():.3g} from HF's numpy mel path")
    print(f"export_golden: {clip['id']}: HF float32 mel vs mel64 max {np.abs(feats[0].numpy() - exact).max():.3g}, "
          f"HF numpy mel vs mel64 max {np.abs(hf_np - exact).max():.3g}", flush=True)
    hf = {name: x[0] for name, x in rec.out.items()}  # the hooked stages
    hf[stage("mel")] = feats[0]
    hf[stage("enc.out")] = out.encoder_last_hidden_state[0]
    hf[stage("logits")] = out.logits[0]
    for i, a in enumerate(out.cross_attentions):
        hf[stage("cross_attn", i)] = a[0]
    stages = {}  # in the engine's order, the exact log-mel after mel
    for name in stage_names(len(model.model.encoder.layers), len(model.model.decoder.layers)):
        if name not in hf:
            fail(f"clip {clip['id']}: HF gave no tensor for stage {name}")
        stages[name] = hf[name]
        if name == stage("mel"):
            stages["mel64"] = torch.from_numpy(exact)
    tensors["tokens"] = seq.to(torch.int32)
    # Frames that hold speech: mel frame t is centred on sample 160 t and spans +-200 samples.
    n_mel, n_pos = stages["mel"].shape[1], stages["enc.out"].shape[0]
    if clip.get("frame_stride"):  # speech from end to end: every k-th frame (and the first 16, last 2)
        mel_rows = kept_frames(n_mel, 0, clip["frame_stride"])
        enc_rows = kept_frames(n_pos, 0, clip["frame_stride"])
    else:
        mel_speech = min(n_mel, (len(audio) + 200 + 159) // 160)
        mel_rows = kept_frames(n_mel, mel_speech, args.frame_stride)
        enc_rows = kept_frames(n_pos, (mel_speech + 1) // 2 + 1, args.frame_stride)
    vocab = stages["logits"].shape[1]
    top = torch.topk(stages["logits"], args.top_k, dim=-1).indices.flatten().tolist()
    vocab_cols = sorted(set(range(0, vocab, args.vocab_stride)) | set(top) | set(seq.tolist())
                        | set(range(50256, min(vocab, 50364))))
    kept = {"mel_frames": mel_rows, "enc_frames": enc_rows, "vocab_ids": vocab_cols}

    def store(name, x, layout, full_ok):
        axis, which = next((a, w) for prefix, a, w in REDUCTIONS if name.startswith(prefix))
        index = None if axis is None or (full_ok and which != "vocab_ids") else kept[which]
        if axis is None:
            tensors[name] = x.contiguous()
        else:
            tensors.update(reduce_stage(name, x, index, axis, torch))
        layout[name] = {"shape": list(x.shape), "axis": axis, "stored": None if index is None else len(index)}

    layout = {}
    for name, x in stages.items():
        store(name, x, layout, full and name != "mel64")  # mel64 keeps the reduction on every model
    step_info = None
    if step:
        prompt, logits, cross = step
        step_layout = {}
        store("step.logits", logits, step_layout, full)
        for i, a in enumerate(cross):
            store(f"step.cross_attn.{i}", a, step_layout, full)
        step_info = {"prompt": prompt, "steps": int(logits.shape[0]) - prompt, "stages": step_layout}
        d = (logits - stages["logits"]).abs().max().item()
        print(f"export_golden: {clip['id']}: cached decoder, prompt {prompt} + {logits.shape[0] - prompt} single "
              f"steps; logits vs teacher-forced max {d:.3g}", flush=True)
    return tensors, layout, step_info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--model", required=True, help="HF model folder")
    ap.add_argument("--clips", required=True, help="clips.json")
    ap.add_argument("--audio", required=True, help="folder of the clip WAVs")
    ap.add_argument("--out", required=True, help="output folder, e.g. golden/whisper-tiny.en-synthetic")
    ap.add_argument("--edge-clips", default="",
                    help="a list of edge clips (data/audio/edge/clips.json; files relative to --audio); clips "
                         "longer than the model's window are skipped")
    ap.add_argument("--step-clips", default="01,30s",
                    help="comma-separated clip ids whose decoder is also run through HF's KV cache (a 4-token "
                         "prompt in one call, then one token per call)")
    ap.add_argument("--max-new-tokens", type=int, default=0,
                    help="cap on generated tokens (the synthetic model never emits end-of-text); 0 = none")
    ap.add_argument("--full-clips", default="",
                    help="comma-separated clip ids stored without frame reduction (logits keep their id "
                         "reduction, mel64 its frame reduction), or 'all'")
    ap.add_argument("--frame-stride", type=int, default=64, help="keep every Nth frame outside speech")
    ap.add_argument("--vocab-stride", type=int, default=64, help="keep every Nth vocabulary id of logits")
    ap.add_argument("--top-k", type=int, default=16, help="also keep each step's top-k logit ids")
    args = ap.parse_args()
    args.step_ids = set(filter(None, args.step_clips.split(",")))

    try:
        import numpy as np
        import torch
        import transformers
        from safetensors.torch import save_file
        from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration
    except ImportError as e:
        fail(f"needs torch, numpy, safetensors and transformers >= 4.40 ({e}); "
             "pip install torch transformers, then re-run make golden")
    for f in ("config.json", "generation_config.json", "model.safetensors", "preprocessor_config.json"):
        if not os.path.exists(os.path.join(args.model, f)):
            fail(f"{args.model}: model folder lacks {f}")
    try:
        spec = json.load(open(args.clips))
        edge = json.load(open(args.edge_clips)) if args.edge_clips else {"clips": []}
    except (OSError, json.JSONDecodeError) as e:
        fail(f"{args.clips if not args.edge_clips else args.clips + ' or ' + args.edge_clips}: {e}")

    torch.set_num_threads(1)  # one accumulation order, so a re-export gives the same bytes
    model = WhisperForConditionalGeneration.from_pretrained(args.model, attn_implementation="eager").eval()
    fe = WhisperFeatureExtractor.from_pretrained(args.model)
    rec = Recorder(model, torch)
    os.makedirs(args.out, exist_ok=True)
    full_ids = set(filter(None, args.full_clips.split(",")))
    if args.full_clips == "all":
        full_ids = {c["id"] for c in spec["clips"]}

    clips = [dict(c, set="clips") for c in spec["clips"]] + [dict(c, set="grammar_errors")
                                                             for c in spec.get("grammar_errors", [])]
    skipped = {}
    for c in edge["clips"]:
        audio, rate, ch = load_audio(os.path.join(args.audio, c["file"]), np)
        if len(audio) > fe.n_samples:
            skipped[c["id"]] = f"{len(audio)} samples at 16 kHz exceed the model's window of {fe.n_samples}"
            print(f"export_golden: edge clip {c['id']} skipped: {skipped[c['id']]}", flush=True)
            continue
        clips.append(dict(c, set="edge"))
    index = {"clips": {}}
    for clip in clips:
        tensors, layout, step = export_clip(clip, args, model, fe, rec, torch, np, clip["id"] in full_ids)
        name = os.path.splitext(os.path.basename(clip["file"]))[0] + ".safetensors"
        path = os.path.join(args.out, name)
        save_file(tensors, path, metadata={"clip": clip["id"], "exporter_version": str(EXPORTER_VERSION)})
        wav = os.path.join(args.audio, clip["file"])
        entry = {
            "set": clip["set"], "sentence": clip["sentence"], "wav": clip["file"], "wav_sha256": sha256(wav),
            "golden": name, "golden_sha256": sha256(path), "full": clip["id"] in full_ids, "stages": layout,
            "greedy_tokens": tensors["greedy.tokens"].tolist(),
        }
        if clip["set"] == "edge":
            with wave.open(wav, "rb") as w:
                entry["audio"] = {"rate": w.getframerate(), "channels": w.getnchannels(), "frames": w.getnframes()}
            if clip.get("frame_stride"):
                entry["frame_stride"] = clip["frame_stride"]
        if step:
            entry["step"] = step
        index["clips"][clip["id"]] = entry
        print(f"export_golden: {clip['id']} {clip['sentence'][:40]!r}: {len(tensors)} tensors, "
              f"{os.path.getsize(path) / 1e6:.2f} MB", flush=True)

    cfg_files = ["config.json", "generation_config.json", "preprocessor_config.json"]
    index = {
        "exporter_version": EXPORTER_VERSION,
        "model": os.path.basename(os.path.normpath(args.out)),
        "model_sha256": sha256(os.path.join(args.model, "model.safetensors")),
        "config_sha256": {f: sha256(os.path.join(args.model, f)) for f in cfg_files},
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__,
                     "numpy": np.__version__, "python": platform.python_version(),
                     "libsoxr": _SOXR.version if _SOXR else None},
        "settings": {"attn_implementation": model.config._attn_implementation, "torch_threads": 1,
                     "max_new_tokens": args.max_new_tokens or None, "frame_stride": args.frame_stride,
                     "vocab_stride": args.vocab_stride, "top_k": args.top_k,
                     "full_clips": sorted(full_ids), "beams": 5, "early_stopping_mode": "beam5_early",
                     "step_clips": sorted(args.step_ids & set(index["clips"])),
                     "edge_clips": args.edge_clips or None, "edge_skipped": skipped,
                     "audio": "as librosa.load(path, sr=16000): int16 / 32768, channel mean in float32, "
                              "soxr HQ (python-soxr's chunked calls), fix_length to ceil(n * 16000 / rate)"},
        "command": " ".join(["gen/export_golden.py"] + sys.argv[1:]),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "clips": index["clips"],
    }
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    print(f"export_golden: wrote {len(index['clips'])} clips and index.json to {args.out}")


if __name__ == "__main__":
    main()
