"""Training data: decode the lossless WebP set once into a cache, then sample crops.

The validation split is fixed by a hash of each file's relative path, so it never
changes between runs or machines. Kodak is never read here.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

IMAGE_EXTS = (".webp", ".png", ".ppm", ".tif", ".tiff", ".bmp")
# Folders with known compression traces are sampled less (see datasets/README.md).
FOLDER_WEIGHT = {"camvid_segnet": 0.25}
VAL_MODULUS = 16  # 1 in 16 images (by path hash) is held out for validation


class DataError(Exception):
    """Raised for a missing or unusable data folder."""


def is_validation(rel_path: str) -> bool:
    h = int(hashlib.sha256(rel_path.encode()).hexdigest()[:8], 16)
    return h % VAL_MODULUS == 0 and not rel_path.startswith("camvid_segnet/")


def list_images(root: Path) -> list[str]:
    if not root.is_dir():
        raise DataError(
            f"training data folder not found: {root} (expected ../shared/datasets/train; "
            "pass --data to point elsewhere)"
        )
    files = sorted(
        str(p.relative_to(root)).replace(os.sep, "/")
        for p in root.rglob("*")
        if p.suffix.lower() in IMAGE_EXTS
    )
    if not files:
        raise DataError(f"no images ({', '.join(IMAGE_EXTS)}) under {root}")
    return files


def load_rgb(path: Path) -> np.ndarray:
    """Read an 8-bit RGB image as HxWx3 uint8 (grayscale is replicated)."""
    with Image.open(path) as im:
        if im.mode not in ("RGB", "L"):
            raise DataError(f"{path}: mode {im.mode} is not 8-bit RGB or grayscale")
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


@dataclass
class ImageSet:
    """Images held in memory as uint8 HxWx3 arrays."""

    names: list[str]
    images: list[np.ndarray]

    @property
    def pixels(self) -> int:
        return sum(a.shape[0] * a.shape[1] for a in self.images)


def load_split(root: Path, split: str, cache_dir: Path | None = None, min_side: int = 0) -> ImageSet:
    """Load the 'train' or 'val' split of `root`, using an .npz cache when given."""
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    names = [n for n in list_images(root) if is_validation(n) == (split == "val")]
    cache = None
    if cache_dir is not None:
        key = hashlib.sha256(("\n".join(names) + str(root.resolve())).encode()).hexdigest()[:16]
        cache = cache_dir / f"{split}-{key}.npz"
        if cache.exists():
            with np.load(cache) as z:
                images = [z[f"i{i}"] for i in range(len(names))]
            return _filter(ImageSet(names, images), min_side)
    images = [load_rgb(root / n) for n in names]
    if cache is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, **{f"i{i}": a for i, a in enumerate(images)})
        tmp.replace(cache)
    return _filter(ImageSet(names, images), min_side)


def _filter(s: ImageSet, min_side: int) -> ImageSet:
    keep = [i for i, a in enumerate(s.images) if min(a.shape[:2]) >= min_side]
    return ImageSet([s.names[i] for i in keep], [s.images[i] for i in keep])


class CropSampler:
    """Random crops with horizontal flips; images drawn by sqrt(area) x folder weight."""

    def __init__(self, data: ImageSet, crop: int, seed: int):
        if not data.images:
            raise DataError("no training images large enough for the crop size")
        self.data = data
        self.crop = crop
        w = np.array(
            [
                np.sqrt(a.shape[0] * a.shape[1]) * FOLDER_WEIGHT.get(n.split("/")[0], 1.0)
                for n, a in zip(data.names, data.images)
            ]
        )
        self.p = w / w.sum()
        self.rng = np.random.default_rng(seed)

    def state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, st: dict) -> None:
        self.rng.bit_generator.state = st

    def batch(self, n: int, crop: int | None = None) -> np.ndarray:
        c = crop or self.crop
        out = np.empty((n, c, c, 3), dtype=np.uint8)
        idx = self.rng.choice(len(self.p), size=n, p=self.p)
        for j, i in enumerate(idx):
            a = self.data.images[i]
            h, w = a.shape[:2]
            if h < c or w < c:
                a = np.pad(a, ((0, max(0, c - h)), (0, max(0, c - w)), (0, 0)), mode="edge")
                h, w = a.shape[:2]
            y = int(self.rng.integers(0, h - c + 1))
            x = int(self.rng.integers(0, w - c + 1))
            crop_ = a[y : y + c, x : x + c]
            if self.rng.random() < 0.5:
                crop_ = crop_[:, ::-1]
            out[j] = crop_
        return out
