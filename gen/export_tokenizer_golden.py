#!/usr/bin/env python3
"""Export tokenizer goldens from HF's slow WhisperTokenizer for whisperlab's C tokenizer.

Encodes every text (the clip sentences of clips.json and the torture list) and decodes every
token-id sequence (the torture list's, each text's own ids, and, with --sequences-from, every
`*.tokens` tensor of a decoding-golden folder) in each mode the engine offers: plain,
skip_special_tokens, decode_with_timestamps, and output_offsets. Written as one JSON file with
provenance (transformers version, SHA256 of the tokenizer files and of the inputs).

Needs: transformers >= 4.40 (the slow tokenizer only; no torch).
Usage: export_tokenizer_golden.py --model DIR --clips data/clips.json \
         --torture tests/data/tokenizer_torture.json [--sequences-from golden/NAME] --out FILE.json
"""
import argparse
import datetime
import glob
import hashlib
import json
import os
import platform
import struct
import sys

# Bump when what is exported changes: the C test then calls the goldens stale.
EXPORTER_VERSION = 1
TOKENIZER_FILES = ["vocab.json", "merges.txt", "added_tokens.json", "special_tokens_map.json",
                   "tokenizer_config.json"]


def fail(msg):
    print(f"export_tokenizer_golden: {msg}", file=sys.stderr)
    sys.exit(1)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def int32_tensors(path, suffix):
    """The int32 tensors of a safetensors file whose names end in suffix (header + raw bytes only)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in sorted(header.items()):
        if name == "__metadata__" or not name.endswith(suffix) or t["dtype"] != "I32":
            continue
        a, b = t["data_offsets"]
        out[name] = list(struct.unpack(f"<{(b - a) // 4}i", data[a:b]))
    return out


def decode_case(tok, ids, source):
    case = {"source": source, "ids": ids}
    for key, kw in (("text", {}), ("skip_special", {"skip_special_tokens": True}),
                    ("with_timestamps", {"decode_with_timestamps": True}),
                    ("skip_special_with_timestamps", {"skip_special_tokens": True,
                                                      "decode_with_timestamps": True})):
        case[key] = tok.decode(list(ids), **kw)
    off = tok.decode(list(ids), output_offsets=True)["offsets"]
    case["offsets"] = [{"text": o["text"], "start": float(o["timestamp"][0]), "end": float(o["timestamp"][1])}
                       for o in off]
    return case


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--model", required=True, help="HF model folder holding the tokenizer files")
    ap.add_argument("--clips", required=True, help="clips.json (its sentences are encoded)")
    ap.add_argument("--torture", required=True, help="JSON with 'texts' and 'sequences'")
    ap.add_argument("--sequences-from", default="", help="a decoding-golden folder: decode its *.tokens")
    ap.add_argument("--out", required=True, help="output JSON, e.g. golden/tokenizer/tokenizer.json")
    args = ap.parse_args()
    try:
        import transformers
        from transformers import WhisperTokenizer
    except ImportError as e:
        fail(f"needs transformers >= 4.40 ({e}); pip install transformers")
    for f in TOKENIZER_FILES:
        if not os.path.exists(os.path.join(args.model, f)):
            fail(f"{args.model}: model folder lacks {f}")
    try:
        clips = json.load(open(args.clips, encoding="utf-8"))
        torture = json.load(open(args.torture, encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        fail(str(e))

    tok = WhisperTokenizer.from_pretrained(args.model)  # the slow (Python) tokenizer, by name
    texts = [("clip " + c["id"], c["sentence"]) for c in clips["clips"] + clips.get("grammar_errors", [])]
    texts += [("torture %d" % i, t) for i, t in enumerate(torture["texts"])]
    encode = []
    sequences = [("torture %d" % i, s) for i, s in enumerate(torture["sequences"])]
    for source, text in texts:
        ids = tok.encode(text, add_special_tokens=False)
        encode.append({"source": source, "text": text, "ids": ids,
                       "ids_with_special": tok(text).input_ids})
        sequences.append((source + " ids", ids))
        sequences.append((source + " first half", ids[:len(ids) // 2]))  # may split a UTF-8 character
    inputs = {"clips": sha256(args.clips), "torture": sha256(args.torture)}
    if args.sequences_from:
        for path in sorted(glob.glob(os.path.join(args.sequences_from, "*.safetensors"))):
            for name, ids in int32_tensors(path, "tokens").items():
                sequences.append((f"{os.path.basename(path)} {name}", ids))
        inputs["sequences_from"] = sha256(os.path.join(args.sequences_from, "index.json"))
    decode = [decode_case(tok, ids, source) for source, ids in sequences]

    out = {
        "exporter_version": EXPORTER_VERSION,
        "tokenizer_class": type(tok).__name__,
        "tokenizer_sha256": {f: sha256(os.path.join(args.model, f)) for f in TOKENIZER_FILES},
        "inputs_sha256": inputs,
        "versions": {"transformers": transformers.__version__, "python": platform.python_version()},
        "command": " ".join(["gen/export_tokenizer_golden.py"] + sys.argv[1:]),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "encode": encode,
        "decode": decode,
    }
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=True)
        f.write("\n")
    print(f"export_tokenizer_golden: {len(encode)} texts, {len(decode)} sequences -> {args.out}")


if __name__ == "__main__":
    main()
