#!/usr/bin/env python3
"""Measure whisper-micro.en's gates with HF generate(), and choose its alignment heads.

Usage: eval_micro.py --model DIR --work DIR [--seed S] [--json OUT]
Sets: the lab's 24 clips and 5 grammar-error clips (data/audio), never trained on; `seen`
(held-out phrases, training voices) and `unseen` (held-out voices) from the training plan,
spoken again here with espeak-ng's word start times.
Gates: WER (lowercase, punctuation stripped), the predicted first/last timestamp against the
speech span (first/last sample at -40 dBFS, as make_corpus measures it), and whether the peaks
of the alignment heads' mean cross-attention (what token timestamps align) are non-decreasing
over the words, teacher-forced on the expected text.
Alignment heads are chosen on `seen` only: for each decoder head, the fraction of words whose
attention peak (when the word is predicted) falls inside that word's span [start of the word,
start of the next word or speech end]; heads scoring >= 0.5 of the best, at most 4.
"""
import argparse
import json
import os
import re
import wave

import numpy as np
import torch

import micro_data as data
import train_micro as tm

SPEECH_THRESHOLD = 328 / 32768.0


def words_of(text):
    return re.sub(r"[^a-z' ]", " ", text.lower()).split()


def wer(ref, hyp):
    r, h = words_of(ref), words_of(hyp)
    d = np.arange(len(h) + 1)
    for i, rw in enumerate(r, 1):
        prev, d[0] = d.copy(), i
        for j, hw in enumerate(h, 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (rw != hw))
    return int(d[len(h)]), len(r)


def span(pcm):
    idx = np.nonzero(np.abs(pcm) >= SPEECH_THRESHOLD)[0]
    return idx[0] / data.SAMPLE_RATE, (idx[-1] + 1) / data.SAMPLE_RATE


def lab_clips():
    d = json.load(open(os.path.join(tm.ROOT, "data", "clips.json")))
    out = []
    for c in d["clips"] + d["grammar_errors"]:
        with wave.open(os.path.join(tm.ROOT, "data", "audio", c["file"])) as w:
            pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
        s0, s1 = span(pcm)
        out.append(dict(id=c["file"][:-4], text=c["sentence"], pcm=pcm, start=s0, end=s1, words=None,
                        set="lab" if c["file"].startswith("clip") else "error"))
    return out


def plan_clips(seed, work):
    rows = data.plan(os.path.join(tm.ROOT, "data", "clips.json"), seed, tm.N_TRAIN, tm.N_VAL)
    rows = [r for r in rows if r[1] != "train"]
    clips = data.build_corpus(rows, os.path.join(tm.ROOT, "build", "make_corpus"), work)
    return [dict(id=k, text=c["row"][6], pcm=c["pcm"].astype(np.float32) / 32768, start=c["start"],
                 end=c["end"], words=c["words"], set=c["row"][1]) for k, c in sorted(clips.items())]


class Runner:
    def __init__(self, model_dir, transformers):
        self.model = transformers.WhisperForConditionalGeneration.from_pretrained(
            model_dir, attn_implementation="eager").eval()
        self.fe = transformers.WhisperFeatureExtractor.from_pretrained(model_dir)
        self.tok = transformers.WhisperTokenizer.from_pretrained(model_dir)

    def features(self, pcm):
        return self.fe(pcm, sampling_rate=data.SAMPLE_RATE, return_tensors="pt").input_features

    @torch.no_grad()
    def transcribe(self, pcm, timestamps):
        out = self.model.generate(self.features(pcm), return_timestamps=timestamps)
        return out[0].tolist()

    @torch.no_grad()
    def word_peaks(self, pcm, text, heads=None):
        """Per decoder layer and head, the attention peak (seconds) when each word is predicted;
        with heads, the peak of those heads' mean attention (what token timestamps align)."""
        ids = self.tok.encode(" " + text, add_special_tokens=False)
        prompt = [tm.SOT, tm.NOTS]
        inp = torch.tensor([prompt + ids])
        out = self.model(self.features(pcm), decoder_input_ids=inp, output_attentions=True)
        att = torch.stack(out.cross_attentions)[:, 0]  # [layers, heads, T, S]
        pieces = self.tok.convert_ids_to_tokens(ids)
        rows = [len(prompt) - 1 + i for i, p in enumerate(pieces) if p.startswith("\u0120")]
        if heads:
            mean = torch.stack([att[l, h] for l, h in heads]).mean(0)
            return mean[rows, :].argmax(-1).numpy() * 0.02  # [words]
        return att[:, :, rows, :].argmax(-1).numpy() * 0.02  # [layers, heads, words]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    tm.deterministic()
    import transformers
    transformers.logging.set_verbosity_error()
    run = Runner(args.model, transformers)
    clips = lab_clips() + plan_clips(args.seed, os.path.join(args.work, "eval_corpus"))

    # Alignment heads, chosen on `seen` only.
    seen = [c for c in clips if c["set"] == "seen"]
    L, H = run.model.config.decoder_layers, run.model.config.decoder_attention_heads
    hit, n = np.zeros((L, H)), 0
    for c in seen:
        peaks = run.word_peaks(c["pcm"], c["text"])
        bounds = c["words"][:peaks.shape[-1]] + [c["end"]]
        if len(bounds) != peaks.shape[-1] + 1:
            continue
        for w in range(peaks.shape[-1]):
            hit += (peaks[:, :, w] >= bounds[w] - 0.02) & (peaks[:, :, w] <= bounds[w + 1] + 0.02)
        n += peaks.shape[-1]
    score = hit / max(1, n)
    order = sorted(((score[l, h], l, h) for l in range(L) for h in range(H)), reverse=True)
    heads = [(l, h) for s, l, h in order[:4] if s >= 0.5 * order[0][0]]
    print("alignment score per decoder layer x head (fraction of words hit):")
    for l in range(L):
        print(f"  layer {l}: " + " ".join(f"{score[l, h]:.3f}" for h in range(H)))
    print("alignment heads:", ",".join(f"{l}:{h}" for l, h in heads))

    results = []
    for c in clips:
        text_ids = run.transcribe(c["pcm"], False)
        text = run.tok.decode(text_ids, skip_special_tokens=True).strip()
        ts_ids = run.transcribe(c["pcm"], True)
        ts = [round((t - tm.TS0) * 0.02, 2) for t in ts_ids if t >= tm.TS0]
        mono = bool(np.all(np.diff(run.word_peaks(c["pcm"], c["text"], heads)) >= 0))
        e, nw = wer(c["text"], text)
        results.append(dict(id=c["id"], set=c["set"], expected=c["text"], predicted=text, errors=e,
                            words=nw, start=c["start"], end=c["end"],
                            ts_start=ts[0] if ts else None, ts_end=ts[-1] if ts else None,
                            ts_text=run.tok.decode(ts_ids, skip_special_tokens=True).strip(),
                            monotone=bool(mono)))
    summary = {}
    for s in ["lab", "seen", "unseen", "error"]:
        rs = [r for r in results if r["set"] == s]
        ok_ts = [r["ts_start"] is not None and abs(r["ts_start"] - r["start"]) <= 0.1 and
                 abs(r["ts_end"] - r["end"]) <= 0.1 for r in rs]
        summary[s] = dict(clips=len(rs), wer=sum(r["errors"] for r in rs) / sum(r["words"] for r in rs),
                          timestamps_within_0_1s=float(np.mean(ok_ts)),
                          monotone=float(np.mean([r["monotone"] for r in rs])))
        print(f"{s:7s} {len(rs):4d} clips  WER {summary[s]['wer']:.4f}  timestamps within 0.1 s "
              f"{summary[s]['timestamps_within_0_1s']:.3f}  alignment-head peaks non-decreasing "
              f"{summary[s]['monotone']:.3f}")
    for r in results:
        if r["set"] in ("lab", "error"):
            print(f"  {r['id']}: {r['expected']!r:22} -> {r['predicted']!r:22} ts {r['ts_text']!r} "
                  f"[{r['ts_start']}, {r['ts_end']}] true [{r['start']:.3f}, {r['end']:.3f}]")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(heads=heads, head_scores=score.tolist(), summary=summary, clips=results), f,
                      indent=1)


if __name__ == "__main__":
    main()
