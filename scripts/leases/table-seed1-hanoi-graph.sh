#!/usr/bin/env bash
# The queues of one H200 lease (2026-11-29), started by `PAPER_SCRIPT=<this file> bash
# scripts/gpu_session.sh paper`: several scripts/paper_runs.py queues side by side, sharing
# runs/paper. Tiny SSMs on short tasks train on the machine's CPU cores (a launch-bound GPU is
# time-sliced between processes: every extra GPU process slows the others), everything with
# long sequences (Hanoi: 42k tokens at 8 disks; logical graph) and the 3-4M-parameter models on
# the GPU. Hanoi has its own queue of 4 (its training takes 8-27 GB of GPU memory per run).
# Each queue plays its runs most important first; --deadline stops new starts before the lease ends.
set -u
q() {  # q TAG ARGS...: one background queue
  local tag=$1; shift
  setsid nohup python3 scripts/paper_runs.py --runs runs/paper --board runs/paper/board --tag "$tag-" \
    --deadline "${DEADLINE:-1200}" "$@" >> "runs/paper/$tag.log" 2>&1 < /dev/null &
  echo "queue $tag: pid $!"
}
q hanoi  --plan table --tasks hanoi --device cuda --jobs 4
q graph  --plan table --tasks logical_graph --device cuda --jobs 5
q rnn    --plan table --tasks addition,multiplication_nx1,multiplication_nx2 --backbones lstm,gru,transformer \
         --seeds 1 --device cuda --jobs 3
q ssm    --plan table --tasks addition,multiplication_nx1,multiplication_nx2 --backbones mamba,mamba2 \
         --seeds 1 --device cpu --jobs 2 --threads 2
q ssmx   --plan extra --backbones mamba,mamba2 --device cpu --jobs 1 --threads 2
q extra  --plan extra --backbones lstm,gru,transformer --device cuda --jobs 2
