#!/usr/bin/env python3
"""HF transformers on the lab clips, for make bench: median seconds of the feature extractor,
the encoder and a 24-token greedy generate() (eager attention, N torch threads). Prints JSON.
Needs torch and transformers; exits non-zero when they cannot be imported (bench then skips).
Usage: bench_hf.py --model DIR [--clips N] [--threads N]"""
import argparse
import json
import statistics
import sys
import time
import wave


def read_wav(path, np):
    """The lab clips: 16 kHz mono 16-bit PCM (anything else is refused, not resampled)."""
    with wave.open(path, "rb") as w:
        if w.getframerate() != 16000 or w.getnchannels() != 1 or w.getsampwidth() != 2:
            sys.exit(f"bench_hf: {path}: not 16 kHz mono 16-bit PCM")
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--clips", type=int, default=24)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    import numpy as np
    import torch
    import transformers
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration

    torch.set_num_threads(args.threads)
    model = WhisperForConditionalGeneration.from_pretrained(args.model, attn_implementation="eager").eval()
    fe = WhisperFeatureExtractor.from_pretrained(args.model)
    t = {"features": [], "encoder": [], "generate_24": []}
    with torch.no_grad():
        for i in range(args.clips):
            audio = read_wav(f"data/audio/clip_{i % 24 + 1:02d}.wav", np)
            t0 = time.perf_counter()
            feats = fe(audio, sampling_rate=16000, return_tensors="pt").input_features
            t1 = time.perf_counter()
            model.model.encoder(feats)
            t2 = time.perf_counter()
            model.generate(feats, max_new_tokens=24)  # greedy, as whisperlab's decode above
            t3 = time.perf_counter()
            t["features"].append(t1 - t0)
            t["encoder"].append(t2 - t1)
            t["generate_24"].append(t3 - t2)
    out = {k: statistics.median(v) for k, v in t.items()}
    out["min"] = {k: min(v) for k, v in t.items()}
    out["version"] = transformers.__version__
    out["torch"] = torch.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
