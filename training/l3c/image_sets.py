"""The image sets that evaluations measure: the validation split, Kodak (reporting only,
never trained or tuned on), or any folder; and the centre crops that periodic validation
measures."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .data import ImageSet, list_images, load_rgb, load_split
from .paths import CACHE, DEFAULT_DATA, SHARED


def load_folder(root: Path) -> ImageSet:
    names = list_images(root)
    return ImageSet(names, [load_rgb(root / n) for n in names])


def load_named_set(name: str, data: Path = DEFAULT_DATA) -> ImageSet:
    """"val" (the validation split of `data`), "kodak", or a folder."""
    if name == "val":
        return load_split(data, "val", CACHE)
    return load_folder(SHARED / "kodak" if name == "kodak" else Path(name))


def center_crop(img: np.ndarray, c: int) -> np.ndarray:
    if not c:
        return img
    h, w = img.shape[:2]
    y, x = max(0, (h - c) // 2), max(0, (w - c) // 2)
    return img[y : y + c, x : x + c]
