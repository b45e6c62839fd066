"""Leaderboard entries: a versioned pydantic schema, validated load, atomic save, merge, tables.

A leaderboard file holds one entry (a JSON object) or several (a JSON list). Everything needed
to re-run an entry is in it: the command, the training settings, the evaluation settings and
the environment. ``docs/leaderboard.md`` documents every field; ``toolenv leaderboard --schema``
prints the JSON schema.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from toolenv.errors import ToolEnvError

SCHEMA_VERSION = "1.1"
READABLE_VERSIONS = ("1.0", "1.1")  # 1.1 added results[].solved; 1.0 entries load without it
SUMMARY_RULE = (
    "m = largest tested length with exact accuracy >= 5%, p = the accuracy there; paper_style = "
    "'n→m (p%)' with n = largest training length (paper, Table 1); max_length_99 = largest tested "
    "length with exact accuracy >= 99%. Accuracy = exact match of the whole output over `episodes` "
    "fixed test problems; truncated and invalid episodes count as wrong."
)


class LeaderboardError(ToolEnvError):
    """A leaderboard file that does not validate; the message names the file and the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class AgentInfo(_Model):
    name: str = Field(min_length=1, description="display name, e.g. 'mamba2-tiny'")
    backbone: str = Field(description="registered backbone name, or 'oracle'")
    params: int = Field(ge=0, description="parameter count, from the code")
    config: dict[str, Any] = Field(default_factory=dict, description="the backbone's full config")
    checkpoint: str | None = Field(default=None, description="where the weights were loaded from")


class TrainingInfo(_Model):
    lengths: list[int] = Field(min_length=1, description="[min, max] training lengths of the scored task")
    steps: int = Field(ge=0, description="optimizer steps")
    batch_size: int = Field(ge=1, description="episodes per optimizer step")
    seed: int = Field(description="training seed")
    tasks: list[dict[str, Any]] = Field(default_factory=list, description="the task mixture (name, max_length, weight)")
    lr: float | None = Field(default=None, description="peak learning rate")
    wall_time_s: float | None = Field(default=None, ge=0, description="training wall time, seconds")
    device: str | None = Field(default=None, description="where it trained, e.g. 'cpu', 'cuda:0', or "
                               "'cuda:0, then cpu from step 2500' for a run resumed on another device")


class EvalSettings(_Model):
    episodes: int = Field(ge=1, description="problems per length: Task.problem('test', length, i, seed), i < episodes")
    seed: int = Field(description="index of the fixed evaluation set (Task.problem(..., seed))")
    split: Literal["test"] = Field(default="test", description="evaluation problems come from the test stream only")
    metric: Literal["exact_match"] = Field(default="exact_match", description="an episode counts when task.check "
                                           "accepts its whole output and it ended with [EOS]")
    decoding: str = Field(default="greedy", description="how the agent picks tokens")
    step_limit: str = Field(default="Task.step_limit(oracle agent tokens); truncated episodes count as wrong",
                            description="the truncation rule")
    max_steps: int | None = Field(default=None, ge=1, description="a fixed step limit that replaced the task's, if any")
    interval: Literal["wilson95"] = Field(default="wilson95", description="ci_low/ci_high: Wilson score interval, 95%")


class LengthResult(_Model):
    length: int = Field(ge=1, description="the task's problem size (digits, items, statements...)")
    episodes: int = Field(ge=1, description="problems played at this length")
    exact_accuracy: float = Field(ge=0, le=1, description="fraction of episodes with reward 1 (k / episodes)")
    ci_low: float = Field(ge=0, le=1, description="Wilson 95% interval, lower end")
    ci_high: float = Field(ge=0, le=1, description="Wilson 95% interval, upper end")
    token_accuracy: float = Field(ge=0, le=1, description="mean over episodes of the fraction of answer "
                                  "positions the output gets right (over the longer of the two)")
    mean_trajectory_tokens: float = Field(ge=0, description="context length per episode: prompt, agent tokens, observations")
    mean_agent_tokens: float = Field(ge=0, description="agent tokens (env steps) per episode")
    tool_calls: float = Field(ge=0, description="tool commands per episode")
    truncated: int = Field(ge=0, description="episodes cut by the step limit")
    invalid: int = Field(ge=0, description="episodes ended by an invalid action")
    seconds: float = Field(ge=0, description="wall time of this length (problems, rollouts, checks)")
    tokens_per_s: float = Field(ge=0, description="context tokens processed per second")
    solved: list[int] | None = Field(default=None, description="indices i, ascending, of the problems "
                                     "Task.problem('test', length, i, seed) answered exactly; None in entries "
                                     "of schema 1.0, which did not record them (then left out of the file)",
                                     exclude_if=lambda v: v is None)

    @model_validator(mode="after")
    def _consistent(self):
        wins = round(self.exact_accuracy * self.episodes)
        if abs(wins / self.episodes - self.exact_accuracy) > 1e-9:
            raise ValueError(f"exact_accuracy {self.exact_accuracy} is not a count out of {self.episodes} episodes")
        lo, hi = wilson_interval(wins, self.episodes)
        if abs(lo - self.ci_low) > 1e-6 or abs(hi - self.ci_high) > 1e-6:
            raise ValueError(f"[ci_low, ci_high] = [{self.ci_low}, {self.ci_high}] is not the Wilson 95% interval "
                             f"of {wins}/{self.episodes}: [{lo:.6f}, {hi:.6f}]")
        if self.truncated + self.invalid > self.episodes - wins:
            raise ValueError(f"{self.truncated} truncated + {self.invalid} invalid episodes, but only "
                             f"{self.episodes - wins} were wrong")
        if self.solved is not None:
            if len(self.solved) != wins:
                raise ValueError(f"solved lists {len(self.solved)} problems, but {wins} of {self.episodes} were answered")
            if any(b <= a for a, b in zip(self.solved, self.solved[1:])):
                raise ValueError("solved must be ascending and without repeats")
            if self.solved and not 0 <= self.solved[0] <= self.solved[-1] < self.episodes:
                raise ValueError(f"solved holds indices outside 0..{self.episodes - 1}")
        return self


class Summary(_Model):
    trained_max: int | None = Field(description="largest training length (n)")
    longest_5pct: int | None = Field(description="largest tested length with accuracy >= 5% (m)")
    accuracy_at_longest_5pct: float | None = Field(default=None, description="the accuracy at m (p)")
    max_length_99: int | None = Field(description="largest tested length with accuracy >= 99%")
    paper_style: str = Field(description="'n→m (p%)' as in the paper's Table 1")
    rule: str = Field(default=SUMMARY_RULE, description="how the summary is computed from the results")


class Environment(_Model):
    toolenv: str
    python: str
    torch: str | None = None
    gymnasium: str | None = None
    git_commit: str | None = None
    hardware: str | None = None
    device: str | None = None


class LeaderboardEntry(_Model):
    schema_version: Literal["1.0", "1.1"] = SCHEMA_VERSION
    task: str
    regime: str
    tool: str
    agent: AgentInfo
    training: TrainingInfo | None = Field(description="None for agents not trained here (e.g. the oracle)")
    evaluation: EvalSettings
    results: list[LengthResult]
    summary: Summary
    command: str = Field(description="the command that produced this entry")
    environment: Environment
    date: str

    @model_validator(mode="after")
    def _derived(self):
        lengths = [r.length for r in self.results]
        if lengths != sorted(set(lengths)):
            raise ValueError(f"results: lengths must be increasing and distinct, got {lengths}")
        trained_max = self.training.lengths[-1] if self.training else None
        expected = summarize(self.results, trained_max)
        if self.summary != expected:
            raise ValueError(f"summary does not follow from results and training.lengths (expected {expected.paper_style!r}, "
                             f"max_length_99={expected.max_length_99})")
        return self

    def key(self) -> tuple:
        """Identity on a leaderboard: (task, regime, agent name, training seed)."""
        return (self.task, self.regime, self.agent.name, self.training.seed if self.training else None)


# -- statistics ------------------------------------------------------------------------------
def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95% by default)."""
    if n <= 0:
        raise ValueError("n must be positive")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends, no rounding residue
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


def paper_style(accuracy: dict[int, float], trained_max: int | None) -> tuple[int | None, float | None, str]:
    """(m, p, 'n→m (p%)') of exact accuracies by length, by the rule of SUMMARY_RULE."""
    ok5 = [n for n in sorted(accuracy) if accuracy[n] >= 0.05]
    n = "?" if trained_max is None else str(trained_max)
    if not ok5:
        return None, None, f"{n}→none (<5% at every tested length)"
    m = ok5[-1]
    return m, accuracy[m], f"{n}→{m} ({accuracy[m]:.0%})"


def summarize(results: list[LengthResult], trained_max: int | None) -> Summary:
    m, p, style = paper_style({r.length: r.exact_accuracy for r in results}, trained_max)
    ok99 = [r.length for r in results if r.exact_accuracy >= 0.99]
    return Summary(trained_max=trained_max, longest_5pct=m, accuracy_at_longest_5pct=p,
                   max_length_99=max(ok99) if ok99 else None, paper_style=style)


# -- environment -------------------------------------------------------------------------------
def environment(device: str | None = None) -> Environment:
    import gymnasium

    from toolenv import __version__

    try:
        import torch

        torch_v = torch.__version__
        hw = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:  # pragma: no cover
        torch_v, hw = None, None
    # TOOLENV_GIT_COMMIT names the code where git cannot tell (a synced copy with stale metadata)
    commit = os.environ.get("TOOLENV_GIT_COMMIT") or None
    try:
        commit = commit or subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                                          check=False, cwd=Path(__file__).parent).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    cpu = f"{platform.machine()}, {os.cpu_count()} cores"
    return Environment(toolenv=__version__, python=platform.python_version(), torch=torch_v,
                       gymnasium=gymnasium.__version__, git_commit=commit,
                       hardware=f"{hw} / {cpu}" if hw else cpu, device=device)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# -- files ---------------------------------------------------------------------------------------
def _describe(e: ValidationError) -> str:
    parts = []
    for err in e.errors()[:5]:
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        parts.append(f"field '{loc}': {err['msg']}")
    return "; ".join(parts)


def load(path: str | Path) -> list[LeaderboardEntry]:
    """Entries of one file (object or list); LeaderboardError names the file and the bad field."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise LeaderboardError(f"{path}: no such file") from None
    except json.JSONDecodeError as e:
        raise LeaderboardError(f"{path}: not valid JSON ({e})") from None
    items = data if isinstance(data, list) else [data]
    entries = []
    for i, item in enumerate(items):
        where = f"{path}" + (f" [entry {i}]" if isinstance(data, list) else "")
        if isinstance(item, dict) and item.get("schema_version") not in (None, *READABLE_VERSIONS):
            raise LeaderboardError(f"{where}: field 'schema_version': {item.get('schema_version')!r} is not supported "
                                   f"(this toolenv reads {' and '.join(READABLE_VERSIONS)})")
        try:
            entries.append(LeaderboardEntry.model_validate(item))
        except ValidationError as e:
            raise LeaderboardError(f"{where}: {_describe(e)}") from None
    return entries


def save(path: str | Path, entries: list[LeaderboardEntry] | LeaderboardEntry) -> None:
    """Write atomically: a crash never leaves a half-written leaderboard file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(entries, LeaderboardEntry):
        text = entries.model_dump_json(indent=2)
    else:
        text = json.dumps([e.model_dump(mode="json") for e in entries], indent=2, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; a leaderboard is meant to be shared
    os.replace(tmp, path)


def upsert(path: str | Path, entry: LeaderboardEntry) -> None:
    """Add ``entry`` to the file, replacing an entry with the same (task, regime, agent, seed)."""
    path = Path(path)
    entries = load(path) if path.exists() else []
    entries = [e for e in entries if e.key() != entry.key()] + [entry]
    save(path, entries)


PARTIAL_MARK = ".partial-"
"""Files whose name contains this are evaluations in progress (``toolenv eval``); merge skips them."""


def merge(directory: str | Path) -> list[LeaderboardEntry]:
    """Every entry of every ``*.json`` file in ``directory`` (not the ``.partial-`` ones), one
    per key (task, regime, agent, seed): the newest by ``date`` wins. Sorted by task, regime,
    agent, seed. Any malformed file raises LeaderboardError naming it."""
    directory = Path(directory)
    if not directory.is_dir():
        raise LeaderboardError(f"{directory}: no such directory")
    best: dict[tuple, LeaderboardEntry] = {}
    for path in sorted(directory.glob("*.json")):
        if PARTIAL_MARK in path.name:
            continue
        for e in load(path):
            if e.key() not in best or e.date > best[e.key()].date:
                best[e.key()] = e
    return sorted(best.values(), key=lambda e: (e.task, e.regime, e.agent.name, e.training.seed if e.training else -1))


def _percent(x: float) -> str:
    return f"{x:.0%}" if x in (0.0, 1.0) else f"{x:.1%}"


def markdown_table(entries: list[LeaderboardEntry]) -> str:
    """One Markdown table per task: a row per entry, a column per tested length."""
    out = []
    for task in sorted({e.task for e in entries}):
        group = [e for e in entries if e.task == task]
        lengths = sorted({r.length for e in group for r in e.results})
        head = ["agent", "regime", "params", "seed", "trained ≤", *[str(n) for n in lengths], "paper-style", "longest ≥99%"]
        rows = [f"### {task}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for e in group:
            acc = {r.length: r.exact_accuracy for r in e.results}
            cells = [e.agent.name, e.regime, f"{e.agent.params:,}", str(e.training.seed) if e.training else "-",
                     str(e.summary.trained_max or "-"),
                     *[_percent(acc[n]) if n in acc else "" for n in lengths],
                     e.summary.paper_style, str(e.summary.max_length_99 or "-")]
            rows.append("| " + " | ".join(cells) + " |")
        out.append("\n".join(rows))
    return "\n\n".join(out) + "\n"
