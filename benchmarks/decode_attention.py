"""One Transformer decoding step on CUDA against the KV cache's size, per attention kernel.

For each backbone and capacity C: B rows whose cache holds C - R - 2 tokens (random keys and
values, every slot visible), one step captured as a CUDA graph under each kernel of
``agents.backbones.hf_causal.DECODE_ATTENTION`` (``math``: two batched matrix products and a
softmax; ``sdpa``: PyTorch's fused choice, the memory-efficient kernel for a masked fp32 query),
replayed R times (each replay writes one more slot). Reports ms per step, the KV cache read per
step over that time (GB/s), and the largest difference between the kernels' logits on the same
state. A full-attention evaluation's step reads the whole capacity: a Hanoi episode of 8 disks
ends near 40k tokens.

Usage: python benchmarks/decode_attention.py [--backbones transformer,swa-transformer]
       [--size small] [--batch 16] [--capacities 4096,16384,65536] [--replays 50] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os

import torch
from rich.console import Console
from rich.table import Table

from agents.backbones import hf_causal
from agents.builder import build_backbone
from toolenv import vocab


def filled_state(backbone, batch: int, capacity: int, replays: int, device: torch.device):
    """A state whose cache has ``capacity`` slots, all but ``replays + 2`` of them holding tokens."""
    tokens = torch.full((batch,), vocab.BOS, device=device)
    _, state = backbone.step(tokens, backbone.init_state(batch, device))  # allocates the layers' buffers
    if backbone.window is None:
        state = backbone.reserve(state, capacity - state.cache.host_used)
        used = capacity - replays - 2
        state.cache.used.fill_(used)
        state.cache.host_used = used
    else:
        used = backbone.window
    state.slot_positions[:, :used] = torch.arange(used, device=device)
    state.positions.fill_(used)
    g = torch.Generator(device=device).manual_seed(0)
    for layer in state.cache.layers:
        layer.keys.copy_(torch.randn(layer.keys.shape, generator=g, device=device))
        layer.values.copy_(torch.randn(layer.values.shape, generator=g, device=device))
    return state, tokens


def step_with(backbone, tokens, state, kernel: str):
    """One eager step under ``kernel``; the state is put back as it was (slots, keys, values, fill)."""
    os.environ[hf_causal.DECODE_ATTENTION_ENV] = kernel
    saved = [t.clone() for layer in state.cache.layers for t in (layer.keys, layer.values)]
    slots, used, host_used = state.slot_positions.clone(), state.cache.used.clone(), state.cache.host_used
    logits, _ = backbone.step(tokens, state)
    for t, old in zip((t for layer in state.cache.layers for t in (layer.keys, layer.values)), saved):
        t.copy_(old)
    state.slot_positions.copy_(slots)
    state.cache.used.copy_(used)
    state.cache.host_used = host_used
    return logits


def time_graph(backbone, tokens, state, kernel: str, replays: int) -> float:
    """ms per replay of one step captured under ``kernel``."""
    os.environ[hf_causal.DECODE_ATTENTION_ENV] = kernel
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm-up outside the capture
        step_with(backbone, tokens, state, kernel)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        backbone.step(tokens, state)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    for _ in range(replays):
        graph.replay()
    end.record()
    torch.cuda.synchronize()
    if backbone.window is None:  # the replays advanced the fill on the device, the capture on the host
        state.cache.used.sub_(replays)
        state.cache.host_used -= 1
    return start.elapsed_time(end) / replays


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backbones", default="transformer,swa-transformer")
    ap.add_argument("--size", default="small")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--capacities", default="4096,16384,65536")
    ap.add_argument("--replays", type=int, default=50)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("decode_attention.py measures CUDA kernels: no CUDA device")
    device = torch.device("cuda")
    kernels = list(hf_causal.DECODE_ATTENTION)
    table = Table(title=f"decoding step, {args.batch} rows, {args.size}: ms per step (KV GB/s)")
    for col in ("backbone", "capacity", *kernels, "sdpa / math", "max |logit diff|"):
        table.add_column(col, justify="right")
    rows = []
    with torch.inference_mode():
        for name in args.backbones.split(","):
            backbone = build_backbone(name, args.size).to(device).eval()
            capacities = [int(c) for c in args.capacities.split(",")] if backbone.window is None else [backbone.window]
            for capacity in capacities:
                state, tokens = filled_state(backbone, args.batch, capacity, args.replays, device)
                logits = {k: step_with(backbone, tokens, state, k).float() for k in kernels}
                diff = max((logits[k] - logits[kernels[0]]).abs().max().item() for k in kernels)
                kv_bytes = sum(t.numel() * t.element_size() for layer in state.cache.layers
                               for t in (layer.keys, layer.values))
                ms = {k: time_graph(backbone, tokens, state, k, args.replays) for k in kernels}
                row = {"backbone": name, "size": args.size, "batch": args.batch, "capacity": capacity,
                       "kv_bytes": kv_bytes, "ms_per_step": ms, "max_logit_diff": diff}
                rows.append(row)
                table.add_row(name, f"{capacity:,}", *(f"{ms[k]:.3f} ({kv_bytes / ms[k] / 1e6:,.0f})" for k in kernels),
                              f"{ms['sdpa'] / ms['math']:.2f}x", f"{diff:.2e}")
            del backbone
            torch.cuda.empty_cache()
    os.environ.pop(hf_causal.DECODE_ATTENTION_ENV, None)
    Console().print(table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
