"""Milliseconds per decoded token (one ``step`` of the whole model) on CPU, per backbone and batch.

Scoring long episodes on the CPU (the logical graph at 1,000 gates is ~350k tokens per episode,
fed one token per step) is bound by this number. Timings are the median and minimum of
``--repeats`` runs of ``--tokens`` steps each, after one warm-up run; the load average is printed
because shared machines make timings noisy. ``--context N`` first feeds N tokens (untimed), so a
Transformer's step is timed with an N-token KV cache (the SSMs' and RNNs' steps do not depend on it).
``--compare-onednn`` adds, for the LSTM, a row with its step on torch's oneDNN LSTM (which its step
skips on CPU; torch has no oneDNN GRU) and the ratio of the two, timed in the same run.

    python benchmarks/decode_step_cpu.py [--backbones gru,lstm,mamba,mamba2,transformer] [--size small]
        [--batches 16,64] [--tokens 100] [--repeats 5] [--threads 1] [--context 0] [--compare-onednn]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
from rich.console import Console
from rich.table import Table

from agents.builder import build_backbone


@torch.inference_mode()
def ms_per_token(name: str, size: str, batch: int, tokens: int, repeats: int,
                 context: int = 0, onednn: bool = False) -> tuple[float, float, int]:
    torch.manual_seed(0)
    overrides = {"use_kernels": False} if name.startswith("mamba") else {}
    model = build_backbone(name, size, overrides).eval()
    if onednn:
        model.cpu_step_onednn = True
    params = sum(p.numel() for p in model.parameters())
    ids = torch.randint(0, model.config.vocab_size, (tokens, batch))

    prefix = torch.randint(0, model.config.vocab_size, (context, batch))

    def run() -> float:
        state = model.init_state(batch)
        for t in range(context):
            _, state = model.step(prefix[t], state)
        t0 = time.perf_counter()
        for t in range(tokens):
            _, state = model.step(ids[t], state)
        return (time.perf_counter() - t0) / tokens * 1e3

    run()  # warm-up
    times = [run() for _ in range(repeats)]
    return statistics.median(times), min(times), params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbones", default="gru,lstm,mamba,mamba2")
    parser.add_argument("--size", default="small")
    parser.add_argument("--batches", default="16,64")
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--context", type=int, default=0, help="tokens fed before the timed steps (KV-cache size)")
    parser.add_argument("--compare-onednn", action="store_true",
                        help="LSTM: also time the step on torch's oneDNN path, and print the ratio")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    table = Table(title=f"decoding on CPU, `{args.size}` presets, {args.threads} thread(s), "
                        f"{args.context}-token context, load average {os.getloadavg()[0]:.2f}")
    for col in ("backbone", "params", "batch", "ms/token (median)", "ms/token (min)", "tokens/s (batch x)"):
        table.add_column(col, justify="right")
    for name in args.backbones.split(","):
        for batch in (int(b) for b in args.batches.split(",")):
            med, low, params = ms_per_token(name, args.size, batch, args.tokens, args.repeats, args.context)
            table.add_row(name, f"{params:,}", str(batch), f"{med:.2f}", f"{low:.2f}", f"{batch / med * 1e3:,.0f}")
            if args.compare_onednn and name == "lstm":
                on, on_low, _ = ms_per_token(name, args.size, batch, args.tokens, args.repeats, args.context, True)
                table.add_row(f"{name} oneDNN", "", str(batch), f"{on:.2f}", f"{on_low:.2f}",
                              f"{batch / on * 1e3:,.0f} ({on / med:.2f}x the time)")
    Console().print(table)


if __name__ == "__main__":
    main()
