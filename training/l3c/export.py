"""Export a QAT checkpoint as a model folder: ONNX graphs (a float encoder, integer
decoders; onnx_export.py) and manifest.json, whose SHA-256 is the id streams name.

    python -m l3c.export --ckpt runs/main/qat.pt --out ../models --name l3c-phase4
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .checkpoints import load_qat_model
from .onnx_export import export
from .paths import MODELS


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", type=Path, required=True, help="QAT checkpoint (l3c.qat)")
    p.add_argument("--out", type=Path, default=MODELS)
    p.add_argument("--name", required=True)
    a = p.parse_args(argv)
    m = export(load_qat_model(a.ckpt), a.out, a.name)
    print(f"model id {m['id']}")
    for role, f in m["files"].items():
        print(f"  {role:8s} {f['file']} ({f['bytes']} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
