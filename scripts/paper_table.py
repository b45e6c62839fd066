"""Our leaderboard entries beside the paper's Table 1, task by task (Markdown).

Reads every entry in ``--board`` (``scripts/paper_runs.py`` writes one per run; unfinished
evaluations' ``.partial-`` files are read too and marked), and prints per task and backbone:
each seed's "n→m (p%)" (the paper's notation: trained ≤ n, largest tested length m with ≥ 5%
exact), the best seed's accuracy at every length, training steps and wall time, beside the
paper's reported result (best of 2 seeds, ~100M-parameter models, 2,000 steps).

Usage: python scripts/paper_table.py [--board leaderboards/paper] [--out leaderboards/paper/COMPARISON.md]
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from pathlib import Path

from toolenv import leaderboard as lb
from toolenv.breakdown import breakdown, stop_over, without

# The paper's Table 1 (and Fig. 2 text for addition), as printed; see ../shared/paper.md §3.
PAPER = {
    "addition": {"mamba": "5→1K (100%)", "lstm": "5→1K (100%)", "gru": "≈80% at 1K (plot)",
                 "transformer": "≈0 soon after 5", "swa-transformer": "≈0 soon after 5"},
    "multiplication_nx1": {"mamba": "10→1K (100%)", "lstm": "10→500 (100%)", "gru": "10→500 (100%)",
                           "transformer": "10→20 (79%)", "swa-transformer": "10→13 (25%)"},
    "multiplication_nx2": {"mamba": "10→1K (100%)", "lstm": "10→100 (100%)", "gru": "10→100 (100%)",
                           "transformer": "10→14 (12%)", "swa-transformer": "10→20 (33%)"},
    "hanoi": {"mamba": "8→12 (49%)", "lstm": "8→8 (100%)", "gru": "8→8 (100%)", "transformer": "8→8 (100%)",
              "swa-transformer": "8→8 (100%)"},
    "logical_graph": {"mamba": "10→1K (98%)", "lstm": "10→1K (100%)", "gru": "10→1K (100%)",
                      "transformer": "10→1K (5%)", "swa-transformer": "10→500 (9%)"},
}
PAPER["logical_graph_value_lookup"] = PAPER["logical_graph"]  # the same problems, another oracle (ours)
PAPER["logical_graph_value_lookup_repeats"] = PAPER["logical_graph"]  # the same test circuits, another training stream
PAPER["logical_graph_value_lookup_runs"] = PAPER["logical_graph"]  # the same test circuits, another training stream
PAPER_NAME = {"mamba": "Mamba", "transformer": "Pythia", "swa-transformer": "Mistral (SWA)", "lstm": "LSTM",
              "gru": "GRU", "mamba2": "— (not in the paper)"}
# Test problems a model can answer without computing: n×1's second operand is uniform over 0-9, so about a
# tenth of each length's problems are a×0 (answer 0) and a tenth a×1 (a copy), enough alone for the 5% stop.
# Its table adds each seed's stop over the other problems, for entries that record them (schema 1.1).
TRIVIAL = {"multiplication_nx1": ("b", {"0", "1"})}
ORDER = ["mamba", "mamba2", "lstm", "gru", "transformer", "swa-transformer"]


def load(board: Path) -> list[tuple[lb.LeaderboardEntry, bool]]:
    out = []
    for path in sorted(board.glob("*.json")):
        partial = ".partial-" in path.name
        for entry in lb.load(path):
            out.append((entry, partial))
    return out


def fmt_len(n: int) -> str:
    return f"{n // 1000}K" if n >= 1000 and n % 1000 == 0 else str(n)


def wall(e: lb.LeaderboardEntry) -> str:
    """Training wall time in seconds, with the device when it was not a GPU."""
    if not e.training or not e.training.wall_time_s:
        return "?"
    device = e.training.device or "?"
    return f"{e.training.wall_time_s:.0f}" + ("" if device.startswith("cuda") else f" ({device.upper()})")


def nontrivial(e: lb.LeaderboardEntry, key: str, values: set[str]) -> str:
    """The entry's 'n→m (p%)' over its test problems whose ``meta[key]`` is not in ``values``."""
    if any(r.solved is None for r in e.results):
        return "not recorded"
    return stop_over(without(breakdown(e, key), values), e.summary.trained_max)


def table(task: str, regime: str, entries: list[tuple[lb.LeaderboardEntry, bool]]) -> str:
    by_backbone: dict[tuple[str, str], list[tuple[lb.LeaderboardEntry, bool]]] = defaultdict(list)
    for e, partial in entries:  # one row per model: its backbone and its name less the seed (a variant's own row)
        by_backbone[(e.agent.backbone, re.sub(r"-s\d+(-10k)?$", "", e.agent.name))].append((e, partial))
    lengths = sorted({r.length for e, _ in entries for r in e.results})
    head = ["ours", "params", "seeds: n→m (p%)", *map(fmt_len, lengths), "steps", "train wall (s), per seed"]
    trivial = TRIVIAL.get(task)
    if trivial:
        head.insert(3, f"seeds without {trivial[0]} ∈ {{{', '.join(sorted(trivial[1]))}}}")
    if regime == "interactive" and task in PAPER:
        head.insert(1, "paper")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in sorted(by_backbone, key=lambda k: (ORDER.index(k[0]) if k[0] in ORDER else 99, k[1])):
        backbone, runs = key[0], by_backbone[key]
        runs = sorted(runs, key=lambda x: x[0].training.seed if x[0].training else 0)
        best = max(runs, key=lambda x: (x[0].summary.longest_5pct or 0, x[0].summary.accuracy_at_longest_5pct or 0))
        acc = {r.length: r.exact_accuracy for r in best[0].results}
        seeds = "; ".join(f"s{e.training.seed if e.training else '?'}: {e.summary.paper_style}"
                          + (" (partial)" if partial else "") for e, partial in runs)
        row = [f"{PAPER_NAME.get(backbone, backbone)} · `{best[0].agent.name}`", f"{best[0].agent.params:,}", seeds,
               *[f"{acc[n]:.0%}" if n in acc else "–" for n in lengths],
               str(best[0].training.steps if best[0].training else "?"),
               " / ".join(wall(e) for e, _ in runs)]
        if trivial:
            row.insert(3, "; ".join(f"s{e.training.seed if e.training else '?'}: {nontrivial(e, *trivial)}"
                                    for e, _ in runs))
        if regime == "interactive" and task in PAPER:
            row.insert(1, PAPER[task].get(backbone, "—"))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--board", default="leaderboards/paper")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    entries = load(Path(args.board))
    groups: dict[tuple[str, str, bool], list] = defaultdict(list)
    for e, partial in entries:
        groups[(e.task, e.regime, e.agent.name.endswith("-10k"))].append((e, partial))
    parts = []
    for (task, regime, beyond) in sorted(groups):
        title = f"## {task}" + ("" if regime == "interactive" else f" ({regime})") + (" beyond 1,000" if beyond else "")
        parts += [title, "", table(task, regime, groups[(task, regime, beyond)]), ""]
    text = "\n".join(parts)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
