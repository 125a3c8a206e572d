"""NumPy port of the integer logistic-mixture CDF (shared/logistic-mixture.ts).

Vectorized over many symbols at once; used to measure the integer path's exact code
length. The tables are read from shared/mixture-tables.ts (the single source), and the
golden vectors in test/vectors/mixture-cdf/ pin both ports to the same results.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from .fixed_point import COEF_RANGE, LOG_SCALE_RANGE, LOGIT_RANGE
from .paths import ROOT

LOGIT_MIN, LOGIT_MAX = LOGIT_RANGE
LOG_SCALE_MIN, LOG_SCALE_MAX = LOG_SCALE_RANGE
COEF_MIN, COEF_MAX = COEF_RANGE


@lru_cache(maxsize=1)
def tables() -> tuple[np.ndarray, np.ndarray]:
    src = (ROOT / "shared" / "mixture-tables.ts").read_text()
    arrs = re.findall(r"new Int32Array\(\[([^\]]*)\]", src)
    sig, ex = (np.array([int(v) for v in a.replace("\n", " ").split(",") if v.strip()], dtype=np.int64) for a in arrs)
    assert sig.shape == (2049,) and ex.shape == (2561,)
    return sig, ex


def prepare(n: int, logits: np.ndarray, means: np.ndarray, log_scales: np.ndarray, shifts=None):
    """Clamp and convert (..., K) integer params to weights (sum 2^15), means, inverse scales.

    shifts: optional Q8 coefficient shifts added to the means before clamping.
    """
    sig, ex = tables()
    logits = np.clip(logits.astype(np.int64), LOGIT_MIN, LOGIT_MAX)
    m64 = means.astype(np.int64) + (0 if shifts is None else np.asarray(shifts, dtype=np.int64))
    mu = np.clip(m64, -256 * n, 512 * n)
    g = ex[512 + np.clip(log_scales.astype(np.int64), LOG_SCALE_MIN, LOG_SCALE_MAX)]
    m = logits.max(axis=-1, keepdims=True)
    e = ex[512 + np.minimum(m - logits, 2048)]
    E = e.sum(axis=-1, keepdims=True)
    w = (e << 15) // E
    kmax = np.argmax(logits == m, axis=-1)  # first index attaining the max
    rem = (1 << 15) - w.sum(axis=-1)
    np.put_along_axis(w, kmax[..., None], np.take_along_axis(w, kmax[..., None], -1) + rem[..., None], -1)
    return w, mu, g


def coef_shift(coef_q12, x) -> np.ndarray:
    """G: floor(clamp(alpha) (2 x_R - 255) / 32) in Q8 (numpy // is floor division)."""
    c = np.clip(np.asarray(coef_q12, dtype=np.int64), COEF_MIN, COEF_MAX)
    return (c * (2 * np.asarray(x, dtype=np.int64) - 255)) // 32


def coef_shift2(beta_q12, xr, gamma_q12, xg) -> np.ndarray:
    """B: floor((clamp(beta) (2 x_R - 255) + clamp(gamma) (2 x_G - 255)) / 32) in Q8."""
    b = np.clip(np.asarray(beta_q12, dtype=np.int64), COEF_MIN, COEF_MAX)
    g = np.clip(np.asarray(gamma_q12, dtype=np.int64), COEF_MIN, COEF_MAX)
    return (b * (2 * np.asarray(xr, dtype=np.int64) - 255) + g * (2 * np.asarray(xg, dtype=np.int64) - 255)) // 32


def cdf_at(v: np.ndarray, n: int, w: np.ndarray, mu: np.ndarray, g: np.ndarray) -> np.ndarray:
    """C(v) for integer v (...,) with prepared (..., K) components."""
    sig, _ = tables()
    v = v.astype(np.int64)
    b = (256 * v - 128)[..., None]
    d = b - mu
    q = (np.abs(d) * g) >> 13
    i = np.minimum(q >> 8, 2047)
    f = q & 255
    s = sig[i] + (((sig[i + 1] - sig[i]) * f) >> 8)
    s = np.where(q >= 524288, 1 << 20, s)
    s = np.where(d >= 0, s, (1 << 20) - s)
    F = (w * s).sum(axis=-1)
    c = ((F * (65536 - n)) >> 35) + v
    c = np.where(v <= 0, 0, c)
    return np.where(v >= n, 65536, c)


def code_length_bits(v: np.ndarray, n: int, w, mu, g) -> np.ndarray:
    """-log2 of the integer model's probability of each symbol v."""
    lo = cdf_at(v, n, w, mu, g)
    hi = cdf_at(v + 1, n, w, mu, g)
    return 16.0 - np.log2((hi - lo).astype(np.float64))
