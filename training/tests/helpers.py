from pathlib import Path

import numpy as np
from PIL import Image


def make_images(root: Path, n: int = 8, size: tuple[int, int] = (96, 80), seed: int = 0) -> Path:
    """Small smooth RGB test images with noise, in a folder layout like datasets/train."""
    rng = np.random.default_rng(seed)
    (root / "synthetic").mkdir(parents=True, exist_ok=True)
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    for i in range(n):
        base = 128 + 60 * np.sin(xx[..., None] / (5 + i) + np.arange(3)) + 40 * np.cos(yy[..., None] / (7 + i))
        img = np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(root / "synthetic" / f"img{i:02d}.png")
    return root
