"""The NumPy integer CDF port agrees with the TypeScript reference (golden vectors)."""

import json
from pathlib import Path

import numpy as np

from l3c import intcdf

VEC = Path(__file__).resolve().parents[2] / "test" / "vectors" / "mixture-cdf" / "case.json"


def test_matches_golden_mixture_vectors():
    cases = json.loads(VEC.read_text())["cases"]
    assert len(cases) >= 20
    for c in cases:
        n = c["n"]
        w, mu, g = intcdf.prepare(n, np.array(c["logits"]), np.array(c["means"]), np.array(c["logScales"]), c["shifts"])
        v = np.arange(n + 1)
        got = intcdf.cdf_at(v, n, np.broadcast_to(w, (n + 1, c["k"])), np.broadcast_to(mu, (n + 1, c["k"])), np.broadcast_to(g, (n + 1, c["k"])))
        assert got.tolist() == c["cdf"]


def test_matches_golden_coefficient_shifts():
    for c in json.loads(VEC.read_text())["coefShifts"]:
        assert int(intcdf.coef_shift(c["alpha"], c["xR"])) == c["shiftG"]
        assert int(intcdf.coef_shift2(c["beta"], c["xR"], c["gamma"], c["xG"])) == c["shiftB"]


def test_code_length_is_positive_and_finite():
    rng = np.random.default_rng(0)
    k, m = 10, 1000
    w, mu, g = intcdf.prepare(
        256, rng.integers(-300, 300, (m, k)), rng.integers(0, 256 * 256, (m, k)), rng.integers(-200, 600, (m, k))
    )
    bits = intcdf.code_length_bits(rng.integers(0, 256, m), 256, w, mu, g)
    assert np.all(bits > 0) and np.all(bits <= 16)
