#!/usr/bin/env python3
"""Export HuggingFace transformers goldens for whisperlab.

For each clip: every stage tensor (mel ... logits, cross_attn.N) from HF's WhisperForConditionalGeneration,
and the decoding outputs of HF generate() (greedy and beam-5, with and without timestamps). Written as
safetensors per clip plus index.json (provenance). Layout: golden/README.md.

Needs: torch, numpy, transformers >= 4.40 (a normal `pip install transformers torch`).
Usage: export_golden.py --model DIR --clips data/clips.json --audio data/audio --out golden/NAME
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import sys
import wave

# Bump when what is exported (names, layout, settings) changes: make verify then calls goldens stale.
EXPORTER_VERSION = 1

# How each stage is reduced: (name prefix, axis, which kept set). dec.* are stored whole.
REDUCTIONS = [
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


def load_audio(path, np):
    """float32 samples as librosa.load(path, sr=16000) returns them for 16 kHz 16-bit PCM: int16 / 32768."""
    try:
        with wave.open(path, "rb") as w:
            if w.getframerate() != 16000 or w.getnchannels() != 1 or w.getsampwidth() != 2:
                fail(f"{path}: need 16 kHz mono 16-bit PCM, got {w.getframerate()} Hz, "
                     f"{w.getnchannels()} channels, {8 * w.getsampwidth()}-bit")
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    except (wave.Error, EOFError) as e:
        fail(f"{path}: not a readable WAV file ({e})")
    return pcm.astype(np.float32) / np.float32(32768.0)


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
        self._hook(enc.conv1, lambda o: gelu(o), "conv1")  # HF applies GELU outside the module
        self._hook(enc.conv2, lambda o: gelu(o), "conv2")
        self._prehook(enc.layers[0], "enc.embed")
        for i, layer in enumerate(enc.layers):
            self._hook(layer, lambda o: o[0], f"enc.layer.{i}")
        self._prehook(dec.layers[0], "dec.embed")
        for i, layer in enumerate(dec.layers):
            self._hook(layer, lambda o: o[0], f"dec.layer.{i}")
        self._hook(dec.layer_norm, lambda o: o, "dec.out")

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
    """The stage subsampled along axis (unless index is None), with float64 mean and RMS over that axis."""
    x64 = full.double()
    out = {f"{name}.mean": x64.mean(dim=axis).float().contiguous(),
           f"{name}.rms": x64.pow(2).mean(dim=axis).sqrt().float().contiguous()}
    if index is None:
        out[name] = full.contiguous()
    else:
        idx = torch.tensor(index, dtype=torch.long)
        out[name] = full.index_select(axis, idx).contiguous()
        out[f"{name}.index"] = idx.to(torch.int32)
    return out


def export_clip(clip, args, model, fe, rec, torch, np, full):
    audio = load_audio(os.path.join(args.audio, clip["file"]), np)
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
        if clip["set"] != "clips":
            return tensors, None
        # Stages: teacher-forced on HF's greedy sequence (the last token is never fed back).
        seq = g.sequences[0]
        rec.out.clear()
        rec.active = True
        out = model(input_features=feats, decoder_input_ids=seq[None, :-1], output_attentions=True)
        rec.active = False
    st = dict(rec.out)
    stages = {"mel": feats[0], "conv1": st["conv1"][0], "conv2": st["conv2"][0], "enc.embed": st["enc.embed"][0]}
    n_enc = len(model.model.encoder.layers)
    for i in range(n_enc):
        stages[f"enc.layer.{i}"] = st[f"enc.layer.{i}"][0]
    stages["enc.out"] = out.encoder_last_hidden_state[0]
    stages["dec.embed"] = st["dec.embed"][0]
    for i in range(len(model.model.decoder.layers)):
        stages[f"dec.layer.{i}"] = st[f"dec.layer.{i}"][0]
    stages["dec.out"] = st["dec.out"][0]
    stages["logits"] = out.logits[0]
    for i, a in enumerate(out.cross_attentions):
        stages[f"cross_attn.{i}"] = a[0]
    tensors["tokens"] = seq.to(torch.int32)

    # Frames that hold speech: mel frame t is centred on sample 160 t and spans +-200 samples.
    n_mel, n_pos = stages["mel"].shape[1], stages["enc.out"].shape[0]
    mel_speech = min(n_mel, (len(audio) + 200 + 159) // 160)
    mel_rows = kept_frames(n_mel, mel_speech, args.frame_stride)
    enc_rows = kept_frames(n_pos, (mel_speech + 1) // 2 + 1, args.frame_stride)
    vocab = stages["logits"].shape[1]
    top = torch.topk(stages["logits"], args.top_k, dim=-1).indices.flatten().tolist()
    vocab_cols = sorted(set(range(0, vocab, args.vocab_stride)) | set(top) | set(seq.tolist())
                        | set(range(50256, min(vocab, 50364))))
    kept = {"mel_frames": mel_rows, "enc_frames": enc_rows, "vocab_ids": vocab_cols}
    layout = {}
    for name, x in stages.items():
        axis, which = next((a, w) for prefix, a, w in REDUCTIONS if name.startswith(prefix))
        index = None if axis is None or (full and which != "vocab_ids") else kept[which]
        if axis is None:
            tensors[name] = x.contiguous()
        else:
            tensors.update(reduce_stage(name, x, index, axis, torch))
        layout[name] = {"shape": list(x.shape), "axis": axis,
                        "stored": None if index is None else len(index)}
    return tensors, layout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--model", required=True, help="HF model folder")
    ap.add_argument("--clips", required=True, help="clips.json")
    ap.add_argument("--audio", required=True, help="folder of the clip WAVs")
    ap.add_argument("--out", required=True, help="output folder, e.g. golden/whisper-tiny.en-synthetic")
    ap.add_argument("--max-new-tokens", type=int, default=0,
                    help="cap on generated tokens (the synthetic model never emits end-of-text); 0 = none")
    ap.add_argument("--full-clips", default="",
                    help="comma-separated clip ids stored without frame reduction (logits keep their id "
                         "reduction), or 'all'")
    ap.add_argument("--frame-stride", type=int, default=64, help="keep every Nth frame outside speech")
    ap.add_argument("--vocab-stride", type=int, default=64, help="keep every Nth vocabulary id of logits")
    ap.add_argument("--top-k", type=int, default=16, help="also keep each step's top-k logit ids")
    args = ap.parse_args()

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
    except (OSError, json.JSONDecodeError) as e:
        fail(f"{args.clips}: {e}")

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
    index = {"clips": {}}
    for clip in clips:
        tensors, layout = export_clip(clip, args, model, fe, rec, torch, np, clip["id"] in full_ids)
        name = os.path.splitext(clip["file"])[0] + ".safetensors"
        path = os.path.join(args.out, name)
        save_file(tensors, path, metadata={"clip": clip["id"], "exporter_version": str(EXPORTER_VERSION)})
        wav = os.path.join(args.audio, clip["file"])
        index["clips"][clip["id"]] = {
            "set": clip["set"], "sentence": clip["sentence"], "wav": clip["file"], "wav_sha256": sha256(wav),
            "golden": name, "golden_sha256": sha256(path), "full": clip["id"] in full_ids, "stages": layout,
            "greedy_tokens": tensors["greedy.tokens"].tolist(),
        }
        print(f"export_golden: {clip['id']} {clip['sentence']!r}: {len(tensors)} tensors, "
              f"{os.path.getsize(path) / 1e6:.2f} MB", flush=True)

    cfg_files = ["config.json", "generation_config.json", "preprocessor_config.json"]
    index = {
        "exporter_version": EXPORTER_VERSION,
        "model": os.path.basename(os.path.normpath(args.out)),
        "model_sha256": sha256(os.path.join(args.model, "model.safetensors")),
        "config_sha256": {f: sha256(os.path.join(args.model, f)) for f in cfg_files},
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__,
                     "numpy": np.__version__, "python": platform.python_version()},
        "settings": {"attn_implementation": model.config._attn_implementation, "torch_threads": 1,
                     "max_new_tokens": args.max_new_tokens or None, "frame_stride": args.frame_stride,
                     "vocab_stride": args.vocab_stride, "top_k": args.top_k,
                     "full_clips": sorted(full_ids), "beams": 5,
                     "audio": "int16 / 32768 (as librosa.load for 16 kHz 16-bit PCM)"},
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
