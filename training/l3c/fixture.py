"""Make the tiny test model committed under test/fixtures/models/tiny.

It is untrained (seeded random init, calibrated on synthetic images): it compresses
poorly but exercises every graph and code path of the codec in milliseconds.
    python -m l3c.fixture [name ...]    # default: tiny and tiny-phase4
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from .onnx_export import export
from .model import L3C, ModelConfig
from .paths import ROOT
from .quant import set_mode



def calibrate_synthetic(model: L3C) -> L3C:
    """Calibrate an untrained model's quantizers on four synthetic 64 x 64 images, then
    switch it to the integer (qat) path: ready for export."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:64]
    set_mode(model, "calib")
    with torch.no_grad():
        for i in range(4):
            img = 128 + 60 * np.sin(xx[..., None] / (4 + i) + np.arange(3)) + 40 * np.cos(yy[..., None] / (6 + i))
            img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255)
            model(torch.from_numpy(img).permute(2, 0, 1)[None].float())
    set_mode(model, "qat")
    return model


# name -> (rgb_context, z1); test/fixtures/models/tiny-z1none is derived from a "tiny-z1none-base"
# made here (test/vectors/README.md has the commands)
FIXTURES = {"tiny": ("pyramid", "coded"), "tiny-phase4": ("phase4", "coded"), "tiny-z1none-base": ("pyramid", "none")}


def make(out: Path = ROOT / "test" / "fixtures" / "models", arch: str = "pyramid", name: str = "tiny",
         z1: str = "coded") -> dict:
    torch.manual_seed(1234)
    model = L3C(ModelConfig(Cf=8, B=1, K=3, rgb_context=arch, z1=z1))
    # Make the encoder produce varied z so every z CDF is exercised.
    for e in model.enc:
        torch.nn.init.normal_(e.to_z.weight, std=0.3)
    calibrate_synthetic(model)
    return export(model.eval(), out, name, {"note": "untrained test fixture; made by python -m l3c.fixture"})


def main(argv: list[str] | None = None) -> int:
    names = (sys.argv[1:] if argv is None else argv) or ["tiny", "tiny-phase4"]
    for name in names:
        if name not in FIXTURES:
            print(f"unknown fixture {name}: expected one of {', '.join(FIXTURES)}", file=sys.stderr)
            return 2
        arch, z1 = FIXTURES[name]
        m = make(arch=arch, name=name, z1=z1)
        print(f"{name} fixture model id {m['id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
