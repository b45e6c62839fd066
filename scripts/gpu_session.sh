#!/usr/bin/env bash
# One GPU session on an offline CUDA machine (the device tool's H200): set up, then any of
#   test   - the gpu tests (pytest -m gpu)
#   bench  - benchmarks/gpu_rollout.py and benchmarks/train_throughput.py (paper presets)
#   paper  - scripts/paper_runs.py in the background (setsid: it outlives this call); with
#            PAPER_SCRIPT=path, that script starts the queues instead (scripts/leases/)
#   wait S - wait up to S seconds (or "wait until:T", T seconds into this call) for the paper
#            runs, then pack what exists into $OUT
# Usage: bash scripts/gpu_session.sh test bench paper "wait 300"
# Entries record environment.git_commit from git; where the copy's git metadata is stale (the
# device tool syncs the working tree), run with TOOLENV_GIT_COMMIT=<the commit> set.
# Set-up, offline: wheels in .whl/ (gymnasium, pydantic... see docs/gpu.md) and mamba-ssm's
# sdist installed WITHOUT its compiled extension (MAMBA_SKIP_CUDA_BUILD): its Triton kernels
# work, selective_scan_fn (needs scripts/gpu_build.sh, ~9 minutes) is skipped by the tests.
set -uo pipefail
export PYTHONUNBUFFERED=1 PYTHONPATH=/tmp/site
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"

setup() {
  if [ -f /tmp/site/.done ]; then return; fi
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site .whl/*.whl || exit 1
  MAMBA_SKIP_CUDA_BUILD=TRUE MAMBA_FORCE_BUILD=TRUE python3 -m pip install -q --no-index --no-deps --no-build-isolation --target /tmp/site \
    .whl/mamba_ssm-*.tar.gz || echo "mamba-ssm not installed: the Triton kernel tests will skip"
  python3 -m pip install -q --no-index --no-deps --no-build-isolation --target /tmp/site . || exit 1
  python3 -c "import torch, toolenv; print('torch', torch.__version__, 'tasks', toolenv.list_tasks())"
  touch /tmp/site/.done
}

run_tests() {
  python3 -m pytest -q -m gpu -p no:cacheprovider -ra tests/ 2>&1 | tee "$OUT/gpu_tests.log" | tail -40
}

run_bench() {
  python3 benchmarks/gpu_rollout.py --json "$OUT/gpu_rollout.json" 2>&1 | tee "$OUT/gpu_rollout.log" | tail -30
  python3 benchmarks/train_throughput.py --device cuda --sizes paper --backbones mamba2,transformer,lstm,gru \
    --batch 16 --length 2048 --json "$OUT/train_throughput.json" 2>&1 | tee "$OUT/train_throughput.log" | tail -20
}

start_paper() {
  mkdir -p runs/paper
  if [ -n "${PAPER_SCRIPT:-}" ]; then bash "$PAPER_SCRIPT"; return; fi
  # entries go under runs/ (ignored by git): the device tool re-syncs the working tree at every
  # call and removes untracked files elsewhere (leaderboards/paper lost its first entries so)
  setsid nohup python3 scripts/paper_runs.py --plan "${PLAN:-table,ablation,beyond,extra}" --jobs "${JOBS:-8}" \
    --device cuda --board runs/paper/board >> runs/paper/queue.log 2>&1 < /dev/null &
  echo "paper runs started (pid $!)"
}

wait_paper() {  # "wait S": up to S more seconds; "wait until:T": until this call has run T seconds
  local until=$((SECONDS + ${1#until:}))
  case $1 in until:*) until=${1#until:} ;; esac
  while [ $SECONDS -lt $until ] && pgrep -f scripts/paper_runs.py > /dev/null; do sleep 10; done
  tail -n 8 runs/paper/*.log | grep -v "^$" | tail -n 60
  nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
  tar czf "$OUT/paper.tgz" runs/paper/board runs/paper/*.log runs/paper/*.json 2>/dev/null
  # the tiny models' weights (~0.3 MB each), to extend their evaluations elsewhere
  tar czf "$OUT/tiny-checkpoints.tgz" runs/paper/*mamba*/config.json runs/paper/*mamba*/model.safetensors \
    runs/paper/*mamba*/train_log.json 2>/dev/null
  ls -la "$OUT"
}

setup
for step in "$@"; do
  case $step in
    test) run_tests ;;
    bench) run_bench ;;
    paper) start_paper ;;
    wait*) wait_paper "${step#wait }" ;;
    *) echo "unknown step $step"; exit 2 ;;
  esac
done
