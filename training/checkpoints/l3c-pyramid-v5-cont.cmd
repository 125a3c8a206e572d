# v5's float networks trained on (2026-12-07, 2 CPU cores, ~1.5 h of training in a 3 h session): warm restart at
# LR 3e-4 (warmup 100), cosine; first invoked with --total-steps 8000, stopped at step 426 and resumed with the
# schedule shortened to 1700 steps (the LR is read from --total-steps at every step: no jump at 426, 2.97e-4 either way)
mkdir -p runs/v7
.venv/bin/python -m l3c.train --out runs/v7 --init-from checkpoints/l3c-pyramid-v5-z1mode-step402.pt --z1-mode --rgb-context pyramid --Cf 48 --B 4 --K 10 --minutes 165 --total-steps 8000 --small-crop-frac 0 --crop 128 --batch 16 --lr 3e-4 --warmup 100 --eval-every 40 --ckpt-every 10 --val-crop 256 --threads 2 --no-progress
.venv/bin/python -m l3c.train --out runs/v7 --z1-mode --rgb-context pyramid --Cf 48 --B 4 --K 10 --minutes 80 --total-steps 1700 --small-crop-frac 0 --crop 128 --batch 16 --lr 3e-4 --warmup 100 --eval-every 30 --ckpt-every 10 --val-crop 256 --threads 2 --no-progress
# runs/v7/checkpoint.pt (step 1700, the schedule's end) is committed as checkpoints/l3c-pyramid-v5-cont-step1700.pt.
# Float validation bpsp (centre crops of 256, z1 at its mode, bf16; the trainer's own evaluation):
#   v5 (l3c-pyramid-v5-z1mode-step402.pt) 4.0639; step 426 4.1686; 687 4.1005; 1314 4.0451; 1700 4.0261 (-0.93%)
# QAT (20 min) and export, as l3c-pyramid-v5.cmd; the QAT checkpoint is committed as checkpoints/l3c-pyramid-v5-cont-qat1700c.pt
.venv/bin/python -m l3c.qat --ckpt runs/v7/checkpoint.pt --out runs/v7/qat1700c.pt --minutes 60 --max-steps 450 --cosine --crop 96 --lr 5e-5 --z1-mode --no-progress
#   fake-quant val 4.0508 after 450 steps (v5: 4.0830)
T=/tmp/l3c-v8 && mkdir -p $T
.venv/bin/python -m l3c.export --ckpt runs/v7/qat1700c.pt --out $T --name v8-export
.venv/bin/python -m l3c.z3prior --model $T/v8-export --name v8-z3
.venv/bin/python -m l3c.derive --model $T/v8-z3 --name l3c-pyramid-v8 --set adapt=adapt-5      # model id 88dc5a6b...
.venv/bin/python tools/stage_cache.py --model $T/l3c-pyramid-v8 --set val --set kodak --out /tmp/c-v8 --z1 mode
CACHE=/tmp/c-v8 ADAPT=0,4,5 .venv/bin/python tools/adapt_research/product.py val,kodak
# Real bytes of the pixel stages + cached z (product.py), against v5's networks (the v7 card's /tmp/c-v5):
#   no stage: validation 4.0196 (v5's networks 4.0545, -0.86%), Kodak 3.3025 (3.3250, -0.68%)
#   adapt-4:  validation 3.6984 (3.7077), Kodak 3.0524 (3.0604)
#   adapt-5:  validation 3.6790 (3.6868, -0.21%), Kodak 3.0477 (3.0551, -0.24%)
# The stage takes back most of what the longer training gained (it was correcting the same miscalibration).
# Not shipped yet (vectors, float forms, bench, card): the next candidate default, l3c-pyramid-v8.
