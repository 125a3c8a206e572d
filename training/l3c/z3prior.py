"""Give an exported model a static z3 prior, as a new model (new id).

    python -m l3c.z3prior --model ../models/l3c-pyramid-v1 --name l3c-pyramid-v2

z(3) is coded without context; with no table the codec spends log2(L) bits on each
symbol. This runs the model's own ONNX encoder (what the codec runs) on 512 px crops of
the training split (never Kodak, never the validation split), counts each channel's z(3)
levels, and writes `config.z3_cdf`: per channel a 16-bit CDF with every level's
frequency >= 1 (so any z(3) stays codable) and the rest in proportion to the counts.
The graphs are copied unchanged; the manifest (and so the model id) is new.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np

from .data import DataError, load_split
from .intmodel import IntModel
from .manifest import write_manifest
from .paths import CACHE, DEFAULT_DATA

TOTAL = 1 << 16


def counts_to_cdf(counts: np.ndarray) -> list[int]:
    """Counts (L,) -> CDF (L + 1,) from 0 to 65536, every frequency >= 1."""
    n = len(counts)
    spare = TOTAL - n
    freq = 1 + np.floor(counts * spare / max(1, counts.sum())).astype(np.int64)
    freq[int(np.argmax(counts))] += TOTAL - int(freq.sum())
    cdf = np.concatenate([[0], np.cumsum(freq)])
    assert cdf[-1] == TOTAL and np.all(np.diff(cdf) >= 1)
    return [int(v) for v in cdf]


def z3_counts(model: IntModel, images: list[np.ndarray], crop: int) -> np.ndarray:
    C, L = model.cfg["C"], model.cfg["L"]
    counts = np.zeros((C, L), dtype=np.int64)
    for img in images:
        h, w = img.shape[:2]
        t = img[: min(h, crop) // 8 * 8, : min(w, crop) // 8 * 8]
        if t.shape[0] < 8 or t.shape[1] < 8:
            continue
        x = t.transpose(2, 0, 1)[None].astype(np.float32)
        _, _, z3 = model.run("encoder", x=x)
        q = z3[0].reshape(C, -1).astype(np.int64)
        for c in range(C):
            counts[c] += np.bincount(q[c], minlength=L)[:L]
    return counts


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, required=True, help="exported model folder")
    p.add_argument("--name", required=True, help="name of the new model folder")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--images", type=int, default=300, help="training images to sample")
    p.add_argument("--crop", type=int, default=512)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    try:
        train = load_split(a.data, "train", CACHE)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    model = IntModel(a.model, threads=0)
    idx = np.random.default_rng(a.seed).choice(len(train.images), min(a.images, len(train.images)), replace=False)
    counts = z3_counts(model, [train.images[i] for i in sorted(idx)], a.crop)
    table = [counts_to_cdf(c) for c in counts]
    L = model.cfg["L"]
    n = counts.sum()
    bits = -sum(
        float(np.sum(counts[c] * np.log2(np.diff(table[c]) / TOTAL))) for c in range(len(table))
    )
    print(f"z3: {int(n)} symbols from {len(idx)} training images; {bits / n:.4f} bits/symbol "
          f"with the table vs {np.log2(L):.4f} uniform", file=sys.stderr)

    out = a.model.parent / a.name
    if out.exists():
        print(f"error: {out} exists", file=sys.stderr)
        return 2
    out.mkdir()
    manifest = json.loads((a.model / "manifest.json").read_text())
    for f in manifest["files"].values():
        shutil.copyfile(a.model / f["file"], out / f["file"])
    manifest["name"] = a.name
    manifest["config"]["z3_cdf"] = table
    manifest["z3_prior"] = {
        "from_model": hashlib.sha256((a.model / "manifest.json").read_bytes()).hexdigest(),
        "training_images": len(idx),
        "crop": a.crop,
        "seed": a.seed,
        "bits_per_symbol": round(bits / n, 4),
    }
    print(f"wrote {out} (model id {write_manifest(out, manifest)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
