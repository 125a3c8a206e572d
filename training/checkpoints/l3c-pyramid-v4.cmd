# l3c-pyramid-v4: v1's float checkpoint fine-tuned with z(1) at the mode of its prior, then QAT, export, z3 table, adapt-2
# (2026-12-01, 2 CPU cores; 40 min fine-tune, 268 steps of batch 16 at 128 px, the LR schedule cut at step 268 of 402; 12 min QAT, 300 steps)
.venv/bin/python -m l3c.train --out runs/z1mode --init-from checkpoints/l3c-pyramid-v1-step4000.pt --z1-mode --rgb-context pyramid --Cf 48 --B 4 --K 10 --minutes 40 --auto-steps --small-crop-frac 0 --crop 128 --batch 16 --lr 2e-4 --warmup 30 --eval-every 20 --ckpt-every 10 --val-crop 256 --no-progress
.venv/bin/python -m l3c.qat --ckpt runs/z1mode/checkpoint.pt --out runs/z1mode/qat.pt --minutes 12 --crop 96 --lr 3e-5 --z1-mode --no-progress
T=/tmp/l3c-v4 && mkdir -p $T
.venv/bin/python -m l3c.export --ckpt runs/z1mode/qat.pt --out $T --name z1m-export
.venv/bin/python -m l3c.z3prior --model $T/z1m-export --name z1m-z3
.venv/bin/python -m l3c.derive --model $T/z1m-z3 --name l3c-pyramid-v4 --set adapt=adapt-2 && mv $T/l3c-pyramid-v4 ../models/
# runs/z1mode/checkpoint.pt is committed as checkpoints/l3c-pyramid-v4-z1mode-step268.pt (resume: copy it to runs/z1mode/checkpoint.pt)
