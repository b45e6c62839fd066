"""Training tokens per second per backbone: forward + backward + AdamW step on realistic batches.

CPU (default): the ``tiny`` presets on addition batches (<=5 digits, 32 trajectories, length-
bucketed as in training). ``--device cuda``: bf16 autocast, random tokens at --batch x --length,
for the presets given (mamba/mamba2 with the mamba-ssm kernels and, for ``small``, without).
Usage: python benchmarks/train_throughput.py [--device cuda --sizes small,paper]
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", default="tiny")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--length", type=int, default=512)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    table = Table(title=f"training throughput on {args.device} (fwd + bwd + AdamW)")
    for col in ("backbone", "size", "kernels", "params", "ms/step", "tokens/s"):
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
        for name in toolenv.list_agents():
            variants = [{}]
            if name in ("mamba", "mamba2") and args.device != "cpu":
                variants = [{"use_kernels": True}] + ([{"use_kernels": False}] if size != "paper" else [])
            for kw in variants:
                params, tps, step = measure(name, size, batch_fn, args.device, args.reps, **kw)
                kernels = {True: "mamba-ssm", False: "pytorch"}.get(kw.get("use_kernels"), "-")
                table.add_row(name, size, kernels, f"{params:,}", f"{step * 1e3:.1f}", f"{tps:,.0f}")
    Console().print(table)


if __name__ == "__main__":
    main()
