"""l3c.z3prior: valid 16-bit tables whatever the counts, and the bits they imply."""

import math

import numpy as np

from l3c.intmodel import z3_bits
from l3c.z3prior import counts_to_cdf


def test_tables_are_valid_for_any_counts():
    for counts in (np.zeros(25), np.eye(25)[3] * 1e6, np.arange(25) ** 3, np.ones(25)):
        cdf = counts_to_cdf(np.asarray(counts, dtype=np.int64))
        assert cdf[0] == 0 and cdf[-1] == 65536 and len(cdf) == 26
        assert all(b > a for a, b in zip(cdf, cdf[1:]))


def test_z3_bits_uses_the_table_and_falls_back_to_uniform():
    L, C = 25, 2
    z3 = np.full((1, C, 4, 4), 3, dtype=np.uint8)
    cfg = {"L": L, "C": C}
    assert math.isclose(z3_bits(z3, cfg), z3.size * math.log2(L))
    cdf = counts_to_cdf(np.eye(L, dtype=np.int64)[3] * 1000)
    cfg["z3_cdf"] = [cdf] * C
    f = cdf[4] - cdf[3]
    assert math.isclose(z3_bits(z3, cfg), z3.size * (16 - math.log2(f)))
    assert z3_bits(z3, cfg) < 0.01 * z3.size
