"""Memory of scoring a checkpoint, length by length: the KV cache each batch grew, what stays
allocated after the rollout and after a garbage collection, and the peak during it.

Session 28: the 113M Pythia-style Transformer's n×1 scoring (64 rows, CUDA graphs) ran out of
memory at 20 digits with 76 GiB allocated, where that batch's cache was 21.6 GiB. Session 29 found
why on the CPU: a reference cycle kept earlier batches' caches until a garbage collection, and a
capture copied the cache whole beside itself (docs/gpu.md "Session 29"). With both fixed, what
stays allocated after a batch ("after") is the weights ("weights_gib") and that batch's own cache,
which the agent keeps until its next batch starts; a collection frees nothing more ("after_gc");
and the peak above the weights is about one cache ("peak_per_cache" near 1, where it was 2 and
more).

Figures are GPU memory on CUDA (torch.cuda.memory_allocated / max_memory_allocated, GiB); on
the CPU only the cache columns are filled.

Usage: python benchmarks/eval_memory.py CHECKPOINT [--lengths 18,19,20] [--batch-size 64] [--device cuda] [--cuda-graphs auto|on|off] [--json FILE]
"""

from __future__ import annotations

import argparse
import gc
import json

import torch
from rich.console import Console
from rich.table import Table

from agents.checkpoint import load_agent, read_info
from toolenv.registry import get_task
from toolenv.rollout import rollout

GIB = 2**30
_GRAPHS = {"auto": None, "on": True, "off": False}


def cache_figures(agent) -> tuple[int | None, float | None]:
    """The agent's KV cache after a rollout: its slots per row and its keys and values in GiB
    (None for a backbone without a growing cache)."""
    cache = getattr(getattr(agent, "state", None), "cache", None)
    if cache is None or not hasattr(cache, "capacity"):
        return None, None
    held = sum(t.nbytes for layer in cache.layers if layer.is_initialized for t in (layer.keys, layer.values))
    return int(cache.capacity), held / GIB


def measure(checkpoint: str, lengths: list[int], batch: int, device: str, graphs: bool | None = None) -> list[dict]:
    info = read_info(checkpoint)
    train = info.train_config or {}
    task = get_task(train["tasks"][0]["name"])
    regime = train.get("regime", "interactive")
    agent = load_agent(checkpoint, device=device)
    cuda = torch.device(device).type == "cuda"
    weights = torch.cuda.memory_allocated() if cuda else 0
    rows = []
    for n in lengths:
        problems = [task.problem("test", n, i, 0) for i in range(batch)]  # the evaluation set's first
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        results = rollout(agent, task, problems, regime, cuda_graphs=graphs)
        slots, cache_gib = cache_figures(agent)
        row = {"length": n, "rows": len(problems), "exact": sum(r.correct for r in results) / len(results),
               "longest_context": max(r.context_tokens for r in results), "cache_slots": slots,
               "cache_gib": cache_gib}
        if cuda:
            torch.cuda.synchronize()
            row["weights_gib"] = weights / GIB
            row["peak_gib"] = torch.cuda.max_memory_allocated() / GIB
            row["peak_per_cache"] = (torch.cuda.max_memory_allocated() - weights) / GIB / cache_gib if cache_gib else None
            row["after_gib"] = torch.cuda.memory_allocated() / GIB
            del results
            gc.collect()
            row["after_gc_gib"] = torch.cuda.memory_allocated() / GIB
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("--lengths", default="18,19,20")
    parser.add_argument("--batch-size", type=int, default=64, help="rows of the one batch played per length")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--cuda-graphs", choices=list(_GRAPHS), default="auto")
    parser.add_argument("--json", default=None, help="also write the rows here")
    args = parser.parse_args()
    rows = measure(args.checkpoint, [int(x) for x in args.lengths.split(",")], args.batch_size, args.device,
                   _GRAPHS[args.cuda_graphs])
    table = Table(title=f"scoring memory: {args.checkpoint} on {args.device}")
    for key in rows[0]:
        table.add_column(key, justify="right")
    for row in rows:
        table.add_row(*("–" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()))
    Console().print(table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
