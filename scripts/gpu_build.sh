#!/usr/bin/env bash
# Device call 1: build the mamba-ssm wheel for the local GPU only, from the sdist in .whl/,
# and return it in <16 MiB parts through $OUT (the device tool's transfer limit).
set -euo pipefail
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv
python3 -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__, torch.cuda.get_device_capability())"
python3 scripts/build_cuda_wheels.py .whl /tmp/wheels --skip-causal-conv1d --jobs "$(nproc)" 2>&1 | grep -v -E "^\s*(copying|adding|creating)" | tail -25
cd /tmp/wheels && ls -la && for w in mamba_ssm-*.whl; do split -b 15M "$w" "$OUT/$w.part-"; sha256sum "$w" > "$OUT/$w.sha256"; done
ls -la "$OUT"
