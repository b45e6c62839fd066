"""Accuracy-against-length plots (matplotlib, PNG): one figure per task, one line per entry."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from toolenv.leaderboard import LeaderboardEntry


_MARKERS = "osD^vPX*"
_LINESTYLES = ("-", "--", ":", "-.")
LOG_SCALE_ABOVE = 20  # a log length axis only when the longest length is > 20x the shortest


def family(entry: LeaderboardEntry) -> str:
    """The agent name without its seed suffix (``mamba-tiny-s1`` -> ``mamba-tiny``): one colour
    and marker per family, one line style per seed."""
    return re.sub(r"-s\d+(-.*)?$", "", entry.agent.name) + f" ({entry.regime})"


def styles(entries: list[LeaderboardEntry]) -> list[dict]:
    """matplotlib keyword arguments per entry: colour and marker by family, line style by seed,
    filled markers for seed 0 and hollow ones after it, each entry's marker smaller than the one
    before, so that lines at the same accuracy (often 100%) all stay visible."""
    families = list(dict.fromkeys(family(e) for e in entries))
    colors = plt.get_cmap("tab10" if len(families) <= 10 else "tab20").colors
    out = []
    for i, e in enumerate(entries):
        k = families.index(family(e))
        seed = e.training.seed if e.training else 0
        size = max(3.0, 9.0 - 6.0 * i / max(1, len(entries) - 1))
        out.append({"color": colors[k % len(colors)], "marker": _MARKERS[k % len(_MARKERS)], "ms": size,
                    "linestyle": _LINESTYLES[seed % len(_LINESTYLES)], "mfc": "none" if seed else None})
    return out


def log_axis(lengths: list[int]) -> bool:
    """Whether the length axis is logarithmic: lengths span more than ``LOG_SCALE_ABOVE``x."""
    return max(lengths) > LOG_SCALE_ABOVE * max(1, min(lengths))


def plot_task(entries: list[LeaderboardEntry], path: str | Path, title: str | None = None) -> Path:
    """Exact accuracy (error bars: its Wilson 95% interval) against length, one line per entry
    (see ``styles``); a log length axis when lengths span more than ``LOG_SCALE_ABOVE``x; the
    training range (smallest to largest training length of the entries) shaded."""
    if not entries:
        raise ValueError("no entries to plot")
    path = Path(path)
    entries = sorted(entries, key=lambda e: (family(e), e.training.seed if e.training else 0, e.agent.name))
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=120)
    trained = [e.training.lengths for e in entries if e.training]
    if trained:
        lo, hi = min(t[0] for t in trained), max(t[-1] for t in trained)
        ax.axvspan(lo, hi, color="0.9", label=f"training lengths ({lo}–{hi})")
    lengths = [r.length for e in entries for r in e.results] + [t for pair in trained for t in pair]
    for e, style in zip(entries, styles(entries)):
        rs = sorted(e.results, key=lambda r: r.length)
        x = [r.length for r in rs]
        y = [r.exact_accuracy for r in rs]
        err = [[r.exact_accuracy - r.ci_low for r in rs], [r.ci_high - r.exact_accuracy for r in rs]]
        label = f"{e.agent.name} ({e.regime})" + (f" seed {e.training.seed}" if e.training else "")
        ax.errorbar(x, y, yerr=err, capsize=2, lw=1.2, elinewidth=0.8, label=label, **style)
    log = log_axis(lengths)
    if log:
        ax.set_xscale("log")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("problem length" + (" (log scale)" if log else ""))
    ax.set_ylabel("exact-match accuracy")
    ax.set_title(title or entries[0].task)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_all(entries: list[LeaderboardEntry], directory: str | Path) -> list[Path]:
    return [plot_task([e for e in entries if e.task == t], Path(directory) / f"{t}.png") for t in sorted({e.task for e in entries})]
