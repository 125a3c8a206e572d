"""The float-exact forms (l3c/float_exact.py) equal their integer graphs bit for bit.

Every decode graph of the default model and of the test fixture models, on onnxruntime
(CPU) at threads 1 and 2 and every graph optimization level, on random and extreme
inputs (all 0, all 255, checkerboards); the committed files are what the command makes
now and forms.json names them with the manifest's hashes; graphs with no provable form
are refused with the graph and node named.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto as T

from l3c.float_exact import FORMS_FORMAT, NotExact, float_exact, write_forms
from l3c.manifest import sha256
from l3c.onnx_builder import GraphBuilder

ROOT = Path(__file__).resolve().parents[2]
MODELS = [ROOT / "models/l3c-pyramid-v9", *sorted((ROOT / "test/fixtures/models").glob("tiny*"))]
LEVELS = [
    ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
]


def _graphs():
    """(model, role, integer file, float file), each distinct integer graph once."""
    seen = set()
    out = []
    for d in MODELS:
        man = json.loads((d / "manifest.json").read_bytes())
        forms = json.loads((d / "forms.json").read_bytes())["float-exact"]
        for role, f in sorted(forms.items()):
            if f["of"] in seen:
                continue
            seen.add(f["of"])
            out.append(pytest.param(d / man["files"][role]["file"], d / f["file"], id=f"{d.name}-{role}"))
    return out


def _session(b: bytes, threads: int, level) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = level
    return ort.InferenceSession(b, so, providers=["CPUExecutionProvider"])


def _inputs(sess: ort.InferenceSession, h: int = 16, w: int = 24) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(23)
    shapes = {i.name: [d if isinstance(d, int) else (h if k == 2 else w) for k, d in enumerate(i.shape)]
              for i in sess.get_inputs()}
    yy, xx = np.mgrid[0:h, 0:w]
    board = ((yy + xx) % 2 * 255).astype(np.uint8)
    feeds = []
    for kind in ("random", "random2", "zeros", "255", "checker", "checker-channels"):
        f = {}
        for name, s in shapes.items():
            if kind.startswith("random"):
                a = rng.integers(0, 256, s, dtype=np.uint8)
            elif kind == "zeros":
                a = np.zeros(s, np.uint8)
            elif kind == "255":
                a = np.full(s, 255, np.uint8)
            elif kind == "checker":
                a = np.broadcast_to(board, s).copy()
            else:  # alternate 0/255 across channels too
                a = np.broadcast_to(board, s).copy()
                a[:, 1::2] = 255 - a[:, 1::2]
            f[name] = a
        feeds.append(f)
    return feeds


@pytest.mark.parametrize(("int_file", "float_file"), _graphs())
def test_float_form_equals_integer_graph(int_file: Path, float_file: Path):
    ref = _session(int_file.read_bytes(), 1, ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    fb = float_file.read_bytes()
    feeds = _inputs(ref)
    want = [ref.run(None, f) for f in feeds]
    names = [o.name for o in ref.get_outputs()]
    for threads in (1, 2):
        for level in LEVELS:
            s = _session(fb, threads, level)
            assert [o.name for o in s.get_outputs()] == names
            for f, exp in zip(feeds, want):
                got = s.run(None, f)
                for n, a, b in zip(names, exp, got):
                    assert a.dtype == b.dtype and a.shape == b.shape, n
                    assert np.array_equal(a, b), f"{float_file.name} {n} threads={threads} level={level}"


@pytest.mark.parametrize("d", MODELS, ids=lambda d: d.name)
def test_committed_forms_are_current_and_name_the_manifest_hashes(d: Path, tmp_path: Path):
    man = json.loads((d / "manifest.json").read_bytes())
    forms = json.loads((d / "forms.json").read_bytes())
    assert forms["format"] == FORMS_FORMAT
    assert set(forms["float-exact"]) == set(man["files"]) - {"encoder"}
    for role, f in forms["float-exact"].items():
        assert f["of"] == man["files"][role]["sha256"]
        b = (d / f["file"]).read_bytes()
        assert sha256(b) == f["sha256"]
        assert f["file"] == f"{role}-f32-{f['sha256'][:16]}.onnx"
    # Regenerating gives the same bytes (the files come from this module as it is).
    work = tmp_path / d.name
    work.mkdir()
    (work / "manifest.json").write_bytes((d / "manifest.json").read_bytes())
    for f in man["files"].values():
        (work / f["file"]).write_bytes((d / f["file"]).read_bytes())
    assert write_forms(work) == forms
    assert (work / "forms.json").read_bytes() == (d / "forms.json").read_bytes()


def test_the_int64_requantization_path_is_refused_with_graph_and_node():
    g = GraphBuilder("big")
    x = g.input("x", T.UINT8, [1, 4, "h", "w"])
    wq = np.full((2, 4, 3, 3), 100, np.int64)
    y = g.int_conv(x, 128, wq, np.zeros(2, np.int64), np.full(2, 1e-3), np.zeros(2), 1, "act")
    g.output(y, "y", T.UINT8, [1, 2, "h", "w"])
    with pytest.raises(NotExact, match=r"^big: node \w+ \(Mul\): constant c = \d+ is not below 2\^24"):
        float_exact(g.model(), "big")


def test_a_conv_whose_partial_sums_can_reach_2_24_is_refused():
    g = GraphBuilder("wide")
    x = g.input("x", T.UINT8, [1, 600, "h", "w"])
    acc = g.conv_integer(x, 0, np.full((1, 600, 3, 3), 127, np.int64), 1)
    g.output(acc, "acc", T.INT32, [1, 1, "h", "w"])
    with pytest.raises(NotExact, match=r"^wide: node acc_\d+ \(ConvInteger\): output channel 0: .* = 174879000, not below 2\^24"):
        float_exact(g.model(), "wide")


def test_truncating_division_of_a_signed_numerator_stays_truncation():
    """A Div whose numerator may be negative and whose consumer is no Clip: Sign Floor(Abs)."""
    g = GraphBuilder("trunc")
    x = g.input("x", T.UINT8, [1, 1, "h", "w"])
    acc = g.conv_integer(x, 128, np.array([[[[1]]]], np.int64), 1)
    y = g.op("Div", [acc, g.const(np.array(4, np.int32), "d")])
    g.output(y, "y", T.INT32, [1, 1, "h", "w"])
    m = g.model()
    fm = float_exact(m, "trunc")
    assert {"Sign", "Abs"} <= {n.op_type for n in fm.graph.node}
    xs = np.arange(256, dtype=np.uint8).reshape(1, 1, 16, 16)
    a = _session(m.SerializeToString(), 1, LEVELS[-1]).run(None, {"x": xs})[0]
    b = _session(fm.SerializeToString(), 1, LEVELS[-1]).run(None, {"x": xs})[0]
    assert np.array_equal(a, b) and a.min() < 0
