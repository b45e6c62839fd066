"""Rollout tokens per second on GPU: the eager engine, the CUDA-graph engine, and pure decoding.

For each backbone and batch size: B episodes of ``--task`` at ``--length`` played by an untrained
model of ``--size`` (greedy, never choosing a token that ends an episode, so every episode runs
exactly ``--steps`` agent tokens, with random pointer commands and their observations; pointer tasks only), once with
``rollout(cuda_graphs=False)`` and once with ``cuda_graphs=True`` (both must give identical
episodes). Throughput = tokens the model consumed (prompt, actions, observations: every
episode's context) per second. The ceiling, "decode": the same model stepping B rows for as
many tokens as the longest episode's context, argmax fed back, no env or tool, captured in CUDA
graphs of 32 steps where the backbone allows (else eager). Kernels are compiled and graphs
captured once before any clock starts (a warm-up rollout of the same batch). Two more columns
run the env/tool half of each step fused: by torch.compile (``compile_env=True``) and as one
Triton kernel (``fused_env=True``, toolenv.fused_env); eager and graphs use the torch env step.
Every timed rollout() call includes its fixed costs (set-up, an eager first chunk, graph capture,
results); "fused steady" removes them: (tokens of the full rollout - tokens of one of a quarter
of the steps) / (the difference of their times), the rate an evaluation of long episodes sees.

Usage: python benchmarks/gpu_rollout.py [--backbones mamba,mamba2,lstm,gru,transformer]
       [--size small] [--batches 256,1024] [--steps 1024] [--length 100] [--json FILE]
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
from agents.lm_agent import LMAgent
from toolenv import batch_tools, vocab
from toolenv.fused_env import fused_env_apply
from toolenv.rollout import rollout


def endings(task) -> list[int]:
    """Tokens that end an interactive episode of ``task``: [EOS], [PAD], [BOS], [ANS] (a second
    one is invalid) and every command its pointer tool rejects."""
    k = task.make_tool().k
    ok = {vocab.pointer_command(j, op) for j in range(1, k + 1) for op in vocab.POINTER_OPS}
    return [vocab.EOS, vocab.PAD, vocab.BOS, vocab.ANS, *sorted(set(vocab.COMMAND_IDS) - ok)]


class NeverEnding(LMAgent):
    """Greedy decoding that never picks a token that ends the episode."""

    def __init__(self, backbone, banned: list[int]) -> None:
        super().__init__(backbone)
        self.endings = torch.tensor(banned, device=self.device)

    def choose(self, logits: torch.Tensor) -> torch.Tensor:
        return logits.index_fill(1, self.endings, float("-inf")).argmax(-1)


def signature(results) -> list[tuple]:
    """What two rollouts of the same problems must agree on, episode by episode."""
    return [(r.output, r.steps, r.tool_calls, r.context_tokens) for r in results]


def timed(fn):
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    out = fn()
    torch.cuda.synchronize()
    return out, time.perf_counter() - t0


@torch.inference_mode()
def decode(backbone, batch: int, tokens: int, graphs: bool, chunk: int = 32) -> float:
    """Seconds to step ``batch`` rows through ``tokens`` tokens (argmax fed back)."""
    dev = next(backbone.parameters()).device
    state = backbone.reserve(backbone.init_state(batch, dev), tokens + 2 * chunk)  # a KV cache: all its slots
    tok = torch.full((batch,), vocab.BOS, dtype=torch.long, device=dev)

    def run(n: int) -> None:
        nonlocal state, tok
        for _ in range(n):
            logits, state = backbone.step(tok, state)
            tok = logits.argmax(-1)

    run(chunk)  # warm-up: kernels compiled, allocator primed
    if not graphs:
        return timed(lambda: run(tokens))[1]
    leaves, spec = torch.utils._pytree.tree_flatten((state, tok))
    static = [x.clone() for x in leaves]
    state, tok = torch.utils._pytree.tree_unflatten(static, spec)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        run(chunk)
        for s, new in zip(static, torch.utils._pytree.tree_flatten((state, tok))[0]):
            s.copy_(new)
    replays = -(-tokens // chunk)
    return timed(lambda: [graph.replay() for _ in range(replays)])[1] * tokens / (replays * chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backbones", default="mamba,mamba2,lstm,gru,transformer,swa-transformer")
    parser.add_argument("--size", default="small")
    parser.add_argument("--batches", default="256,1024")
    parser.add_argument("--task", default="addition")
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--steps", type=int, default=1024, help="agent tokens per episode")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    parser.add_argument("--json", default=None)
    parser.add_argument("--no-compile-env", dest="compile_env", action="store_false",
                        help="skip the graphs + torch.compile'd env column")
    parser.add_argument("--no-fused-env", dest="fused_env", action="store_false",
                        help="skip the graphs + fused Triton env column")
    args = parser.parse_args()
    why_not = fused_env_apply(batch_tools.BatchPointerMemory(1), torch.device("cuda"))
    if args.fused_env and why_not:
        print(f"no graphs + fused env column: {why_not}")
        args.fused_env = False
    torch._dynamo.config.recompile_limit = 64
    task = toolenv.get_task(args.task)
    table = Table(title=f"rollout tokens/s on {torch.cuda.get_device_name()}: {args.task} length {args.length}, "
                        f"{args.steps} agent tokens per episode, {args.size} presets, {args.dtype}")
    for col in ("backbone", "batch", "eager", "graphs", "graphs+compiled env", "graphs+fused env", "fused steady",
                "decode", "best/decode", "best/eager", "steady/decode", "steady/eager", "eager ms/step"):
        table.add_column(col, justify="right")
    rows = []
    for name in args.backbones.split(","):
        torch.manual_seed(0)
        backbone = build_backbone(name, args.size, {}).cuda().to(getattr(torch, args.dtype)).eval()
        graphs_ok = backbone.fixed_state
        for batch in map(int, args.batches.split(",")):
            problems = [task.problem("test", args.length, i) for i in range(batch)]

            def play(graphs: bool, steps: int = args.steps, backbone=backbone, problems=problems, fuse=False,
                     triton=False):
                return rollout(NeverEnding(backbone, endings(task)), task, problems, max_steps=steps, cuda_graphs=graphs,
                               compile_env=fuse, fused_env=triton)

            play(False, 64)  # warm-up: kernels, allocator
            eager, t_eager = timed(lambda: play(False))
            tokens = sum(r.context_tokens for r in eager)
            longest = max(r.context_tokens for r in eager)
            engine_steps = -(-longest // 32) * 32
            row = {"backbone": name, "size": args.size, "batch": batch, "tokens": tokens,
                   "eager_tok_s": tokens / t_eager, "eager_ms_per_step": 1e3 * t_eager / engine_steps}
            if graphs_ok:
                play(True, 64)
                graph, t_graph = timed(lambda: play(True))
                if signature(graph) != signature(eager):
                    raise SystemExit(f"{name} batch {batch}: graph rollouts differ from eager ones")
                row["graph_tok_s"] = tokens / t_graph
                if args.compile_env:
                    play(True, 64, fuse=True)  # compiles (once per batch shape)
                    fused, t_fused = timed(lambda: play(True, fuse=True))
                    if signature(fused) != signature(eager):
                        raise SystemExit(f"{name} batch {batch}: compiled-env rollouts differ from eager ones")
                    row["graph_compiled_tok_s"] = tokens / t_fused
                if args.fused_env:
                    play(True, 64, triton=True)  # compiles the kernel
                    fused, t_fused = timed(lambda: play(True, triton=True))
                    if signature(fused) != signature(eager):
                        raise SystemExit(f"{name} batch {batch}: fused-env rollouts differ from eager ones")
                    row["graph_fused_tok_s"] = tokens / t_fused
                    short, t_short = timed(lambda: play(True, max(32, args.steps // 4), triton=True))
                    row["graph_fused_steady_tok_s"] = (tokens - sum(r.context_tokens for r in short)) / (t_fused - t_short)
            t_dec = decode(backbone, batch, longest, graphs_ok)
            row["decode_tok_s"] = batch * longest / t_dec
            rows.append(row)
            g, gc, gf = row.get("graph_tok_s"), row.get("graph_compiled_tok_s"), row.get("graph_fused_tok_s")
            best = max(row["eager_tok_s"], g or 0, gc or 0, gf or 0)
            steady = row.get("graph_fused_steady_tok_s")
            table.add_row(name, str(batch), f"{row['eager_tok_s']:,.0f}", f"{g:,.0f}" if g else "n/a",
                          f"{gc:,.0f}" if gc else "n/a", f"{gf:,.0f}" if gf else "n/a",
                          f"{steady:,.0f}" if steady else "n/a", f"{row['decode_tok_s']:,.0f}",
                          f"{best / row['decode_tok_s']:.0%}", f"{best / row['eager_tok_s']:.1f}x",
                          f"{steady / row['decode_tok_s']:.0%}" if steady else "n/a",
                          f"{steady / row['eager_tok_s']:.1f}x" if steady else "n/a",
                          f"{row['eager_ms_per_step']:.2f}")
            print(json.dumps(row), flush=True)
        torch.cuda.empty_cache()
    Console().print(table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": torch.cuda.get_device_name(), **vars(args), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
