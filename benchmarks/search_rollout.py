"""Rollouts with the search tool (the logical graph): engine throughput on the teacher's plans.

The search tool runs on the host (each closing ``[/find]`` greps that episode's memory), so
these rollouts take the eager loop. Throughput = context tokens (prompt, actions,
observations) per second of ``rollout``; every episode must be won.

With ``--backbone``, an untrained model of that preset reads every token while the teacher
plays (``agents.teacher_forced``): the engine's cost with a real model on real search traffic.
On CUDA it is timed twice, in the same run: the eager loop (``cuda_graphs=False``) and the
default, which replays the model's step as one CUDA graph between the host's searches; the two
must play the same model steps (equal ``digest``).

Usage: python benchmarks/search_rollout.py [--lengths 100,200] [--episodes 32] [--device cpu]
       python benchmarks/search_rollout.py --backbone mamba2 --size small --device cuda --lengths 20,100
"""

from __future__ import annotations

import argparse
import time

from toolenv.oracle_policy import OraclePolicy
from toolenv.registry import get_task
from toolenv.rollout import rollout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", default="100,200")
    parser.add_argument("--episodes", type=int, default=32)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--backbone", default=None, help="time this backbone (untrained, teacher-forced)")
    parser.add_argument("--size", default="small")
    args = parser.parse_args()
    task = get_task("logical_graph")
    if args.backbone:
        return time_model(task, args)
    for length in map(int, args.lengths.split(",")):
        problems = [task.problem("test", length, i, 0) for i in range(args.episodes)]
        rollout(OraclePolicy(device=args.device), task, problems[:2])  # warm-up
        t0 = time.perf_counter()
        results = rollout(OraclePolicy(device=args.device), task, problems)
        seconds = time.perf_counter() - t0
        if not all(r.correct for r in results):
            raise SystemExit(f"the teacher lost an episode at {length} gates")
        tokens = sum(r.context_tokens for r in results)
        print(f"{length} gates, {args.episodes} episodes: {tokens / seconds:,.0f} context tokens/s ({seconds:.1f} s)")


def time_model(task, args) -> None:
    import torch

    from agents.builder import build_backbone
    from agents.teacher_forced import TeacherForcedLM

    backbone = build_backbone(args.backbone, args.size, {}).to(args.device)
    modes = {"eager": False, "graphs": None} if args.device.startswith("cuda") else {"eager": False}
    for length in map(int, args.lengths.split(",")):
        problems = [task.problem("test", length, i, 0) for i in range(args.episodes)]
        rates, digests = {}, {}
        for mode, graphs in modes.items():
            rollout(TeacherForcedLM(backbone, task, problems[:2]), task, problems[:2], cuda_graphs=graphs)  # warm-up
            agent = TeacherForcedLM(backbone, task, problems)
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            results = rollout(agent, task, problems, cuda_graphs=graphs)
            seconds = time.perf_counter() - t0
            if not all(r.correct for r in results):
                raise SystemExit(f"the teacher lost an episode at {length} gates")
            steps = max(r.context_tokens for r in results)
            rates[mode] = sum(r.context_tokens for r in results) / seconds
            digests[mode] = agent.digest.tolist()
            print(f"{args.backbone}-{args.size} {mode:6s} {length} gates, {args.episodes} episodes: "
                  f"{rates[mode]:,.0f} context tokens/s, {1e3 * seconds / steps:.2f} ms per batched step")
        if len(rates) == 2:
            if digests["graphs"] != digests["eager"]:
                raise SystemExit("graph replay and eager loop ran different model steps")
            print(f"  graphs / eager: {rates['graphs'] / rates['eager']:.1f}x (same model steps)")


if __name__ == "__main__":
    main()
