"""Checkpoints, read and written in one place: a dict with the model's ``config`` and
``model`` (its state dict), and whatever the writer adds (train.py: optimizer, sampler and
RNG state, step; qat.py: validation results)."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from .model import L3C, ModelConfig
from .quant import set_mode


def read_checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


def save_checkpoint(path: Path, state: dict) -> None:
    """Atomically: a crash mid-write leaves the previous checkpoint."""
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def model_of(ck: dict, *, calibrated: bool = True) -> L3C:
    """The checkpoint's model. ``calibrated=False`` accepts a float checkpoint whose
    quantizers were never calibrated (no ``scale``/``observed`` buffers), as QAT starts from."""
    model = L3C(ModelConfig(**ck["config"]))
    if calibrated:
        model.load_state_dict(ck["model"])
        return model
    missing, unexpected = model.load_state_dict(ck["model"], strict=False)
    bad = [k for k in missing if not k.endswith((".scale", ".observed"))] + list(unexpected)
    if bad:
        raise RuntimeError(f"checkpoint does not match the model: {bad[:5]}")
    return model


def load_model(path: Path) -> L3C:
    """The float model of a checkpoint, for evaluation."""
    return model_of(read_checkpoint(path)).eval()


def load_qat_model(path: Path) -> L3C:
    """A QAT checkpoint's model with fake quantization on (what export.py turns into graphs)."""
    model = model_of(read_checkpoint(path))
    set_mode(model, "qat")
    return model.eval()


def _kept(name: str, dim: int, n_src: int, n_dst: int, src: dict, dst: ModelConfig) -> list[int]:
    """The source channels that a narrower model keeps along one dimension of a tensor:
    the first ones of every channel group, groups as the layers lay them out (an
    upsampler's 4 sub-pixel outputs per channel, a mixture head's three dilated branches,
    a pixel head's features followed by its pixels, the first K components of each
    parameter kind and channel of a mixture)."""
    if n_src == n_dst:
        return list(range(n_src))
    cf_src, cf_dst, k_src, k_dst = src["Cf"], dst.Cf, src["K"], dst.K
    head = name.startswith(("base_head.", "level_heads.", "phase_heads."))
    if ".out." in name and dim == 0 and (head or name.startswith("z_heads.")):
        kinds, chans = (4, 3) if head else (3, dst.C)  # model.split_rgb / split_z: (kind, channel, k)
        if n_src != kinds * chans * k_src or n_dst != kinds * chans * k_dst or k_dst > k_src:
            raise ValueError(f"{name}: cannot keep {n_dst} of {n_src} mixture outputs")
        return [(p * chans + c) * k_src + k for p in range(kinds) for c in range(chans) for k in range(k_dst)]
    if head and ".c1." in name and dim == 1:  # [features (Cf), pixels of earlier phases]
        return list(range(cf_dst)) + list(range(cf_src, n_src))
    if name.startswith("up.") and dim == 0 and n_src == 4 * cf_src:  # pixel_shuffle: c * 4 + r
        return [c * 4 + r for c in range(cf_dst) for r in range(4)]
    if name.startswith("z_heads.") and ".out." in name and dim == 1:  # three branches of Cf // 2
        return [g * (cf_src // 2) + i for g in range(3) for i in range(cf_dst // 2)]
    return list(range(n_dst))


def prune_start(model: L3C, path: Path) -> int:
    """Warm start of a narrower or shallower model (its Cf, head_ch, K or B smaller, the
    rest equal) from a checkpoint: every tensor the two share by name, cut to the model's
    shape by `_kept`; residual blocks beyond the model's B are dropped. Returns tensors copied."""
    ck = read_checkpoint(path)
    src = ck["model"]
    own = model.state_dict()
    n = 0
    for k, v in src.items():
        if k not in own:
            continue
        t = v
        for d in range(min(2, v.dim())):
            idx = _kept(k, d, v.shape[d], own[k].shape[d], ck["config"], model.cfg)
            t = t.index_select(d, torch.tensor(idx))
        if t.shape != own[k].shape:
            raise ValueError(f"{k}: cannot cut {tuple(v.shape)} to {tuple(own[k].shape)}")
        own[k].copy_(t)
        n += 1
    model.load_state_dict(own)
    return n


def warm_start(model: L3C, path: Path) -> int:
    """Copy weights of matching name and shape; a phase4 model's heads seed a pyramid
    model's heads (phase 0 -> base, phase p -> every level's phase p)."""
    src = read_checkpoint(path)["model"]
    mapped = dict(src)
    if model.cfg.rgb_context == "pyramid":
        for k, v in src.items():
            if k.startswith("phase_heads.0."):
                mapped["base_head." + k[len("phase_heads.0.") :]] = v
            elif k.startswith("phase_heads."):
                p, rest = k[len("phase_heads.") :].split(".", 1)
                for lv in range(1, model.cfg.S + 1):
                    mapped[f"level_heads.l{lv}p{p}.{rest}"] = v
    own = model.state_dict()
    n = 0
    for k, v in mapped.items():
        if k in own and own[k].shape == v.shape:
            own[k].copy_(v)
            n += 1
    model.load_state_dict(own)
    return n
