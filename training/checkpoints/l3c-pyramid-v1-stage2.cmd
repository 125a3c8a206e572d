# warm start from the phase4 run (runs/main, step in runs/phase4-final.pt), pyramid RGB context:
.venv/bin/python -m l3c.train --out runs/pyramid --init-from runs/phase4-final.pt --rgb-context pyramid --Cf 48 --B 4 --K 10 --minutes 150 --total-steps 4000 --small-crop 64 --small-crop-frac 0.5 --crop 128 --batch 16 --lr 6e-4 --warmup 100 --eval-every 15 --ckpt-every 10 --val-crop 256 --no-progress
# shortened from 4500 to 4000 total steps at ~step 3100 to fit the session
