"""Forward+backward time of the pure-PyTorch Mamba-1 and Mamba-2 paths on CPU.

Default case (gpu-notes.md's): 4 layers, d_model 128 (d_inner 256), batch 16 x 256 tokens, the
threads torch picks (2 on the project's CPU machines). transformers' reference Mamba-1 loop took
88-93 s there; its Mamba-2 0.83 s. Timings are the median and minimum of ``--repeats`` runs after
one warm-up run; the load average is printed because shared machines make timings noisy.

    python benchmarks/ssm_scan_cpu.py [--threads 2] [--repeats 5] [--scan-chunks 4,8,16,32]

``--scan-chunks`` also times the Mamba-1 selective scan alone (one layer's worth) per chunk length.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
import torch.nn.functional as F

from agents.backbones.mamba import Mamba
from agents.backbones.mamba2 import Mamba2
from agents.backbones.ssm_scan import selective_scan


def _time(fn, repeats: int) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def model_step(cls: type, overrides: dict, batch: int, length: int):
    torch.manual_seed(0)
    model = cls.from_preset("tiny", **overrides, use_kernels=False).train()
    tokens = torch.randint(4, model.config.vocab_size, (batch, length + 1))

    def run() -> None:
        logits = model(tokens[:, :-1])
        F.cross_entropy(logits.flatten(0, 1), tokens[:, 1:].flatten()).backward()
        model.zero_grad(set_to_none=True)

    return model, run


def scan_step(batch: int, length: int, d_inner: int, d_state: int, chunk: int):
    g = torch.Generator().manual_seed(0)
    leaves = [
        torch.randn(batch, length, d_inner, generator=g),
        F.softplus(torch.randn(batch, length, d_inner, generator=g) - 3),
        -torch.arange(1, d_state + 1, dtype=torch.float32).repeat(d_inner, 1),
        torch.randn(batch, length, d_state, generator=g),
        torch.randn(batch, length, d_state, generator=g),
    ]
    leaves = [t.requires_grad_() for t in leaves]

    def run() -> None:
        y, _ = selective_scan(*leaves, chunk=chunk)
        y.sum().backward()

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--length", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--mamba2-d-state", type=int, default=64)
    ap.add_argument("--mamba2-headdim", type=int, default=64)
    ap.add_argument(
        "--scan-chunks", default="", help="comma-separated chunk lengths for the scan-only timing"
    )
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"batch {args.batch} x {args.length} tokens, {args.layers} layers, d_model {args.d_model}; forward+backward"
    )
    common = {"d_model": args.d_model, "n_layers": args.layers}
    cases = [(Mamba, {}), (Mamba2, {"d_state": args.mamba2_d_state, "headdim": args.mamba2_headdim})]
    for cls, extra in cases:
        model, run = model_step(cls, {**common, **extra}, args.batch, args.length)
        name = cls.name
        med, best = _time(run, args.repeats)
        sizes = ", ".join(f"{k} {v}" for k, v in extra.items())
        print(
            f"{name:7s} ({model.num_parameters():,} params{', ' + sizes if sizes else ''}): "
            f"median {med:.3f} s, min {best:.3f} s"
        )
    for chunk in [int(c) for c in args.scan_chunks.split(",") if c]:
        med, best = _time(scan_step(args.batch, args.length, 2 * args.d_model, 16, chunk), args.repeats)
        print(
            f"mamba-1 selective_scan alone, chunk {chunk:3d}: median {med * 1e3:.1f} ms, min {best * 1e3:.1f} ms"
        )


if __name__ == "__main__":
    main()
