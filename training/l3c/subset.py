"""Build a small, exact subset of the training data to carry to a lent GPU machine.

    python -m l3c.subset --out .gpu-data --budget-mb 30 --crop 160

The device tool carries at most ~40 MiB, far less than the 164 MB training set, so every
training image contributes one random crop (pixels unchanged, re-encoded as lossless WebP
under the same relative path, so the validation split by path hash stays the same; a
source that is not WebP gets ".webp" appended, which moves it between splits), and
every validation image contributes its centre `--val-crop` crop, which is exactly what
periodic validation measures. Crops shrink until the train part fits `--budget-mb`.
Never run this on Kodak.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from .data import DataError, is_validation, list_images, load_rgb
from .image_sets import center_crop
from .paths import DEFAULT_DATA


def webp_lossless(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="WEBP", lossless=True, quality=100, method=4, exact=True)
    return buf.getvalue()


def dest(out: Path, rel: str) -> Path:
    return out / (rel if rel.lower().endswith(".webp") else rel + ".webp")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--budget-mb", type=float, default=30.0, help="size limit of the train crops")
    p.add_argument("--crop", type=int, default=160, help="largest train crop side")
    p.add_argument("--val-crop", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    try:
        names = list_images(a.data)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(a.seed)
    train, val = [n for n in names if not is_validation(n)], [n for n in names if is_validation(n)]
    val_bytes = 0
    for n in val:
        img = center_crop(load_rgb(a.data / n), a.val_crop)
        dst = dest(a.out, n)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(b := webp_lossless(np.ascontiguousarray(img)))
        val_bytes += len(b)
    images = {n: load_rgb(a.data / n) for n in train}
    crop, total = a.crop, 0
    while True:
        blobs = []
        for n in train:
            img = images[n]
            h, w = img.shape[:2]
            c_h, c_w = min(crop, h), min(crop, w)
            y = int(rng.integers(0, h - c_h + 1))
            x = int(rng.integers(0, w - c_w + 1))
            blobs.append((n, webp_lossless(np.ascontiguousarray(img[y : y + c_h, x : x + c_w]))))
        total = sum(len(b) for _, b in blobs)
        if total <= a.budget_mb * 1e6 or crop <= 128:
            break
        crop -= 8
    for n, b in blobs:
        dst = dest(a.out, n)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(b)
    print(f"{len(train)} train crops of <= {crop}px ({total / 1e6:.1f} MB), "
          f"{len(val)} validation centre crops ({val_bytes / 1e6:.1f} MB) in {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
