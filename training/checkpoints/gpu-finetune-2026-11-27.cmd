# Lent H200, 2026-11-27 (not kept: no gain on the integer path). Subset carried to the device:
.venv/bin/python -m l3c.subset --out .gpu-data --budget-mb 31 --crop 160   # 1015 train crops <= 144 px (30.3 MB), 53 val centre crops
# on the device (TRAIN_MIN=6, BATCH=64, LR=5e-4): warm start from l3c-pyramid-v1-step4000.pt, LR schedule fitted to the time
OUT=$OUT bash training/device_run.sh
# QAT rerun on the device after fixing a CPU/GPU tensor mix in quant.py (2/3 of the train crops, to fit the carry limit):
python3 -m l3c.qat --data .gpu-data --ckpt .gpu-data/init/float.pt --out runs/device/qat.pt --minutes 2.5 --batch 64
# results (val split, centre 256 crops): float 4.1652 -> 4.1606; QAT fake-quant 4.20930 (v1, 445 CPU steps x 16) vs 4.20935 (834 GPU steps x 64)
