"""Bits per sub-pixel of a checkpoint's float model (its likelihood) on image sets.

    python -m l3c.evaluate --ckpt runs/main/checkpoint.pt --set val --set kodak
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from .checkpoints import load_model
from .data import DataError
from .image_sets import load_named_set
from .likelihood import evaluate_set
from .paths import DEFAULT_DATA


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", type=Path, required=True)
    p.add_argument("--set", action="append", default=[], help="val | kodak | <folder> (repeatable)")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--crop", type=int, default=0)
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--per-image", action="store_true")
    a = p.parse_args(argv)
    model = load_model(a.ckpt)
    device = torch.device("cpu")
    sets = a.set or ["val"]
    print("| set | images | bpsp | x | z |\n|---|---|---|---|---|")
    for s in sets:
        try:
            data = load_named_set(s, a.data)
        except DataError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        r = evaluate_set(model, data, device, crop=a.crop, bf16=a.bf16)
        print(f"| {s} | {len(data.images)} | {r['bpsp']:.4f} | {r['bpsp_x']:.4f} | {r['bpsp_z']:.4f} |", flush=True)
        if a.per_image:
            for name, b in r["images"]:
                print(f"|   {name} | | {b:.4f} | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
