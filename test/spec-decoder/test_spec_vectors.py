"""Runs the independent spec decoder over the conformance vectors (test/vectors)."""
import hashlib
import json
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
VEC = os.path.join(REPO, "test", "vectors")

from l3c_errors import L3CError  # noqa: E402
from l3c_decode import decode  # noqa: E402
from l3c_rangecoder import Decoder, Encoder  # noqa: E402
from l3c_mixture import prepare, Cdf, shift_g, shift_b  # noqa: E402

# Cases not implemented (or too slow to run by default) are listed here and skipped.
NOT_IMPLEMENTED = {}  # every case of test/vectors is implemented

CASES = sorted(d for d in os.listdir(VEC) if os.path.isfile(os.path.join(VEC, d, "case.json")))


def load(name):
    with open(os.path.join(VEC, name, "case.json")) as f:
        case = json.load(f)
    files = {}
    for fn, sha in case["sha256"].items():
        with open(os.path.join(VEC, name, fn), "rb") as f:
            b = f.read()
        assert hashlib.sha256(b).hexdigest() == sha, f"{name}/{fn}: SHA-256 mismatch"
        files[fn] = b
    return case, files


@pytest.mark.parametrize("name", CASES)
def test_vector(name):
    if name in NOT_IMPLEMENTED:
        pytest.skip(NOT_IMPLEMENTED[name])
    case, files = load(name)
    kind = case["kind"]
    if kind == "decode":
        data = files[case["input"]]
        exp = case["expect"]
        if "error" in exp:
            with pytest.raises(L3CError) as ei:
                decode(data)
            assert ei.value.code == exp["error"]
        else:
            dirs = [os.path.join(REPO, case["models"])] if "models" in case else None
            w, h, ch, px = decode(data, dirs)
            assert (w, h, ch) == (exp["width"], exp["height"], exp["channels"])
            assert px == files[exp["reference"]]
    elif kind == "range-coder":
        data = files[case["input"]]
        cdfs = case["cdfs"]
        dec = Decoder(data)
        for idx, sym in case["symbols"]:
            assert dec.decode_table(cdfs[idx]) == sym
        enc = Encoder()
        for idx, sym in case["symbols"]:
            c = cdfs[idx]
            enc.encode(c[sym], c[sym + 1] - c[sym])
        assert enc.finish() == data
    elif kind == "mixture-cdf":
        for cs in case["cases"]:
            n, k = cs["n"], cs["k"]
            assert len(cs["logits"]) == k
            w, M, g = prepare(n, cs["logits"], cs["means"], cs["logScales"], cs["shifts"])
            assert Cdf(n, w, M, g).table() == cs["cdf"]
        for cs in case["coefShifts"]:
            assert shift_g(cs["alpha"], cs["xR"]) == cs["shiftG"]
            assert shift_b(cs["beta"], cs["gamma"], cs["xR"], cs["xG"]) == cs["shiftB"]
    else:
        pytest.fail(f"unknown kind {kind}")


def _with_tile_padding(data, extra):
    """Appends `extra` bytes to the last tile's payload (byte_length and header CRC fixed up)."""
    import struct
    import zlib
    from l3c_container import parse_header
    hd = parse_header(data)
    t = hd.tile_count - 1
    b = bytearray(data)
    bl, pcrc = struct.unpack_from("<II", b, 56 + 8 * t)
    struct.pack_into("<I", b, 56 + 8 * t, bl + len(extra))
    struct.pack_into("<I", b, 56 + 8 * hd.tile_count, zlib.crc32(bytes(b[:56 + 8 * hd.tile_count])))
    return bytes(b) + extra


def test_bytes_after_last_symbol_are_ignored():
    """SPEC.md §2.6: bytes after a coded tile's last symbol are neither read nor rejected."""
    case, files = load("model-tiny-gray")
    data = _with_tile_padding(files[case["input"]], b"\xff\x00\x55")
    w, h, ch, px = decode(data)
    assert px == files[case["expect"]["reference"]]
