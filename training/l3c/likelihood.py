"""Bits per sub-pixel of the float model's likelihood on image sets (evaluate.py is the
command; training validates with it)."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from . import mixture
from .data import ImageSet
from .fixed_point import z_half
from .image_sets import center_crop
from .model import L3C


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
    cfg = model.cfg
    bz = zs[-1][0].numel() * math.log2(cfg.L)
    for s in range(1 + model.z1_free(), cfg.S):
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            p = model.z_heads[s - 1](feats[s])
        logits, means, ls = model.split_z(p)
        v = (zs[s - 1].float() + 1.0) * z_half(cfg.L)
        bz -= float(mixture.log_prob(v, logits, means, ls, cfg.L).sum()) / mixture.LN2
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        lp = model.rgb_log_prob(xp, feats[0], hs)
    bx = -float(lp[..., :h, :w].sum()) / mixture.LN2
    return bx, bz


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
