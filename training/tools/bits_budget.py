"""Where the bits go: the ideal code length of every pixel symbol, per stage (level and
phase) and channel, for adaptive schemes side by side, plus z's bits, per image set; and
every image's bpsp. Reads a stage cache (tools/stage_cache.py); compiles the product's
entropy core natively with -DL3C_BUDGET (its encoder sums -log2(frequency / 2^16) of each
pixel symbol per stage and channel; the bytes it writes are the product's).

    CACHE=/tmp/c-v5 python tools/bits_budget.py val,kodak [--adapt 0,3,4] [--images]

Pixel bits are ideal code lengths (the range coder adds ~0.01%); z bits come from the
cache (exact code lengths of z1 at its mode, z2 without adapt-3's stage, z3's table), so
schemes >= 3 over-count z2 by what its stage saves (see the model cards).
"""

from __future__ import annotations

import argparse
import ctypes as C
import os
import subprocess
import sys
import tempfile
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent / "adapt_research"))
from product import encode_image, load  # noqa: E402

NAMES = ["base (1/64)"] + [f"level {lv} phase {p}" for lv in (3, 2, 1) for p in (1, 2, 3)]
_lib = None


def build() -> str:
    out = Path(tempfile.gettempdir()) / "l3c-core-budget.so"
    src = ROOT / "shared" / "wasm" / "l3c-core.c"
    inc = ROOT / "shared" / "wasm" / "build"
    subprocess.run(["cc", "-O2", "-msse4.1", "-std=c11", "-ffp-contract=off", "-fno-fast-math", f"-I{inc}",
                    "-DL3C_BUDGET", "-shared", "-fPIC", "-o", str(out), str(src), "-lm"], check=True)
    return str(out)


def one(args):
    """(budget 10 x 3 bits, sub-pixels, z bits) of one cached image under one scheme."""
    global _lib
    so, path, adapt = args
    if _lib is None:
        _lib = load(so)
    budget = (C.c_double * 48).in_dll(_lib, "l3c_budget")
    for i in range(48):
        budget[i] = 0.0
    z = np.load(path)
    encode_image(_lib, z, adapt)
    bits = np.array(budget[:30]).reshape(10, 3)
    return bits, int(np.prod(z["shape"])), float(z["zbits"].sum())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sets", help="comma-separated sets of the cache, e.g. val,kodak")
    p.add_argument("--adapt", default="0,3,4", help="schemes to compare (0 none, 1..4)")
    p.add_argument("--images", action="store_true", help="also print every image's bpsp (last scheme)")
    p.add_argument("--procs", type=int, default=int(os.environ.get("PROCS", "2")))
    a = p.parse_args()
    so = build()
    cache = Path(os.environ.get("CACHE", "/tmp/l3c-cache"))
    schemes = [int(x) for x in a.adapt.split(",")]
    for s in a.sets.split(","):
        files = sorted((cache / s).glob("*.npz"))
        res = {}
        with Pool(a.procs) as pool:
            for ad in schemes:
                res[ad] = pool.map(one, [(so, str(f), ad) for f in files])
        N = sum(r[1] for r in res[schemes[0]])
        Z = sum(r[2] for r in res[schemes[0]])
        print(f"\n### {s}: {len(files)} images, bits per sub-pixel of the whole set\n")
        head = " | ".join(f"adapt {ad}" for ad in schemes)
        print(f"| stage | share of pixels | {head} | R / G / B (adapt {schemes[-1]}) |")
        print("|---|---|" + "---|" * len(schemes) + "---|")
        tot = {ad: sum(r[0] for r in res[ad]) for ad in schemes}
        share = [1 / 64] * 4 + [1 / 16] * 3 + [1 / 4] * 3
        for i, name in enumerate(NAMES):
            share_i = share[i]
            cells = " | ".join(f"{tot[ad][i].sum() / N:.4f}" for ad in schemes)
            rgb = " / ".join(f"{tot[schemes[-1]][i][c] / N:.4f}" for c in range(3))
            print(f"| {name} | {share_i:.4f} | {cells} | {rgb} |")
        for lv, rows in (("level 3 (all phases)", range(1, 4)), ("level 2", range(4, 7)), ("level 1", range(7, 10))):
            cells = " | ".join(f"{sum(tot[ad][i].sum() for i in rows) / N:.4f}" for ad in schemes)
            print(f"| **{lv}** | | {cells} | |")
        cells = " | ".join(f"{Z / N:.4f}" for _ in schemes)
        print(f"| z (z1 + z2 + z3, no z2 stage) | | {cells} | |")
        cells = " | ".join(f"**{(tot[ad].sum() + Z) / N:.4f}**" for ad in schemes)
        print(f"| **all** | | {cells} | |")
        if a.images:
            ad = schemes[-1]
            print(f"\n| image | bpsp (adapt {ad}, ideal, z included) | level 1 share of its bits |")
            print("|---|---|---|")
            for f, r in zip(files, res[ad]):
                b = r[0].sum() + r[2]
                print(f"| {f.stem} | {b / r[1]:.4f} | {r[0][7:].sum() / b:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
