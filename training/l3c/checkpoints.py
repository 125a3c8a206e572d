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
