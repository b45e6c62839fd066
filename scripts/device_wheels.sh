#!/usr/bin/env bash
# Fill .whl/ (git-ignored) with what an offline GPU machine (the device tool's H200: Python 3.12,
# torch 2.11 cu130, transformers, numpy, safetensors, triton) lacks to run toolenv and its gpu
# tests: pure-Python wheels of the project's other dependencies and mamba-ssm's sdist (installed
# there without its compiled extension by scripts/gpu_session.sh). A new checkout has no .whl/:
# session 10 found it gone with the rest of the ignored files, so the list lives here.
# Mamba-1's compiled scan is separate: `python scripts/selective_scan_objects.py compile ...`
# (~17 minutes on 2 cores, docs/gpu.md) adds .whl/selective_scan_objects-*.tgz.
# Usage: bash scripts/device_wheels.sh [DIR]   (DIR defaults to .whl)
set -euo pipefail
dir=${1:-.whl}
mkdir -p "$dir"
platform=()
for p in manylinux_2_28_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64; do platform+=(--platform "$p"); done
dl() { python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  "${platform[@]}" -d "$dir" "$@"; }
# the project's dependencies the image lacks, and theirs (one version each: two stop the install),
# at the versions the project's venv (make install) runs, so that both machines run the same code
py=python3; [ -x .venv/bin/python ] && py=.venv/bin/python
names="gymnasium farama-notifications cloudpickle typing-extensions pydantic pydantic-core annotated-types
  typing-inspection rich markdown-it-py mdurl pygments einops hypothesis sortedcontainers pytest pluggy iniconfig"
# shellcheck disable=SC2086  # one argument per name
pins=$("$py" -c 'import sys
from importlib.metadata import version
print(" ".join(f"{n}=={version(n)}" for n in sys.argv[1:]))' $names)
# shellcheck disable=SC2086
dl $pins
# mamba-ssm as its source (no wheel on PyPI). `pip download` runs its setup.py, which imports
# torch: the project's venv (make install) has it
MAMBA_SKIP_CUDA_BUILD=TRUE "$py" -m pip download -q --no-deps --no-binary=:all: --no-build-isolation -d "$dir" \
  mamba-ssm==2.3.2.post1
ls -la "$dir"
