# v5's float networks trained on (2026-12-07, 2 CPU cores, ~1.5 h of training in a 3 h session): warm restart at
# LR 3e-4 (warmup 100), cosine; first invoked with --total-steps 8000, stopped at step 426 and resumed with the
# schedule shortened to 1700 steps (the LR is read from --total-steps at every step: no jump at 426, 2.97e-4 either way)
mkdir -p runs/v7
.venv/bin/python -m l3c.train --out runs/v7 --init-from checkpoints/l3c-pyramid-v5-z1mode-step402.pt --z1-mode --rgb-context pyramid --Cf 48 --B 4 --K 10 --minutes 165 --total-steps 8000 --small-crop-frac 0 --crop 128 --batch 16 --lr 3e-4 --warmup 100 --eval-every 40 --ckpt-every 10 --val-crop 256 --threads 2 --no-progress
.venv/bin/python -m l3c.train --out runs/v7 --z1-mode --rgb-context pyramid --Cf 48 --B 4 --K 10 --minutes 80 --total-steps 1700 --small-crop-frac 0 --crop 128 --batch 16 --lr 3e-4 --warmup 100 --eval-every 30 --ckpt-every 10 --val-crop 256 --threads 2 --no-progress
# runs/v7/checkpoint.pt (step 1700, the schedule's end) is committed as checkpoints/l3c-pyramid-v5-cont-step1700.pt.
# Float validation bpsp (centre crops of 256, z1 at its mode, bf16; the trainer's own evaluation):
#   v5 (l3c-pyramid-v5-z1mode-step402.pt) 4.0639; step 426 4.1686; 687 4.1005; 1314 4.0451; 1700 4.0261 (-0.93%)
# Not yet quantized, exported or measured through the stage: next, as l3c-pyramid-v5.cmd from its QAT line on.
