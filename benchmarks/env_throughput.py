"""Env steps per second for oracle rollouts of 1000-digit addition.

One ToolEnv, then a gymnasium SyncVectorEnv of 64 (all in one process). Prints a rich table.
Usage: python benchmarks/env_throughput.py [--length 1000] [--envs 64]
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
from rich.console import Console
from rich.table import Table

import toolenv


def single_env(task: toolenv.Task, length: int, episodes: int) -> tuple[int, float]:
    env = toolenv.ToolEnv(task, length=length)
    steps, elapsed = 0, 0.0
    for seed in range(episodes):
        _, info = env.reset(seed=seed)
        actions = list(task.oracle(info["problem"]).actions())
        t0 = time.perf_counter()
        for a in actions:
            *_, terminated, truncated, info = env.step(a)
        elapsed += time.perf_counter() - t0
        assert terminated and info["correct"], info
        steps += len(actions)
    return steps, elapsed


def vector_env(task: toolenv.Task, length: int, n_envs: int) -> tuple[int, float]:
    envs = gym.vector.SyncVectorEnv([lambda: gym.make(toolenv.gym_id(task.name), length=length) for _ in range(n_envs)])
    _, infos = envs.reset(seed=list(range(n_envs)))
    plans = [list(task.oracle(p).actions()) for p in infos["problem"]]
    longest = max(map(len, plans))
    t0 = time.perf_counter()
    steps = 0
    for t in range(longest):
        actions = np.array([plan[t] if t < len(plan) else 0 for plan in plans])
        _, rewards, terminated, _, _ = envs.step(actions)
        live = np.array([t < len(plan) for plan in plans])
        steps += int(live.sum())
        finished = np.array([t == len(plan) - 1 for plan in plans])
        assert (rewards[finished] == 1.0).all() and terminated[finished].all()
    elapsed = time.perf_counter() - t0
    envs.close()
    return steps, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--envs", type=int, default=64)
    parser.add_argument("--episodes", type=int, default=8, help="episodes for the single-env run")
    args = parser.parse_args()
    task = toolenv.get_task("addition")
    table = Table(title=f"oracle rollouts, {args.length}-digit addition (env steps = agent tokens)")
    for col in ("setup", "env steps", "seconds", "steps/s"):
        table.add_column(col, justify="right")
    s1, t1 = single_env(task, args.length, args.episodes)
    table.add_row("1 ToolEnv", f"{s1:,}", f"{t1:.2f}", f"{s1 / t1:,.0f}")
    sv, tv = vector_env(task, args.length, args.envs)
    table.add_row(f"SyncVectorEnv x{args.envs}", f"{sv:,}", f"{tv:.2f}", f"{sv / tv:,.0f}")
    Console().print(table)
    print(f"vector/single throughput ratio: {(sv / tv) / (s1 / t1):.2f}")


if __name__ == "__main__":
    main()
