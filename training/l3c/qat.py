"""Quantization-aware fine-tuning: float checkpoint -> integer-ready checkpoint.

    python -m l3c.qat --ckpt runs/main/checkpoint.pt --out runs/main/qat.pt --minutes 15

1. calibrate every activation quantizer on training crops (99.99th percentile of |x|);
2. fine-tune with int8 fake-quantized decoder weights and activations (straight-through
   gradients), at a small learning rate;
3. save a checkpoint whose quantizer scales are frozen; l3c.export turns it into ONNX.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch
from tqdm import tqdm

from .checkpoints import model_of, read_checkpoint, save_checkpoint
from .data import CropSampler, load_split
from .device import bf16_supported
from .likelihood import evaluate_set
from .paths import CACHE, DEFAULT_DATA
from .quant import set_mode


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--cache", type=Path, default=CACHE)
    p.add_argument("--minutes", type=float, default=15.0)
    p.add_argument("--max-steps", type=int, default=0)
    p.add_argument("--calib-batches", type=int, default=8)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--val-crop", type=int, default=256)
    p.add_argument("--bf16", action="store_true",
                   help="bf16 autocast (faster, but fake quantization is then less faithful to the integer path)")
    p.add_argument("--z1-mode", action="store_true",
                   help="train D(1) on z(1) at the mode of its prior (the encoder policy of adaptive models)")
    p.add_argument("--cosine", action="store_true",
                   help="decay the learning rate to 0 on a cosine over --max-steps (or --minutes when 0)")
    p.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    use_bf16 = a.bf16 and bf16_supported(device)
    ck = read_checkpoint(a.ckpt)
    model = model_of(ck, calibrated=False)
    model = model.to(device)
    model.z1_mode = a.z1_mode
    train = load_split(a.data, "train", a.cache, min_side=a.crop)
    val = load_split(a.data, "val", a.cache)
    sampler = CropSampler(train, a.crop, a.seed)
    torch.manual_seed(a.seed)
    float_val = evaluate_set(model, val, device, crop=a.val_crop)["bpsp"]

    set_mode(model, "calib")
    with torch.no_grad():
        for _ in range(a.calib_batches):
            x = torch.from_numpy(sampler.batch(a.batch)).permute(0, 3, 1, 2).float().to(device)
            model(x)
    set_mode(model, "qat")
    qat_val0 = evaluate_set(model, val, device, crop=a.val_crop)["bpsp"]
    print(f"val bpsp: float {float_val:.4f}, fake-quant after calibration {qat_val0:.4f}", file=sys.stderr)

    dec_params = [p for n, p in model.named_parameters() if not n.startswith("enc.")]
    enc_params = [p for n, p in model.named_parameters() if n.startswith("enc.")]
    opt = torch.optim.AdamW([{"params": dec_params}, {"params": enc_params}], lr=a.lr, weight_decay=0.0)
    t0 = time.time()
    step = 0
    bar = tqdm(disable=a.no_progress, unit="step")
    while time.time() - t0 < a.minutes * 60 and (not a.max_steps or step < a.max_steps):
        x = torch.from_numpy(sampler.batch(a.batch)).permute(0, 3, 1, 2).float().to(device)
        x = x.contiguous(memory_format=torch.channels_last)
        if a.cosine:
            done = step / a.max_steps if a.max_steps else (time.time() - t0) / (a.minutes * 60)
            for g in opt.param_groups:
                g["lr"] = a.lr * 0.5 * (1 + math.cos(math.pi * min(done, 1.0)))
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            bx, bz = model(x)
        loss = (bx + bz).sum() / x.numel()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        bar.update(1)
        bar.set_postfix(bpsp=f"{float(loss.detach()):.3f}")
    bar.close()
    qat_val = evaluate_set(model, val, device, crop=a.val_crop)["bpsp"]
    print(f"after {step} QAT steps: fake-quant val bpsp {qat_val:.4f}", file=sys.stderr)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(
        a.out,
        {
            "config": model.cfg.to_dict(),
            "model": model.state_dict(),
            "step": ck.get("step", 0),
            "qat_steps": step,
            "float_val_bpsp": float_val,
            "qat_val_bpsp": qat_val,
            "args": {k: str(v) for k, v in vars(a).items()},
        },
    )
    with open(a.out.with_suffix(".json"), "w") as f:
        json.dump({"float_val_bpsp": float_val, "qat_val_bpsp_calibrated": qat_val0, "qat_val_bpsp": qat_val,
                   "qat_steps": step, "minutes": (time.time() - t0) / 60}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
