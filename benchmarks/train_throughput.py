"""Training tokens per second per backbone: forward + backward + AdamW step on realistic batches.

CPU (default): the ``tiny`` presets on addition batches (<=5 digits, 32 trajectories, length-
bucketed as in training). ``--device cuda``: bf16 autocast, random tokens at --batch x --length,
for the presets given (mamba/mamba2 with the mamba-ssm kernels and, for ``small``, without).
Model FLOP utilization (CUDA): 6 x parameters x tokens/s (forward + backward of every weight,
attention scores and scans not counted) over ``--peak-tflops`` (default 790: the bf16 dense matrix
rate measured on an H200 of this workplace with torch, 8192^3 products).
Usage: python benchmarks/train_throughput.py [--device cuda --sizes small,paper] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from rich.console import Console
from rich.table import Table

import toolenv
from agents.builder import build_backbone
from agents.data import TrajectoryBatches


def measure(name, size, batch_fn, device, reps, **overrides):
    torch.manual_seed(0)
    m = build_backbone(name, size, overrides).to(device)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else torch.autocast("cpu", enabled=False)

    def one(i):
        x, y, mask = batch_fn(i)
        with autocast:
            logits = m(x)
        loss = torch.nn.functional.cross_entropy(logits.float()[mask], y[mask])
        opt.zero_grad()
        loss.backward()
        opt.step()
        return int(mask.numel())

    for i in range(2):
        one(i)
    if device == "cuda":
        torch.cuda.synchronize()
    t0, tokens = time.perf_counter(), 0
    for i in range(reps):
        tokens += one(i)
    if device == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    return m.num_parameters(), tokens / dt, dt / reps


def kernels_present(name: str) -> bool:
    """Whether the backbone's training scan kernel is importable (else use_kernels=True falls back)."""
    from agents.backbones import kernels

    return (kernels.selective_scan_fn if name == "mamba" else kernels.mamba_chunk_scan_combined) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", default="tiny")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--length", type=int, default=512)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--peak-tflops", type=float, default=790.0)
    parser.add_argument("--backbones", default=None, help="comma-separated (default: every registered one)")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args()
    rows = []
    table = Table(title=f"training throughput on {args.device} (fwd + bwd + AdamW)")
    for col in ("backbone", "size", "kernels", "params", "ms/step", "tokens/s", "MFU"):
        table.add_column(col, justify="right")
    if args.device == "cpu":
        data = TrajectoryBatches([("addition", 1.0, 5)], "interactive", 32, seed=0)
        batches = [data.batch(i) for i in range(args.reps + 2)]

        def batch_fn(i):
            b = batches[i]
            return b.inputs, b.targets, torch.ones_like(b.mask)
    else:
        x = torch.randint(4, toolenv.vocab.VOCAB_SIZE, (args.batch, args.length), device=args.device)
        ones = torch.ones_like(x, dtype=torch.bool)

        def batch_fn(i):
            return x, x, ones

    for size in args.sizes.split(","):
        for name in args.backbones.split(",") if args.backbones else toolenv.list_agents():
            variants = [{}]
            if name in ("mamba", "mamba2") and args.device != "cpu":
                variants = [{"use_kernels": True}] + ([{"use_kernels": False}] if size != "paper" else [])
            for kw in variants:
                params, tps, step = measure(name, size, batch_fn, args.device, args.reps, **kw)
                kernels = {True: "mamba-ssm", False: "pytorch"}.get(kw.get("use_kernels"), "-")
                if kw.get("use_kernels") and not kernels_present(name):
                    kernels = "pytorch (mamba-ssm absent)"
                mfu = 6 * params * tps / (args.peak_tflops * 1e12) if args.device != "cpu" else float("nan")
                table.add_row(name, size, kernels, f"{params:,}", f"{step * 1e3:.1f}", f"{tps:,.0f}", f"{mfu:.1%}")
                rows.append({"backbone": name, "size": size, "kernels": kernels, "params": params,
                             "ms_per_step": step * 1e3, "tokens_per_s": tps, "mfu": mfu})
    Console().print(table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": args.device, "batch": args.batch, "length": args.length, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
