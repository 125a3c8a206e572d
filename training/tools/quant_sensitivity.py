"""Where does the float -> integer gap come from? Evaluates a QAT checkpoint on the
validation split (centre crops) with fake quantization switched off per module group.

    .venv/bin/python tools/quant_sensitivity.py --qat runs/pyramid/qat.pt [--limit 53]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from l3c.checkpoints import load_qat_model  # noqa: E402
from l3c.data import load_split  # noqa: E402
from l3c.likelihood import evaluate_set  # noqa: E402
from l3c.paths import CACHE, DEFAULT_DATA  # noqa: E402
from l3c.quant import ActQ, QConv  # noqa: E402

GROUPS = ("dec", "z_heads", "up", "base_head", "level_heads", "pix_q")


def configure(model, float_groups=(), what="both"):
    """Fake-quant everywhere on the decoder side except `float_groups` (weights, activations or both)."""
    for name, m in model.named_modules():
        if name.startswith("enc"):
            continue
        top = name.split(".")[0]
        off = top in float_groups
        if isinstance(m, ActQ):
            m.mode = "float" if off and what in ("both", "act") else "qat"
        if isinstance(m, QConv):
            m.qat = not (off and what in ("both", "weight"))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--qat", type=Path, required=True)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--limit", type=int, default=53)
    p.add_argument("--crop", type=int, default=256)
    a = p.parse_args()
    torch.set_grad_enabled(False)
    model = load_qat_model(a.qat).eval()
    val = load_split(a.data, "val", CACHE)
    val.names, val.images = val.names[: a.limit], val.images[: a.limit]
    dev = torch.device("cpu")

    def run(label, groups=(), what="both"):
        t = time.time()
        configure(model, groups, what)
        r = evaluate_set(model, val, dev, crop=a.crop)
        print(f"| {label} | {r['bpsp']:.4f} | {r['bpsp_x']:.4f} | {r['bpsp_z']:.4f} | {time.time() - t:.0f} s |", flush=True)
        return r["bpsp"]

    print(f"| decoder side ({len(val.images)} val crops of {a.crop}) | bpsp | x | z | time |\n|---|---|---|---|---|")
    run("all fake-quantized (= integer path)")
    run("all float (QAT weights)", GROUPS)
    for g in GROUPS:
        run(f"{g} float, rest quantized", (g,))
    for g in ("dec", "level_heads"):
        run(f"{g} activations float", (g,), "act")
        run(f"{g} weights float", (g,), "weight")
    return 0


if __name__ == "__main__":
    sys.exit(main())
