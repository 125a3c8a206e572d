"""The integer path: run exported ONNX graphs and measure exact code lengths.

This mirrors what the TypeScript codec does per tile: pad the tile to a multiple of 8
by edge replication, run the encoder for z(1..3), then the integer decoders and heads;
z(3) uses the model's static z3_cdf tables (uniform without them), z(2), z(1) and the
pixel stages (stages.py) use the integer mixture CDF (l3c/intcdf.py, identical to
shared/logistic-mixture.ts). Only real pixels are coded. The command: intpath.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import onnxruntime as ort

from . import intcdf
from .image_sets import center_crop
from .stages import pixel_stages


class IntModel:
    def __init__(self, model_dir: Path, threads: int = 0, opt_level: str = "all"):
        self.dir = model_dir
        self.manifest = json.loads((model_dir / "manifest.json").read_text())
        self.cfg = self.manifest["config"]
        so = ort.SessionOptions()
        if threads:
            so.intra_op_num_threads = threads
        so.graph_optimization_level = {
            "disabled": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
            "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        }[opt_level]
        self.sess = {
            role: ort.InferenceSession(str(model_dir / f["file"]), so, providers=["CPUExecutionProvider"])
            for role, f in self.manifest["files"].items()
        }

    def run(self, role: str, **feeds):
        return self.sess[role].run(None, feeds)

    def named(self, role: str, **feeds) -> dict[str, np.ndarray]:
        """One graph's outputs by name."""
        names = [o.name for o in self.sess[role].get_outputs()]
        return dict(zip(names, self.run(role, **feeds)))

    def dec2_dec1(self, z1: np.ndarray | None, z2: np.ndarray, f3: np.ndarray, z1_policy=None):
        """D(2) then D(1): (f2, h2, z1 params or None, the z1 D(1) saw, f1). A model with
        config z1 "none" codes no z(1): D(1) sees the middle level everywhere. Otherwise
        z1_policy (e.g. the prior's mode) may replace the encoder's z1 from its params."""
        o2 = self.named("dec2", z2=z2, f3=f3)
        if self.cfg.get("z1", "coded") == "none":
            z1p = None
            z1 = np.full(z2.shape[:2] + (z2.shape[2] * 2, z2.shape[3] * 2), (self.cfg["L"] - 1) // 2, np.uint8)
        else:
            z1p = o2["z1_params"]
            if z1_policy is not None:
                z1 = z1_policy(z1p)
        (f1,) = self.run("dec1", z1=z1, f2=o2["f2"])
        return o2["f2"], o2.get("h2"), z1p, z1, f1

    def forward(self, x: np.ndarray, h: int | None = None, w: int | None = None):
        """x: (H, W, 3) uint8, H and W multiples of 8, the tile (h x w) edge-padded.

        The encoder sees the padded tile; pixel planes fed to the heads hold 128 outside
        the tile (the decoder cannot know padded values before it has decoded their
        sources). Returns z symbols, z params and the pixel stages: (role, params,
        sub-pixel values (3, gh, gw), (step, oy, ox)) in coding order.
        """
        H, W = x.shape[:2]
        h = H if h is None else h
        w = W if w is None else w
        xt = x.transpose(2, 0, 1)[None].astype(np.float32)
        z1, z2, z3 = self.run("encoder", x=xt)
        pyramid = self.cfg["rgb_context"] == "pyramid"
        o3 = self.run("dec3", z3=z3)
        f3, z2p = o3[0], o3[1]
        _, h2, z1p, z1, f1 = self.dec2_dec1(z1, z2, f3)
        known = x.transpose(2, 0, 1).copy()  # (3, H, W)
        known[:, h:, :] = 128
        known[:, :, w:] = 128
        feats = {3: o3[2], 2: h2, 1: f1} if pyramid else {1: f1}
        stages = []
        pix: list[np.ndarray] = []
        for st in pixel_stages(self.cfg["rgb_context"]):
            if st.opens_level:
                pix = [np.ascontiguousarray(known[:, :: st.step, :: st.step])]
            feeds = {st.feature_input: feats[st.level]}
            if st.phase:
                feeds["pix"] = np.concatenate(pix, 0)[None]
            (prm,) = self.run(st.role, **feeds)
            xp = np.ascontiguousarray(known[:, st.oy :: st.step, st.ox :: st.step])
            stages.append((st.role, prm, xp, (st.step, st.oy, st.ox)))
            pix.append(xp)
        return {"z": (z1, z2, z3), "zp": (z1p, z2p), "stages": stages, "f1": f1,
                "heads": [st[1] for st in stages]}


def z_bits(sym: np.ndarray, prm: np.ndarray, C: int, K: int, L: int) -> float:
    _, h, w, _ = prm.shape  # NHWC
    p = prm[0].reshape(h, w, 3, C, K).transpose(2, 3, 0, 1, 4)  # (3, C, h, w, K)
    wts, mu, g = intcdf.prepare(L, p[0], p[1], p[2])
    return float(intcdf.code_length_bits(sym[0].astype(np.int64), L, wts, mu, g).sum())


def rgb_bits(xp: np.ndarray, prm: np.ndarray, K: int, valid: np.ndarray) -> float:
    """xp: (3, h, w) pixel values of one phase; prm: (1, h, w, 12K) NHWC; valid: (h, w) bool."""
    _, h, w, _ = prm.shape
    p = prm[0].reshape(h, w, 4, 3, K).transpose(2, 3, 0, 1, 4).astype(np.int64)  # (4, 3, h, w, K)
    total = 0.0
    xr = xp[0][..., None]
    xg = xp[1][..., None]
    for c in range(3):
        shifts = None
        if c == 1:
            shifts = intcdf.coef_shift(p[3, 0], xr)
        elif c == 2:
            shifts = intcdf.coef_shift2(p[3, 1], xr, p[3, 2], xg)
        wts, mu, g = intcdf.prepare(256, p[0, c], p[1, c], p[2, c], shifts)
        bits = intcdf.code_length_bits(xp[c].astype(np.int64), 256, wts, mu, g)
        total += float(bits[valid].sum())
    return total


def z3_bits(z3: np.ndarray, cfg: dict) -> float:
    """Bits of z3 symbols (1, C, h, w): the model's static z3_cdf tables, else uniform."""
    table = cfg.get("z3_cdf")
    if table is None:
        return z3.size * math.log2(cfg["L"])
    cdf = np.asarray(table, dtype=np.int64)  # (C, L + 1)
    freq = np.diff(cdf, axis=1)  # (C, L)
    q = z3[0].reshape(z3.shape[1], -1).astype(np.int64)
    f = np.take_along_axis(freq, q, axis=1)
    return float(np.sum(16 - np.log2(f)))


def tile_bits(model: IntModel, tile: np.ndarray) -> tuple[float, float]:
    """(x bits, z bits) of one tile as the codec codes it."""
    cfg = model.cfg
    C, K, L = cfg["C"], cfg["K"], cfg["L"]
    h, w = tile.shape[:2]
    ph, pw = (-h) % 8, (-w) % 8
    xpad = np.pad(tile, ((0, ph), (0, pw), (0, 0)), mode="edge")
    out = model.forward(xpad, h, w)
    z1, z2, z3 = out["z"]
    bz = z3_bits(z3, cfg)
    bz += z_bits(z2, out["zp"][1], C, K, L)
    if out["zp"][0] is not None:
        bz += z_bits(z1, out["zp"][0], C, K, L)
    bx = 0.0
    for _, prm, xv, (step, oy, ox) in out["stages"]:
        ys = oy + step * np.arange(xv.shape[1])
        xs = ox + step * np.arange(xv.shape[2])
        valid = (ys[:, None] < h) & (xs[None, :] < w)
        bx += rgb_bits(xv, prm, K, valid)
    return bx, bz


def image_bits(model: IntModel, img: np.ndarray, tile: int = 512) -> tuple[float, float]:
    bx = bz = 0.0
    for y in range(0, img.shape[0], tile):
        for x in range(0, img.shape[1], tile):
            a, b = tile_bits(model, img[y : y + tile, x : x + tile])
            bx += a
            bz += b
    return bx, bz


def evaluate(model: IntModel, data, tile: int = 512, crop: int = 0) -> dict:
    tx = tz = 0.0
    n = 0
    for img in data.images:
        img = center_crop(img, crop)
        a, b = image_bits(model, img, tile)
        tx += a
        tz += b
        n += img.size
    return {"bpsp": (tx + tz) / n, "bpsp_x": tx / n, "bpsp_z": tz / n}
