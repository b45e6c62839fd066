"""evaluate(): score an agent across a grid of lengths on fixed test sets.

For each length, the evaluation set is ``task.problem("test", length, i, seed)`` for
``i < episodes``: the same problems on every machine, never seen in training. TokenPolicy agents
(``start``/``feed``, e.g. LMAgent) run on the batched engine; other Agent-protocol agents run
through ToolEnv. Episodes that hit the step limit or act invalidly count as wrong.

With ``out``, the leaderboard entry is rewritten (atomically) after every length, and a later
call with the same settings resumes: lengths already in the file are not run again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from toolenv import leaderboard as lb
from toolenv.env_loop import env_rollout
from toolenv.errors import ToolEnvError
from toolenv.regimes import check_regime
from toolenv.registry import get_task
from toolenv.rollout import EpisodeResult, rollout
from toolenv.task import Task


def length_result(length: int, results: Sequence[EpisodeResult], seconds: float) -> lb.LengthResult:
    n = len(results)
    wins = sum(r.correct for r in results)
    lo, hi = lb.wilson_interval(wins, n)
    ctx = sum(r.context_tokens for r in results)
    return lb.LengthResult(
        length=length, episodes=n, exact_accuracy=wins / n, ci_low=min(lo, wins / n), ci_high=max(hi, wins / n),
        token_accuracy=sum(r.token_accuracy for r in results) / n, mean_trajectory_tokens=ctx / n,
        mean_agent_tokens=sum(r.steps for r in results) / n, tool_calls=sum(r.tool_calls for r in results) / n,
        truncated=sum(r.truncated for r in results), invalid=sum(r.invalid for r in results),
        seconds=seconds, tokens_per_s=ctx / seconds if seconds > 0 else 0.0,
    )


def _play(agent, task: Task, problems, regime: str, max_steps: int | None) -> list[EpisodeResult]:
    if hasattr(agent, "start") and hasattr(agent, "feed") and hasattr(agent, "device"):
        return rollout(agent, task, problems, regime, max_steps=max_steps)
    if hasattr(agent, "reset") and hasattr(agent, "act"):
        return env_rollout(agent, task, problems, regime, max_steps=max_steps)
    raise ToolEnvError(f"{type(agent).__name__} is neither a TokenPolicy (start/feed) nor an Agent (reset/act)")


def evaluate(
    agent: Any,
    task: str | Task,
    lengths: Sequence[int],
    episodes: int = 100,
    seed: int = 0,
    regime: str = "interactive",
    batch_size: int = 128,
    max_steps: int | None = None,
    out: str | Path | None = None,
    meta: dict[str, Any] | None = None,
    progress: bool = True,
) -> lb.LeaderboardEntry:
    """Score ``agent`` at every length; returns the leaderboard entry (also written to ``out``).

    ``meta`` fills the entry's descriptive fields: ``agent`` (AgentInfo fields), ``training``
    (TrainingInfo fields or None), ``command``, ``device``.
    """
    task = get_task(task)
    check_regime(regime)
    if episodes < 1:
        raise ToolEnvError(f"episodes must be >= 1, got {episodes}")
    lengths = sorted(set(lengths))
    for n in lengths:
        task.check_length(n)
    meta = dict(meta or {})
    agent_info = lb.AgentInfo(**meta.get("agent", {"name": type(agent).__name__, "backbone": "custom", "params": 0}))
    training = lb.TrainingInfo(**meta["training"]) if meta.get("training") else None
    settings = lb.EvalSettings(episodes=episodes, seed=seed)
    done: dict[int, lb.LengthResult] = {}
    if out is not None and Path(out).exists():
        previous = lb.load(out)[0]
        same = (previous.task, previous.regime, previous.evaluation, previous.agent.name) == (
            task.name, regime, settings, agent_info.name)
        if not same:
            raise ToolEnvError(f"{out} holds an evaluation with other settings; remove it or choose another file")
        done = {r.length: r for r in previous.results}

    def entry() -> lb.LeaderboardEntry:
        results = [done[n] for n in sorted(done)]
        trained_max = training.lengths[-1] if training else None
        return lb.LeaderboardEntry(
            task=task.name, regime=regime, tool=task.tool_spec if regime == "interactive" else regime,
            agent=agent_info, training=training, evaluation=settings, results=results,
            summary=lb.summarize(results, trained_max), command=meta.get("command", ""),
            environment=lb.environment(meta.get("device")), date=lb.now(),
        )

    todo = [n for n in lengths if n not in done]
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[info]}"), TimeElapsedColumn()]
    with Progress(*columns, disable=not progress) as bar:
        job = bar.add_task(f"eval {agent_info.name} on {task.name}", total=len(todo) * episodes, info="")
        for n in todo:
            t0 = time.perf_counter()
            results: list[EpisodeResult] = []
            for start in range(0, episodes, batch_size):
                problems = [task.problem("test", n, i, seed) for i in range(start, min(episodes, start + batch_size))]
                results += _play(agent, task, problems, regime, max_steps)
                bar.update(job, advance=len(problems), info=f"length {n}")
            done[n] = length_result(n, results, time.perf_counter() - t0)
            bar.update(job, info=f"length {n}: {done[n].exact_accuracy:.0%}")
            if out is not None:
                lb.save(out, entry())
    return entry()
