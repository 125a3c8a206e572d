"""Quantization points for the integer decoder, and quantization-aware training (QAT).

The integer decoder holds every activation that flows between convolutions as 8 bits and
every decoder weight as int8 (see l3c/export.py for the exact integer arithmetic):

* `ActQ` marks an activation: unsigned (after ReLU; uint8, zero point 0) or signed
  (residual streams, pixels; uint8 with zero point 128). Its scale is calibrated on
  training data, then frozen. Modes: "float" (identity), "calib" (collect ranges),
  "qat" (fake-quantize with a straight-through gradient).
* `QConv` is a conv whose weights become int8 with one scale per output channel. When its
  input is a concatenation of parts with different activation scales (`in_splits`), each
  part gets its own weight scale so that all parts share one accumulator scale.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def _ste_round(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.round(x) - x).detach()


class ActQ(nn.Module):
    def __init__(self, signed: bool = False, fixed_scale: float | None = None):
        super().__init__()
        self.signed = signed
        self.fixed_scale = fixed_scale
        self.mode = "float"
        self.register_buffer("scale", torch.tensor(fixed_scale or 0.0))
        self.register_buffer("observed", torch.tensor(0.0))

    @property
    def qmin(self) -> int:
        return -128 if self.signed else 0

    @property
    def qmax(self) -> int:
        return 127 if self.signed else 255

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "float":
            return x
        if self.mode == "calib":
            with torch.no_grad():
                a = x.detach().float().abs().flatten()
                if a.numel() > 1_000_000:
                    a = a[torch.randint(0, a.numel(), (1_000_000,), device=a.device)]
                hi = torch.quantile(a, 0.9999)
                self.observed.copy_(torch.maximum(self.observed, hi))
            return x
        s = self.scale.to(x.dtype)
        q = torch.clamp(_ste_round(x / s), self.qmin, self.qmax)
        return q * s

    def freeze_scale(self) -> None:
        if self.fixed_scale is None:
            hi = float(self.observed) if float(self.observed) > 0 else 1.0
            self.scale.fill_(hi / (127.0 if self.signed else 255.0))


class QConv(nn.Conv2d):
    """A 'same'-padded conv whose weights the integer decoder holds as int8."""

    def __init__(self, cin: int, cout: int, k: int, dilation: int = 1, in_splits=None):
        super().__init__(cin, cout, k, padding=dilation * (k // 2), dilation=dilation)
        self.in_splits = tuple(in_splits) if in_splits else (cin,)
        self.qat = False
        # Activation quantizers of the input parts (set by the model when parts differ).
        self.in_quants: list[ActQ] | None = None

    def part_input_scales(self) -> list[float]:
        if self.in_quants is None or len(self.in_splits) == 1:
            return [1.0] * len(self.in_splits)
        return [float(q.scale) for q in self.in_quants]

    def weight_scales(self) -> torch.Tensor:
        """(cout, parts) scales s.t. s[:, p] * input_scale[p] is equal across parts."""
        w = self.weight.detach()
        in_s = self.part_input_scales()
        maxes = []
        o = 0
        for n, s_in in zip(self.in_splits, in_s):
            maxes.append(w[:, o : o + n].abs().amax(dim=(1, 2, 3)) * s_in)
            o += n
        acc = torch.stack(maxes, 1).amax(1).clamp_min(1e-12) / 127.0  # accumulator scale / 1
        return torch.stack([acc / s_in for s_in in in_s], 1)

    def quantized_weight(self) -> torch.Tensor:
        s = self.weight_scales()
        parts = []
        o = 0
        for p, n in enumerate(self.in_splits):
            sp = s[:, p].view(-1, 1, 1, 1)
            parts.append(torch.clamp(_ste_round(self.weight[:, o : o + n] / sp), -127, 127) * sp)
            o += n
        return torch.cat(parts, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.qat:
            return super().forward(x)
        return F.conv2d(x, self.quantized_weight(), self.bias, self.stride, self.padding, self.dilation)


def set_mode(model: nn.Module, mode: str) -> None:
    """'float' | 'calib' | 'qat' for every ActQ; QConv weights fake-quantized in 'qat'."""
    for m in model.modules():
        if isinstance(m, ActQ):
            if mode == "qat" and m.mode == "calib":
                m.freeze_scale()
            m.mode = mode
        if isinstance(m, QConv):
            m.qat = mode == "qat"
