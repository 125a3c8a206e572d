"""Cache the integer pixel-stage parameters of a model for a set of images (research aid).

Runs the exported integer graphs exactly as the codec does (tiles of --tile, edge padding,
planes 128 outside the tile) and writes, per image, one .npz holding for every tile its
pixels and, per pixel stage, the int32 parameter tensor (gh, gw, 12K) in coding order,
plus the tile's z bits. The adaptive-stage experiments read these files, so that the
networks run once per image instead of once per experiment.

    python tools/stage_cache.py --model ../models/l3c-pyramid-v2 --set val --set kodak --out /work/cache
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from l3c.image_sets import load_named_set  # noqa: E402
from l3c.intmodel import IntModel, z3_bits, z_bits  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--set", action="append", default=[])
    p.add_argument("--tile", type=int, default=256)
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args()
    model = IntModel(a.model)
    cfg = model.cfg
    C, K, L = cfg["C"], cfg["K"], cfg["L"]
    for s in a.set:
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
                    out = model.forward(xpad, h, w)
                    z1, z2, z3 = out["z"]
                    bz = z3_bits(z3, cfg) + z_bits(z2, out["zp"][1], C, K, L) + z_bits(z1, out["zp"][0], C, K, L)
                    zb.append(bz)
                    arrs[f"t{n}_px"] = np.ascontiguousarray(tile)
                    for j, (_, prm, _, _) in enumerate(out["stages"]):
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
