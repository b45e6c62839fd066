"""Accuracy-against-length plots (matplotlib, PNG): one figure per task, one line per entry."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from toolenv.leaderboard import LeaderboardEntry


def plot_task(entries: list[LeaderboardEntry], path: str | Path, title: str | None = None) -> Path:
    """Exact accuracy (error bars: its Wilson 95% interval) against length, log x-axis, one line
    per entry; the training range (smallest to largest training length of the entries) shaded."""
    if not entries:
        raise ValueError("no entries to plot")
    path = Path(path)
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    trained = [e.training.lengths for e in entries if e.training]
    if trained:
        lo, hi = min(t[0] for t in trained), max(t[-1] for t in trained)
        ax.axvspan(lo, hi, color="0.9", label=f"training lengths ({lo}–{hi})")
    for e in entries:
        rs = sorted(e.results, key=lambda r: r.length)
        x = [r.length for r in rs]
        y = [r.exact_accuracy for r in rs]
        err = [[r.exact_accuracy - r.ci_low for r in rs], [r.ci_high - r.exact_accuracy for r in rs]]
        label = f"{e.agent.name} ({e.regime})" + (f" seed {e.training.seed}" if e.training else "")
        ax.errorbar(x, y, yerr=err, marker="o", ms=4, capsize=2, label=label)
    ax.set_xscale("log")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("problem length (log scale)")
    ax.set_ylabel("exact-match accuracy")
    ax.set_title(title or entries[0].task)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_all(entries: list[LeaderboardEntry], directory: str | Path) -> list[Path]:
    return [plot_task([e for e in entries if e.task == t], Path(directory) / f"{t}.png") for t in sorted({e.task for e in entries})]
