"""Exact integer-path bpsp of an exported model: its ONNX graphs and the integer CDFs, tile
by tile as the codec codes (intmodel.py).

    python -m l3c.intpath --model ../models/<name> --set val --set kodak
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .data import DataError
from .image_sets import load_named_set
from .intmodel import IntModel, evaluate
from .paths import DEFAULT_DATA


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, required=True, help="exported model folder (manifest.json)")
    p.add_argument("--set", action="append", default=[], help="val | kodak | <folder> (repeatable)")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--tile", type=int, default=512)
    p.add_argument("--crop", type=int, default=0)
    a = p.parse_args(argv)
    model = IntModel(a.model)
    print("| set | images | bpsp (integer path) | x | z |\n|---|---|---|---|---|")
    for s in a.set or ["val"]:
        try:
            data = load_named_set(s, a.data)
        except DataError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        r = evaluate(model, data, a.tile, a.crop)
        print(f"| {s} | {len(data.images)} | {r['bpsp']:.4f} | {r['bpsp_x']:.4f} | {r['bpsp_z']:.4f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
