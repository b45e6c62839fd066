"""evaluate(): score an agent across a grid of lengths on fixed test sets.

For each length, the evaluation set is ``task.problem("test", length, i, seed)`` for
``i < episodes``: the same problems on every machine, never seen in training. Every agent runs
on the batched engine (``toolenv.rollout``): TokenPolicy agents (``start``/``feed``, e.g.
LMAgent) directly, other Agent-protocol agents (``reset``/``act``) through ``AgentPolicy``.
Episodes that hit the step limit or act invalidly count as wrong; they never stop the run.

With ``out``, the leaderboard entry is rewritten (atomically) after every length, and a later
call with the same settings resumes: lengths already in the file are not run again. A file
written with other settings (task, regime, episodes, seed, step limit, agent or its training)
is refused rather than mixed.

Progress: a live bar on a terminal; elsewhere (a log file, a background job) a plain line per batch of
episodes played and per length scored, as training prints its steps.

Out of GPU memory, a batch is played again in halves, and the evaluation goes on at the smaller
batch (with a warning): a rollout's results do not depend on how its episodes are batched.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from toolenv import clock
from toolenv import leaderboard as lb
from toolenv.errors import ToolEnvError
from toolenv.policy import AgentPolicy, is_agent, is_token_policy
from toolenv.regimes import check_regime
from toolenv.registry import get_task
from toolenv.rollout import EpisodeResult, rollout
from toolenv.task import Task

_TOOL_OF_REGIME = {"no-tool": "none", "direct": "none", "direct-reversed": "none", "single-turn": "calculator"}

EvalResult = lb.LeaderboardEntry
"""What ``evaluate`` returns: the leaderboard entry (per-length results, summary, settings)."""


def length_result(length: int, results: Sequence[EpisodeResult], seconds: float) -> lb.LengthResult:
    n = len(results)
    wins = sum(r.correct for r in results)
    lo, hi = lb.wilson_interval(wins, n)
    ctx = sum(r.context_tokens for r in results)
    return lb.LengthResult(
        length=length, episodes=n, exact_accuracy=wins / n, ci_low=lo, ci_high=hi,
        token_accuracy=sum(r.token_accuracy for r in results) / n, mean_trajectory_tokens=ctx / n,
        mean_agent_tokens=sum(r.steps for r in results) / n, tool_calls=sum(r.tool_calls for r in results) / n,
        truncated=sum(r.truncated for r in results), invalid=sum(r.invalid for r in results),
        seconds=seconds, tokens_per_s=ctx / seconds if seconds > 0 else 0.0,
        solved=[i for i, r in enumerate(results) if r.correct],
    )


def as_policy(agent: Any):
    """The TokenPolicy that plays ``agent``: itself, or an AgentPolicy around an Agent."""
    if is_token_policy(agent):
        return agent
    if is_agent(agent):
        return AgentPolicy(agent)
    raise ToolEnvError(f"{type(agent).__name__} is neither a TokenPolicy (device/start/feed) nor an Agent (reset/act)")


class _Batches:
    """Plays problems ``size`` at a time. Out of GPU memory, it halves ``size`` for the rest of the
    evaluation and plays the failed batch again (down to one episode, whose failure is raised)."""

    def __init__(self, size: int) -> None:
        self.size = size

    def play(self, problems: list, run: Callable[[list], list[EpisodeResult]],
             done: Callable[[int], None] = lambda n: None) -> list[EpisodeResult]:
        results: list[EpisodeResult] = []
        start = 0
        while start < len(problems):
            chunk = problems[start:start + self.size]
            try:
                results += run(chunk)
            except torch.OutOfMemoryError:
                if len(chunk) == 1:
                    raise
                failed = len(chunk)
            else:
                start += len(chunk)
                done(len(chunk))
                continue
            # out of the except block: the failed rollout's frames (and its GPU memory) are gone
            gc.collect()
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            self.size = (failed + 1) // 2
            warnings.warn(f"out of GPU memory playing {failed} episodes at once: batches of {self.size} from here "
                          "on (the results do not depend on the batch)", RuntimeWarning, stacklevel=3)
        return results


def _same_run(previous: lb.LeaderboardEntry, current: lb.LeaderboardEntry) -> list[str]:
    """Names of the settings that differ between a partial file and this evaluation."""
    def training(e):
        return None if e.training is None else (e.training.lengths, e.training.steps, e.training.seed)

    checks = {
        "task": (previous.task, current.task), "regime": (previous.regime, current.regime),
        "evaluation": (previous.evaluation, current.evaluation),
        "agent": (previous.agent.model_dump(exclude={"checkpoint"}), current.agent.model_dump(exclude={"checkpoint"})),
        "training": (training(previous), training(current)),
    }
    return [name for name, (a, b) in checks.items() if a != b]


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
    stop_at_zero: bool = False,
    together: bool = False,
    cuda_graphs: bool | None = None,
) -> EvalResult:
    """Score ``agent`` at every length; returns the leaderboard entry (also written to ``out``).

    ``agent``: a TokenPolicy or an Agent. ``max_steps`` overrides the task's step limit.
    ``meta`` fills the entry's descriptive fields: ``agent`` (AgentInfo fields), ``training``
    (TrainingInfo fields or None), ``command``, ``device``. ``stop_at_zero``: once a length
    scores 0 exact answers, longer lengths are not run (they are absent from the entry), which
    saves the cost of failed episodes that run to their step limit. An ``out`` file from an
    interrupted call is resumed (same settings required); a call that has nothing left to measure
    keeps that file's ``command`` and ``environment`` (where the numbers were measured).
    ``together``: play ``batch_size // episodes`` lengths at a time in the same batches (in
    ascending order; each group saved when done): a batch takes as many steps as its longest
    episode, so on a GPU, where a step costs about the same at batch 16 or 128, the shorter
    lengths of a group come almost free. Each length's ``seconds`` is then the group's wall time
    shared by context tokens. Not with ``stop_at_zero``. ``cuda_graphs``: as ``rollout``'s (None:
    wherever they apply).
    """
    task = get_task(task)
    check_regime(regime)
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ToolEnvError(f"episodes must be a positive integer, got {episodes!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ToolEnvError(f"batch_size must be a positive integer, got {batch_size!r}")
    if max_steps is not None and max_steps < 1:
        raise ToolEnvError(f"max_steps must be positive, got {max_steps}")
    if together and stop_at_zero:
        raise ToolEnvError("together plays several lengths per batch: it cannot stop at the first that scores 0")
    lengths = sorted(set(lengths))
    if not lengths:
        raise ToolEnvError("no lengths to evaluate")
    for n in lengths:
        task.check_length(n)
    policy = as_policy(agent)
    meta = dict(meta or {})
    agent_info = lb.AgentInfo(**meta.get("agent", {"name": type(agent).__name__, "backbone": "custom", "params": 0}))
    training = lb.TrainingInfo(**meta["training"]) if meta.get("training") else None
    settings = lb.EvalSettings(episodes=episodes, seed=seed, max_steps=max_steps)
    done: dict[int, lb.LengthResult] = {}
    previous: lb.LeaderboardEntry | None = None
    measured_here = False  # a call that measures nothing keeps the machine and command that did

    def entry() -> lb.LeaderboardEntry:
        results = [done[n] for n in sorted(done)]
        trained_max = training.lengths[-1] if training else None
        kept = previous is not None and not measured_here
        return lb.LeaderboardEntry(
            task=task.name, regime=regime, tool=_TOOL_OF_REGIME.get(regime) or task.tool_spec,
            agent=agent_info, training=training, evaluation=settings, results=results,
            summary=lb.summarize(results, trained_max),
            command=previous.command if kept else meta.get("command", ""),
            environment=previous.environment if kept else lb.environment(meta.get("device")), date=lb.now(),
        )

    if out is not None and Path(out).exists():
        stored = lb.load(out)
        if len(stored) != 1:
            raise ToolEnvError(f"{out} holds {len(stored)} entries; an evaluation resumes from a file of one")
        differ = _same_run(stored[0], entry())
        if differ:
            raise ToolEnvError(f"{out} holds an evaluation with other settings ({', '.join(differ)}); "
                               "remove it or choose another file")
        previous = stored[0]
        done = {r.length: r for r in previous.results}

    todo = [n for n in lengths if n not in done]
    saved: lb.LeaderboardEntry | None = None  # the entry last written to `out`: what the call returns

    def save() -> None:
        nonlocal saved
        saved = entry()
        lb.save(out, saved)

    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[info]}"), TimeElapsedColumn()]
    console = Console()
    plain = progress and not console.is_terminal  # a log file: lines, not a bar redrawn (session 38 saw none)
    title = f"eval {agent_info.name} on {task.name}"
    with Progress(*columns, disable=not progress or plain, console=console) as bar:
        per_batch = max(1, batch_size // episodes) if together else 1
        batches = _Batches(batch_size)
        t_start, played, planned = clock.now(), 0, len(todo) * episodes
        job = bar.add_task(title, total=planned, info="")

        def advance(k: int, info: str) -> None:
            nonlocal played
            played += k
            bar.update(job, advance=k, info=info)
            if plain:
                print(f"{title}: {info}, {played}/{planned} episodes, {clock.now() - t_start:.0f} s", flush=True)

        def scored(n: int) -> None:
            if plain:
                r = done[n]
                print(f"{title}: length {n}: {r.exact_accuracy:.0%} exact ({len(r.solved)}/{r.episodes}), "
                      f"{r.tokens_per_s:,.0f} tok/s, {r.seconds:.0f} s", flush=True)

        def play(problems: list) -> list[EpisodeResult]:
            return rollout(policy, task, problems, regime, max_steps=max_steps, cuda_graphs=cuda_graphs)

        while together and todo:  # a group of lengths shares its batches, then is saved
            group, todo = todo[:per_batch], todo[per_batch:]
            t0 = clock.now()
            problems = [task.problem("test", n, i, seed) for n in group for i in range(episodes)]
            results = batches.play(problems, play, lambda k, group=group: advance(k, f"lengths {group}"))
            seconds = clock.now() - t0
            total = sum(r.context_tokens for r in results) or 1
            for k, n in enumerate(group):
                mine = results[k * episodes:(k + 1) * episodes]
                done[n] = length_result(n, mine, seconds * sum(r.context_tokens for r in mine) / total)
                scored(n)
            measured_here = True
            if out is not None:
                save()
        for n in todo:
            t0 = clock.now()
            problems = [task.problem("test", n, i, seed) for i in range(episodes)]
            results = batches.play(problems, play, lambda k, n=n: advance(k, f"length {n}"))
            done[n] = length_result(n, results, clock.now() - t0)
            measured_here = True
            bar.update(job, info=f"length {n}: {done[n].exact_accuracy:.0%}")
            scored(n)
            if out is not None:
                save()
            if stop_at_zero and done[n].exact_accuracy == 0:
                break
    return saved or entry()
