"""What candidate architectures cost to decode (their speed; their bpsp needs training).

For each configuration: an untrained L3C (seeded init, calibrated on synthetic images, as
l3c.fixture does) exported to integer ONNX graphs like a shipped model; then its multiply-adds
per pixel, counted from every decode-side ConvInteger's weights at its resolution. Time them
with the product's runtime: `npm run bench:profile -- <image> --model <name>` with
L3C_MODELS_DIR=<out> (its "networks s" column; the entropy column is that of an untrained model).

    .venv/bin/python tools/arch_cost.py --out /tmp/l3c-arch [--only cf48b4,cf32b2]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from l3c.model import L3C, ModelConfig  # noqa: E402
from l3c.fixture import calibrate_synthetic  # noqa: E402
from l3c.onnx_export import export  # noqa: E402

CANDIDATES = {
    "cf48b4": dict(Cf=48, B=4),  # the shipped shape (l3c-pyramid-v5)
    "cf48b2": dict(Cf=48, B=2),
    "cf48b4h24": dict(Cf=48, B=4, head_ch=24),
    "cf32b4": dict(Cf=32, B=4),
    "cf32b2": dict(Cf=32, B=2),
    "cf24b2": dict(Cf=24, B=2),
    # fast-model candidates (l3c-fast-v1 is cf32b2k5)
    "cf32b2k5": dict(Cf=32, B=2, K=5),
    "cf32b1k5": dict(Cf=32, B=1, K=5),
    "cf32b2h16k5": dict(Cf=32, B=2, head_ch=16, K=5),
    "cf32b1h16k3": dict(Cf=32, B=1, head_ch=16, K=3),
    "cf32b2h16k3": dict(Cf=32, B=2, head_ch=16, K=3),
    "cf24b1h16k3": dict(Cf=24, B=1, head_ch=16, K=3),
}

# decode-side graphs and the resolution (1 / 2^s of the image side) of their convolutions
ROLE_SCALE = {"dec3": 3, "dec2": 2, "dec1": 1, "base": 3}
for lv in (3, 2, 1):
    for p in (1, 2, 3):
        ROLE_SCALE[f"l{lv}p{p}"] = lv


def conv_macs(g: onnx.ModelProto, role: str, tile: int) -> int:
    """Multiply-adds of every ConvInteger of one graph run on a tile x tile tile."""
    side = tile >> ROLE_SCALE[role]
    for i in g.graph.input:
        dims = i.type.tensor_type.shape.dim
        for k in (2, 3):
            dims[k].ClearField("dim_param")
            dims[k].dim_value = side
    g = onnx.shape_inference.infer_shapes(g)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in g.graph.value_info}
    inits = {i.name: i for i in g.graph.initializer}
    total = 0
    for n in g.graph.node:
        if n.op_type == "ConvInteger":
            w = numpy_helper.to_array(inits[n.input[1]])
            out = shapes[n.output[0]]
            assert all(out), (n.name, out)
            total += int(np.prod(w.shape[1:])) * int(np.prod(out[1:]))
    return total


def macs_per_pixel(d: Path, tile: int = 256) -> dict[str, float]:
    man = json.loads((d / "manifest.json").read_text())
    out = {}
    for role, f in man["files"].items():
        if role == "encoder":
            continue
        out[role] = conv_macs(onnx.load(d / f["file"]), role, tile) / tile**2
    return out


def make(name: str, kw: dict, out: Path) -> dict:
    torch.manual_seed(1234)
    model = calibrate_synthetic(L3C(ModelConfig(rgb_context="pyramid", **{"K": 10, **kw})))
    return export(model.eval(), out, name, {"note": f"untrained cost probe {kw}; made by tools/arch_cost.py"})


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--only", default="")
    a = p.parse_args()
    names = [n for n in CANDIDATES if not a.only or n in a.only.split(",")]
    print("| candidate | config | decode MACs per pixel | of which dec1+dec2+dec3 | heads |")
    print("|---|---|---|---|---|")
    for n in names:
        make(n, CANDIDATES[n], a.out)
        m = macs_per_pixel(a.out / n)
        dec = sum(v for k, v in m.items() if k.startswith("dec"))
        heads = sum(v for k, v in m.items() if not k.startswith("dec"))
        print(f"| {n} | {CANDIDATES[n]} | {(dec + heads) / 1e3:.1f} k | {dec / 1e3:.1f} k | {heads / 1e3:.1f} k |", flush=True)
    (a.out / "default").write_text(names[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
