"""Batched rollout engine vs gymnasium vector envs, on oracle rollouts of 1000-digit addition.

Every runner plays test problems of the given length with the teacher's decisions and must
win every episode. Throughput = the episodes' env steps (agent tokens) per second of stepping.
All runners get the same fixed step limit, so no reset runs the oracle inside the timing; the
teacher's plans are computed before the clock starts. Vector envs autoreset an env that has
finished while others still run (gymnasium's default); those extra steps are not counted.
``AsyncVectorEnv`` runs one process per env, so it gets its own (smaller) episode count.

Usage: python benchmarks/rollout_throughput.py [--length 1000] [--episodes 64] [--async-episodes 8]
       [--engine-batches 64,256] [--device cpu]
"""

from __future__ import annotations

import argparse
import os
import time

import gymnasium as gym
import numpy as np
import torch
from rich.console import Console
from rich.table import Table

import toolenv
from toolenv.oracle_policy import OraclePolicy
from toolenv.rollout import rollout

TASK = "addition"


def problems_and_plans(length: int, n: int, offset: int = 0):
    task = toolenv.get_task(TASK)
    problems = [task.problem("test", length, offset + i) for i in range(n)]
    return task, problems, [list(task.oracle(p).actions()) for p in problems]


def run_engine(length: int, batch: int, device: str, limit: int) -> tuple[int, float]:
    task, problems, plans = problems_and_plans(length, batch)
    policy = OraclePolicy(task, problems, device=device)
    if device.startswith("cuda"):  # compile/warm the kernels outside the clock
        small = problems[:2]
        rollout(OraclePolicy(task, small, device=device), task, small, max_steps=limit)
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    results = rollout(policy, task, problems, max_steps=limit)
    seconds = time.perf_counter() - t0
    assert all(r.correct for r in results), "the engine lost an oracle episode"
    assert [r.steps for r in results] == list(map(len, plans))
    return sum(map(len, plans)), seconds


class FixedProblem(gym.Wrapper):
    """Every reset plays the same problem (so each sub-env of a vector env has its own)."""

    def __init__(self, env: gym.Env, problem) -> None:
        super().__init__(env)
        self.problem = problem

    def reset(self, *, seed=None, options=None):
        return self.env.reset(seed=seed, options={"problem": self.problem})


def run_vector(length: int, n: int, limit: int, vector_cls, **kwargs) -> tuple[int, float]:
    _, problems, plans = problems_and_plans(length, n)
    env_id = toolenv.gym_id(TASK)
    envs = vector_cls([lambda p=p: FixedProblem(gym.make(env_id, max_steps=limit), p) for p in problems], **kwargs)
    envs.reset(seed=0)
    longest = max(map(len, plans))
    actions = np.zeros((longest, n), dtype=np.int64)  # after its plan, an env gets [PAD] (ends it again)
    for i, plan in enumerate(plans):
        actions[: len(plan), i] = plan
    ends = np.array([len(plan) - 1 for plan in plans])
    wins = np.zeros(n, dtype=bool)
    t0 = time.perf_counter()
    for t in range(longest):
        _, reward, _, _, _ = envs.step(actions[t])
        wins |= (ends == t) & (reward == 1.0)
    seconds = time.perf_counter() - t0
    envs.close()
    assert wins.all(), "a vector env lost an oracle episode"
    return sum(map(len, plans)), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--episodes", type=int, default=64, help="episodes for the engine and SyncVectorEnv")
    parser.add_argument("--async-episodes", type=int, default=8, help="AsyncVectorEnv episodes (0: skip)")
    parser.add_argument("--engine-batches", default="64,256", help="extra engine batch sizes, comma-separated")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    task = toolenv.get_task(TASK)
    limit = task.step_limit(40 * args.length + 100)  # above every oracle's length at this size

    rows = []
    batches = sorted({args.episodes, *(int(b) for b in args.engine_batches.split(",") if b)})
    for b in batches:
        steps, sec = run_engine(args.length, b, args.device, limit)
        rows.append((f"toolenv.rollout ({args.device})", b, steps, sec))
    steps, sec = run_vector(args.length, args.episodes, limit, gym.vector.SyncVectorEnv)
    rows.append(("gymnasium SyncVectorEnv", args.episodes, steps, sec))
    if args.async_episodes:
        try:
            steps, sec = run_vector(args.length, args.async_episodes, limit, gym.vector.AsyncVectorEnv,
                                    shared_memory=False)
            rows.append(("gymnasium AsyncVectorEnv", args.async_episodes, steps, sec))
        except Exception as e:  # noqa: BLE001 (report why, rather than hide the row)
            Console().print(f"[yellow]AsyncVectorEnv did not run: {type(e).__name__}: {e}")

    sync_rate = next(s / t for name, _, s, t in rows if "Sync" in name)
    table = Table(title=f"oracle rollouts of {args.length}-digit addition ({os.cpu_count()} CPU cores)")
    for col in ("runner", "episodes", "env steps", "seconds", "steps/s", "vs SyncVectorEnv"):
        table.add_column(col, justify="right")
    for name, n, steps, sec in rows:
        table.add_row(name, str(n), f"{steps:,}", f"{sec:.2f}", f"{steps / sec:,.0f}", f"{steps / sec / sync_rate:.2f}x")
    Console().print(table)


if __name__ == "__main__":
    main()
