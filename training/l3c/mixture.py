"""Discretized logistic mixtures (float, for training) in symbol units.

A sub-pixel or a z symbol is an integer v in [0, n). Each mixture component has a
mean and a log-scale in symbol units, so the same code serves x (n = 256) and z (n = L).
The integer CDF that the decoder uses is specified in shared/logistic-mixture.ts; the
parameter ranges below are the clamps that spec applies, so training sees them too.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .fixed_point import COEF_ONE, COEF_RANGE, LOG_SCALE_ONE, LOG_SCALE_RANGE

# The clamps of the fixed-point formats (fixed_point.py), in float: -4 and 6 nats, |coef| <= 1.
LOG_SCALE_MIN = LOG_SCALE_RANGE[0] / LOG_SCALE_ONE
LOG_SCALE_MAX = LOG_SCALE_RANGE[1] / LOG_SCALE_ONE
COEF_MAX = COEF_RANGE[1] / COEF_ONE
LN2 = math.log(2.0)


def log_prob(v: torch.Tensor, logits: torch.Tensor, means: torch.Tensor, log_scales: torch.Tensor, n: int) -> torch.Tensor:
    """log p(v) (nats) of a discretized logistic mixture.

    v: (B, C, H, W) float holding integers in [0, n) (may carry straight-through grads).
    logits, means, log_scales: (B, C, K, H, W). Returns (B, C, H, W).
    """
    v = v.unsqueeze(2)
    log_scales = log_scales.clamp(LOG_SCALE_MIN, LOG_SCALE_MAX)
    inv_s = torch.exp(-log_scales)
    centered = v - means
    plus = inv_s * (centered + 0.5)
    minus = inv_s * (centered - 0.5)
    log_cdf_plus = plus - F.softplus(plus)  # log sigma(plus), for v = 0
    log_one_minus_cdf_minus = -F.softplus(minus)  # log(1 - sigma(minus)), for v = n-1
    cdf_delta = torch.sigmoid(plus) - torch.sigmoid(minus)
    mid = inv_s * centered
    log_pdf_mid = mid - log_scales - 2.0 * F.softplus(mid)  # log density x bin width 1
    log_mid = torch.where(cdf_delta > 1e-5, torch.log(cdf_delta.clamp_min(1e-12)), log_pdf_mid)
    lp = torch.where(v < 0.5, log_cdf_plus, torch.where(v > n - 1.5, log_one_minus_cdf_minus, log_mid))
    return torch.logsumexp(lp + F.log_softmax(logits, dim=2), dim=2)


def rgb_means(means: torch.Tensor, coefs: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Shift G and B means by the known R (and G) values (PixelCNN++ coefficients).

    means: (B, 3, K, H, W) symbol units; coefs: (B, 3, K, H, W) (alpha G<-R, beta B<-R,
    gamma B<-G), clamped to [-1, 1]; x: (B, 3, H, W) integer pixel values 0..255.
    mu_G += alpha (x_R - 127.5); mu_B += beta (x_R - 127.5) + gamma (x_G - 127.5).
    """
    c = coefs.clamp(-COEF_MAX, COEF_MAX)
    xr = (x[:, 0:1] - 127.5).unsqueeze(2)
    xg = (x[:, 1:2] - 127.5).unsqueeze(2)
    mr = means[:, 0:1]
    mg = means[:, 1:2] + c[:, 0:1] * xr
    mb = means[:, 2:3] + c[:, 1:2] * xr + c[:, 2:3] * xg
    return torch.cat([mr, mg, mb], dim=1)
