# first 1417+ steps ran with --total-steps 8000 --small-crop-frac 0.25; shortened at ~step 1900 to fit the session:
.venv/bin/python -m l3c.train --out runs/main --minutes 200 --total-steps 5500 --small-crop 64 --small-crop-frac 0.45 --crop 128 --batch 16 --lr 1e-3 --warmup 300 --eval-every 15 --ckpt-every 10 --val-crop 256 --no-progress
# its checkpoint records --rgb-context phase4 --Cf 48 --B 4 --K 10, missing from the line above; add them to rerun it
