"""Quantization points for integer inference (float identity until QAT is enabled)."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class ActQ(nn.Module):
    """An activation that the integer decoder holds as 8 bits.

    Unsigned (after ReLU): uint8 with zero point 0; signed: uint8 with zero point 128.
    """

    def __init__(self, signed: bool = False, fixed_scale: float | None = None):
        super().__init__()
        self.signed = signed
        self.fixed_scale = fixed_scale
        self.enabled = False

    def forward(self, x):
        return x


class QConv(nn.Conv2d):
    """A 'same'-padded conv whose weights the integer decoder holds as int8.

    in_splits: sizes of concatenated input parts that carry different activation
    scales (the weights of each part are quantized with their own scale).
    """

    def __init__(self, cin: int, cout: int, k: int, dilation: int = 1, in_splits=None):
        super().__init__(cin, cout, k, padding=dilation * (k // 2), dilation=dilation)
        self.in_splits = tuple(in_splits) if in_splits else (cin,)
