"""Run Agent-protocol agents (``reset``/``act``) through ToolEnv instances: the reference path.

Slow (Python per episode and token) but it is the definition the batched engine must match,
and it serves any agent that is not a TokenPolicy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toolenv.env import ToolEnv
from toolenv.problem import Problem
from toolenv.rollout import EpisodeResult
from toolenv.task import Task


def env_rollout(agent, task: Task, problems: Sequence[Problem], regime: str = "interactive",
                max_steps: int | None = None) -> list[EpisodeResult]:
    """Play ``problems`` as one batch of ToolEnv episodes driven by ``agent``."""
    envs = [ToolEnv(task, regime=regime, max_steps=max_steps) for _ in problems]
    obs = [env.reset(options={"problem": p})[0] for env, p in zip(envs, problems)]
    agent.reset(len(problems))
    done = [False] * len(problems)
    last: list[tuple[bool, dict]] = [(False, {})] * len(problems)
    empty = np.zeros(0, dtype=np.int64)
    while not all(done):
        actions = agent.act([empty if d else o for o, d in zip(obs, done)])
        for b, env in enumerate(envs):
            if not done[b]:
                obs[b], _, terminated, truncated, info = env.step(int(actions[b]))
                done[b] = terminated or truncated
                last[b] = (truncated, info)
    results = []
    for env, p, (truncated, info) in zip(envs, problems, last):
        traj = env.trajectory()
        results.append(EpisodeResult(
            problem=p, output=info["output"], correct=info["correct"], token_accuracy=info["token_accuracy"],
            steps=info["steps"], context_tokens=len(traj), tool_calls=info["tool_calls"], truncated=truncated,
            invalid="invalid" in info, tokens=traj.tokens.tolist(),
        ))
    return results
