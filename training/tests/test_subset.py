"""l3c.subset: the carried subset keeps pixels exact and the validation split intact."""

from pathlib import Path

import numpy as np
from PIL import Image

from l3c import subset
from l3c.data import is_validation, list_images, load_rgb
from l3c.image_sets import center_crop

from helpers import make_images


def _webp_set(root: Path, n: int) -> Path:
    src = make_images(root / "png", n=n, size=(72, 90))
    out = root / "webp"
    for rel in list_images(src):
        dst = out / (rel[: -len(".png")] + ".webp")
        dst.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(load_rgb(src / rel)).save(dst, lossless=True, exact=True)
    return out


def _contains(big: np.ndarray, small: np.ndarray) -> bool:
    h, w = small.shape[:2]
    return any(
        np.array_equal(big[y : y + h, x : x + w], small)
        for y in range(big.shape[0] - h + 1)
        for x in range(big.shape[1] - w + 1)
    )


def test_subset_crops_are_exact_and_keep_the_split(tmp_path):
    src = _webp_set(tmp_path, 40)
    names = list_images(src)
    assert any(is_validation(n) for n in names) and not all(is_validation(n) for n in names)
    out = tmp_path / "subset"
    assert subset.main(["--data", str(src), "--out", str(out), "--crop", "48", "--val-crop", "32"]) == 0
    assert list_images(out) == names
    for n in names:
        orig, got = load_rgb(src / n), load_rgb(out / n)
        if is_validation(n):
            assert np.array_equal(got, center_crop(orig, 32)), n
        else:
            assert got.shape == (48, 48, 3) and _contains(orig, got), n


def test_missing_folder_is_a_clear_error(tmp_path, capsys):
    assert subset.main(["--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "training data folder not found" in capsys.readouterr().err
