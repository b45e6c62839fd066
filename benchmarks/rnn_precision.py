"""What training's autocast does to the LSTM's and GRU's gradients, and what float32 recurrence costs.

torch's autocast runs cuDNN RNNs in float16 whatever dtype it is given (bf16 here), without loss
scaling, and training's loss is a mean over every loss token of a batch (~10^5-10^6 on the logical
graph), so the gradient reaching each RNN output is ~1e-7: below float16's smallest normal (6.1e-5)
and near its smallest subnormal (6.0e-8). This prints, on one real training batch (logical graph,
<= 10 gates, training's normalization over the whole batch even when fewer rows are run):
- the gradient at the RNN's output (its loss positions) against float16's range (any device);
- on CUDA, the recurrent weights' gradients under training's autocast with the recurrence in float32
  (``recurrence_precision="fp32"``, the default) and as torch's autocast casts it (``"autocast"``),
  each against a float32 forward without autocast: the share of exact zeros, the relative error
  ||g - g32|| / ||g32|| and the cosine; and a forward + backward's time and peak memory in each mode
  (on the longest batch of training's first 8 steps).
``--checkpoint DIR`` measures a trained model (its gradients are smaller still) instead of the init.
Usage: python benchmarks/rnn_precision.py [--device cuda] [--rows 64] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F
from rich.console import Console
from rich.table import Table

import toolenv  # noqa: F401  (registers the tasks)
from agents.backbones.rnn import GRU, LSTM
from agents.checkpoint import load_backbone
from agents.data import TrajectoryBatches

FP16_SUBNORMAL, FP16_NORMAL = 2.0**-24, 2.0**-14


def model(cls, precision, device, checkpoint=None):
    if checkpoint:
        m, _ = load_backbone(checkpoint, device=device)
        m.config = m.config.model_copy(update={"recurrence_precision": precision})
        return m.train()
    torch.manual_seed(0)  # every mode starts from the same weights
    return cls.from_preset("small", recurrence_precision=precision).to(device).train()


def backward(m, batch, rows, device, autocast):
    """One training forward + backward at training's normalization; the RNN output's and weights' gradients."""
    x, y, mask = (t[:rows].to(device) for t in (batch.inputs, batch.targets, batch.mask))
    seen = {}

    def keep(mod, args, out):
        out[0].retain_grad()
        seen["out"] = out[0]

    hook = m.rnn.register_forward_hook(keep)
    m.zero_grad(set_to_none=True)
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    with torch.autocast(device, dtype=torch.bfloat16, enabled=autocast):
        logits = m(x)
    (F.cross_entropy(logits.float()[mask], y[mask], reduction="sum") / batch.tokens).backward()
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else float("nan")
    hook.remove()
    weights = torch.cat([p.grad.float().flatten() for p in m.rnn.parameters()])
    out = seen["out"].grad.float().abs()[mask].flatten()  # the loss positions (the others get none)
    return out, weights, seen["out"].dtype, seconds, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--batch", type=int, default=256, help="training's batch: the loss is a mean over its tokens")
    ap.add_argument("--rows", type=int, default=64, help="rows of that batch run here")
    ap.add_argument("--checkpoint", action="append", default=[], help="a trained LSTM or GRU (repeatable)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    # the longest batch of the first pool (training's 8 steps): the memory a run must fit
    pool = TrajectoryBatches([("logical_graph", 1.0, 10)], "interactive", args.batch, seed=0).pool_batches(0)
    batch = max(pool, key=lambda b: b.inputs.shape[1])
    console = Console(width=160)
    console.print(f"logical graph batch {tuple(batch.inputs.shape)}, {batch.tokens:,} loss tokens; "
                  f"{args.rows} rows run on {args.device}")
    subjects = [(c.__name__, c, None) for c in (GRU, LSTM)] + [(d, None, d) for d in args.checkpoint]
    rows, table = [], Table("model", "mode", "RNN output dtype", "|grad| at output: median",
                            "< fp16 subnormal", "< fp16 normal", "weights' grads = 0", "rel. error", "cosine", "s",
                            "peak GiB")
    for name, cls, ckpt in subjects:
        modes = [("fp32, no autocast", "fp32", False)]
        if args.device == "cuda":
            modes += [("fp32 recurrence, autocast", "fp32", True), ("torch autocast", "autocast", True)]
        exact = None
        for label, precision, autocast in modes:
            m = model(cls, precision, args.device, ckpt)
            backward(m, batch, args.rows, args.device, autocast)  # warm-up (cuDNN plans)
            out, weights, dtype, seconds, peak = backward(m, batch, args.rows, args.device, autocast)
            exact = weights if exact is None else exact
            row = {"model": name, "mode": label, "output_dtype": str(dtype).removeprefix("torch."),
                   "grad_out_median": out.median().item(),
                   "below_fp16_subnormal": (out < FP16_SUBNORMAL).float().mean().item(),
                   "below_fp16_normal": (out < FP16_NORMAL).float().mean().item(),
                   "weight_grad_zero": (weights == 0).float().mean().item(),
                   "rel_error": ((weights - exact).norm() / exact.norm()).item(),
                   "cosine": F.cosine_similarity(weights.double(), exact.double(), dim=0).item(), "seconds": seconds,
                   "peak_gib": peak}
            rows.append(row)
            table.add_row(name, label, row["output_dtype"], f"{row['grad_out_median']:.2e}",
                          f"{row['below_fp16_subnormal']:.1%}", f"{row['below_fp16_normal']:.1%}",
                          f"{row['weight_grad_zero']:.2%}", f"{row['rel_error']:.3f}", f"{row['cosine']:.4f}",
                          f"{seconds:.2f}", f"{peak:.1f}")
            del m
    console.print(table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": args.device, "batch": args.batch, "rows": args.rows, "loss_tokens": batch.tokens,
                       "gpu": torch.cuda.get_device_name() if args.device == "cuda" else None, "rows_measured": rows},
                      f, indent=1)


if __name__ == "__main__":
    main()
