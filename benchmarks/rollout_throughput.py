"""Batched rollout engine vs a gymnasium vector env, on oracle rollouts of 1000-digit addition.

Both play the same 64 problems with the same (oracle) decisions; prints env steps per second
(agent tokens) and their ratio. The engine's step-limit computation (one oracle run per
problem, also done by ToolEnv.reset) is included in both.
Usage: python benchmarks/rollout_throughput.py [--length 1000] [--episodes 64]
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
from rich.console import Console
from rich.table import Table

import toolenv
from toolenv.oracle_policy import OraclePolicy
from toolenv.rollout import rollout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--episodes", type=int, default=64)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    task = toolenv.get_task("addition")
    problems = [task.problem("test", args.length, i) for i in range(args.episodes)]
    plans = [list(task.oracle(p).actions()) for p in problems]
    steps = sum(map(len, plans))

    policy = OraclePolicy(task, problems, device=args.device)
    t0 = time.perf_counter()
    results = rollout(policy, task, problems)
    t_engine = time.perf_counter() - t0
    assert all(r.correct for r in results) and sum(r.steps for r in results) == steps

    envs = gym.vector.SyncVectorEnv([lambda: gym.make(toolenv.gym_id(task.name)) for _ in problems])
    t0 = time.perf_counter()
    envs.reset(options={"problem": problems[0]})  # placeholder reset; each env is reset below
    for env, p in zip(envs.envs, problems):
        env.reset(options={"problem": p})
    longest = max(map(len, plans))
    for t in range(longest):
        envs.step(np.array([plan[t] if t < len(plan) else 0 for plan in plans]))
    t_vec = time.perf_counter() - t0
    envs.close()

    table = Table(title=f"oracle rollouts of {args.length}-digit addition, {args.episodes} episodes")
    for col in ("runner", "env steps", "seconds", "steps/s"):
        table.add_column(col, justify="right")
    table.add_row(f"toolenv.rollout ({args.device})", f"{steps:,}", f"{t_engine:.2f}", f"{steps / t_engine:,.0f}")
    table.add_row(f"SyncVectorEnv x{args.episodes}", f"{steps:,}", f"{t_vec:.2f}", f"{steps / t_vec:,.0f}")
    Console().print(table)
    print(f"engine / vector env: {t_vec / t_engine:.2f}x")


if __name__ == "__main__":
    main()
