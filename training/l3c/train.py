"""Train L3C on ../shared/datasets/train (never Kodak).

Example (the command behind models/ is recorded in each model card):
    python -m l3c.train --out runs/main --minutes 120 --total-steps 20000

Resumes from <out>/checkpoint.pt when it exists; the learning-rate and crop schedules
are functions of the step, so a resumed run continues exactly where it stopped.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from pathlib import Path

import torch
from tqdm import tqdm

from .checkpoints import prune_start, read_checkpoint, save_checkpoint, warm_start
from .data import CropSampler, DataError, load_split
from .device import bf16_supported, bf16_trains
from .likelihood import evaluate_set
from .model import L3C, Z1_FORMS, ModelConfig
from .paths import CACHE, DEFAULT_DATA


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="training image folder")
    p.add_argument("--out", type=Path, required=True, help="run folder (checkpoint.pt, log.jsonl)")
    p.add_argument("--cache", type=Path, default=CACHE)
    p.add_argument("--minutes", type=float, default=60.0, help="wall-clock budget of this invocation")
    p.add_argument("--total-steps", type=int, default=20000, help="length of the LR schedule")
    p.add_argument("--max-steps", type=int, default=0, help="stop at this step (0: no limit)")
    p.add_argument("--auto-steps", action="store_true",
                   help="measure the speed over the first steps of this invocation, then set "
                        "--total-steps so the LR schedule ends as --minutes runs out (lent GPU time)")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--small-crop", type=int, default=64, help="crop size for the first phase")
    p.add_argument("--small-crop-frac", type=float, default=0.3, help="fraction of steps at small crop")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--Cf", type=int, default=64)
    p.add_argument("--B", type=int, default=8)
    p.add_argument("--K", type=int, default=10)
    p.add_argument("--head-ch", type=int, default=0)
    p.add_argument("--z1", choices=Z1_FORMS, default="coded",
                   help="none: z(1) is not coded, D(1) sees the middle level (a new model)")
    p.add_argument("--rgb-context", choices=("none", "phase4", "pyramid"), default="pyramid")
    start = p.add_mutually_exclusive_group()
    start.add_argument("--init-from", type=Path, help="warm start: copy matching weights from this checkpoint")
    start.add_argument("--prune-from", type=Path,
                       help="warm start a narrower/shallower model: this checkpoint's weights cut to its shape")
    p.add_argument("--bf16", choices=("auto", "on", "off"), default="auto")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--eval-every", type=float, default=10.0, help="minutes between validation runs")
    p.add_argument("--ckpt-every", type=float, default=5.0, help="minutes between checkpoints")
    p.add_argument("--val-crop", type=int, default=256, help="center crop for periodic validation (0: full)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: all cores)")
    p.add_argument("--z1-mode", action="store_true",
                   help="train D(1) on z(1) at the mode of its prior (the encoder policy of adaptive models)")
    p.add_argument("--z-weight", type=float, default=1.0,
                   help="weight of z's bits in the loss (logged bpsp stays the true one); above 1 steers the "
                        "networks away from side information that the adaptive stage would recover anyway")
    p.add_argument("--no-progress", action="store_true")
    return p.parse_args(argv)


def lr_at(step: int, a) -> float:
    if step < a.warmup:
        return a.lr * (step + 1) / a.warmup
    t = min(1.0, (step - a.warmup) / max(1, a.total_steps - a.warmup))
    return a.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * t)))


def crop_at(step: int, a) -> int:
    return a.small_crop if step < a.small_crop_frac * a.total_steps else a.crop


def main(argv=None) -> int:
    a = parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    a.out.mkdir(parents=True, exist_ok=True)
    ckpt_path = a.out / "checkpoint.pt"
    try:
        train_set = load_split(a.data, "train", a.cache, min_side=a.small_crop)
        val_set = load_split(a.data, "val", a.cache)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    if ckpt_path.exists():
        ck = read_checkpoint(ckpt_path)
        cfg = ModelConfig(**ck["config"])
    else:
        ck = None
        cfg = ModelConfig(Cf=a.Cf, B=a.B, K=a.K, rgb_context=a.rgb_context, head_ch=a.head_ch, z1=a.z1)
    use_bf16 = a.bf16 == "on" or (a.bf16 == "auto" and bf16_trains(device, cfg.Cf))
    if a.bf16 == "auto" and bf16_supported(device) and not use_bf16:
        print(f"bf16 autocast off: Cf {cfg.Cf} is not a multiple of 16 (l3c/device.py)", file=sys.stderr)
    torch.manual_seed(a.seed)
    model = L3C(cfg).to(device).to(memory_format=torch.channels_last)
    model.z1_mode = a.z1_mode
    if ck is None and a.init_from:
        n = warm_start(model, a.init_from)
        print(f"warm start: {n} tensors from {a.init_from}", file=sys.stderr)
    elif ck is None and a.prune_from:
        n = prune_start(model, a.prune_from)
        print(f"pruned start: {n} tensors from {a.prune_from}", file=sys.stderr)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.0)
    sampler = CropSampler(train_set, a.crop, a.seed)
    step = 0
    if ck is not None:
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        sampler.set_state(ck["sampler"])
        torch.set_rng_state(ck["torch_rng"])
        step = ck["step"]
        print(f"resumed from {ckpt_path} at step {step}", file=sys.stderr)
    fwd = torch.compile(model) if a.compile else model
    nparams = sum(p.numel() for p in model.parameters())
    log = open(a.out / "log.jsonl", "a")
    print(
        f"L3C {cfg.to_dict()} params={nparams} device={device} bf16={use_bf16} "
        f"train={len(train_set.images)} imgs val={len(val_set.images)} imgs",
        file=sys.stderr,
    )

    def checkpoint():
        save_checkpoint(
            ckpt_path,
            {
                "config": cfg.to_dict(),
                "model": model.state_dict(),
                "opt": opt.state_dict(),
                "sampler": sampler.state(),
                "torch_rng": torch.get_rng_state(),
                "step": step,
                "ema": ema,
                "args": {k: str(v) for k, v in vars(a).items()},
            },
        )

    t_start = time.time()
    t_ckpt = t_eval = t_start
    last = a.max_steps or a.total_steps
    bar = tqdm(total=last, initial=step, disable=a.no_progress, dynamic_ncols=True, unit="step")
    ema = ck.get("ema") if ck is not None else None
    best_val = float("inf")
    skipped = 0
    steps_timed, t_timed = 0, time.time()
    run_steps, t_probe = 0, None
    while step < last and (time.time() - t_start) < a.minutes * 60:
        lr = lr_at(step, a)
        for g in opt.param_groups:
            g["lr"] = lr
        crop = crop_at(step, a)
        xb = torch.from_numpy(sampler.batch(a.batch, crop)).to(device)
        x = xb.permute(0, 3, 1, 2).float().contiguous(memory_format=torch.channels_last)
        model.train()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            bits_x, bits_z = fwd(x)
        bpsp = float((bits_x + bits_z).detach().sum()) / x.numel()
        loss = (bits_x + a.z_weight * bits_z).sum() / x.numel()  # z_weight 1.0: exactly the bpsp
        opt.zero_grad(set_to_none=True)
        # Spike guard: a batch whose loss jumps far above the running average (a z
        # distribution gone sharp where z moved) is skipped instead of applied; such
        # batches once sent a run into divergence.
        spike = ema is not None and step > a.warmup and not (bpsp < 1.5 * ema + 0.5)
        if spike:
            skipped += 1
        else:
            loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            if torch.isfinite(gn):
                opt.step()
        step += 1
        steps_timed += 1
        run_steps += 1
        if a.auto_steps and run_steps == 10:
            t_probe = time.time()  # the first steps include kernel selection: not timed
        if a.auto_steps and run_steps == 60:
            rate = 50 / max(1e-9, time.time() - t_probe)
            left = a.minutes * 60 - (time.time() - t_start)
            # ~8% of the time goes to validation and checkpoints
            a.total_steps = step + max(1, int(rate * left * 0.92))
            last = a.max_steps or a.total_steps
            bar.total = last
            print(f"auto-steps: {rate:.2f} steps/s, schedule ends at step {a.total_steps}", file=sys.stderr)
            log.write(json.dumps({"step": step, "auto_total_steps": a.total_steps, "steps_per_s": rate}) + "\n")
        if not spike:
            ema = bpsp if ema is None else 0.98 * ema + 0.02 * bpsp
        rate = steps_timed / max(1e-9, time.time() - t_timed)
        bar.set_postfix(bpsp=f"{ema:.3f}", lr=f"{lr:.1e}", crop=crop, it_s=f"{rate:.2f}")
        bar.update(1)
        if step % 50 == 0:
            rec = {"step": step, "bpsp": ema, "bpsp_x": float(bits_x.detach().sum()) / x.numel(),
                   "lr": lr, "steps_per_s": rate, "t": time.time() - t_start, "skipped": skipped}
            log.write(json.dumps(rec) + "\n")
            log.flush()
        now = time.time()
        if now - t_ckpt > a.ckpt_every * 60:
            checkpoint()
            t_ckpt = now
        if now - t_eval > a.eval_every * 60:
            r = evaluate_set(model, val_set, device, crop=a.val_crop, bf16=use_bf16)
            log.write(json.dumps({"step": step, "val_bpsp": r["bpsp"], "t": now - t_start}) + "\n")
            log.flush()
            # Keep the best validated weights apart (a later divergence cannot lose them).
            if r["bpsp"] < best_val:
                best_val = r["bpsp"]
                checkpoint()
                t_ckpt = time.time()
                shutil.copyfile(ckpt_path, a.out / "checkpoint-best.pt")
            bar.write(f"step {step}: val bpsp {r['bpsp']:.4f} (x {r['bpsp_x']:.4f})")
            t_eval = time.time()
            steps_timed, t_timed = 0, time.time()
    bar.close()
    checkpoint()
    r = evaluate_set(model, val_set, device, crop=a.val_crop, bf16=use_bf16)
    log.write(json.dumps({"step": step, "val_bpsp": r["bpsp"], "t": time.time() - t_start, "final": True}) + "\n")
    if r["bpsp"] < best_val:
        shutil.copyfile(ckpt_path, a.out / "checkpoint-best.pt")
    log.close()
    print(f"step {step}: val bpsp {r['bpsp']:.4f}; checkpoint {ckpt_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
