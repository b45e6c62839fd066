"""Rollouts with the search tool (the logical graph): engine throughput on the teacher's plans.

The search tool runs on the host (each closing ``[/find]`` greps that episode's memory), so
these rollouts take the eager loop and their speed is the host's. Throughput = context tokens
(prompt, actions, observations) per second of ``rollout``; every episode must be won.

Usage: python benchmarks/search_rollout.py [--lengths 100,200] [--episodes 32] [--device cpu]
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
    args = parser.parse_args()
    task = get_task("logical_graph")
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


if __name__ == "__main__":
    main()
