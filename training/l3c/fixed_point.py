"""The fixed-point formats at the integer decoder's boundary, in one place.

Outputs: the mixture parameters leave the integer graphs as int32, ``round(p * mult +
add)`` of the float parameter p that the torch heads produce, in the formats that
shared/logistic-mixture.ts reads (intcdf.py is its NumPy port):

| parameter | format                                     | clamp (integer)                 |
|-----------|--------------------------------------------|---------------------------------|
| logit     | Q7                                         | [-32768, 32768]                 |
| mean      | Q8 symbol units (a pixel value, a z level) | [-256 n, 512 n] for n symbols   |
| log-scale | Q7 nats, in symbol units                   | [-512, 768]                     |
| RGB coef  | Q12                                        | [-4096, 4096]                   |

The float model reads means as ``p * half + half`` (z: half = (L - 1) / 2 levels; RGB:
half = 127.5), hence the mean's mult and add of 256 * half.

Inputs: z symbols enter the decoders as their level indices (uint8, zero point (L-1)/2,
scale 2 / (L - 1) in [-1, 1]); pixel planes enter the heads as uint8 pixels (zero point
128, scale 1/128).
"""

from __future__ import annotations

import numpy as np

LOGIT_ONE = 128.0
MEAN_ONE = 256.0
LOG_SCALE_ONE = 128.0
COEF_ONE = 4096.0
LOGIT_RANGE = (-32768, 32768)
LOG_SCALE_RANGE = (-512, 768)
COEF_RANGE = (-4096, 4096)
RGB_HALF = 127.5
"""Pixel values v in [0, 255] are p * 127.5 + 127.5 for p in [-1, 1]."""
PIXEL_SCALE = 1.0 / 128.0
PIXEL_ZERO_POINT = 128


def z_half(L: int) -> float:
    return (L - 1) / 2.0


def z_input_scale(L: int) -> float:
    """Scale of the z symbols fed to the decoders (levels in [-1, 1])."""
    return 2.0 / (L - 1)


def z_param_format(C: int, K: int, L: int) -> tuple[np.ndarray, np.ndarray]:
    """(mult, add) per output channel of a z head: [logits, means, log-scales] x C x K."""
    n, half = C * K, z_half(L)
    mult = np.concatenate([np.full(n, LOGIT_ONE), np.full(n, MEAN_ONE * half), np.full(n, LOG_SCALE_ONE)])
    add = np.concatenate([np.zeros(n), np.full(n, MEAN_ONE * half), np.zeros(n)])
    return mult, add


def rgb_param_format(K: int) -> tuple[np.ndarray, np.ndarray]:
    """(mult, add) per output channel of a pixel head: [logits, means, log-scales, coefs] x 3 x K."""
    n = 3 * K
    mult = np.concatenate(
        [np.full(n, LOGIT_ONE), np.full(n, MEAN_ONE * RGB_HALF), np.full(n, LOG_SCALE_ONE), np.full(n, COEF_ONE)]
    )
    add = np.concatenate([np.zeros(n), np.full(n, MEAN_ONE * RGB_HALF), np.zeros(n), np.zeros(n)])
    return mult, add
