#!/usr/bin/env python3
"""Check that two train_micro.py runs are bitwise identical: every weight and optimiser moment in
their checkpoints, and every logged loss over the steps both logged.

Usage: check_repro.py WORK_A WORK_B   (each a --work folder; their checkpoints at the same step)
"""
import os
import sys

import torch


def flat(state, prefix=""):
    if torch.is_tensor(state):
        yield prefix, state
    elif isinstance(state, dict):
        for k in sorted(state, key=str):
            yield from flat(state[k], f"{prefix}.{k}")
    elif isinstance(state, (list, tuple)):
        for i, v in enumerate(state):
            yield from flat(v, f"{prefix}[{i}]")
    else:
        yield prefix, state


def losses(work):
    with open(os.path.join(work, "log.tsv")) as f:
        return {r.split("\t")[0]: float(r.split("\t")[1]) for r in f if r[0].isdigit()}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = (torch.load(os.path.join(w, "ckpt.pt")) for w in sys.argv[1:])
    if a["step"] != b["step"]:
        sys.exit(f"check_repro: checkpoints at different steps ({a['step']} vs {b['step']})")
    fa, fb = dict(flat(a)), dict(flat(b))
    differ = [k for k in fa if k not in fb or (torch.is_tensor(fa[k]) and not torch.equal(fa[k], fb[k]))
              or (not torch.is_tensor(fa[k]) and fa[k] != fb[k])]
    la, lb = losses(sys.argv[1]), losses(sys.argv[2])
    common = sorted(set(la) & set(lb), key=int)
    loss_differ = [s for s in common if la[s] != lb[s]]
    n_tensors = sum(torch.is_tensor(v) for v in fa.values())
    print(f"check_repro: step {a['step']}: {n_tensors} tensors, {len(differ)} differ; "
          f"{len(common)} logged losses, {len(loss_differ)} differ")
    for s in common[:: max(1, len(common) // 4)] + common[-1:]:
        print(f"  step {s}: {la[s]!r} vs {lb[s]!r}")
    sys.exit(1 if differ or loss_differ else 0)


if __name__ == "__main__":
    main()
