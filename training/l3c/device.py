"""The device to train on, and whether bf16 autocast pays there."""

from __future__ import annotations

import torch


def bf16_supported(device: torch.device) -> bool:
    """CUDA with bf16, or a CPU with AVX-512 BF16 or AMX (without them bf16 is emulated: slower)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags
