#!/usr/bin/env bash
# One H200 lease (2026-11-29, session 4), in device calls of <= 10 minutes:
#   start       - set-up; the rollout benchmark alone on the GPU (LSTM, GRU, Mamba-2, Mamba with
#                 mamba-ssm's Triton decoding kernels); then, in the background: the logical graph
#                 for LSTM and GRU (the bigger recipe of scripts/paper_runs.py), and the compiled
#                 Mamba-1 kernel's build (CPU) followed by its gpu tests and a Mamba queue on it
#   table       - the same without the benchmark (GRU and LSTM on the logical graph, seeds 0 and 1)
#   after-build - (background) build selective_scan_cuda for this GPU into /tmp/site-cuda, test it,
#                 then train/score Mamba on the logical graph (small) and Hanoi (tiny) with kernels
#   kernel-tests, throughput - the compiled kernel's gpu tests; train_throughput.py on the kernels
#   hanoi-graph - (session 5) set-up; the compiled build in the background, followed by Mamba on
#                 Hanoi (seeds 0, 1), sorting and code tracing; at once: the logical graph for GRU and
#                 LSTM (seed 0, the substituting oracle) and Mamba-2 on Hanoi, sorting and code
#                 tracing on its Triton kernels (no build needed)
#   session6    - (session 6) set-up; the logical graph on the oracle that finds the gate again (GRU,
#                 LSTM, Mamba-2 `small`); Hanoi baselines and seed 1 of the extra tasks; Mamba-1 on
#                 sorting and code tracing after its build (it ran as `next`, commit 49f2341)
#   next        - the plan for the lease after session 6 (see the case below)
#   session7    - (session 7, nvidia-h200-x2: two GPUs) the logical graph again, its labels now of one
#                 width: GRU, Mamba-2, LSTM seed 0 on GPU 0 and seed 1 on GPU 1, scored on the GPU
#                 (policy step in a CUDA graph, 4 lengths per batch); Mamba-1 seed 0 after its build;
#                 scripts/ddp_check.py (1 GPU vs 2 GPUs); seed 1 of the extra tasks on GPU 0
#   after7      - the plan for the lease after session 7 (two GPUs if lent, else GPU=0 for both):
#                 Mamba-1 `small` on the logical graph alone on GPU 1 after its build (it ran out of
#                 memory beside three runs), the Transformer's logical graph and Hanoi's remaining
#                 runs on GPU 0
#   session8    - (session 8, one H200) Mamba-1 `small` on the logical graph (seeds 0 and 1) after a
#                 build on 14 cores; the Transformer's logical graph (seeds one after the other: 58 GB
#                 were in use while one trained beside one scoring run); Mamba-2 seed 0 scored at
#                 1,000 gates (checkpoint carried; every length re-scored: a finished entry is not resumed
#                 without --extend, found in session 9); the search-rollout
#                 benchmark and the search-rollout gpu tests in the foreground
#   after8      - the plan for the lease after session 8 (Mamba-1 reached step 750 of 1,500 there, the GPU
#                 shared four ways, and its optimizer state was not brought back): Mamba-1 on the
#                 logical graph again, on the extension linked from .whl/'s objects (else built), alone
#                 on a GPU or followed by the Transformer's seed 1 on one; the search-rollout benchmark
#                 (20 gates: 100 did not finish in 300 s beside the runs); with two GPUs, Hanoi's
#                 Transformers and Mamba-2 s0 at 1,000 gates (checkpoint carried) on GPU 0
#   after9      - the plan for the lease after session 9 (Mamba-1's logical graph, the Transformer's seed 1,
#                 Hanoi's Transformers and Mamba-2 s0 at 1,000 gates ran there, as after8): the search-rollout
#                 benchmark first, on an idle GPU; then Hanoi's GRU and LSTM seed 1 and the LSTM s0 at 12 disks
#                 (its entry resumed, checkpoint carried) on GPU 1, seed 1 of sorting and code tracing for the
#                 RNNs and the Transformer (and Mamba-2's code tracing) on GPU 0
#   after10     - (session 10; its checkout had lost every ignored file: no checkpoints, .whl/ refetched by
#                 scripts/device_wheels.sh, no compiled Mamba-1 objects) GPU 1: Hanoi's GRU and LSTM seed 1 and
#                 the Transformer's Hanoi at its own recipe (scripts/paper_runs.py: 1,600 steps at lr 3e-4; the old
#                 entries are left out of the board so that it runs); GPU 0: the search-rollout benchmark alone
#                 (200 s), then seed 1 of sorting and code tracing for GRU, LSTM, Transformer and Mamba-2
#   after11     - (session 11, two GPUs) GPU 0: code tracing on its operand-line format (every architecture, seeds 0
#                 and 1, 2,000 steps; Mamba-1 on its PyTorch path: no compiled objects), the sliding-window
#                 Transformer on multiplication and Hanoi (seed 1); GPU 1: Hanoi's Transformer with RoPE on the
#                 whole head (seeds 0 and 1), the sliding-window Transformer's Hanoi seed 0
#   after11b    - the plan for the lease after session 11 (not run yet): the sliding-window Transformer on Hanoi and
#                 the logical graph (seeds 0 and 1) on its blockwise training attention (session 11's ran out of
#                 memory on the L x L mask), its CUDA test and memory benchmark first; Mamba-1 on the logical graph
#                 if .whl/ holds compiled objects (scripts/selective_scan_objects.py); Hanoi's Transformers at
#                 8-12 disks if their checkpoints are carried
#   after12     - (session 12, one H200) the Transformers' steps replayed as CUDA graphs (their KV cache grows
#                 between replays): their gpu tests and the rollout benchmark first, then Hanoi's Transformers
#                 retrained (session 11's checkpoints were lost) and scored past 7 disks, the sliding-window
#                 Transformer on Hanoi and the logical graph (seeds 0 and 1), and the Transformer with RoPE on the
#                 whole head on n x 1 and n x 2 (plan rope); scoring falls back to the eager loop if the tests fail
#   after12b    - the plan for the lease after session 12 (one H200): Hanoi's Transformers trained again and scored
#                 with graphs past 7 disks (session 12's were cut at 6-7; their entries replace session 11's), the
#                 sliding-window Transformer's Hanoi seed 1 at once; its logical graph seed 0, which held ~90 GB at
#                 batch 256 in session 12, only once those have trained (`later`); Mamba-1's logical graph if .whl/
#                 holds its compiled objects and a second GPU is lent
#   after13     - (session 13, one H200) session 12's Hanoi Transformers (checkpoints carried; its replicates: s1 100/94%
#                 at 6/7 disks, s0 88% at 6) scored on from their .partial files with graphs (they replace session 11's
#                 entries, scored to 7); the sliding-window Transformer's Hanoi seed 1 beside them; its logical graph
#                 seed 0 (~90 GB, 1,299 s of training in session 12) only once every other run has ended (`later`
#                 with LATER_WHILE, at most 1,200 s on): a trainer beside them slowed the latency-bound graph replays ~10x in session 12
#   after14     - (session 14, one H200; every checkpoint was lost with the session's ignored files) the decoding
#                 attention benchmark alone (benchmarks/decode_attention.py), its faster kernel then exported for
#                 every run; Hanoi's Transformer trained again (seeds 0 and 1) and scored from 6 disks, the
#                 sliding-window Transformer's Hanoi seed 1 beside them; the decoding kernels' GPU tests
#   after15     - (session 15, one H200) Mamba-1 `small`'s logical graph seed 1 trained again (session 9's checkpoint
#                 is gone; its entry stopped at 500 gates) alone on the GPU, on the extension linked from .whl/'s
#                 objects, then scored at every length to 1,000 gates with 4 lengths per batch
#   after16     - (session 16, one H200) the logical graph's GRU (seeds 0 and 1) and LSTM (seed 0) at their new
#                 recipe (scripts/paper_runs.py: the paper's 2,000 steps at batch 512, the LSTM at lr 1e-3), three
#                 runs at once (cuDNN recurrences leave the GPU mostly idle), each scored on the GPU when trained.
#                 It ran at 84bffbb: GRU s1 ran out of memory at its start (53 GB per run at batch 512), the machine was
#                 lost after the first call; GRU s0 resumed from its carried trainer_state.pt (step 1,500) with
#                 `after16b`. The recipe was reverted after (no better): both cases replay what ran from a checkout of 84bffbb
#   after16b    - carry [".whl" without the Mamba-1 objects, "runs/paper/logical_graph-gru-s0"]: that run resumed,
#                 trained to 2,000 and scored on the GPU
#   after17     - (session 17, one H200; its checkout had lost every ignored file, .whl/ refetched) the logical graph's
#                 GRU at twice `small`'s width (`medium`: hidden 1024, 2 layers; plan rnn-medium of scripts/paper_runs.py),
#                 seed 0, the table's recipe (1,500 x 256), alone on the GPU (RNN training filled it in session 16), then
#                 scored on the GPU to 1,000 gates
#   after17b    - session 17's second call (typed inline then, at 0d1286b; recorded here): the rest of plan rnn-medium,
#                 three runs at once (GRU s1, LSTM s0 and s1; GRU s0 was done): the LSTM's seed 1 ran out of memory at its
#                 start, twice (58 + 54 GB held by the other two)
#   next18      - the plan for the lease after session 17 (one H200): the logical graph on the value-lookup oracle
#                 (task logical_graph_value_lookup, plan value-lookup), GRU and LSTM `small`, seeds 0 and 1, four runs at
#                 once (~27 GB each at batch 256), each scored on the GPU when trained
#   next19      - the plan for the lease after session 18 (one H200): the LSTM `small` on the value-lookup oracle
#                 at twice the steps (plan lstm-3k: 3,000 x 256, seeds 0 and 1, two runs at once, ~21 GB each;
#                 session 18's seed 0 was still learning at step 1,500), and the GRU `small` on the value-lookup
#                 oracle trained on more labels that repeat a digit (plan repeats, seeds 0 and 1, ~23 GB each):
#                 four runs at once, each scored on the GPU when trained
#   after19     - carry [".whl", "runs/paper/logical_graph_value_lookup-lstm-3k-s0"] (session 19: next19's machine was
#                 lost between calls, with every run on it; the LSTM seed 0's trainer state at step 1,000 came back):
#                 the GRU on the repeats oracle again (seeds 0 and 1) and that LSTM resumed, three runs at once
#   next20      - (session 20, one H200) the LSTM `small` with its forget-gate bias initialised to 1 (plan lstm-fb of
#                 scripts/paper_runs.py, variant fb1) on the table's logical graph and on the repeats oracle, seeds 0
#                 and 1: four runs at once (~21 GB each), each scored on the GPU when trained
#   next21      - (session 21, one H200; its checkout had lost every ignored file: sessions 19 and 20's runs and entries,
#                 which never landed, with it) the GRU on the repeats oracle again (seeds 0 and 1), and the one LSTM of
#                 next20 whose loss was still falling when that machine was lost (fb1, repeats oracle, seed 1): three
#                 runs at once, each scored on the GPU when trained
#   next22      - the plan for the lease after session 21 (one H200): seeds 2-5 of the GRU on the repeats oracle
#                 (plan repeats-seeds: is seed 0's 94% at 1,000 gates typical, or seed 1's 31%?), in seeds 0-1's float16
#                 recurrence (their recipe, ids -gru-s2..5), four runs at once (~23 GB each on an H200, in slices of 128 rows on an
#                 H100; session 18's four took ~700 s on an H200), each scored on the GPU when trained (~14 minutes).
#                 Seed 2 ran in session 25 (next25: 81% at 1,000 gates), so its entry skips it: seeds 3-5, three at once
#   fp32        - (session of 2026-12-06) benchmarks/rnn_precision.py at the logical graph's batch (torch's autocast
#                 runs cuDNN RNNs in float16: gradients lost?), then the logical graph's GRU and LSTM seed 0 with the
#                 recurrence in float32 (plan rnn-fp32), two runs at once, full batches where the GPU has > 100 GB,
#                 else in slices of 128 rows; the RNN gpu tests beside them. fp32-seed1: that plan's seed 1
#   precision   - (the same session's last ~9 minutes) the LSTM's seed 1 with the recurrence in float32 and in
#                 autocast's float16 side by side (plan lstm-precision), as far as the budget goes: the loss curves
#   next23      - the plan for the next lease: the GRU and LSTM seed 0 in float32 on the repeats oracle (plan
#                 repeats-fp32; where the float16 GRU seed 0 reached 94% at 1,000 gates), two runs at once as in fp32
#                 (~775 s of training on an H100), each scored on the GPU when trained. Ran in session 23 (H100,
#                 801-808 s of training, scored in ~400 s): the LSTM 100% at 10-500 gates and 81% at 1,000, the GRU 0%
#   next24      - the plan for the next lease: the float32 LSTM on the repeats oracle, seed 1 (plan repeats-fp32: a
#                 second seed of session 23's 81% at 1,000 gates), and on the runs stream, seed 0 (plan runs-fp32:
#                 session 23's LSTM miscounted runs of equal digits, 7.7e-4 per copy), two runs at once in slices of
#                 128 rows on an H100 (~800 s of training), each scored on the GPU when trained (~450 s).
#                 fp32-seed1 (the table oracle's seed 1) comes after. Ran in session 24 (H100, 820-825 s of training,
#                 scored in ~570 s): repeats s1 100 / 100 / 94 / 100 / 88 / 88 / 94%, runs s0 100 / 100 / 100 / 94 / 100 /
#                 88 / 100%, its runs of equal digits copied without an error (scripts/label_digits.py)
#   next25      - the plan for the next lease: the float32 LSTM on the runs stream, seed 1 (plan runs-fp32: a second
#                 seed of session 24's 59 of 64 at 1,000 gates), and the float16 GRU on the repeats oracle, seed 2 (plan
#                 repeats-seeds: is its seed 0's 94% at 1,000 gates typical, or seed 1's 31%?), two runs at once as in
#                 next24 (~820 s of training and ~570 s of scoring on an H100; three at once would not fit 30 minutes)
#   next26      - the plan for the next lease: the float16 GRU on the runs stream, seeds 0 and 1 (plan runs-gru: the
#                 float32 LSTM reached 100% at 1,000 gates there in both seeds, sessions 24-25, where the float16 GRU on
#                 the repeats stream scored 94 / 31 / 81% in seeds 0-2 and seed 2 miscounts runs of equal digits, 1.4e-3
#                 per copy at 100 gates, as the repeats LSTMs did), two runs at once as in next25 (session 25 on an
#                 H100: 640 s of training for the float16 GRU beside a float32 LSTM, its scoring ~500 s)
#                 Ran in session 26 on an H200 (full batches: 379-380 s of training two at once, queues ended at 972 s
#                 and 1,160 s): 6% (s0) and 88% (s1) at 1,000 gates. runs-gru-s2: its seed 2 on the same warm machine
#                 (292 s of training alone; scored to 100 gates there, on the CPU box after: 50% at 1,000)
#   next27      - (session 27) Mamba-1 `small`'s logical graph seed 0 trained again (session 9's checkpoint is
#                 lost; its entry stopped at 500 gates, 69%) on the extension linked from .whl/'s objects, scored on the
#                 GPU with 4 lengths per batch (what is unscored when the lease ends goes on on the CPU box from the
#                 .partial file); beside it, the Transformers (table, swa and rope plans) on addition, n×1 and n×2
#                 trained again and scored at every length from the training length to twice it (the paper's stop
#                 lengths 13, 14 and 20 lie between our 10 and 20; their checkpoints are lost): 16 short runs, 8 at once
#                 Ran in session 27 on an H100 (an H200 was asked for): Mamba-1 906 s of training, 100% at every length to
#                 1,000 gates; the Transformers' queue ended at 302 s (one run out of memory twice at its start, run alone after)
#   next28      - the plan for the next lease: the sliding-window Transformer's logical graph seed 0 alone on the GPU (the
#                 table's last missing seed: no memory at its start in session 12, lost with its machine at step ~1,000 in
#                 session 13; its seed 1 trained in 1,299 s on a shared H200), in slices of 128 rows on a GPU of <= 100 GB
#                 (its whole batch of 256 held ~90 GB), scored on the GPU with 4 lengths per batch; what is unscored when
#                 the lease ends goes on on the CPU box from the .partial file
#   next29      - next28, and beside it plan pythia-paper (the paper's Pythia shape and training budget on n×1 and n×2;
#                 its 113M-parameter weights stay on the machine: scored there)
#   next32      - pythia-paper's n×1 seed 1 alone, in full batches, beside the rollout GPU tests of the transformers
#                 (test_rollout_gpu.py -k "transformer or kv_cache")
#   next33      - pythia-paper's n×2, seed 0 then seed 1 (what is left of the plan after session 29), beside the
#                 rollout GPU tests of every backbone but the Transformers
#                 Ran in session 30 on an H100: 25 tests passed; seeds 0 and 1 trained in 447 s and 406 s, seed 0
#                 scored (10→14, 39%), seed 1 scored to 20 digits when the budget ended (closed there, 10→17, 8%)
#   next35      - plan pythia-lr: the 113M Pythia-style n×1 at lr 1e-3 and 3e-4, two at once, seed 0 first
#                 (ran in session 32 on an H100: lr 1e-3 both seeds, lr 3e-4 seed 0)
#   next36      - the 3.2-3.5M Transformers of n×1 and n×2 (table, swa and rope plans, seeds 0 and 1) trained again
#                 and scored with the entries' per-problem record (schema 1.1: which test problems were answered;
#                 session 32 found the n×1 stops at 15-20 digits as many as the a×0 problems there), eight at once
#                 (~22 s of training each alone on an H100, 60-96 s eight at once in session 27); beside them plan
#                 pythia-lr's last run (lr 3e-4 seed 1). Land the old entries into leaderboards/paper/replicates/ first
#                 (ran in session 33: docs/gpu.md)
#   next34      - Hanoi's LSTM seed 0 and Transformer seed 0 trained again and scored at every length (12 disks
#                 not scored for the one, 8-12 for the other)
#   next37      - the Pythia-style Transformer's n×1 shortfall (10→15 at 3.2M, 10→20 at 16-23% at 113M, the paper's
#                 10→20 (79%)) against the training budget: plan pythia-batch (113M at batch 256, lr 1e-3, seed 0
#                 first, one at a time, in slices of 128 rows on an H100) beside plan small-budget (3.2M at the paper's
#                 2,000 steps and batch 1,024 on n×1 and n×2, 256 on n×1; slices of 256 rows on an H100: batch 1,024
#                 of n×2 held 24 GB of the CPU box's memory on its math attention path)
#   next44      - the 113M n×1 at batch 512 (seed 0) alone (~940 s of an H100's training)
#   next43      - the 113M n×1 at batch 512 (seed 0) beside next42 (Hanoi's Transformer at 3,000 steps)
#   next30      - the rest of plan pythia-paper, two runs at once (n×1 seed 0 took 757 s of training beside next28)
#   eval-memory RUN_ID [LENGTHS] - benchmarks/eval_memory.py on runs/paper/RUN_ID (64 rows a length; $OUT/eval_memory-RUN_ID.json)
#   stop TAG... - end the queue `q TAG` started and the runs it plays (not retried, nothing new started)
#   pause ID... - SIGTSTP the runs' python processes (train or eval), e.g. to give the GPU to others; resume ID...: SIGCONT
#   pack        - runs/paper's entries, logs and the trained weights into $OUT (<= 8 files of 16 MiB)
#   wait T      - wait until T seconds after $CALL_T0 (epoch seconds; default: this script's start), or until
#                 everything ended, then pack. Session 14's first call ran `after14` (~60 s) and then `wait 555`,
#                 counted from its own start, into the 600 s limit: export CALL_T0 at the start of the call.
#                 The pack takes ~15-30 s: keep T at least 30 s below the call's limit (session 38's last call,
#                 limited to 248 s by the budget, ran `wait 235` and was cut off while packing)
# Usage: export CALL_T0=$(date +%s); bash scripts/leases/graph-kernels.sh start; bash scripts/leases/graph-kernels.sh wait 560
set -u
export PYTHONUNBUFFERED=1 PYTHONPATH=/tmp/site
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" runs/paper

q() {  # q TAG ARGS...: one background queue of scripts/paper_runs.py (on GPU $GPU when set)
  local tag=$1; shift
  setsid nohup env ${GPU:+CUDA_VISIBLE_DEVICES=$GPU} python3 scripts/paper_runs.py --runs runs/paper --board runs/paper/board --tag "$tag-" \
    --deadline 1200 "$@" >> "runs/paper/$tag.log" 2>&1 < /dev/null &
  echo "queue $tag: pid $!"
}

glance() {  # glance S: after S seconds, the logs' last lines and the GPU's use
  sleep "$1"; tail -n 3 runs/paper/*.log; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
}

q_sliced() {  # q_sliced ROWS TAG ARGS...: q, training in slices of ROWS rows on a GPU of <= 100 GB (an H100)
  local rows=$1 mb=(); shift
  [ "$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits | head -n 1)" -gt 100000 ] || mb=(--micro-batch "$rows")
  q "$@" "${mb[@]}"
}

q_fp32() {  # q_fp32 TAG ARGS...: q for RNNs in float32, in slices of 128 rows on a GPU of <= 100 GB (a float32 GRU
  # `small` peaks at ~52 GiB on the logical graph's longest batch of 256 rows, 26 GiB in slices: two fit an H100 so;
  # a float16 one ~23 GB whole on an H200 (session 18), half the rows should take about half: four should fit)
  q_sliced 128 "$@"
}

begin() {  # set-up; the finished entries of leaderboards/paper are copied, so their runs are skipped
  bash scripts/gpu_session.sh || exit 1
  mkdir -p runs/paper/board && cp leaderboards/paper/*-s[0-9].json runs/paper/board/
}

build_then() {  # build_then TAG ARGS...: the compiled Mamba-1 build in the background, then that queue
  AFTER_BUILD="$*" setsid nohup bash "$0" after-build >> runs/paper/build.log 2>&1 < /dev/null &
}

pack() {  # $OUT brings back at most 8 files of <= 16 MiB, 64 MiB in all: the entries and logs first
  # (paper.tgz), then the small models' weights together, then one large model at a time (split in parts
  # over 16 MiB) while both limits hold; the rest is named, not packed (session 10's first call packed
  # 21 files and paper.tgz was among those left behind). Rejoin parts with `cat ckpt-X.tgz.part-* | tar xz`
  tail -n 4 runs/paper/*.log | grep -v "^$" | tail -n 70
  nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
  tar czf "$OUT/paper.tgz" runs/paper/board runs/paper/*.log runs/paper/*.json runs/paper/ddp/ddp_check.json \
    2>/dev/null
  local small=() large=() states=()
  # what $OUT brings back (the device's limits; smaller in tests)
  local max_files=${PACK_MAX_FILES:-8} max_bytes=${PACK_MAX_BYTES:-64000000}
  # PACK_ONLY=GLOB (e.g. "hanoi-*"): only those runs' weights; PACK_ONLY=unfinished: only those of runs still
  # training or scoring (a `.partial-` entry on the board, or none yet), so that a lease's last call brings back what the CPU
  # box needs to finish them (session 37's repeats GRUs were closed at 100 gates: `none` left their weights)
  # A GLOB names runs without their seed's `-sN`, or one run whole (session 39's PACK_ONLY='…-gru-s5' matched nothing)
  local glob=${PACK_ONLY:-*}; [ "$glob" = unfinished ] && glob='*'
  local dirs=(runs/paper/$glob-s[0-9]); [[ $glob == *-s[0-9] ]] && dirs=(runs/paper/$glob)
  for d in "${dirs[@]}"; do
    [ -f "$d/model.safetensors" ] || continue
    local trained=1
    [ -f "$d/trainer_state.pt" ] && python3 -c "import json, sys; c = json.load(open(sys.argv[1])); \
        sys.exit(c['step'] >= c['train_config']['steps'])" "$d/config.json" && trained=0
    # finished: trained, an entry on the board and no `.partial-` one (a run trained but not yet through its first
    # length has no entry at all: session 38's repeats GRU seed 5 was left so, its weights lost)
    [ "${PACK_ONLY:-}" = unfinished ] && [ $trained = 1 ] && [ -f "runs/paper/board/$(basename "$d").json" ] \
      && ! compgen -G "runs/paper/board/$(basename "$d")*.partial-*" > /dev/null && continue
    # finished weights an earlier call of this machine brought back: not again (session 17's second call packed
    # a finished run again and left the two runs trained since on the machine, over 64 MiB)
    [ "$d/.packed" -nt "$d/model.safetensors" ] && { [ ! -f "$d/trainer_state.pt" ] || [ "$d/.packed" -nt "$d/trainer_state.pt" ]; } \
      && continue
    local files=("$d/config.json" "$d/model.safetensors" "$d/train_log.json")
    # training unfinished: its trainer state (weights, optimizer, step), so that a later lease resumes it
    # (session 8 lost it); the weights file is left out then, the state holds the weights
    [ $trained = 0 ] && files=("$d/config.json" "$d/trainer_state.pt" "$d/train_log.json")
    if [ "$(stat -c %s "$d/model.safetensors")" -lt 2000000 ]; then small+=("${files[@]}")
    elif [ $trained = 1 ]; then large+=("$(basename "$d"):${files[*]}")  # an LSTM `small` is ~15 MB,
    else states+=("$(basename "$d"):${files[*]}"); fi  # with its optimizer ~45 MB
  done
  [ ${#small[@]} -gt 0 ] && tar czf "$OUT/ckpt-small-models.tgz" "${small[@]}"
  local entry name tmp=/tmp/pack.$$ left=()
  # trained runs' weights first: a CPU box can score those, a trainer state needs another lease to train on.
  # Session 39 packed Hanoi's 35 MB trainer state first (its name sorts first) and left a trained GRU behind
  for entry in "${large[@]}" "${states[@]}"; do
    name=${entry%%:*}; rm -rf "$tmp"; mkdir -p "$tmp"
    # shellcheck disable=SC2086  # the files' paths hold no spaces
    tar czf "$tmp/ckpt-$name.tgz" ${entry#*:}
    if [ "$(stat -c %s "$tmp/ckpt-$name.tgz")" -gt 16000000 ]; then
      split -b 15M "$tmp/ckpt-$name.tgz" "$tmp/ckpt-$name.tgz.part-" && rm "$tmp/ckpt-$name.tgz"
    fi
    if [ $(( $(find "$OUT" -type f | wc -l) + $(ls "$tmp" | wc -l) )) -le "$max_files" ] \
        && [ $(( $(du -cb "$OUT" "$tmp" | tail -n 1 | cut -f 1) )) -le "$max_bytes" ]; then
      mv "$tmp"/* "$OUT"/ && touch "runs/paper/$name/.packed"
    else left+=("$name"); fi
  done
  rm -rf "$tmp"
  [ ${#left[@]} -gt 0 ] && echo "weights left on the machine (over $max_files files or $max_bytes bytes): ${left[*]}"
  ls -la "$OUT"
}

case ${1:-} in
start)
  bash scripts/gpu_session.sh || exit 1  # set-up only (offline wheels, mamba-ssm's Triton kernels)
  timeout 280 python3 benchmarks/gpu_rollout.py --backbones lstm,gru,mamba2,mamba --batches 256,1024 \
    --steps 2048 --no-compile-env --json runs/paper/gpu_rollout.json > runs/paper/gpu_rollout.log 2>&1
  tail -n 30 runs/paper/gpu_rollout.log
  setsid nohup bash "$0" after-build >> runs/paper/build.log 2>&1 < /dev/null &
  q graph-rnn --plan table --tasks logical_graph --backbones lstm,gru --seeds 0 --device cuda --jobs 2
  sleep 20; tail -n 3 runs/paper/*.log
  ;;
table)  # the next lease's plan: like start, without the benchmark (the substituting oracle, c8871f2)
  bash scripts/gpu_session.sh || exit 1
  setsid nohup bash "$0" after-build >> runs/paper/build.log 2>&1 < /dev/null &
  q graph-rnn --plan table --tasks logical_graph --backbones gru,lstm --seeds 0,1 --device cuda --jobs 2
  sleep 20; tail -n 3 runs/paper/*.log
  ;;
hanoi-graph)
  bash scripts/gpu_session.sh || exit 1
  build_then hanoi-mamba --plan table,extra --tasks hanoi,sorting,code_tracing --backbones mamba --seeds 0,1 --jobs 2
  q graph-rnn --plan table --tasks logical_graph --backbones gru,lstm --seeds 0 --device cuda --jobs 2
  q hanoi-mamba2 --plan table,extra --tasks hanoi,sorting,code_tracing --backbones mamba2 --seeds 0,1 --device cuda \
    --jobs 2 --kernels
  sleep 60; tail -n 3 runs/paper/*.log
  ;;
session6)  # the logical graph on the oracle that finds the gate again (GRU, LSTM, and
  # Mamba-2 `small` on its Triton kernels: Mamba-1 `small` would start after the ~13-minute build and
  # not finish 1,500 x 256 trajectories of ~3,700 tokens in the lease), Hanoi baselines, seed 1 of
  # the extra tasks; Mamba-1 on sorting and code tracing after its build
  begin
  rm -f runs/paper/board/logical_graph-*  # not skipped: the logical graph's oracle changed after session 5
  build_then ssm-extra --plan extra --tasks sorting,code_tracing --backbones mamba --seeds 0,1 --jobs 2
  q graph --plan table --tasks logical_graph --backbones gru,lstm,mamba2 --seeds 0 --device cuda --jobs 3 --kernels
  q base --plan table,extra --tasks hanoi,sorting,code_tracing --backbones mamba2,gru,lstm,transformer \
    --seeds 0,1 --device cuda --jobs 2 --kernels
  sleep 60; tail -n 3 runs/paper/*.log
  ;;
next)  # after session 6: seed 1 of the logical graph (GRU, Mamba-2, LSTM) and Mamba-1 `small` on it
  # after the build (~11 minutes; its training fits, its scoring to 1,000 gates goes to the CPU box:
  # the search tool runs on the host); Hanoi's remaining baselines; seed 1 of the extra tasks
  begin
  build_then lg-mamba --plan table --tasks logical_graph --backbones mamba --seeds 0 --jobs 1
  q graph --plan table --tasks logical_graph --backbones gru,mamba2,lstm --seeds 1 --device cuda --jobs 3 --kernels
  q base --plan table,extra --tasks hanoi,sorting,code_tracing --backbones transformer,gru,lstm,mamba2 \
    --seeds 0,1 --device cuda --jobs 2 --kernels
  sleep 60; tail -n 3 runs/paper/*.log
  ;;
session7)  # two GPUs: the logical graph with labels of one width (every test set changed), both seeds
  begin
  nvidia-smi -L
  rm -f runs/paper/board/logical_graph-*  # not skipped: the task's labels changed after session 6
  setsid nohup python3 scripts/ddp_check.py --gpus 2 --out runs/paper/ddp > runs/paper/ddp.log 2>&1 < /dev/null &
  GPU=0 q graph0 --plan table --tasks logical_graph --backbones gru,mamba2,lstm --seeds 0 --device cuda --jobs 3 --kernels
  GPU=1 q graph1 --plan table --tasks logical_graph --backbones gru,mamba2,lstm --seeds 1 --device cuda --jobs 3 --kernels
  GPU=1 build_then lg-mamba --plan table --tasks logical_graph --backbones mamba --seeds 0 --jobs 1
  GPU=0 q extra --plan extra --tasks sorting,code_tracing --backbones mamba2,gru,lstm,transformer --seeds 0,1 \
    --device cuda --jobs 1 --kernels
  sleep 60; tail -n 3 runs/paper/*.log
  ;;
after7)  # GPU 1: Mamba-1 (the paper's model) on the logical graph, both seeds, alone after the build;
  # GPU 0 (or the only GPU): the Transformer on the logical graph, then Hanoi's Transformers and RNN seed 1
  begin
  G1=$([ "$(nvidia-smi -L | wc -l)" -ge 2 ] && echo 1 || echo 0)
  GPU=$G1 build_then lg-mamba --plan table --tasks logical_graph --backbones mamba --seeds 0,1 --jobs 2
  GPU=0 q graph-tf --plan table --tasks logical_graph --backbones transformer --seeds 0,1 --device cuda --jobs 2
  GPU=0 q hanoi --plan table --tasks hanoi --backbones transformer,gru,lstm --seeds 0,1 --device cuda --jobs 2 --kernels
  sleep 60; tail -n 3 runs/paper/*.log
  ;;
session8)  # one GPU: the paper's Mamba on the logical graph, the Transformer on it, Mamba-2 s0 at 1,000 gates
  begin
  BUILD_JOBS=14 AFTER_TESTS=none build_then lg-mamba --plan table --tasks logical_graph --backbones mamba --seeds 0,1 --jobs 2
  q graph-tf --plan table --tasks logical_graph --backbones transformer --seeds 0,1 --device cuda --jobs 1
  # the carried checkpoint (meant to resume its 10-500 entry; without --extend, which came later, it re-scores them)
  setsid nohup python3 -m toolenv.cli eval runs/paper/logical_graph-mamba2-s0 --lengths 10,20,50,100,200,500,1000 \
    --episodes 16 --batch-size 16 --device cuda --name mamba2-small-s0 \
    --out runs/paper/board/logical_graph-mamba2-s0.json > runs/paper/mamba2-s0-1000.log 2>&1 < /dev/null &
  timeout 300 python3 benchmarks/search_rollout.py --backbone mamba2 --size small --device cuda --lengths 20,100 \
    --episodes 32 > runs/paper/search_rollout.log 2>&1; tail -n 12 runs/paper/search_rollout.log
  timeout 200 python3 -m pytest -q -m gpu -p no:cacheprovider -ra tests/test_rollout_gpu.py -k "search and not mamba2 and not gru" \
    > runs/paper/search_graph_test.log 2>&1; tail -n 5 runs/paper/search_graph_test.log
  tail -n 3 runs/paper/*.log
  ;;
after8)
  begin
  G1=$([ "$(nvidia-smi -L | wc -l)" -ge 2 ] && echo 1 || echo 0)
  if [ "$G1" = 1 ]; then  # GPU 1: Mamba-1 alone; GPU 0: the Transformer's seed 1, Hanoi's Transformers, Mamba-2 s0
    BUILD_JOBS=14 AFTER_TESTS=none GPU=1 build_then lg-mamba --plan table --tasks logical_graph --backbones mamba \
      --seeds 0,1 --jobs 2
    GPU=0 q graph-tf --plan table --tasks logical_graph --backbones transformer --seeds 1 --device cuda --jobs 1
    GPU=0 q hanoi --plan table --tasks hanoi --backbones transformer --seeds 0,1 --device cuda --jobs 2
    setsid nohup env CUDA_VISIBLE_DEVICES=0 python3 -m toolenv.cli eval runs/paper/logical_graph-mamba2-s0 \
      --lengths 10,20,50,100,200,500,1000 --episodes 16 --batch-size 16 --device cuda --name mamba2-small-s0 \
      --out runs/paper/board/logical_graph-mamba2-s0.json > runs/paper/mamba2-s0-1000.log 2>&1 < /dev/null &
  else  # one GPU: Mamba-1's two seeds first, then the Transformer's seed 1 (session 8: 133,130 MiB in use
    # with Mamba-1's two seeds training beside two scoring runs; a third training run may not fit)
    BUILD_JOBS=14 AFTER_TESTS=none build_then lg --plan table --tasks logical_graph --backbones mamba,transformer \
      --seeds 0,1 --jobs 2
  fi
  # the benchmark while the extension links (or builds) on the CPU
  timeout 240 python3 benchmarks/search_rollout.py --backbone mamba2 --size small --device cuda --lengths 20 \
    --episodes 32 > runs/paper/search_rollout.log 2>&1; tail -n 12 runs/paper/search_rollout.log
  tail -n 3 runs/paper/*.log
  ;;
after9)  # carry [".whl", "runs/paper/hanoi-lstm-s0"]
  begin
  # the benchmark alone on the GPU (sessions 8 and 9 ran it beside training runs: no figure in 240-300 s)
  timeout 200 python3 benchmarks/search_rollout.py --backbone mamba2 --size small --device cuda --lengths 20 \
    --episodes 32 > runs/paper/search_rollout.log 2>&1; tail -n 12 runs/paper/search_rollout.log
  G1=$([ "$(nvidia-smi -L | wc -l)" -ge 2 ] && echo 1 || echo 0)
  GPU=$G1 q hanoi --plan table --tasks hanoi --backbones gru,lstm --seeds 1 --device cuda --jobs 2
  # the LSTM's entry holds 6-11 disks (begin copied it): --extend plays 12 disks only
  setsid nohup env CUDA_VISIBLE_DEVICES=$G1 python3 -m toolenv.cli eval runs/paper/hanoi-lstm-s0 \
    --lengths 6,7,8,9,10,11,12 --episodes 16 --batch-size 16 --device cuda --stop-at-zero --name lstm-small-s0 \
    --out runs/paper/board/hanoi-lstm-s0.json --extend > runs/paper/hanoi-lstm-s0-12.log 2>&1 < /dev/null &
  GPU=0 q extra --plan extra --tasks sorting,code_tracing --backbones gru,lstm,transformer,mamba2 --seeds 1 \
    --device cuda --jobs 3 --kernels
  sleep 30; tail -n 3 runs/paper/*.log
  ;;
after10)  # carry [".whl"]
  begin
  rm -f runs/paper/board/hanoi-transformer-s[01].json  # session 9's lr-1e-3 entries: this recipe replaces them
  G1=$([ "$(nvidia-smi -L | wc -l)" -ge 2 ] && echo 1 || echo 0)
  GPU=$G1 q hanoi --plan table --tasks hanoi --backbones gru,lstm --seeds 1 --device cuda --jobs 2
  GPU=$G1 q hanoi-tf --plan table --tasks hanoi --backbones transformer --seeds 0,1 --device cuda --jobs 2
  # the benchmark alone on GPU 0 (sessions 8 and 9 ran it beside training runs: no figure in 240-300 s)
  CUDA_VISIBLE_DEVICES=0 timeout 200 python3 benchmarks/search_rollout.py --backbone mamba2 --size small --device cuda \
    --lengths 20 --episodes 32 > runs/paper/search_rollout.log 2>&1; tail -n 12 runs/paper/search_rollout.log
  GPU=0 q extra --plan extra --tasks sorting,code_tracing --backbones gru,lstm,transformer,mamba2 --seeds 1 \
    --device cuda --jobs 4 --kernels
  sleep 20; tail -n 3 runs/paper/*.log
  ;;
after11)  # carry [".whl"]
  begin
  # code tracing's format changed (operand lines) and Hanoi's Transformer its RoPE: those entries are retrained
  rm -f runs/paper/board/code_tracing-* runs/paper/board/hanoi-transformer-s[01].json
  G1=$([ "$(nvidia-smi -L | wc -l)" -ge 2 ] && echo 1 || echo 0)
  # the sliding-window Transformer's 4-D mask is materialized (8 x 42k x 42k at 8 disks, ~14 GB as bool, twice
  # that as the additive mask SDPA builds): one such run per GPU
  GPU=$G1 q hanoi-tf --plan table --tasks hanoi --backbones transformer --seeds 0,1 --device cuda --jobs 2
  GPU=$G1 q swa-hanoi0 --plan swa --tasks hanoi --seeds 0 --device cuda --jobs 1
  GPU=0 q swa-hanoi1 --plan swa --tasks hanoi --seeds 1 --device cuda --jobs 1
  GPU=0 q ct --plan extra --tasks code_tracing --backbones gru,lstm,transformer,mamba2 --seeds 0,1 --device cuda \
    --jobs 5 --kernels
  GPU=0 q ct-mamba --plan extra --tasks code_tracing --backbones mamba --seeds 0,1 --device cuda --jobs 2
  GPU=0 q swa-mult --plan swa --tasks multiplication_nx1,multiplication_nx2 --seeds 0,1 --device cuda --jobs 2
  sleep 30; tail -n 3 runs/paper/*.log; nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader
  ;;
after11b)  # carry [".whl"]
  begin
  G1=$([ "$(nvidia-smi -L | wc -l)" -ge 2 ] && echo 1 || echo 0)
  # the blockwise attention's first GPU run: its test against sdpa (bf16), then the memory it needs at Hanoi's size
  CUDA_VISIBLE_DEVICES=0 timeout 120 python3 -m pytest -q -m gpu -p no:cacheprovider -ra tests/test_transformer.py \
    > runs/paper/swa_gpu_test.log 2>&1; tail -n 3 runs/paper/swa_gpu_test.log
  CUDA_VISIBLE_DEVICES=0 timeout 240 python3 benchmarks/swa_train_memory.py --device cuda --lengths 8192,42000 --batch 8 \
    > runs/paper/swa_train_memory.log 2>&1; tail -n 8 runs/paper/swa_train_memory.log
  GPU=0 q swa-hanoi --plan swa --tasks hanoi --seeds 0,1 --device cuda --jobs 2
  GPU=$G1 q swa-graph --plan swa --tasks logical_graph --seeds 0,1 --device cuda --jobs 2
  if ls .whl/selective_scan_objects-*.tgz > /dev/null 2>&1; then
    GPU=$G1 AFTER_TESTS=none build_then lg-mamba --plan table --tasks logical_graph --backbones mamba --seeds 0,1 --jobs 2
  fi
  # Hanoi's Transformers (whole-head RoPE, scored to 7 disks in session 11) at 8-12 disks, if their checkpoints are
  # carried (carry [".whl", "runs/paper/hanoi-transformer-s1"]: .whl/ is ~44 MB with the Mamba-1 objects, a
  # checkpoint 13 MB, the carry limit 64 MiB): --extend plays the lengths their entries lack
  for s in 0 1; do
    [ -f "runs/paper/hanoi-transformer-s$s/model.safetensors" ] || continue
    setsid nohup env CUDA_VISIBLE_DEVICES=0 python3 -m toolenv.cli eval "runs/paper/hanoi-transformer-s$s" \
      --lengths 6,7,8,9,10,11,12 --episodes 16 --batch-size 16 --stop-at-zero --device cuda \
      --name "transformer-small-s$s" --out "runs/paper/board/hanoi-transformer-s$s.json" --extend \
      > "runs/paper/hanoi-tf-s$s-extend.log" 2>&1 < /dev/null &
  done
  sleep 30; tail -n 3 runs/paper/*.log; nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader
  ;;
after12)  # carry [".whl"]
  begin
  rm -f runs/paper/board/hanoi-transformer-s[01].json  # retrained: session 11's checkpoints are gone
  timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider -ra tests/test_rollout_gpu.py tests/test_transformer.py \
    -k "transformer or growing or blockwise" > runs/paper/tf_graph_tests.log 2>&1
  graphs=$?; tail -n 4 runs/paper/tf_graph_tests.log
  flag=(); [ "$graphs" = 0 ] || { flag=(--no-graphs); echo "graph tests failed: scoring on the eager loop"; }
  # eager against graphs, alone on the GPU (short: the runs wait for it)
  timeout 150 python3 benchmarks/gpu_rollout.py --backbones transformer,swa-transformer --batches 16,128 --steps 512 \
    --length 20 --no-compile-env --json runs/paper/gpu_rollout_tf.json > runs/paper/gpu_rollout_tf.log 2>&1
  tail -n 9 runs/paper/gpu_rollout_tf.log
  q hanoi-tf --plan table --tasks hanoi --backbones transformer --seeds 0,1 --device cuda --jobs 2 "${flag[@]}"
  q swa-hanoi --plan swa --tasks hanoi --seeds 0,1 --device cuda --jobs 2 "${flag[@]}"
  q rope --plan rope --seeds 0,1 --device cuda --jobs 2 "${flag[@]}"
  q swa-graph --plan swa --tasks logical_graph --seeds 0,1 --device cuda --jobs 2 "${flag[@]}"
  # the blockwise attention's memory at Hanoi's size (8 x 42k tokens), beside the runs (its time is theirs too)
  setsid nohup timeout 300 python3 benchmarks/swa_train_memory.py --device cuda --lengths 8192,42000 --batch 8 \
    --reps 1 > runs/paper/swa_train_memory.log 2>&1 < /dev/null &
  sleep 20; tail -n 3 runs/paper/*.log; nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader
  ;;
after12b)  # carry [".whl"]
  begin
  rm -f runs/paper/board/hanoi-transformer-s[01].json
  G1=$([ "$(nvidia-smi -L | wc -l)" -ge 2 ] && echo 1 || echo 0)
  GPU=0 q hanoi-tf --plan table --tasks hanoi --backbones transformer --seeds 0,1 --device cuda --jobs 2
  GPU=0 q swa-hanoi --plan swa --tasks hanoi --seeds 1 --device cuda --jobs 1
  LATER="swa-graph --plan swa --tasks logical_graph --seeds 0 --device cuda --jobs 1" GPU=$G1 \
    setsid nohup bash "$0" later >> runs/paper/later.log 2>&1 < /dev/null &
  if [ "$G1" = 1 ] && ls .whl/selective_scan_objects-*.tgz > /dev/null 2>&1; then
    GPU=1 AFTER_TESTS=none build_then lg-mamba --plan table --tasks logical_graph --backbones mamba --seeds 0,1 --jobs 2
  fi
  sleep 30; tail -n 3 runs/paper/*.log; nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader
  ;;
after13)  # carry [".whl", "runs/paper/hanoi-transformer-s0", "runs/paper/hanoi-transformer-s1"]
  begin
  rm -f runs/paper/board/hanoi-transformer-s[01].json  # session 11's (lost checkpoints): the retrains replace them
  cp leaderboards/paper/replicates/session12-hanoi-transformer/*.partial-* runs/paper/board/
  for s in 0 1; do  # resumes from the .partial file: s0 at 7 disks, s1 at 8
    [ -f "runs/paper/hanoi-transformer-s$s/model.safetensors" ] || { echo "hanoi-transformer-s$s not carried"; continue; }
    setsid nohup python3 -m toolenv.cli eval "runs/paper/hanoi-transformer-s$s" --lengths 6,7,8,9,10,11,12 \
      --episodes 16 --batch-size 16 --stop-at-zero --device cuda --name "transformer-small-s$s" \
      --out "runs/paper/board/hanoi-transformer-s$s.json" > "runs/paper/hanoi-tf-s$s-score.log" 2>&1 < /dev/null &
  done
  q swa-hanoi --plan swa --tasks hanoi --seeds 1 --device cuda --jobs 1
  LATER="swa-graph --plan swa --tasks logical_graph --seeds 0 --device cuda --jobs 1" LATER_MAX=1200 \
    LATER_WHILE="toolenv.cli (train|eval)|scripts/paper_runs.py" GPU=0 setsid nohup bash "$0" later >> runs/paper/later.log 2>&1 < /dev/null &
  sleep 30; tail -n 3 runs/paper/*.log; nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader
  ;;
later)  # (background) start the queue $LATER once no process matching $LATER_WHILE (default: a training run) is
  # left on GPU $GPU (or after ${LATER_MAX:-900} s)
  for _ in $(seq 1 $(( ${LATER_MAX:-900} / 15 ))); do
    pgrep -f "${LATER_WHILE:-toolenv.cli train}" > /dev/null || break  # (extended regex already; -E is no option)
    [ "$GPU" != 0 ] && break  # its own GPU: no need to wait
    sleep 15
  done
  # shellcheck disable=SC2086  # word splitting wanted: LATER is "TAG ARGS..."
  q $LATER
  ;;
after-build)
  export PYTHONPATH=/tmp/site-cuda:/tmp/site
  # first the objects compiled on the CPU box (scripts/selective_scan_objects.py: one C++ file to compile
  # here), else the whole build (~12 minutes); torch is imported first: the extension links against libc10.so
  objs=$(ls .whl/selective_scan_objects-*.tgz 2>/dev/null | tail -n 1)
  # linked objects must pass Mamba-1's kernel tests (against the PyTorch paths) before any run uses them
  if [ -n "$objs" ] && python3 scripts/selective_scan_objects.py link --sdist .whl/mamba_ssm-*.tar.gz --objects "$objs" \
      --out /tmp/site-cuda && python3 -c "import torch, selective_scan_cuda; print('selective_scan_cuda linked')" \
      && TOOLENV_REQUIRE_KERNELS=1 timeout 300 python3 -m pytest -q -m gpu -p no:cacheprovider -ra \
      tests/test_kernels_gpu.py tests/test_mamba_gpu.py -k "not mamba2 and not Mamba2 and not chunk_scan and not rmsnorm" \
      > runs/paper/linked_kernel_tests.log 2>&1; then
    tail -n 3 runs/paper/linked_kernel_tests.log
  else
    [ -n "$objs" ] && { echo "linked selective_scan_cuda not usable: the whole build"; rm -f /tmp/site-cuda/selective_scan_cuda*; }
    python3 scripts/build_cuda_wheels.py .whl /tmp/wheels --skip-causal-conv1d --jobs "${BUILD_JOBS:-8}" 2>&1 \
      | grep -v -E "^\s*(copying|adding|creating)" | tail -n 8
    python3 -m pip install -q --no-index --no-deps --target /tmp/site-cuda /tmp/wheels/mamba_ssm-*.whl || exit 1
    python3 -c "import torch, selective_scan_cuda; print('selective_scan_cuda built')" || exit 1
  fi
  if [ -n "${AFTER_BUILD:-}" ]; then  # the queue that needs Mamba-1's compiled kernel
    # shellcheck disable=SC2086  # word splitting wanted: AFTER_BUILD is "TAG ARGS..."
    q $AFTER_BUILD --device cuda --kernels
  else
    q graph-ssm --plan table --tasks logical_graph,hanoi --backbones mamba --seeds 0,1 --device cuda --jobs 2 --kernels
  fi
  [ "${AFTER_TESTS:-}" = none ] || python3 -m pytest -q -m gpu -p no:cacheprovider -ra tests/test_kernels_gpu.py \
    tests/test_mamba_gpu.py > runs/paper/kernel_tests.log 2>&1
  ;;
kernel-tests)  # what the lease ran by hand once the build was there (12 passed, 129 s)
  export PYTHONPATH=/tmp/site-cuda:/tmp/site
  python3 -m pytest -q -m gpu -p no:cacheprovider -ra tests/test_kernels_gpu.py tests/test_mamba_gpu.py \
    -k "not mamba2" 2>&1 | tee runs/paper/kernel_tests.log | tail -n 15
  ;;
throughput)  # training throughput of the paper presets on the kernels
  export PYTHONPATH=/tmp/site-cuda:/tmp/site
  timeout 150 python3 benchmarks/train_throughput.py --device cuda --sizes paper --backbones \
    mamba,mamba2,transformer,lstm,gru --batch 16 --length 2048 --json runs/paper/train_throughput.json 2>&1 \
    | tee runs/paper/train_throughput.log | tail -n 12
  ;;
pack) pack ;;
after14)  # carry [".whl"]
  begin
  rm -f runs/paper/board/hanoi-transformer-s[01].json  # session 11's (lost checkpoints): the retrains are scored further
  python3 benchmarks/decode_attention.py --json runs/paper/decode_attention.json 2>&1 | tee runs/paper/decode_attention.log
  TOOLENV_DECODE_ATTENTION=$(python3 -c "import json; r = [r for r in json.load(open('runs/paper/decode_attention.json'))['rows']
if r['backbone'] == 'transformer'][-1]['ms_per_step']; print(min(r, key=r.get))" 2>/dev/null || echo math)
  export TOOLENV_DECODE_ATTENTION; echo "decoding attention: $TOOLENV_DECODE_ATTENTION" | tee -a runs/paper/decode_attention.log
  q hanoi-tf --plan table --tasks hanoi --backbones transformer --seeds 0,1 --device cuda --jobs 2
  q swa-hanoi --plan swa --tasks hanoi --seeds 1 --device cuda --jobs 1
  setsid nohup python3 -m pytest -q -m gpu -p no:cacheprovider -ra tests/test_transformer.py tests/test_rollout_gpu.py \
    -k "transformer or decode or kv_cache" > runs/paper/gpu-tests.log 2>&1 < /dev/null &
  sleep 30; tail -n 3 runs/paper/*.log; nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader
  ;;
after15)  # carry [".whl"] (with the Mamba-1 objects: ~44 MB)
  begin
  rm -f runs/paper/board/logical_graph-mamba-s1.json  # session 9's entry (10-500 gates; checkpoint lost): retrained
  AFTER_TESTS=none build_then lg-mamba --plan table --tasks logical_graph --backbones mamba --seeds 1 --jobs 1
  # while the extension links: the sliding-window logical graph's memory in slices of 64 rows (its whole batch
  # of 256 held ~90 GB), the first pool of 8 steps (every length bucket once) and 2 more
  python3 scripts/paper_runs.py --plan swa --tasks logical_graph --seeds 0 --device cuda --list | head -n 1
  python3 -c "import json; from scripts.paper_runs import Run; print(json.dumps(Run('logical_graph', 'swa-transformer', 0)
.train_config('cuda', '/tmp/swa-micro', 10, False)))" > /tmp/swa-micro.json && timeout 150 python3 -m toolenv.cli train \
    --config /tmp/swa-micro.json --micro-batch 64 > runs/paper/swa-micro-memory.log 2>&1; tail -n 4 runs/paper/swa-micro-memory.log
  sleep 60; tail -n 5 runs/paper/*.log; nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader
  ;;
after16)  # carry [".whl"] (gpu_session.sh's wheels; no compiled objects needed)
  begin
  rm -f runs/paper/board/logical_graph-gru-s[01].json runs/paper/board/logical_graph-lstm-s0.json  # 1,500 x 256
  q lg-gru --plan table --tasks logical_graph --backbones gru --seeds 0,1 --device cuda --jobs 2
  q lg-lstm --plan table --tasks logical_graph --backbones lstm --seeds 0 --device cuda --jobs 1
  sleep 90; tail -n 3 runs/paper/*.log; nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader
  ;;
after16b)
  begin
  rm -f runs/paper/board/logical_graph-gru-s0.json
  q lg-gru0 --plan table --tasks logical_graph --backbones gru --seeds 0 --device cuda --jobs 1
  sleep 60; tail -n 3 runs/paper/*.log
  ;;
after17)  # carry [".whl"]
  begin
  q lg-medium --plan rnn-medium --tasks logical_graph --backbones gru --seeds 0 --device cuda --jobs 1
  sleep 60; tail -n 3 runs/paper/*.log; nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader
  ;;
after17b)  # carry [".whl"]
  begin
  q lg-medium2 --plan rnn-medium --tasks logical_graph --backbones gru,lstm --seeds 0,1 --device cuda --jobs 3
  glance 45
  ;;
next18)  # carry [".whl"]
  begin
  q vl-rnn --plan value-lookup --backbones gru,lstm --seeds 0,1 --device cuda --jobs 4
  sleep 60; tail -n 3 runs/paper/*.log; nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader
  ;;
next19)  # carry [".whl"]
  begin
  q lstm-3k --plan lstm-3k --device cuda --jobs 2
  q repeats --plan repeats --device cuda --jobs 2
  sleep 60; tail -n 3 runs/paper/*.log; nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader
  ;;
after19)  # carry [".whl", "runs/paper/logical_graph_value_lookup-lstm-3k-s0"]
  begin
  q repeats --plan repeats --device cuda --jobs 2
  q lstm-3k --plan lstm-3k --seeds 0 --device cuda --jobs 1
  sleep 30; tail -n 3 runs/paper/*.log; nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader
  ;;
next20)  # carry [".whl"]
  begin
  q lstm-fb --plan lstm-fb --device cuda --jobs 4
  glance 45
  ;;
next21)  # carry [".whl"]
  begin
  q repeats --plan repeats --device cuda --jobs 2
  q lstm-fb --plan lstm-fb --tasks logical_graph_value_lookup_repeats --seeds 1 --device cuda --jobs 1
  glance 45
  ;;
next22)  # carry [".whl"]
  begin
  q_fp32 repeats-seeds --plan repeats-seeds --device cuda --jobs 4  # slices of 128 rows on an H100
  glance 45
  ;;
fp32)  # carry [".whl"]
  begin
  timeout 200 python3 benchmarks/rnn_precision.py --rows 256 --json runs/paper/rnn_precision.json \
    > runs/paper/rnn_precision.log 2>&1; cat runs/paper/rnn_precision.log
  q_fp32 rnn-fp32 --plan rnn-fp32 --seeds 0 --device cuda --jobs 2
  setsid nohup timeout 900 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_rnn.py tests/test_rollout_gpu.py \
    -k "lstm or gru or LSTM or GRU" > runs/paper/gpu_tests.log 2>&1 < /dev/null &
  glance 60
  ;;
fp32-seed1)  # carry [".whl"]
  q_fp32 rnn-fp32-s1 --plan rnn-fp32 --seeds 1 --device cuda --jobs 2
  glance 30
  ;;
next24)  # carry [".whl"]
  begin
  q_fp32 repeats-lstm-s1 --plan repeats-fp32 --backbones lstm --seeds 1 --device cuda --jobs 1
  q_fp32 runs-lstm-s0 --plan runs-fp32 --seeds 0 --device cuda --jobs 1
  glance 45
  ;;
next25)  # carry [".whl"]
  begin
  q_fp32 runs-lstm-s1 --plan runs-fp32 --seeds 1 --device cuda --jobs 1
  q_fp32 repeats-gru-s2 --plan repeats-seeds --seeds 2 --device cuda --jobs 1
  glance 45
  ;;
next26)  # carry [".whl"]
  begin
  q_fp32 runs-gru-s0 --plan runs-gru --seeds 0 --device cuda --jobs 1
  q_fp32 runs-gru-s1 --plan runs-gru --seeds 1 --device cuda --jobs 1
  glance 45
  ;;
runs-gru-s2)  # carry [".whl"]  (after next26, on the same warm machine)
  q_fp32 runs-gru-s2 --plan runs-gru --seeds 2 --device cuda --jobs 1
  glance 30
  ;;
next27)  # carry [".whl"] (with the Mamba-1 objects: ~37 MB; here first: bash scripts/device_tree.sh hide checkpoints)
  begin
  rm -f runs/paper/board/logical_graph-mamba-s0.json  # session 9's entry (10-500 gates; checkpoint lost): retrained
  for t in addition multiplication_nx1 multiplication_nx2; do  # scored on 10 and 20 only: retrained on the fine grid
    rm -f runs/paper/board/$t-transformer-s[01].json runs/paper/board/$t-swa-transformer-s[01].json \
      runs/paper/board/$t-transformer-rope1-s[01].json
  done
  AFTER_TESTS=none build_then lg-mamba --plan table --tasks logical_graph --backbones mamba --seeds 0 --jobs 1
  q tf-grid --plan table,swa,rope --tasks addition,multiplication_nx1,multiplication_nx2 \
    --backbones transformer,swa-transformer --device cuda --jobs 8
  glance 45
  ;;
next28)  # carry [".whl"]
  begin
  q_fp32 swa-lg-s0 --plan swa --tasks logical_graph --seeds 0 --device cuda --jobs 1  # q_fp32: slices on <= 100 GB
  glance 60
  ;;
next29)  # carry [".whl"]: next28, and beside it the Pythia-style Transformer at the paper's shape (113M) and budget
  # (2,000 x 128) on n×1 then n×2, one run at a time, in slices of 32 rows (~20k tokens) beside the ~43 GiB of next28's
  begin
  q_fp32 swa-lg-s0 --plan swa --tasks logical_graph --seeds 0 --device cuda --jobs 1  # q_fp32: slices on <= 100 GB
  q pythia-paper --plan pythia-paper --device cuda --jobs 1 --micro-batch 32
  glance 60
  ;;
next30)  # carry [".whl"]: the rest of plan pythia-paper (n×1 seed 1, n×2 seeds 0 and 1; n×1 seed 0 is on the board),
  # two at once in slices of 32 rows (7 GiB each at n×1); scored on the GPU, a batch that runs out of memory halved
  begin
  q pythia-paper --plan pythia-paper --device cuda --jobs 2 --micro-batch 32
  glance 60
  ;;
next32)  # carry [".whl"]: pythia-paper's n×1 seed 1 alone in full batches, beside the rollout GPU tests (what is
  # left of a budget cut by starts that gave no machine cannot train n×2 too: it finishes n×1 sooner so)
  begin
  ( python3 -m pytest -q -m gpu -p no:cacheprovider -ra tests/test_rollout_gpu.py -k "transformer or kv_cache" \
      > runs/paper/rollout_gpu_tests.log 2>&1 & )
  q pythia-paper --plan pythia-paper --tasks multiplication_nx1 --device cuda --jobs 1
  glance 60
  ;;
next33)  # carry [".whl"]: pythia-paper's n×2, seed 0 then seed 1 (one at a time: a lease cut short still finishes one; n×1 trained in 236 s alone on an H200 at a 21.4 GiB
  # peak; n×2's trajectories are about twice as long: whole batches on an H200, slices of 64 rows on an H100), beside
  # the rollout GPU tests that session 29's capture change (state copied one tensor at a time, graphs holding what they
  # captured weakly) has not run on yet: every backbone but the Transformers
  begin
  ( python3 -m pytest -q -m gpu -p no:cacheprovider -ra tests/test_rollout_gpu.py -k "not transformer and not kv_cache" \
      > runs/paper/rollout_gpu_tests.log 2>&1 & )
  q_sliced 64 pythia-paper --plan pythia-paper --tasks multiplication_nx2 --device cuda --jobs 1
  glance 60
  ;;
next35)  # carry [".whl"]: plan pythia-lr, the 113M n×1 at lr 1e-3 and 3e-4 beside session 28-29's 5e-4 (8% / 23% at
  # 20 digits, the paper's best of its lr and batch sweep 79%), two at once in full batches (21.4 GiB each alone on
  # an H200, session 29: 236 s of training, ~170 s of scoring); seed 0 first, seed 1 as slots free
  begin
  # (SEEDS=0 JOBS=1: a short lease's one seed, one run at a time, so that the first finishes)
  q pythia-lr --plan pythia-lr --device cuda --jobs "${JOBS:-2}" ${SEEDS:+--seeds "$SEEDS"}
  glance 60
  ;;
next36)  # carry [".whl"]: see the list above
  begin
  for t in multiplication_nx1 multiplication_nx2; do
    rm -f runs/paper/board/$t-transformer-s[01].json runs/paper/board/$t-swa-transformer-s[01].json \
      runs/paper/board/$t-transformer-rope1-s[01].json
  done
  q tf-solved --plan table,swa,rope --tasks multiplication_nx1,multiplication_nx2 \
    --backbones transformer,swa-transformer --device cuda --jobs 8
  q pythia-lr --plan pythia-lr --seeds 1 --device cuda --jobs 1
  glance 60
  ;;
next37)  # carry [".whl"]: see the list above
  begin
  q_sliced 128 pythia-batch --plan pythia-batch --device cuda --jobs 1
  q_sliced 256 small-budget --plan small-budget --device cuda --jobs 6
  glance 60
  ;;
next38)  # carry [".whl"]: pythia-batch's seed 1 (the 113M n×1 at 2,000 × 256, lr 1e-3; seed 0 10→20 (55%), ~470 s of
  # an H100's training alone, ~95 s of scoring), beside it code tracing at 4,000 steps for the architectures whose
  # 4k runs are not on the board (plan ct-steps: GRU, LSTM, Transformer `small`; Mamba-1 `tiny` trains on the CPU box;
  # 229-314 s at 2,000 × 64 with 12 processes on an H200, session 11), small runs at batch 64
  begin
  q_sliced 128 pythia-batch --plan pythia-batch --seeds 1 --device cuda --jobs 1
  q ct-steps --plan ct-steps --backbones lstm,gru,transformer --device cuda --jobs 6
  glance 60
  ;;
next40)  # carry [".whl"]: (session 36) Hanoi's LSTM seed 0 at 12 disks and Hanoi's Transformer seed 0 past 7 disks,
  # each trained again (their weights were lost), and beside them plan beyond's Mamba-2 seed 1 (the table's recipe,
  # 1,000 x 64, then 16 problems at 5-10,000 digits; Mamba-1 seed 1 and Mamba-2 seed 0 ran on the CPU box)
  begin
  cp leaderboards/paper/*-beyond.json runs/paper/board/
  rm -f runs/paper/board/hanoi-lstm-s0.json runs/paper/board/hanoi-transformer-s0.json
  q hanoi-lstm --plan table --tasks hanoi --backbones lstm --seeds 0 --device cuda --jobs 1
  q hanoi-tf --plan table --tasks hanoi --backbones transformer --seeds 0 --device cuda --jobs 1
  q beyond --plan beyond --backbones mamba2 --seeds 1 --device cuda --jobs 1
  glance 60
  ;;
next41)  # carry [".whl"]: plan beyond's LSTM seed 0 (`small` at 10,000 digits: trains the table's recipe,
  # 1,000 x 64, ~125 s of an H200, then plays 16 problems at 5-10,000 digits; session 36's CPU box played it to
  # 5,000 digits only, its entry closed there, so it is left out of the board to be trained and scored again; the
  # GRU's and LSTM's seed 1 play on session 37's CPU box) and, beside it, next22's repeats GRU seeds 3-5 (~640 s of
  # an H100's training each in slices of 128 rows, ~260 s of scoring at 1,000 gates)
  begin
  cp leaderboards/paper/*-beyond.json runs/paper/board/
  rm -f runs/paper/board/addition-lstm-s0-beyond.json
  q beyond --plan beyond --backbones lstm --seeds 0 --device cuda --jobs 1
  q_fp32 repeats-seeds --plan repeats-seeds --device cuda --jobs 3
  glance 60
  ;;
next42)  # carry [".whl"]: plan hanoi-steps, Hanoi's Transformer at 3,000 steps (its recipe's 1,600 took 484 s of an
  # H100 beside two runs in session 36, 521 s more to score 8 disks), both seeds at once: the next lease's work
  # whole; its last call with PACK_ONLY=unfinished, so that what it leaves unscored comes back for the CPU box.
  # Seed 0's entry (session 38, scored to 8 disks) is on the board, so this trains seed 1 only
  begin
  q hanoi-steps --plan hanoi-steps --device cuda --jobs 2
  glance 60
  ;;
next43)  # carry [".whl"]: (session 38) the 113M n×1 at batch 512 (plan pythia-batch's next swept batch; batch 256
  # lifted seed 0 to 10→20 (55%), the paper's 79%; ~470 s of an H100's training alone at 256, so ~940 s at 512, in
  # slices of 128 rows on any GPU; its weights (~450 MB) cannot come back, so it scores on the machine) beside next42
  # (Hanoi's Transformer at 3,000 steps, seed 0 only, the one that stops at 7 disks: session 38's lease began with
  # ~1,500 s left; small, so PACK_ONLY=unfinished brings back what is unscored)
  begin
  q pythia-b512 --plan pythia-batch --seeds 0 --device cuda --jobs 1 --micro-batch 128
  q hanoi-steps --plan hanoi-steps --seeds 0 --device cuda --jobs 1
  glance 60
  ;;
next44)  # carry [".whl"]: the 113M n×1 at batch 512, seed 0, alone (session 38's, beside Hanoi's Transformer, took ~93 s
  # per 100 steps, twice the ~47 s that batch 256's ~23.5 s alone predicts: ~940 s of an H100's training alone, ~100 s
  # of scoring to 20-50 digits; its weights cannot come back, so it must end on the machine: start it first). When
  # it scores, `next42` can follow on the same machine (Hanoi's Transformer seed 1 at 3,000 steps)
  begin
  q pythia-b512 --plan pythia-batch --seeds 0 --device cuda --jobs 1 --micro-batch 128
  glance 60
  ;;
next45)  # carry [".whl"]: (session 39) next44's 113M n×1 at batch 512, seed 0, in slices of 256 rows (~42 GiB, from
  # 21.9 GiB at 128: fewer, larger passes a step), beside next42's Hanoi Transformer seed 1 at 3,000 steps (14.1 GiB).
  # The 113M's weights cannot come back, so it must end on the machine: when its step rate says it would not, Hanoi
  # is paused (`pause hanoi-transformer-3k-s1`) and resumed once the 113M is scored; PACK_ONLY=unfinished brings
  # Hanoi back, trained or not, for the CPU box or a later lease
  begin
  q pythia-b512 --plan pythia-batch --seeds 0 --device cuda --jobs 1 --micro-batch 256
  q hanoi-steps --plan hanoi-steps --seeds 1 --device cuda --jobs 1
  glance 60
  ;;
next47)  # carry [".whl"]: (session 40, its lease begun with ~1,500 s after two failed starts: too few for next45's
  # Hanoi beside, which halved the 113M's step rate in session 38) next45's 113M n×1 at batch 512, seed 0, in slices
  # of 256 rows, alone; its weights cannot come back, so it must end (trained and scored) on the machine
  begin
  q pythia-b512 --plan pythia-batch --seeds 0 --device cuda --jobs 1 --micro-batch 256
  glance 60
  ;;
next48)  # carry [".whl"]: (session 40, ~800 s left after ten failed starts: too few for next47's 113M or next42's
  # Hanoi, ~750 s of training alone) plan sort-steps' Mamba-2 `tiny`, both seeds: sorting at 4,000 steps (the recipe's
  # 1,000 took 52-163 s of an H200; ~4.4 s a step on one CPU core). Tiny weights: PACK_ONLY=unfinished brings back
  # whatever is unscored for the CPU box
  begin
  q sort-steps --plan sort-steps --backbones mamba2 --device cuda --jobs 2
  glance 45
  ;;
next49)  # carry [".whl"]: plan sort-steps' GRU and LSTM `small`, both seeds, four at once (the recipe's 1,000 × 32 took
  # 146-150 s of an H200 shared by seven runs in session 10: ~600-1,000 s at 4,000 steps). Mamba-1 `tiny` (the
  # plan's last two runs) needs the compiled kernel: build_then, or ~3 s a step on one CPU core
  begin
  q sort-steps-rnn --plan sort-steps --backbones gru,lstm --device cuda --jobs 4
  glance 60
  ;;
next46)  # carry [".whl"]: (session 39, its lease begun with 1,349 s left after four failed starts: too few for next45's
  # 113M, ~1,000 s of training alone that must end on the machine) next42's Hanoi Transformer seed 1 at 3,000 steps
  # beside the repeats GRU's seeds 3-5 trained again (session 37's were scored to 100 gates, their weights left on
  # its machine; ~560 s of an H200's training three at once, ~260 s of scoring to 1,000 gates). Their old entries
  # are left out of the board so that they train and score every length. All small: PACK_ONLY=unfinished brings
  # back whatever is unscored for the CPU box
  begin
  rm -f runs/paper/board/logical_graph_value_lookup_repeats-gru-s[345].json
  q hanoi-steps --plan hanoi-steps --seeds 1 --device cuda --jobs 1
  q_fp32 repeats-seeds --plan repeats-seeds --seeds 3,4,5 --device cuda --jobs 3
  glance 60
  ;;
rope-budget)  # carry [".whl"]: rope1 n×1 at 2,000 × 256, both seeds at once (session 34's last ~300 s)
  begin
  q rope-budget --plan rope-budget --device cuda --jobs 2
  glance 30
  ;;
next34)  # carry [".whl"]: the Hanoi cells scored short of 12 disks, trained again (their weights were lost in session 10):
  # the LSTM seed 0 (8→11 (62%), 12 not scored; 1,298 s of a shared H200's training, ~1,300 s with scoring for seed 1
  # in session 10) and, beside it, the Transformer seed 0 (scored to 7 disks; its 8-disk episodes run to twice the
  # oracle's length). Each run's old entry is left out of the board so that it trains and scores every length again
  begin
  rm -f runs/paper/board/hanoi-lstm-s0.json runs/paper/board/hanoi-transformer-s0.json
  q hanoi-lstm --plan table --tasks hanoi --backbones lstm --seeds 0 --device cuda --jobs 1
  q hanoi-tf --plan table --tasks hanoi --backbones transformer --seeds 0 --device cuda --jobs 1
  glance 60
  ;;
eval-memory)  # eval-memory RUN_ID [LENGTHS]: benchmarks/eval_memory.py on a trained run, 64 rows a length, into $OUT
  # (session 28's 113M n×1 scoring ran out of memory at 20 digits with 76 GiB allocated, ~30 GB more than its cache)
  PYTHONPATH=/tmp/site python3 benchmarks/eval_memory.py "runs/paper/$2" --lengths "${3:-10,15,19,20}" --batch-size 64 \
    --device cuda --json "$OUT/eval_memory-$2.json"
  ;;
precision)  # carry [".whl"]
  begin
  q lstm-precision --plan lstm-precision --device cuda --jobs 2
  glance 30
  ;;
next23)  # carry [".whl"]
  begin
  q_fp32 repeats-fp32 --plan repeats-fp32 --seeds 0 --device cuda --jobs 2
  glance 45
  ;;
pause|resume)  # pause RUN_ID...: SIGTSTP the run's python processes (its GPU memory stays, its compute stops;
  # toolenv train and eval stop themselves on it and leave the pause out of their recorded seconds, where session
  # 34's SIGSTOP put ~340 s of pause into one 113M training step's time); resume: SIGCONT. Session 18 typed `pkill -STOP -f "toolenv.cli eval runs/paper/<run>"` inline: the pattern was
  # in the device call's own command line, so it stopped that call's shell, and the call ran out its time with
  # nothing brought back. The pattern here is anchored at the python executable, which no shell's line starts with
  sig=TSTP; [ "$1" = resume ] && sig=CONT; shift
  for id in "$@"; do
    pkill "-$sig" -f "^[^ ]*python[0-9.]* (-m toolenv\.cli|[^ ]*toolenv) (train|eval) (--config [^ ]* --out )?runs/paper/$id( |\$)" \
      && echo "$sig: $id" || echo "no process of $id"
  done
  ;;
stop)  # stop TAG...: end the queue `q TAG` started and the runs it is playing (train, then eval), so that it neither
  # retries them nor starts another; their logs, checkpoints and `.partial-` entries stay. Session 38 typed `pkill -f
  # 'tag pythia-b512-'` inline, and the pattern matched, and killed, the device call's own command line; here every
  # pattern is anchored at the python executable, and each run is found as a child of its queue
  shift
  for tag in "$@"; do
    queues=$(pgrep -f "^[^ ]*python[0-9.]* scripts/paper_runs\.py .*--tag $tag-( |\$)") || { echo "no queue $tag"; continue; }
    for queue in $queues; do
      shells=$(pgrep -P "$queue")  # one `bash -c "train && eval"` per run playing
      kill "$queue"  # first, so that it does not retry a run it sees fail
      for sh in $shells; do pkill -P "$sh"; kill "$sh" 2> /dev/null; done
      echo "stopped queue $tag (pid $queue) and its $(echo $shells | wc -w) run(s)"
    done
  done
  ;;
wait)
  until=$(( ${2:-500} - $(date +%s) + ${CALL_T0:-$(date +%s)} ))  # in this script's own SECONDS
  # anchored at the program, so that a device call's own command line (which may name a run) never matches
  while [ $SECONDS -lt "$until" ] && pgrep -f "^[^ ]*python[0-9.]* (scripts/paper_runs\.py|-m toolenv\.cli eval)|^bash [^ ]*graph-kernels\.sh after-build" > /dev/null; do sleep 10; done
  pack
  ;;
*) echo "usage: $0 start | table | hanoi-graph | session6 | next | session7 | after7 | session8 | after8 | after9 | after10 | after11 | after11b | after12 | after12b | after13 | after14 | after15 | after16 | after16b | after17 | after17b | next18 | next19 | after19 | next20 | next21 | next22 | fp32 | fp32-seed1 | precision | next23 | next24 | next25 | next26 | runs-gru-s2 | next27 | next28 | next29 | next30 | next32 | next33 | next34 | next35 | next36 | next37 | next38 | next40 | next41 | next42 | next43 | next44 | next45 | next46 | next47 | next48 | next49 | rope-budget | eval-memory RUN_ID [LENGTHS] | later | kernel-tests | throughput | pack | pause RUN_ID... | resume RUN_ID... | stop TAG... | wait SECONDS"; exit 2 ;;
esac
