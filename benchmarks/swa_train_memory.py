"""Peak memory and time of one training step (forward + backward) of the sliding-window Transformer,
per attention implementation: transformers' ``sdpa`` (an L x L mask) against ``sdpa_sliding_chunks``
(blocks of ``window`` queries, agents/backbones/sliding_attention.py).

Random tokens at --batch x length, cross-entropy on the next token, ``loss.backward()`` (no
optimizer step). Each (implementation, length) runs in a fresh subprocess, so that one running
out of memory neither stops the others nor inflates their figures.
- peak memory: CUDA: ``torch.cuda.max_memory_allocated()`` during the steps minus
  ``memory_allocated()`` before them (model weights and the batch excluded, activations, gradients
  and attention buffers included); CPU: the process's peak resident set (``ru_maxrss``) minus its
  resident set just before the steps (what the steps added at their peak, as the OS saw it, the
  allocator's caching included). The CPU child's address space is capped at --mem-limit-gb, so a
  too-large step fails ("OOM") instead of exhausting the machine.
- s/step: mean wall time of the steps after the first (the first warms up), or the first if
  --reps 1 (the CPU default, to keep the run short: that step includes any one-time set-up).
  CUDA runs under bf16 autocast, as training does; CPU in float32.
Usage: python benchmarks/swa_train_memory.py [--lengths 2048,4096,8192] [--batch 1] [--reps 1]
       python benchmarks/swa_train_memory.py --device cuda --lengths 42000 --batch 8
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

IMPLS = ("sdpa", "sdpa_sliding_chunks")


def _rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def one(impl: str, length: int, args: argparse.Namespace) -> dict:
    """One measurement in this process: {"peak_bytes", "s_per_step", "params"} or {"error"}."""
    import torch

    import toolenv
    from agents.backbones.swa_transformer import SWATransformer

    torch.manual_seed(0)
    cuda = args.device == "cuda"
    m = SWATransformer.from_preset(args.size, attn_implementation=impl).to(args.device).train()
    x = torch.randint(4, toolenv.vocab.VOCAB_SIZE, (args.batch, length + 1), device=args.device)
    inputs, targets = x[:, :-1], x[:, 1:]
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if cuda else torch.autocast("cpu", enabled=False)
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        base = _rss_bytes()
    times = []
    try:
        for _ in range(args.reps):
            t0 = time.perf_counter()
            with autocast:
                logits = m(inputs)
            loss = torch.nn.functional.cross_entropy(logits.float().flatten(0, 1), targets.flatten())
            loss.backward()
            del logits, loss
            if cuda:
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
            m.zero_grad(set_to_none=True)
    except (torch.OutOfMemoryError, MemoryError) as e:
        return {"error": "OOM", "detail": str(e).splitlines()[0][:200]}
    except RuntimeError as e:  # CPU allocations past the address-space cap
        if "memory" not in str(e).lower():
            raise
        return {"error": "OOM", "detail": str(e).splitlines()[0][:200]}
    peak = (torch.cuda.max_memory_allocated() if cuda else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    timed = times[1:] or times
    return {"peak_bytes": peak - base, "s_per_step": sum(timed) / len(timed), "params": m.num_parameters()}


def run_child(impl: str, length: int, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--child", impl, str(length), "--device", args.device, "--size", args.size,
           "--batch", str(args.batch), "--reps", str(args.reps)]
    limit = int(args.mem_limit_gb * 2**30)

    def cap():  # CPU only: fail allocations past the cap instead of exhausting the machine
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    try:
        out = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=args.timeout,
                             preexec_fn=cap if args.device == "cpu" else None)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout ({args.timeout} s)"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode or not lines:
        tail = (out.stderr.strip().splitlines() or ["?"])[-1][:200]
        return {"error": "OOM" if "memory" in tail.lower() else f"exit {out.returncode}", "detail": tail}
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", default="small", help="SWATransformer preset (small: window 256)")
    parser.add_argument("--lengths", default="2048,4096,8192", help="comma-separated sequence lengths")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--reps", type=int, default=None,
                        help="steps per measurement, the first one a warm-up if more (default: CPU 1, CUDA 3)")
    parser.add_argument("--impls", default=",".join(IMPLS))
    parser.add_argument("--timeout", type=float, default=600, help="seconds per measurement")
    parser.add_argument("--mem-limit-gb", type=float, default=12, help="CPU: address-space cap of each measurement")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    parser.add_argument("--child", nargs=2, metavar=("IMPL", "LENGTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reps is None:
        args.reps = 3 if args.device == "cuda" else 1
    if args.child:
        print(json.dumps(one(args.child[0], int(args.child[1]), args)), flush=True)
        return

    import torch

    from agents.backbones.swa_transformer import SWATransformer

    window = SWATransformer.config_class(**SWATransformer.presets[args.size]).window
    memory = "max_memory_allocated" if args.device == "cuda" else "peak RSS increase"
    print(f"swa-transformer {args.size} (window {window}), batch {args.batch}, {args.device} "
          f"({'bf16 autocast' if args.device == 'cuda' else 'float32'}, torch {torch.__version__}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}), one forward + backward; "
          f"memory: {memory}", flush=True)
    rows = []
    for length in (int(s) for s in args.lengths.split(",")):
        for impl in args.impls.split(","):
            r = {"impl": impl, "length": length, "batch": args.batch, "device": args.device,
                 **run_child(impl, length, args)}
            rows.append(r)
            print("  " + json.dumps(r), file=sys.stderr, flush=True)
    print()
    print("| length | implementation | peak memory (MiB) | s/step |")
    print("|---:|---|---:|---:|")
    for r in rows:
        mem = f"{r['peak_bytes'] / 2**20:,.0f}" if "peak_bytes" in r else r["error"]
        sec = f"{r['s_per_step']:.2f}" if "s_per_step" in r else "-"
        print(f"| {r['length']:,} | {r['impl']} | {mem} | {sec} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
