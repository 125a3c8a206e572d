"""Bits per sub-pixel of a model's likelihood on image sets.

    python -m l3c.evaluate --ckpt runs/main/checkpoint.pt --set val --set kodak
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .data import DataError, ImageSet, list_images, load_rgb, load_split
from .model import L3C, ModelConfig

SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets"


def pad_to(x: torch.Tensor, m: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    ph, pw = (-h) % m, (-w) % m
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    return x


@torch.no_grad()
def image_bits(model: L3C, img: np.ndarray, device, bf16: bool) -> tuple[float, float]:
    """(bits of x, bits of z) for one HxWx3 uint8 image; x bits only on real pixels."""
    h, w = img.shape[:2]
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float().to(device)
    xp = pad_to(x, 2 ** model.cfg.S).contiguous(memory_format=torch.channels_last)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        zs, _ = model.encode(xp)
        feats, hs = model.decode_all(zs)
    import math
    from . import mixture

    cfg = model.cfg
    bz = zs[-1][0].numel() * math.log2(cfg.L)
    for s in range(1, cfg.S):
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            p = model.z_heads[s - 1](feats[s])
        logits, means, ls = model.split_z(p)
        v = (zs[s - 1].float() + 1.0) * ((cfg.L - 1) / 2.0)
        bz -= float(mixture.log_prob(v, logits, means, ls, cfg.L).sum()) / mixture.LN2
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        lp = model.rgb_log_prob(xp, feats[0], hs)
    bx = -float(lp[..., :h, :w].sum()) / mixture.LN2
    return bx, bz


def center_crop(img: np.ndarray, c: int) -> np.ndarray:
    if not c:
        return img
    h, w = img.shape[:2]
    y, x = max(0, (h - c) // 2), max(0, (w - c) // 2)
    return img[y : y + c, x : x + c]


def evaluate_set(model: L3C, data: ImageSet, device, crop: int = 0, bf16: bool = False) -> dict:
    model.eval()
    tot_x = tot_z = 0.0
    n = 0
    per = []
    for name, img in zip(data.names, data.images):
        img = center_crop(img, crop)
        bx, bz = image_bits(model, img, device, bf16)
        sp = img.size
        per.append((name, (bx + bz) / sp))
        tot_x += bx
        tot_z += bz
        n += sp
    model.train()
    if n == 0:
        return {"bpsp": float("nan"), "bpsp_x": float("nan"), "bpsp_z": float("nan"), "subpixels": 0, "images": []}
    return {"bpsp": (tot_x + tot_z) / n, "bpsp_x": tot_x / n, "bpsp_z": tot_z / n, "subpixels": n, "images": per}


def load_folder(root: Path) -> ImageSet:
    names = list_images(root)
    return ImageSet(names, [load_rgb(root / n) for n in names])


def load_model(ckpt: Path) -> L3C:
    ck = torch.load(ckpt, map_location="cpu", weights_only=False)
    model = L3C(ModelConfig(**ck["config"]))
    model.load_state_dict(ck["model"])
    return model.eval()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", type=Path, required=True)
    p.add_argument("--set", action="append", default=[], help="val | kodak | <folder> (repeatable)")
    p.add_argument("--data", type=Path, default=SHARED / "train")
    p.add_argument("--crop", type=int, default=0)
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--per-image", action="store_true")
    a = p.parse_args(argv)
    model = load_model(a.ckpt)
    device = torch.device("cpu")
    sets = a.set or ["val"]
    print(f"| set | images | bpsp | x | z |\n|---|---|---|---|---|")
    for s in sets:
        try:
            if s == "val":
                data = load_split(a.data, "val", Path(__file__).resolve().parents[1] / ".cache")
            elif s == "kodak":
                data = load_folder(SHARED / "kodak")
            else:
                data = load_folder(Path(s))
        except DataError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        r = evaluate_set(model, data, device, crop=a.crop, bf16=a.bf16)
        print(f"| {s} | {len(data.images)} | {r['bpsp']:.4f} | {r['bpsp_x']:.4f} | {r['bpsp_z']:.4f} |", flush=True)
        if a.per_image:
            for name, b in r["images"]:
                print(f"|   {name} | | {b:.4f} | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
