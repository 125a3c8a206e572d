#!/usr/bin/env bash
# One lent-GPU call (the workplace's device tool runs this from the repo root): are the
# float-exact decode graphs bit-exact on this GPU? training/tools/gpu_exact.py with TF32
# off (cuDNN's heuristic algorithm, then im2col + GEMM), then TF32 on as a measurement
# (its result does not set the exit status). Logs in $OUT.
#
#   Kodak tiles travel in an ignored folder (../shared does not travel), once, here:
#     echo /training/.kodak/ >> .git/info/exclude
#     mkdir -p training/.kodak && cp ../shared/datasets/kodak/kodim0[1-4].png training/.kodak/
#   device run, carry ["training/.kodak"], timeout_s 300:
#     bash training/gpu_exact_run.sh
#   CPU smoke test:
#     DEVICE=cpu TILES=1 REPS=1 OUT=/tmp/gx PY=training/.venv/bin/python bash training/gpu_exact_run.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT to the folder that receives the logs}
mkdir -p "$OUT"
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}
TILES=${TILES:-8}
REPS=${REPS:-5}
MODEL=${MODEL:-models/l3c-pyramid-v5}
KODAK=${KODAK:-training/.kodak}
[ -d "$KODAK" ] || KODAK=../shared/datasets/kodak
export PYTHONUNBUFFERED=1
nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"
"$PY" -c "import torch, onnxruntime as o; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version(), 'onnxruntime', o.__version__, o.get_available_providers())"
run() {  # name, then gpu_exact.py options
  local name=$1; shift
  echo "== $name"
  "$PY" training/tools/gpu_exact.py --device "$DEVICE" --model "$MODEL" --kodak "$KODAK" \
    --tiles "$TILES" --reps "$REPS" "$@" 2>&1 | tee "$OUT/$name.log"
}
rc=0
run tf32-off-cudnn --tf32 off --conv cudnn || rc=1
run tf32-off-gemm --tf32 off --conv gemm || rc=1
run tf32-on-cudnn --tf32 on --conv cudnn || echo "TF32 on: not exact (measurement only)"
echo "exit $rc (TF32 off runs)"
exit $rc
