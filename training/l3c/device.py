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


def bf16_trains(device: torch.device, cf: int) -> bool:
    """Whether bf16 autocast may be chosen automatically for a model of Cf feature channels.
    On the CPU (PyTorch 2 / oneDNN), Cf 24 did not learn at all under bf16 autocast (train
    bpsp flat at 5.9 for 650 steps from a pruned start, 8.5 from scratch) while the same
    runs in fp32 learned at once; Cf 32 and 48 train normally. So on the CPU automatic bf16
    is kept to Cf a multiple of 16 (--bf16 on still forces it)."""
    return bf16_supported(device) and (device.type == "cuda" or cf % 16 == 0)
