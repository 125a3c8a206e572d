# l3c-pyramid-v5: v4's fine-tune resumed to the end of its LR schedule (steps 268 -> 402), then a 450-step QAT
# with a cosine LR, export, z3 table, adapt-3 (2026-12-01/02, 2 CPU cores; resume ~10 min, QAT 20 min)
mkdir -p runs/z1mode && cp checkpoints/l3c-pyramid-v4-z1mode-step268.pt runs/z1mode/checkpoint.pt
.venv/bin/python -m l3c.train --out runs/z1mode --init-from checkpoints/l3c-pyramid-v1-step4000.pt --z1-mode --rgb-context pyramid --Cf 48 --B 4 --K 10 --minutes 18 --total-steps 402 --small-crop-frac 0 --crop 128 --batch 16 --lr 2e-4 --warmup 30 --eval-every 30 --ckpt-every 10 --val-crop 256 --no-progress
.venv/bin/python -m l3c.qat --ckpt runs/z1mode/checkpoint.pt --out runs/z1mode/qat402c.pt --minutes 60 --max-steps 450 --cosine --crop 96 --lr 5e-5 --z1-mode --no-progress
T=/tmp/l3c-v5 && mkdir -p $T
.venv/bin/python -m l3c.export --ckpt runs/z1mode/qat402c.pt --out $T --name v5-export
.venv/bin/python -m l3c.z3prior --model $T/v5-export --name v5-z3
.venv/bin/python -m l3c.derive --model $T/v5-z3 --name l3c-pyramid-v5 --set adapt=adapt-3 && mv $T/l3c-pyramid-v5 ../models/
# runs/z1mode/checkpoint.pt (step 402, the schedule's end) is committed as checkpoints/l3c-pyramid-v5-z1mode-step402.pt
