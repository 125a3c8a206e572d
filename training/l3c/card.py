"""Write models/<name>/README.md: how the model was made and how well it does.

    python -m l3c.card --run runs/main --model ../models/<name> [--qat runs/main/qat.pt]

Measures bpsp on the validation split and Kodak for the float model (likelihood) and
for the exported integer path (exact integer CDFs, as the codec codes), and tabulates
the learning curve from the run's log.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

from .checkpoints import load_model, read_checkpoint
from .data import load_split
from .image_sets import load_folder
from .intmodel import IntModel
from .intmodel import evaluate as int_evaluate
from .likelihood import evaluate_set
from .paths import CACHE, SHARED


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", type=Path, required=True)
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--qat", type=Path)
    p.add_argument("--data", type=Path, default=SHARED / "train")
    p.add_argument("--command", action="append", default=[], help="exact commands that produced the model")
    p.add_argument("--notes", default="")
    p.add_argument("--prior-log", type=Path, action="append", default=[],
                   help="log.jsonl of earlier stages (warm start), shown before this run's curve")
    a = p.parse_args(argv)
    log = [json.loads(l) for l in (a.run / "log.jsonl").read_text().splitlines() if l.strip()]
    ck = read_checkpoint(a.run / "checkpoint.pt")
    manifest = json.loads((a.model / "manifest.json").read_text())
    import hashlib

    model_id = hashlib.sha256((a.model / "manifest.json").read_bytes()).hexdigest()
    val = load_split(a.data, "val", CACHE)
    kodak = load_folder(SHARED / "kodak") if (SHARED / "kodak").is_dir() else None
    fmodel = load_model(a.run / "checkpoint.pt")
    dev = torch.device("cpu")
    t0 = time.time()
    res = {"float": {}, "integer": {}}
    res["float"]["val"] = evaluate_set(fmodel, val, dev)
    if kodak:
        res["float"]["kodak"] = evaluate_set(fmodel, kodak, dev)
    im = IntModel(a.model)
    res["integer"]["val"] = int_evaluate(im, val)
    if kodak:
        res["integer"]["kodak"] = int_evaluate(im, kodak)
    eval_min = (time.time() - t0) / 60
    wall = sum(r.get("t", 0) for r in log if r.get("final")) or max((r.get("t", 0) for r in log), default=0)
    qat = json.loads(a.qat.with_suffix(".json").read_text()) if a.qat and a.qat.with_suffix(".json").exists() else {}
    cfg = manifest["config"]
    nparams = sum(v.numel() for v in ck["model"].values() if v.dtype.is_floating_point and v.dim() > 0)

    def row(kind, s):
        r = res[kind].get(s)
        return f"{r['bpsp']:.4f} (x {r['bpsp_x']:.4f} + z {r['bpsp_z']:.4f})" if r else "n/a"

    curve = [r for r in log if "val_bpsp" in r]
    train_pts = [r for r in log if "bpsp" in r and r["step"] % 500 == 0]
    prior_rows = []
    for pl in a.prior_log:
        for r in (json.loads(l) for l in pl.read_text().splitlines() if l.strip()):
            if "val_bpsp" in r or ("bpsp" in r and r["step"] % 500 == 0):
                prior_rows.append((pl.parent.name, r))
    lines = [
        f"# {manifest['name']}",
        "",
        f"Model id (SHA-256 of manifest.json): `{model_id}`",
        "",
        f"L3C, `{manifest['architecture']}`: Cf = {cfg['Cf']}, B = {cfg['B']} residual blocks, C = {cfg['C']}, "
        f"L = {cfg['L']}, K = {cfg['K']} logistics, S = {cfg['S']} scales, RGB context `{cfg['rgb_context']}`; "
        f"{nparams / 1e6:.2f} M parameters (encoders float, decoders int8/int32).",
        "",
        "## Results (bits per sub-pixel, lower is better)",
        "",
        "| set | float model (likelihood) | integer path (exact CDFs, tiles of 512) |",
        "|---|---|---|",
        f"| validation split ({len(val.images)} images) | {row('float', 'val')} | {row('integer', 'val')} |",
        f"| Kodak (24, reporting only) | {row('float', 'kodak')} | {row('integer', 'kodak')} |",
        "",
        "Kodak references measured here: PNG 4.192, JPEG 2000 3.192, WebP lossless (-z 9) 3.180, "
        "JPEG XL -e7 2.902, -e9 2.870.",
        "",
        "## How it was made",
        "",
        f"- data: `../shared/datasets/train/` minus the validation split ({ck['args'].get('data', '')})",
        f"- steps: {ck['step']} float steps" + (f", then {qat.get('qat_steps')} QAT steps" if qat else ""),
        f"- wall time: {wall / 3600:.2f} h float training" + (f" + {qat.get('minutes', 0):.0f} min QAT" if qat else ""),
        f"- hardware: {os.cpu_count()} cores of {cpu_name()}, no GPU; torch {torch.__version__}",
        "- commands:",
        "",
        "```sh",
        *a.command,
        "```",
        "",
    ]
    if qat:
        lines += [
            f"QAT: float validation {qat['float_val_bpsp']:.4f} -> fake-quant after calibration "
            f"{qat['qat_val_bpsp_calibrated']:.4f} -> after QAT {qat['qat_val_bpsp']:.4f} (256 px center crops).",
            "",
        ]
    lines += ["## Learning curve", "", "| stage | step | train bpsp (EMA) | validation bpsp (256 px crops) | hours in stage |",
              "|---|---|---|---|---|"]
    for stage, r in prior_rows:
        tr = f"{r['bpsp']:.3f}" if "bpsp" in r and "val_bpsp" not in r else ""
        va = f"{r['val_bpsp']:.4f}" if "val_bpsp" in r else ""
        lines.append(f"| {stage} | {r['step']} | {tr} | {va} | {r.get('t', 0) / 3600:.2f} |")
    pts = {r["step"]: {"train": r["bpsp"], "t": r["t"]} for r in train_pts}
    for r in curve:
        pts.setdefault(r["step"], {})["val"] = r["val_bpsp"]
        pts[r["step"]]["t"] = r["t"]
    for step in sorted(pts):
        v = pts[step]
        lines.append(
            f"| {a.run.name} | {step} | {v['train']:.3f} | " if "train" in v else f"| {a.run.name} | {step} | | "
        )
        lines[-1] += (f"{v['val']:.4f} | " if "val" in v else " | ") + f"{v.get('t', 0) / 3600:.2f} |"
    if a.notes:
        lines += ["", "## Notes", "", a.notes]
    (a.model / "README.md").write_text("\n".join(lines) + "\n")
    (a.model / "results.json").write_text(json.dumps(
        {k: {s: {m: r[m] for m in ("bpsp", "bpsp_x", "bpsp_z")} for s, r in v.items()} for k, v in res.items()},
        indent=1) + "\n")
    print(f"wrote {a.model / 'README.md'} (evaluation took {eval_min:.1f} min)")
    for k, v in res.items():
        for s, r in v.items():
            print(f"  {k:8s} {s:6s} {r['bpsp']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
