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


def _ste_round_half_up(x: torch.Tensor) -> torch.Tensor:
    """floor(x + 1/2), as the integer requantization rounds (ties are common there)."""
    return x + (torch.floor(x + 0.5) - x).detach()


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
        q = torch.clamp(_ste_round_half_up(x / s), self.qmin, self.qmax)
        return q * s

    def freeze_scale(self) -> None:
        if self.fixed_scale is None:
            hi = float(self.observed) if float(self.observed) > 0 else 1.0
            self.scale.fill_(hi / (127.0 if self.signed else 255.0))


class QConv(nn.Conv2d):
    """A 'same'-padded conv whose weights the integer decoder holds as int8.

    When the input quantizers (`in_quants`, one per input part: an ActQ or a fixed scale)
    and the output scale (`out_quant`: an ActQ, or a per-channel tensor for parameter
    outputs) are wired, each output channel's weight scale is chosen so that
    accumulator scale / output scale is a power of two: the integer requantization is
    then a single rounding shift (see onnx_builder.py). This costs at most one bit of
    weight resolution, which quantization-aware training absorbs.
    """

    def __init__(self, cin: int, cout: int, k: int, dilation: int = 1, in_splits=None):
        super().__init__(cin, cout, k, padding=dilation * (k // 2), dilation=dilation)
        self.in_splits = tuple(in_splits) if in_splits else (cin,)
        self.qat = False
        self.in_quants: list | None = None
        self._out: list = [None]  # a plain list: the quantizer must not become a submodule

    @property
    def out_quant(self):
        """The output quantizer (ActQ) or per-channel output scales (tensor), or None."""
        return self._out[0]

    def wire(self, in_quants: list, out_quant) -> None:
        """Set the input quantizers (ActQ or fixed scales) and the output quantizer/scales.
        (A method, not attribute assignment: nn.Module would register an ActQ as a child.)"""
        self.in_quants = list(in_quants)
        self._out[0] = out_quant

    def part_input_scales(self) -> list[float]:
        if self.in_quants is None:
            return [1.0] * len(self.in_splits)
        return [float(q.scale) if isinstance(q, ActQ) else float(q) for q in self.in_quants]

    def out_scales(self) -> torch.Tensor | None:
        q = self.out_quant
        if q is None:
            return None
        if isinstance(q, ActQ):
            return torch.full((self.out_channels,), float(q.scale), dtype=torch.float64, device=self.weight.device)
        return q.to(self.weight.device, torch.float64)

    def shifts(self) -> torch.Tensor | None:
        """Per-channel k with accumulator scale = out scale * 2^-k (None: unconstrained)."""
        so = self.out_scales()
        if so is None or self.in_quants is None:
            return None
        w = self.weight.detach().double()
        in_s = self.part_input_scales()
        o = 0
        need = []
        for n, s_in in zip(self.in_splits, in_s):
            need.append(w[:, o : o + n].abs().amax(dim=(1, 2, 3)) * s_in / 127.0)
            o += n
        acc_min = torch.stack(need, 1).amax(1).clamp_min(1e-30)  # smallest accumulator scale
        return torch.floor(-torch.log2(acc_min / so))

    def weight_scales(self) -> torch.Tensor:
        """(cout, parts) scales s.t. s[:, p] * input_scale[p] is equal across parts."""
        in_s = self.part_input_scales()
        k = self.shifts()
        if k is not None:
            acc = self.out_scales() * torch.pow(2.0, -k)
        else:
            w = self.weight.detach()
            maxes = []
            o = 0
            for n, s_in in zip(self.in_splits, in_s):
                maxes.append(w[:, o : o + n].abs().amax(dim=(1, 2, 3)).double() * s_in)
                o += n
            acc = torch.stack(maxes, 1).amax(1).clamp_min(1e-12) / 127.0
        return torch.stack([acc / s_in for s_in in in_s], 1).to(self.weight.dtype)

    def quantized_weight(self) -> torch.Tensor:
        s = self.weight_scales()
        parts = []
        o = 0
        for p, n in enumerate(self.in_splits):
            sp = s[:, p].view(-1, 1, 1, 1)
            parts.append(torch.clamp(_ste_round(self.weight[:, o : o + n] / sp), -127, 127) * sp)
            o += n
        return torch.cat(parts, 1)

    def acc_scales(self) -> torch.Tensor:
        """Per-output-channel accumulator scale (weight scale x input scale)."""
        return self.weight_scales()[:, 0] * self.part_input_scales()[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.qat:
            return super().forward(x)
        bias = self.bias
        if self.in_quants is not None:
            # The integer decoder adds the bias in accumulator units: round it the same way.
            acc = self.acc_scales().to(bias.dtype)
            bias = _ste_round(bias / acc) * acc
        return F.conv2d(x, self.quantized_weight(), bias, self.stride, self.padding, self.dilation)


def set_mode(model: nn.Module, mode: str) -> None:
    """'float' | 'calib' | 'qat' for the decoder side: every ActQ and QConv outside the
    encoders (`enc.*`, which stay float: their output z is transmitted, not recomputed)."""
    for name, m in model.named_modules():
        if name == "enc" or name.startswith("enc."):
            continue
        if isinstance(m, ActQ):
            if mode == "qat" and m.mode == "calib":
                m.freeze_scale()
            m.mode = mode
        if isinstance(m, QConv):
            m.qat = mode == "qat"
