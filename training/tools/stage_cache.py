"""Cache the integer pixel-stage parameters of a model for a set of images (research aid).

Runs the exported integer graphs exactly as the codec does (tiles of --tile, edge padding,
planes 128 outside the tile) and writes, per image, one .npz holding for every tile its
pixels and, per pixel stage, the int32 parameter tensor (gh, gw, 12K) in coding order,
plus the tile's z bits. The adaptive-stage experiments read these files, so that the
networks run once per image instead of once per experiment.

    python tools/stage_cache.py --model ../models/l3c-pyramid-v2 --set val --set kodak --out /tmp/l3c-cache
    python tools/stage_cache.py ... --z1 mode      # the encoder policy z1 = mode of its prior
    python tools/stage_cache.py ... --set train --limit 120   # a seeded sample of the training split
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from l3c import intcdf  # noqa: E402
from l3c.data import ImageSet, is_validation, list_images, load_rgb  # noqa: E402
from l3c.image_sets import load_named_set  # noqa: E402
from l3c.intmodel import IntModel, z3_bits, z_bits  # noqa: E402
from l3c.paths import DEFAULT_DATA  # noqa: E402


def z_mode(prm: np.ndarray, C: int, K: int, L: int) -> np.ndarray:
    """The most probable level of every z symbol (lowest on ties), as the codec's zMode."""
    _, h, w, _ = prm.shape
    p = prm[0].reshape(h, w, 3, C, K).transpose(2, 3, 0, 1, 4)
    wts, mu, g = intcdf.prepare(L, p[0], p[1], p[2])
    bits = np.stack([intcdf.code_length_bits(np.full((C, h, w), v), L, wts, mu, g) for v in range(L)], 0)
    return bits.argmin(0)[None].astype(np.uint8)


def forward(model: IntModel, x: np.ndarray, h: int, w: int, z1_mode: bool):
    """IntModel.forward with the z1 encoder policy; returns (z bits, stage params)."""
    cfg = model.cfg
    C, K, L = cfg["C"], cfg["K"], cfg["L"]
    z1, z2, z3 = model.run("encoder", x=x.transpose(2, 0, 1)[None].astype(np.float32))
    o3 = model.run("dec3", z3=z3)
    _, h2, z1p, z1, f1 = model.dec2_dec1(z1, z2, o3[0], (lambda p: z_mode(p, C, K, L)) if z1_mode else None)
    bz = z3_bits(z3, cfg) + z_bits(z2, o3[1], C, K, L) + (z_bits(z1, z1p, C, K, L) if z1p is not None else 0.0)
    known = x.transpose(2, 0, 1).copy()
    known[:, h:, :] = 128
    known[:, :, w:] = 128
    feats = {3: o3[2], 2: h2, 1: f1}
    stages = [model.run("base", f=feats[3])[0]]
    for lv in (3, 2, 1):
        st = 2 ** (lv - 1)
        xl = known[:, ::st, ::st]
        pix = [np.ascontiguousarray(xl[:, 0::2, 0::2])]
        for p, (dy, dx) in enumerate(((1, 1), (0, 1), (1, 0)), start=1):
            stages.append(model.run(f"l{lv}p{p}", f=feats[lv], pix=np.concatenate(pix, 0)[None])[0])
            pix.append(np.ascontiguousarray(xl[:, dy::2, dx::2]))
    return bz, stages


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--set", action="append", default=[])
    p.add_argument("--tile", type=int, default=256)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--z1", choices=["encoder", "mode"], default="encoder", help="z1 policy (codec: mode for adapt models)")
    p.add_argument("--limit", type=int, default=120, help="--set train: images (seeded sample, camvid excluded)")
    a = p.parse_args()
    model = IntModel(a.model)
    for s in a.set:
        if s == "train":
            names = [n for n in list_images(DEFAULT_DATA) if not is_validation(n) and "camvid" not in n]
            names = [names[i] for i in np.random.default_rng(0).permutation(len(names))[: a.limit]]
            data = ImageSet([n.replace("/", "__") for n in names], [load_rgb(DEFAULT_DATA / n) for n in names])
        else:
            data = load_named_set(s)
        d = a.out / s
        d.mkdir(parents=True, exist_ok=True)
        index = []
        for name, img in zip(data.names, data.images):
            stem = Path(name).stem
            t0 = time.time()
            arrs = {}
            zb = []
            n = 0
            T = a.tile
            for y in range(0, img.shape[0], T):
                for x in range(0, img.shape[1], T):
                    tile = img[y : y + T, x : x + T]
                    h, w = tile.shape[:2]
                    xpad = np.pad(tile, ((0, (-h) % 8), (0, (-w) % 8), (0, 0)), mode="edge")
                    bz, stages = forward(model, xpad, h, w, a.z1 == "mode")
                    zb.append(bz)
                    arrs[f"t{n}_px"] = np.ascontiguousarray(tile)
                    for j, prm in enumerate(stages):
                        arrs[f"t{n}_s{j}"] = np.ascontiguousarray(prm[0].astype(np.int32))
                    n += 1
            arrs["zbits"] = np.array(zb)
            arrs["shape"] = np.array(img.shape)
            np.savez(d / f"{stem}.npz", **arrs)
            index.append({"name": stem, "h": img.shape[0], "w": img.shape[1], "tiles": n, "zbits": float(sum(zb))})
            print(f"{s} {stem} {img.shape} {time.time() - t0:.1f}s", flush=True)
        (d / "index.json").write_text(json.dumps(index, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
