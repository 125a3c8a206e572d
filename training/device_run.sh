#!/usr/bin/env bash
# One lent-GPU session (see ../.library/device/README.md of the workplace): warm-start from
# the committed float checkpoint, train on the carried subset (python -m l3c.subset) with
# an LR schedule fitted to TRAIN_MIN minutes, then quantization-aware fine-tuning for
# QAT_MIN minutes, and leave model-only checkpoints and logs in $OUT (files come back at
# most 16 MB each, so the optimizer state stays behind).
#
#   device run (from the repo root, carry training/.gpu-data):
#     bash training/device_run.sh
#   CPU smoke test:
#     TRAIN_MIN=0.3 QAT_MIN=0.1 BATCH=4 OUT=/tmp/dev-out PY=$PWD/training/.venv/bin/python bash training/device_run.sh
#   The default: the shipped networks trained on (warm start from v5's float checkpoint,
#   z(1) at its prior's mode as the codec's encoder uses it).
#   A fast model (fewer multiply-adds and mixture components; costs in
#   models/l3c-pyramid-v5/README.md), cut from v5's weights (l3c/checkpoints.py: prune_start):
#     CF=32 NB=2 K=5 PRUNE=checkpoints/l3c-pyramid-v5-z1mode-step402.pt INIT= bash training/device_run.sh
#   From scratch: INIT= PRUNE= (and Z1MODE= for z(1) coded as in the original L3C).
set -uo pipefail
cd "$(dirname "$0")"
OUT=${OUT:?set OUT to the folder that receives the results}
mkdir -p "$OUT"
PY=${PY:-python3}
TRAIN_MIN=${TRAIN_MIN:-6}
QAT_MIN=${QAT_MIN:-1.5}
BATCH=${BATCH:-64}
LR=${LR:-5e-4}
INIT=${INIT-checkpoints/l3c-pyramid-v5-z1mode-step402.pt}  # empty: none
PRUNE=${PRUNE-}  # a bigger checkpoint to cut the model's shape from (instead of INIT)
Z1MODE=${Z1MODE---z1-mode}
CF=${CF:-48}
NB=${NB:-4}
HEAD_CH=${HEAD_CH:-0}
K=${K:-10}
RUN=runs/device
export PYTHONUNBUFFERED=1
rm -rf "$RUN" && mkdir -p "$RUN"
nvidia-smi -L 2>/dev/null || echo "no GPU: CPU run"
"$PY" -c "import torch, PIL; print('torch', torch.__version__, 'pillow', PIL.__version__)"

strip() {  # checkpoint -> model-only checkpoint (config, weights, step, args)
  "$PY" - "$1" "$2" <<'EOF'
import sys, torch
ck = torch.load(sys.argv[1], map_location="cpu", weights_only=False)
torch.save({k: v for k, v in ck.items() if k in ("config", "model", "step", "ema", "args", "qat_steps",
                                                  "float_val_bpsp", "qat_val_bpsp")}, sys.argv[2])
EOF
}

"$PY" -m l3c.train --data .gpu-data --out "$RUN" ${INIT:+--init-from "$INIT"} ${PRUNE:+--prune-from "$PRUNE"} \
  $Z1MODE --rgb-context pyramid --Cf "$CF" --B "$NB" --head-ch "$HEAD_CH" --K "$K" \
  --minutes "$TRAIN_MIN" --auto-steps --small-crop-frac 0 --crop 128 --batch "$BATCH" \
  --lr "$LR" --warmup 200 --eval-every 0.75 --ckpt-every 1000 --val-crop 256 --no-progress \
  2>&1 | tee "$OUT/train.log"
cp "$RUN/log.jsonl" "$OUT/train-log.jsonl"
BEST="$RUN/checkpoint-best.pt"
[ -f "$BEST" ] || BEST="$RUN/checkpoint.pt"
strip "$BEST" "$OUT/float.pt" || exit 1

"$PY" -m l3c.qat --data .gpu-data --ckpt "$OUT/float.pt" --out "$RUN/qat.pt" $Z1MODE \
  --minutes "$QAT_MIN" --batch "$BATCH" --no-progress 2>&1 | tee "$OUT/qat.log"
cp "$RUN/qat.json" "$OUT/qat.json" 2>/dev/null
strip "$RUN/qat.pt" "$OUT/qat.pt"
ls -la "$OUT"
