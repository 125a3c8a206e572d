#!/usr/bin/env bash
# Creates training/.venv with the pinned training/test stack (the README's set-up calls it).
# PyPI's torch wheels for Linux bring the CUDA libraries: the venv takes about 6 GiB. The
# wheels are not kept in pip's cache (that would double the footprint), and the free space
# is checked first so that a full disk fails with this message instead of pip's ENOSPC.
set -euo pipefail
cd "$(dirname "$0")/.."
need_mib=7168
if [ ! -x training/.venv/bin/python ] || ! training/.venv/bin/python -c "import torch, onnx, onnxruntime, moto" 2>/dev/null; then
  free_mib=$(df -Pm training | awk 'NR == 2 { print $4 }')
  if [ "$free_mib" -lt "$need_mib" ]; then
    echo "setup:python: training/.venv needs about ${need_mib} MiB free on the disk of training/ (PyTorch with its CUDA libraries from PyPI); ${free_mib} MiB free" >&2
    exit 1
  fi
fi
python3 -m venv training/.venv
training/.venv/bin/pip install --no-cache-dir -q -r training/requirements.txt -r test/requirements.txt -c training/constraints.txt
