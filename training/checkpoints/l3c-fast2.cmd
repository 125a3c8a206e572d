# l3c-fast-v2's networks (fast-model issue: decode >= 0.2x JPEG XL): Cf 32, B 1, head width 16, K 3, no z(1)
# (config z1 "none": the decoder runs no z(1) prior), cut from l3c-fast-v1's networks (checkpoints/l3c-fast-c32-step596.pt)
# by --prune-from, trained on the 2 CPU cores with z's bits counted twice (--z-weight 2). From training/.
mkdir -p runs/slimz
.venv/bin/python -m l3c.train --out runs/slimz --prune-from checkpoints/l3c-fast-c32-step596.pt --z1 none --z-weight 2 --rgb-context pyramid --Cf 32 --B 1 --head-ch 16 --K 3 --minutes 60 --total-steps 1500 --small-crop-frac 0 --crop 128 --batch 16 --lr 5e-4 --warmup 50 --eval-every 10 --ckpt-every 4 --val-crop 256 --threads 1 --no-progress
# (stopped after its step-768 checkpoint and resumed with the same command and --threads 2; step 1500, float validation
#  4.4670 (l3c-fast-v1's networks at step 596: 4.4648, with z(1) at its mode): checkpoints/l3c-fast2-step1500.pt)
# A second cosine from there (warm start: weights only):
mkdir -p runs/slimz2
.venv/bin/python -m l3c.train --out runs/slimz2 --init-from checkpoints/l3c-fast2-step1500.pt --z1 none --z-weight 2 --rgb-context pyramid --Cf 32 --B 1 --head-ch 16 --K 3 --minutes 40 --total-steps 2000 --small-crop-frac 0 --crop 128 --batch 16 --lr 3e-4 --warmup 20 --eval-every 10 --ckpt-every 4 --val-crop 256 --threads 2 --no-progress
# (step 2000, float validation 4.3202: checkpoints/l3c-fast2-b-step2000.pt; 20 validation files with adapt-6, real bytes:
#  3.6731 bpsp against l3c-fast-v1's 3.6802; step 1500: 3.7035)
# A third cosine:
mkdir -p runs/slimz3
.venv/bin/python -m l3c.train --out runs/slimz3 --init-from checkpoints/l3c-fast2-b-step2000.pt --z1 none --z-weight 2 --rgb-context pyramid --Cf 32 --B 1 --head-ch 16 --K 3 --minutes 40 --total-steps 2500 --small-crop-frac 0 --crop 128 --batch 16 --lr 2e-4 --warmup 20 --eval-every 10 --ckpt-every 4 --val-crop 256 --threads 2 --no-progress
# (step 2500, float validation 4.2385: checkpoints/l3c-fast2-c-step2500.pt; 20 validation files 3.6603) -> models/l3c-fast-v2:
T=/tmp/ship-l3c-fast-v2 && mkdir -p $T
.venv/bin/python -m l3c.qat --ckpt checkpoints/l3c-fast2-c-step2500.pt --out $T/qat.pt --minutes 5 --max-steps 10 --crop 96 --lr 5e-5 --z1-mode --no-progress
.venv/bin/python -m l3c.export --ckpt $T/qat.pt --out $T --name fast2-export
.venv/bin/python -m l3c.z3prior --model $T/fast2-export --name fast2-z3
.venv/bin/python -m l3c.derive --model $T/fast2-z3 --name l3c-fast-v2 --set adapt=adapt-6      # model id 5514de4c...
mv $T/l3c-fast-v2 ../models/ && .venv/bin/python -m l3c.float_exact ../models/l3c-fast-v2
cp $T/qat.pt checkpoints/l3c-fast2-c-step2500-qat.pt
#
# Next candidate (not shipped): the same networks cut to Cf 24, fp32 (bf16 autocast did not learn at Cf 24 on the CPU):
mkdir -p runs/cf24
.venv/bin/python -m l3c.train --out runs/cf24 --prune-from checkpoints/l3c-fast2-c-step2500.pt --z1 none --z-weight 2 --rgb-context pyramid --Cf 24 --B 1 --head-ch 16 --K 3 --minutes 40 --total-steps 2000 --small-crop-frac 0 --crop 128 --batch 16 --lr 4e-4 --warmup 30 --eval-every 10 --ckpt-every 4 --val-crop 256 --threads 2 --bf16 off --no-progress
#   step 2000: float validation 4.1831 (checkpoints/l3c-fast-cf24-step2000.pt); exported as above (10 QAT steps, adapt-6):
#   20 validation files 3.6599 (l3c-fast-v2 3.6603), networks 37 ms per tile (l3c-fast-v2 46; arch_time.mjs)
